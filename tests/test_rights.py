"""A person's rights from the dashboard, and words staff type kept only where they can
be erased: find, export, correct, erase, restrict; reasons sealed with the request."""

import json
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.exc import DatabaseError

from intake import create_app
from intake.app_state import app_state
from intake.config import sqlalchemy_url
from intake.domain import (
    audit,
    cache_generation,
    calls,
    closing,
    handover,
    outbox,
    queue,
    retention,
    staff_sessions,
    states,
    subject_access,
    supervision,
)
from intake.domain.status import change_status
from intake.extensions import db
from intake.models import (
    AuditEvent,
    CallbackRequest,
    OutboxMessage,
    RequestNote,
    StaffMember,
    StaffSession,
)
from intake.staff.audit_words import detail_words
from tests.conftest import BACKENDS, POSTGRES_URL, base_config, page
from tests.factories import CALL_POLICY, make_staff, submit_request, utc

NOW = utc(2026, 11, 25, 12, 0)
RETENTION = timedelta(days=90)
POLICY = retention.RetentionPolicy(closed=RETENTION, withdrawn=timedelta(days=7))
MARKER = "Priya Zebrafinch 07400777111 relapsed"
PHONE = "+447400123457"


def audited(db_session, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db_session.scalars(query))


# --- What staff type is sealed, and gone after the purge --------------------------------


def database_bytes(app, app_config) -> bytes:
    """Everything the database holds, as its files hold it: SQLite's file and WAL, or a
    plain pg_dump of this test's schema (bytea shows there as hex)."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(file.read_bytes() for file in files if file.exists())
    schema = app_config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"].split("=")[1]
    command = ["pg_dump", "--data-only", f"--schema={schema}", POSTGRES_URL]
    dump = subprocess.run(command, check=True, capture_output=True)
    return dump.stdout


def on_disk(sealed: bytes, raw: bytes) -> bool:
    return sealed in raw or sealed.hex().encode() in raw


def type_every_kind_of_reason(db_session, vault) -> list[CallbackRequest]:
    """A supervisor and an agent type the marker as every reason and note there is."""
    boss = make_staff(db_session, role="supervisor", email="sam@example.org", name="Sam")
    agent = make_staff(db_session)
    start = NOW - timedelta(days=100)
    at = lambda minutes: start + timedelta(minutes=minutes)  # noqa: E731  (in order)
    spam = submit_request(db_session, vault, now=start, in_danger=True)
    closing.close_without_call(
        db_session, vault, spam, boss, states.SPAM, reason=f"spam: {MARKER}", now=at(1)
    )
    closing.reopen(db_session, vault, spam, boss, f"reopen: {MARKER}", RETENTION, now=at(2))
    closing.close_without_call(
        db_session, vault, spam, boss, states.SPAM, reason=f"again: {MARKER}", now=at(3)
    )
    early = submit_request(db_session, vault, now=start)
    queue.take(db_session, early, agent, now=at(1))
    calls.record_attempt(
        db_session, vault, early, agent, outcome=calls.NO_ANSWER, policy=CALL_POLICY, now=at(2)
    )
    reason = f"override: {MARKER}"
    queue.take(db_session, early, boss, now=at(3), override_reason=reason, vault=vault)
    calls.add_note(db_session, vault, early, boss, f"note: {MARKER}", now=at(4))
    change_status(db_session, early, states.COMPLETED, by=boss, now=at(5))
    handed = submit_request(db_session, vault, now=start)
    queue.take(db_session, handed, agent, now=at(1))
    calls.record_attempt(
        db_session, vault, handed, agent, outcome=calls.NO_ANSWER, policy=CALL_POLICY, now=at(2)
    )
    calls.give_to_colleague(db_session, vault, handed, boss, boss, now=at(3))
    calls.record_attempt(
        db_session,
        vault,
        handed,
        boss,
        outcome=calls.REACHED,
        result="information_given",
        policy=CALL_POLICY,
        override_reason=f"called early: {MARKER}",
        now=at(4),
    )
    marked = submit_request(db_session, vault, now=start, in_danger=True)
    supervision.mark(
        db_session, vault, marked, supervision.WRONG_NUMBER, by=agent, channels=None, now=at(1)
    )
    db_session.commit()
    decided = f"decided: {MARKER}"
    supervision.decide(db_session, vault, marked, boss, states.UNREACHABLE, decided, at(2))
    handover.leave_note(db_session, vault, boss, f"handover: {MARKER}", now=at(3))
    return [spam, early, marked, handed]


def test_every_reason_staff_type_is_sealed_never_in_clear_and_gone_after_the_purge(
    app, app_config, db_session, vault
):
    requests = type_every_kind_of_reason(db_session, vault)
    reasons = list(db_session.scalars(select(RequestNote).where(RequestNote.kind == "reason")))
    assert len(reasons) == 6, "spam twice, a reopening, two overrides, a decision"
    for event in db_session.scalars(select(AuditEvent)):
        assert "Zebrafinch" not in json.dumps(event.detail)
    sealed = [note.body for note in db_session.scalars(select(RequestNote))]
    before = database_bytes(app, app_config)
    assert MARKER.encode() not in before
    assert all(on_disk(body, before) for body in sealed)

    assert sum(retention.purge(db_session, NOW, POLICY)) == len(requests)
    after = database_bytes(app, app_config)
    assert MARKER.encode() not in after
    assert [on_disk(body, after) for body in sealed] == [False] * len(sealed)
    assert audited(db_session, audit.STATUS_CHANGED), "the facts stay in the trail"


def test_the_request_page_history_still_reads_each_reason_to_the_next_person(db_session, vault):
    spam, early, marked, handed = type_every_kind_of_reason(db_session, vault)
    words = lambda request: [  # noqa: E731
        entry.text for entry in calls.history(db_session, vault, request) if entry.kind == "reason"
    ]
    assert words(spam) == [
        f"Closed as spam: spam: {MARKER}",
        f"Reopened: reopen: {MARKER}",
        f"Closed as spam: again: {MARKER}",
    ]
    assert words(early) == [f"Taken before the retry time: override: {MARKER}"]
    assert words(handed) == [f"Called before the retry time: called early: {MARKER}"]
    decision = supervision.DECISIONS[states.UNREACHABLE].lower()
    assert words(marked)[-1] == f"Supervisor's decision, {decision}: decided: {MARKER}"


def test_the_audit_page_says_a_reason_was_given_and_never_shows_it(app, db_session, vault):
    type_every_kind_of_reason(db_session, vault)
    lines = [detail_words(event, {}) for event in db_session.scalars(select(AuditEvent))]
    assert any("with a reason, kept on the request's page" in line for line in lines)
    assert not any("Zebrafinch" in line for line in lines)


# --- Find, export, correct ---------------------------------------------------------------


def test_a_person_is_found_by_phone_in_any_format_or_email_in_any_case(db_session, vault):
    boss = make_staff(db_session, role="supervisor")
    theirs = submit_request(db_session, vault, now=NOW, phone=PHONE, email="Priya@Example.org")
    submit_request(db_session, vault, now=NOW, phone="+447400123999", email="other@example.org")
    by_phone = subject_access.find(db_session, vault, subject_access.Lookup(phone=PHONE), boss, NOW)
    by_email = subject_access.find(
        db_session, vault, subject_access.Lookup(email="priya@example.ORG"), boss, NOW
    )
    assert [r.id for r in by_phone] == [r.id for r in by_email] == [theirs.id]
    looks = audited(db_session, audit.PERSON_LOOKED_UP)
    assert [event.detail for event in looks] == [
        {"by": "phone", "found": 1},
        {"by": "email", "found": 1},
    ]


def test_the_export_holds_every_request_call_note_reason_and_event_and_is_audited(
    db_session, vault
):
    boss = make_staff(db_session, role="supervisor", email="sam@example.org", name="Sam")
    request = submit_request(db_session, vault, now=NOW, name="Priya", phone=PHONE)
    queue.take(db_session, request, boss, now=NOW)
    calls.record_attempt(
        db_session,
        vault,
        request,
        boss,
        outcome=calls.NO_ANSWER,
        policy=CALL_POLICY,
        note="Try after six",
        now=NOW,
    )
    exported = subject_access.export(db_session, vault, [request], boss, NOW)
    (item,) = exported["requests"]
    assert item["reference"] == request.reference
    assert item["answers"]["name"] == "Priya" and item["answers"]["phone"] == PHONE
    assert [call["outcome"] for call in item["calls"]] == [calls.OUTCOMES[calls.NO_ANSWER]]
    assert [note["text"] for note in item["notes"]] == ["Try after six"]
    assert {event["what"] for event in item["history"]} >= {
        audit.DESCRIPTIONS[audit.REQUEST_TAKEN],
        audit.DESCRIPTIONS[audit.ATTEMPT_RECORDED],
    }
    assert "Sam" not in json.dumps(exported), "staff appear by role"
    assert [e.request_id for e in audited(db_session, audit.PERSON_EXPORTED)] == [request.id]


def test_a_correction_reseals_the_details_keeps_no_old_value_and_moves_the_lookups(
    db_session, vault
):
    boss = make_staff(db_session, role="supervisor")
    request = submit_request(db_session, vault, now=NOW, name="Pryia", phone=PHONE)
    generation = cache_generation.current(db_session)
    changes = {"name": "Priya", "phone": "+447400123456", "email": "priya@example.org"}
    changed = subject_access.correct(db_session, vault, request, changes, boss, NOW)
    assert changed == ["name", "phone", "email"]
    answers = vault.open(request.personal_data)
    assert (answers["name"], answers["phone"], answers["email"]) == tuple(changes.values())
    lookup = lambda **who: subject_access.find(  # noqa: E731
        db_session, vault, subject_access.Lookup(**who), boss, NOW
    )
    assert lookup(phone=PHONE) == []
    assert [r.id for r in lookup(phone="+447400123456")] == [request.id]
    assert [r.id for r in lookup(email="priya@example.org")] == [request.id]
    (event,) = audited(db_session, audit.PERSONAL_DATA_CORRECTED)
    assert event.detail == {"fields": ["name", "phone", "email"]}
    assert cache_generation.current(db_session) == generation + 1


# --- Erase ---------------------------------------------------------------------------------


def test_erasing_removes_everything_personal_now_and_leaves_an_anonymous_row(
    app, app_config, db_session, vault
):
    boss = make_staff(db_session, role="supervisor")
    request = submit_request(
        db_session, vault, now=NOW, name="Priya Zebrafinch", email="priya@example.org"
    )
    queue.take(db_session, request, boss, now=NOW)
    calls.add_note(db_session, vault, request, boss, f"note: {MARKER}", now=NOW)
    closing.close_without_call(
        db_session, vault, request, boss, states.SPAM, reason=f"why: {MARKER}", now=NOW
    )
    closing.reopen(db_session, vault, request, boss, "They rang again", RETENTION, now=NOW)
    sealed = [request.personal_data, *db_session.scalars(select(RequestNote.body))]
    sealed += list(db_session.scalars(select(OutboxMessage.payload)))
    assert len(sealed) == 5
    subject_access.erase(db_session, vault, request, "asked", boss, NOW)

    assert request.status == states.WITHDRAWN, "an open request is withdrawn: nobody calls"
    assert (request.personal_data, request.phone_hash, request.email_hash) == (None, None, None)
    assert request.purged_at == NOW
    assert set(db_session.scalars(select(RequestNote.body))) == {None}
    message = db_session.scalars(select(OutboxMessage)).one()
    assert (message.payload, message.status) == (None, outbox.DISCARDED)
    (event,) = audited(db_session, audit.PERSONAL_DATA_ERASED)
    assert (event.request_id, event.detail) == (request.id, {"because": "asked"})
    raw = database_bytes(app, app_config)
    assert [on_disk(value, raw) for value in sealed] == [False] * len(sealed)
    assert b"Zebrafinch" not in raw
    assert db_session.scalar(select(func.count()).select_from(CallbackRequest)) == 1
    with pytest.raises(subject_access.RightsRefused, match="already been removed"):
        subject_access.erase(db_session, vault, request, "asked", boss, NOW)


def test_erasing_drops_a_draft_someone_kept_about_the_request(db_session, vault):
    boss = make_staff(db_session, role="supervisor")
    agent = make_staff(db_session, email="alex@example.org")
    request = submit_request(db_session, vault, now=NOW)
    other = submit_request(db_session, vault, now=NOW)
    tokens = [staff_sessions.start(db_session, agent, NOW) for _ in range(2)]
    staff_sessions.end_all(db_session, agent.id, NOW)
    for token, about in zip(tokens, (request, other), strict=True):
        draft = {"reference": about.reference, "endpoint": "staff.add_note", "fields": {}}
        assert staff_sessions.keep_draft_after_end(db_session, vault, token, draft, NOW)
    subject_access.erase(db_session, vault, request, "not_theirs", boss, NOW)
    kept = [
        staff_sessions.pending_draft_reference(vault, row)
        for row in db_session.scalars(select(StaffSession))
    ]
    assert sorted(filter(None, kept)) == [other.reference]


def test_an_erasure_needs_one_of_the_listed_reasons(db_session, vault):
    boss = make_staff(db_session, role="supervisor")
    request = submit_request(db_session, vault, now=NOW)
    with pytest.raises(subject_access.RightsRefused, match="Choose why"):
        subject_access.erase(db_session, vault, request, "Priya asked on the phone", boss, NOW)
    assert request.personal_data is not None


# --- Restrict --------------------------------------------------------------------------------


def test_a_restricted_request_leaves_the_queue_until_a_supervisor_lifts_it(db_session, vault):
    boss = make_staff(db_session, role="supervisor")
    agent = make_staff(db_session, email="alex@example.org")
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, agent, now=NOW)
    subject_access.restrict(db_session, request, boss, NOW)
    assert (request.status, request.held_by_id) == (states.RESTRICTED, None)
    assert queue.take_next(db_session, agent, now=NOW) is None
    with pytest.raises(queue.QueueRefused, match="restricted"):
        queue.take(db_session, request, agent, now=NOW)
    with pytest.raises(queue.QueueRefused, match="cannot be reopened"):
        closing.reopen(db_session, vault, request, boss, "try", RETENTION, now=NOW)
    subject_access.lift_restriction(db_session, vault, request, boss, NOW)
    assert request.status == states.NEW
    assert queue.take_next(db_session, agent, now=NOW) == request.reference
    assert [e.action for e in audited(db_session, audit.REQUEST_RESTRICTED)] == [
        audit.REQUEST_RESTRICTED
    ]
    assert len(audited(db_session, audit.RESTRICTION_LIFTED)) == 1


def test_a_closed_request_cannot_be_restricted(db_session, vault):
    boss = make_staff(db_session, role="supervisor")
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, boss, now=NOW)
    change_status(db_session, request, states.COMPLETED, by=boss, now=NOW)
    db_session.commit()
    with pytest.raises(subject_access.RightsRefused, match="nothing to restrict"):
        subject_access.restrict(db_session, request, boss, NOW)


# --- Every worker forgets ---------------------------------------------------------------------


def test_every_worker_forgets_the_answers_it_kept_once_another_erases(
    app, app_config, db_session, vault, make_member
):
    _, browser = make_member("supervisor", "Sam")
    browser.sign_in()
    other_worker = create_app(app_config)
    for worker in (app, other_worker):
        app_state(worker).generation_check_every = timedelta(0)
    submit_request(db_session, vault, name="Priya")
    browser.get_page("/staff/")
    kept = app_state(app)
    assert len(kept.stores["staff.row_answers"]) == 1
    boss = make_staff(db_session, role="supervisor", email="boss@example.org")
    with other_worker.app_context():
        request = db.session.scalars(select(CallbackRequest)).one()
        subject_access.erase(db.session, vault, request, "asked", boss, NOW)
        db.session.remove()
    browser.get_page("/staff/audit")  # any staff page, not the queue
    assert len(kept.stores["staff.row_answers"]) == 0
    with other_worker.app_context():
        db.engine.dispose()


# --- The dashboard ----------------------------------------------------------------------------

RIGHTS_ROUTES = ["/staff/people", "/staff/people/export"]
REQUEST_ROUTES = ["correct", "erase", "restrict", "lift-restriction"]


def test_agents_get_403_from_every_rights_route(agent, db_session, vault):
    request = submit_request(db_session, vault)
    assert agent.client.get("/staff/people").status_code == 403
    for path in RIGHTS_ROUTES:
        assert agent.post(path, form_page="/staff/").status_code == 403
    for action in REQUEST_ROUTES:
        path = f"/staff/requests/{request.reference}/{action}"
        assert agent.post(path, form_page="/staff/").status_code == 403
    assert request.personal_data is not None


def test_a_supervisor_finds_a_person_by_post_and_exports_a_page_and_json(
    supervisor, db_session, vault
):
    request = submit_request(db_session, vault, name="Priya", phone=PHONE)
    response = supervisor.post("/staff/people", {"phone": "07400 123457", "email": ""})
    found = page(response)
    assert response.status_code == 200
    assert found.select_one(f"a[href='/staff/requests/{request.reference}']")
    references = [field["value"] for field in found.select("input[name=reference]")]
    assert references == [request.reference]
    token = found.select_one("form[action='/staff/people/export'] input[name=csrf_token]")
    data = {"csrf_token": token["value"], "reference": references}
    printable = supervisor.client.post("/staff/people/export", data={**data, "as": "page"})
    assert "Priya" in printable.get_data(as_text=True)
    assert printable.headers["Cache-Control"] == "no-store"
    download = supervisor.client.post("/staff/people/export", data={**data, "as": "json"})
    assert "attachment" in download.headers["Content-Disposition"]
    assert json.loads(download.data)["requests"][0]["answers"]["phone"] == PHONE


def test_looking_up_a_person_without_a_number_or_address_says_what_to_enter(supervisor):
    response = supervisor.post("/staff/people", {"phone": "", "email": ""})
    assert response.status_code == 400
    assert "Enter their phone number or their email address" in page(response).get_text()


def test_a_supervisor_corrects_erases_and_restricts_from_the_request_page(
    supervisor, db_session, vault
):
    request = submit_request(db_session, vault, name="Pryia", phone=PHONE)
    path = f"/staff/requests/{request.reference}"
    shown = supervisor.get_page(path)
    assert shown.select_one("#rights-heading")
    assert shown.select_one("input[name='correct-name']")["value"] == "Pryia"
    fields = {"correct-name": "Priya", "correct-phone": "07400 123457", "correct-email": ""}
    assert supervisor.post(f"{path}/correct", fields, form_page=path).status_code == 303
    db_session.refresh(request)
    assert vault.open(request.personal_data)["name"] == "Priya"
    assert supervisor.post(f"{path}/restrict", form_page=path).status_code == 303
    db_session.refresh(request)
    assert request.status == states.RESTRICTED
    refused = supervisor.post(f"{path}/erase", {"erase-because": "asked"}, form_page=path)
    assert refused.status_code == 400
    assert "Confirm that the details should be erased now" in page(refused).get_text()
    erased = {"erase-because": "asked", "erase-sure": "y"}
    assert supervisor.post(f"{path}/erase", erased, form_page=path).status_code == 303
    db_session.refresh(request)
    assert (request.status, request.personal_data) == (states.WITHDRAWN, None)


# --- Reasons typed before this release --------------------------------------------------------

BEFORE_SEALED_REASONS = "b6d8f0a2c4e6"


@pytest.fixture
def empty_database(request, tmp_path):
    """A database with no schema yet: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield base_config(f"sqlite:///{tmp_path / 'old.db'}")
        return
    schema = f"intake_old_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sqlalchemy_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    yield base_config(sqlalchemy_url(POSTGRES_URL), options)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.mark.parametrize("empty_database", BACKENDS, indirect=True)
def test_reasons_typed_before_this_release_are_moved_out_of_the_trail_and_sealed(
    empty_database,
):
    old = create_app(empty_database)
    with old.app_context():
        upgrade(revision=BEFORE_SEALED_REASONS)
        staff_id = db.session.execute(
            insert(StaffMember.__table__).values(
                email="sam@example.org",
                name="Sam",
                role="supervisor",
                password_hash="x",
                created_at=NOW,
                failed_sign_ins=0,
                session_version=1,
                active=True,
            )
        ).inserted_primary_key[0]
        request_id = db.session.execute(
            insert(CallbackRequest.__table__).values(
                reference="K7QM-4Z2P",
                status=states.SPAM,
                urgent=True,
                created_at=NOW,
                due_at=NOW,
                overdue_at=NOW,
                callable_from=NOW,
                submission_digest="d" * 64,
                attempt_count=0,
                version=1,
            )
        ).inserted_primary_key[0]
        typed = {"from": "new", "to": "spam", "reason": MARKER}
        kept = {"reason": "wrong password"}
        for action, detail in ((audit.STATUS_CHANGED, typed), (audit.SIGN_IN_FAILED, kept)):
            db.session.execute(
                insert(AuditEvent.__table__).values(
                    occurred_at=NOW,
                    action=action,
                    staff_id=staff_id,
                    request_id=request_id if action == audit.STATUS_CHANGED else None,
                    detail=detail,
                )
            )
        db.session.commit()
        upgrade()
        vault = app_state(old).service.vault
        changed, failed = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        assert changed.detail == {"from": "new", "to": "spam", "reason_given": True}
        assert failed.detail == kept, "what the service wrote itself stays"
        note = db.session.scalars(select(RequestNote)).one()
        assert (note.kind, note.audit_event_id, note.request_id) == (
            "reason",
            changed.id,
            request_id,
        )
        assert vault.open(note.body) == {"text": MARKER}
        with pytest.raises(DatabaseError):
            db.session.execute(update(AuditEvent).values(detail={}))
        db.session.rollback()
        db.engine.dispose()
