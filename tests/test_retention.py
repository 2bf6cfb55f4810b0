"""Personal data is removed after the retention period; the anonymous rows stay."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from intake import create_app
from intake.config import ConfigError, load_config
from intake.domain import audit, calls, closing, handover, queue, retention, staff_sessions, states
from intake.domain.status import change_status
from intake.extensions import db
from intake.models import AuditEvent, HandoverNote, RequestNote
from tests.conftest import StoredRequests, page
from tests.factories import CALL_POLICY, make_staff, submit_request, utc

NOW = utc(2026, 11, 25, 12, 0)
NINETY_DAYS = timedelta(days=90)
POLICY = retention.RetentionPolicy(closed=NINETY_DAYS, withdrawn=timedelta(days=7))


def closed_request(db_session, vault, closed_days_ago: float, status=states.COMPLETED):
    """A request closed `closed_days_ago`, through the one place statuses change."""
    closed_at = NOW - timedelta(days=closed_days_ago)
    request = submit_request(db_session, vault, now=closed_at - timedelta(days=1))
    agent = make_staff(db_session)
    change_status(db_session, request, states.IN_PROGRESS, by=agent, now=closed_at)
    change_status(db_session, request, status, by=agent, now=closed_at)
    db_session.commit()
    return request


def purge(db_session, now=NOW, policy=POLICY, **options) -> int:
    return sum(retention.purge(db_session, now, policy, **options))


def test_old_closed_requests_lose_their_personal_data_and_keep_their_row(db_session, vault):
    old = closed_request(db_session, vault, 91)
    assert purge(db_session) == 1
    db_session.refresh(old)
    assert old.personal_data is None and old.phone_hash is None
    assert old.purged_at == NOW
    assert (old.status, old.reference, old.urgent) == (states.COMPLETED, old.reference, False)


@pytest.mark.parametrize("status", [states.COMPLETED, states.UNREACHABLE, states.SPAM])
def test_recently_closed_requests_are_kept(db_session, vault, status):
    recent = closed_request(db_session, vault, 89, status=status)
    assert purge(db_session) == 0
    db_session.refresh(recent)
    assert recent.personal_data is not None


def test_notes_are_removed_with_the_request(db_session, vault):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW - timedelta(days=100))
    queue.take(db_session, request, agent, now=NOW - timedelta(days=100))
    calls.record_attempt(
        db_session,
        vault,
        request,
        agent,
        outcome=calls.REACHED,
        result="not_ready_now",
        note="Call back in spring",
        policy=CALL_POLICY,
        now=NOW - timedelta(days=95),
    )
    purge(db_session)
    assert db_session.query(RequestNote).one().body is None
    assert calls.history(db_session, vault, request)[-1].text == calls.REMOVED_NOTE


def test_purging_twice_changes_nothing_the_second_time(db_session, vault):
    for _ in range(3):
        closed_request(db_session, vault, 120)
    assert purge(db_session, batch_size=2) == 3
    assert purge(db_session) == 0


@pytest.mark.parametrize("withdrawn_at", ["03:29", "03:31"])
def test_a_nightly_purge_removes_a_withdrawn_request_within_seven_days(
    db_session, vault, withdrawn_at
):
    """Whether the visitor withdraws just before or just after the 03:30 run."""
    hour, minute = map(int, withdrawn_at.split(":"))
    withdrawn = NOW.replace(hour=hour, minute=minute)
    request = submit_request(db_session, vault, now=withdrawn - timedelta(minutes=5))
    change_status(db_session, request, states.WITHDRAWN, by=None, now=withdrawn)
    db_session.commit()
    nights = [NOW.replace(hour=3, minute=30) + timedelta(days=day) for day in range(1, 9)]
    gone_at = next(night for night in nights if purge(db_session, now=night))
    assert timedelta(days=5) < gone_at - withdrawn <= timedelta(days=7)
    db_session.refresh(request)
    assert request.personal_data is None


def test_the_withdrawn_window_is_configurable_and_the_privacy_notice_states_it(app_config):
    app = create_app({**app_config, "INTAKE_WITHDRAWN_RETENTION_DAYS": 3})
    assert app.extensions["intake"].service.retention == retention.RetentionPolicy(
        closed=NINETY_DAYS, withdrawn=timedelta(days=3)
    )
    text = page(app.test_client().get("/privacy")).get_text(" ", strip=True)
    assert "If you withdraw your request, we delete your personal details within 3 days." in text
    with app.app_context():
        db.engine.dispose()


def test_the_withdrawn_window_comes_from_the_environment_and_defaults_to_seven_days(
    tmp_path: Path,
):
    assert load_config(tmp_path, {})["INTAKE_WITHDRAWN_RETENTION_DAYS"] == 7
    settings = {"INTAKE_WITHDRAWN_RETENTION_DAYS": "2"}
    assert load_config(tmp_path, settings)["INTAKE_WITHDRAWN_RETENTION_DAYS"] == 2
    with pytest.raises(ConfigError, match="INTAKE_WITHDRAWN_RETENTION_DAYS"):
        load_config(tmp_path, {"INTAKE_WITHDRAWN_RETENTION_DAYS": "0"})


def expiry_events(db_session, request) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.request_id == request.id, AuditEvent.action == audit.REQUEST_EXPIRED
    )
    return list(db_session.scalars(query))


@pytest.mark.parametrize("status", [states.NEW, states.IN_PROGRESS])
def test_an_open_request_forgotten_past_retention_is_closed_as_expired_and_purged(
    db_session, vault, status
):
    request = submit_request(db_session, vault, now=NOW - timedelta(days=400))
    if status == states.IN_PROGRESS:
        queue.take(db_session, request, make_staff(db_session), now=NOW - timedelta(days=399))
    assert purge(db_session) == 1
    db_session.refresh(request)
    assert (request.status, request.closed_at, request.held_by_id) == (states.EXPIRED, NOW, None)
    assert request.personal_data is None and request.purged_at == NOW
    [event] = expiry_events(db_session, request)
    assert (event.staff_id, event.detail) == (None, {"from": status, "to": states.EXPIRED})


def test_an_open_request_counts_from_its_latest_due_time(db_session, vault):
    """Asked 120 days ago, but an agent agreed to call again 20 days ago: still wanted."""
    agent = make_staff(db_session)
    rescheduled = submit_request(db_session, vault, now=NOW - timedelta(days=120))
    queue.take(db_session, rescheduled, agent, now=NOW - timedelta(days=27))
    calls.record_attempt(
        db_session,
        vault,
        rescheduled,
        agent,
        outcome=calls.CALL_LATER,
        policy=CALL_POLICY,
        call_again_at=NOW - timedelta(days=20),
        now=NOW - timedelta(days=27),
    )
    recent = submit_request(db_session, vault, now=NOW - timedelta(days=89))
    assert purge(db_session) == 0
    for request in (rescheduled, recent):
        db_session.refresh(request)
        assert request.status == states.NEW and request.personal_data is not None
        assert expiry_events(db_session, request) == []


def test_an_expired_request_can_never_be_reopened(db_session, vault):
    request = submit_request(db_session, vault, now=NOW - timedelta(days=100))
    purge(db_session)
    supervisor = make_staff(db_session, role="supervisor")
    with pytest.raises(queue.QueueRefused, match="expired cannot be reopened"):
        closing.reopen(db_session, vault, request, supervisor, "Try again", NINETY_DAYS, now=NOW)


def test_the_count_due_includes_forgotten_open_requests(db_session, vault):
    closed_request(db_session, vault, 100)
    closed_request(db_session, vault, 8, status=states.WITHDRAWN)
    submit_request(db_session, vault, now=NOW - timedelta(days=200))
    closed_request(db_session, vault, 10)
    assert retention.count_due(db_session, NOW, POLICY) == 3
    assert purge(db_session) == 3


def test_the_purge_command_shows_progress_and_a_summary(app, db_session, vault):
    for days in (100, 200, 10):
        closed_request(db_session, vault, days)
    closed_request(db_session, vault, 7, status=states.WITHDRAWN)
    submit_request(db_session, vault, now=NOW - timedelta(days=300))
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(args=["purge"])
        again = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Removing personal data" in result.output
    assert "Closed 1 request still open 90 days after its due time, as expired." in result.output
    assert (
        "Removed the personal data of 4 requests: closed over 90 days ago, "
        "withdrawn (gone within 7 days), or expired."
    ) in result.output
    assert "Closed 0 requests" in again.output
    assert "Removed the personal data of 0 requests" in again.output
    rows = StoredRequests(app).all()
    assert sum(1 for row in rows if row.personal_data is None) == 4


def test_handover_notes_are_forgotten_after_the_retention_period(db_session, vault):
    member = make_staff(db_session)
    handover.leave_note(db_session, vault, member, "Old news", now=NOW - timedelta(days=91))
    handover.leave_note(db_session, vault, member, "This week", now=NOW - timedelta(days=2))
    purge(db_session)
    assert [note.written_at for note in db_session.query(HandoverNote)] == [NOW - timedelta(days=2)]
    notes, _ = handover.older(db_session, vault, NOW)
    assert [note.text for note in notes] == ["This week"]


def test_a_typed_call_nobody_came_back_for_is_dropped(db_session, vault):
    member = make_staff(db_session)
    token = staff_sessions.start(db_session, member, NOW - timedelta(hours=3))
    row = staff_sessions.find(db_session, token)
    draft = {"reference": "K7QM-4Z2P", "endpoint": "staff.add_note", "fields": {"text": "x"}}
    staff_sessions.end(db_session, row, "idle", NOW - timedelta(hours=3), vault, draft)
    purge(db_session)
    db_session.refresh(row)
    assert row.draft is None
    purge(db_session, now=NOW + timedelta(days=91))
    assert db_session.get(type(row), row.id) is None


def database_files(app) -> list[Path]:
    with app.app_context():
        path = Path(db.engine.url.database)
    return [path, *(path.with_name(path.name + end) for end in ("-wal", "-journal"))]


def bytes_on_disk(app) -> bytes:
    return b"".join(path.read_bytes() for path in database_files(app) if path.exists())


def test_on_sqlite_purged_data_is_left_in_no_database_file(app, db_session, vault):
    """Neither in free pages (secure_delete) nor in the write-ahead log (checkpoint)."""
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's own files; PostgreSQL needs VACUUM (docs/deploy.md)")
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW - timedelta(days=100))
    queue.take(db_session, request, agent, now=NOW - timedelta(days=100))
    calls.add_note(
        db_session, vault, request, agent, "Ring after six", now=NOW - timedelta(days=99)
    )
    change_status(db_session, request, states.COMPLETED, by=agent, now=NOW - timedelta(days=95))
    db_session.commit()
    sealed = [request.personal_data, db_session.scalars(select(RequestNote.body)).one()]
    assert all(value in bytes_on_disk(app) for value in sealed)
    assert purge(db_session) == 1
    on_disk = bytes_on_disk(app)
    assert [value in on_disk for value in sealed] == [False, False]
