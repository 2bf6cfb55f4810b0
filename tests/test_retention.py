"""Personal data of closed requests is removed after the retention period; rows stay."""

from datetime import timedelta

import pytest
import time_machine

from intake.domain import calls, handover, queue, retention, staff_sessions, states
from intake.models import CallbackRequest, HandoverNote, RequestNote
from tests.conftest import StoredRequests
from tests.factories import make_staff, submit_request, utc

NOW = utc(2026, 11, 25, 12, 0)
NINETY_DAYS = timedelta(days=90)


def closed_request(db_session, vault, closed_days_ago: int, status=states.COMPLETED):
    request = submit_request(db_session, vault, now=NOW - timedelta(days=closed_days_ago + 1))
    request.status = status
    request.closed_at = NOW - timedelta(days=closed_days_ago)
    db_session.commit()
    return request


def test_old_closed_requests_lose_their_personal_data_and_keep_their_row(db_session, vault):
    old = closed_request(db_session, vault, 91)
    assert sum(retention.purge(db_session, NOW, NINETY_DAYS)) == 1
    db_session.refresh(old)
    assert old.personal_data is None and old.phone_hash is None
    assert old.purged_at == NOW
    assert (old.status, old.reference, old.urgent) == (states.COMPLETED, old.reference, False)


@pytest.mark.parametrize("status", [states.NEW, states.IN_PROGRESS])
def test_open_requests_are_never_purged_however_old(db_session, vault, status):
    request = submit_request(db_session, vault, now=NOW - timedelta(days=400))
    request.status = status
    db_session.commit()
    assert sum(retention.purge(db_session, NOW, NINETY_DAYS)) == 0
    db_session.refresh(request)
    assert request.personal_data is not None


def test_recently_closed_requests_are_kept(db_session, vault):
    recent = closed_request(db_session, vault, 89, status=states.WITHDRAWN)
    assert sum(retention.purge(db_session, NOW, NINETY_DAYS)) == 0
    db_session.refresh(recent)
    assert recent.personal_data is not None


def test_notes_are_removed_with_the_request(db_session, vault):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW - timedelta(days=100))
    queue.take(db_session, request, agent, now=NOW - timedelta(days=100))
    calls.record_attempt(
        db_session, vault, request, agent, outcome=calls.REACHED, result="not_ready_now",
        note="Call back in spring", policy=calls.CallPolicy(timedelta(minutes=30), 3),
        now=NOW - timedelta(days=95),
    )  # fmt: skip
    list(retention.purge(db_session, NOW, NINETY_DAYS))
    assert db_session.query(RequestNote).one().body is None
    assert calls.history(db_session, vault, request)[-1].text == calls.REMOVED_NOTE


def test_purging_twice_changes_nothing_the_second_time(db_session, vault):
    for _ in range(3):
        closed_request(db_session, vault, 120)
    assert sum(retention.purge(db_session, NOW, NINETY_DAYS, batch_size=2)) == 3
    assert sum(retention.purge(db_session, NOW, NINETY_DAYS)) == 0


def test_the_purge_command_shows_progress_and_a_summary(app, db_session, vault):
    for days in (100, 200, 10):
        closed_request(db_session, vault, days)
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(args=["purge"])
        again = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Removing personal data" in result.output
    assert "Removed the personal data of 2 closed requests older than 90 days." in result.output
    assert "Removed the personal data of 0 closed requests" in again.output
    rows = StoredRequests(app).all()
    assert sum(1 for row in rows if row.personal_data is None) == 2
    assert isinstance(rows[0], CallbackRequest)


def test_handover_notes_are_forgotten_after_the_retention_period(db_session, vault):
    member = make_staff(db_session)
    handover.leave_note(db_session, vault, member, "Old news", now=NOW - timedelta(days=91))
    handover.leave_note(db_session, vault, member, "This week", now=NOW - timedelta(days=2))
    list(retention.purge(db_session, NOW, timedelta(days=90)))
    assert [note.written_at for note in db_session.query(HandoverNote)] == [
        NOW - timedelta(days=2)
    ]
    assert handover.latest(db_session, vault).text == "This week"


def test_a_typed_call_nobody_came_back_for_is_dropped(db_session, vault):
    member = make_staff(db_session)
    token = staff_sessions.start(db_session, member, NOW - timedelta(hours=3))
    row = staff_sessions.find(db_session, token, member.id)
    draft = {"reference": "K7QM-4Z2P", "endpoint": "staff.add_note", "fields": {"text": "x"}}
    staff_sessions.end(db_session, row, "idle", NOW - timedelta(hours=3), vault, draft)
    list(retention.purge(db_session, NOW, timedelta(days=90)))
    db_session.refresh(row)
    assert row.draft is None
    list(retention.purge(db_session, NOW + timedelta(days=91), timedelta(days=90)))
    assert db_session.get(type(row), row.id) is None
