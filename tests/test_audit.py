"""The audit trail: every audited action leaves a line, and no line can be changed."""

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from intake.domain import audit, queue, retention, states
from intake.domain.status import change_status
from intake.models import AuditEvent, CallbackRequest, StaffMember
from tests.conftest import page
from tests.factories import make_staff, submit_request, utc


def actions_for(db_session, **where) -> list[str]:
    db_session.expire_all()
    return [event.action for event in db_session.query(AuditEvent).filter_by(**where)]


def test_the_trail_cannot_be_changed_or_deleted_even_in_the_database(db_session):
    audit.record(db_session, audit.SIGN_IN)
    db_session.commit()
    for statement in (update(AuditEvent).values(action="tampered"), delete(AuditEvent)):
        with pytest.raises(DatabaseError, match="append-only"):
            db_session.execute(statement)
        db_session.rollback()
    assert actions_for(db_session) == [audit.SIGN_IN]


# The web app's role in production, as docs/deploy.md grants it (there in schema public
# to intake_app): it reads and writes rows, appends to the trail, and owns nothing.
APP_ROLE_GRANTS = (
    "GRANT USAGE ON SCHEMA {schema} TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    "REVOKE UPDATE, DELETE ON audit_events FROM {role}",
    "REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}",
)
DEPLOY_GUIDE = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"


def skip_unless_postgresql(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE triggers and table owners are PostgreSQL's")


@pytest.mark.parametrize(
    "statement",
    ["TRUNCATE audit_events CASCADE", "TRUNCATE callback_requests, staff_members CASCADE"],
)
def test_postgresql_refuses_to_truncate_the_trail_even_for_its_owner(db_session, statement):
    skip_unless_postgresql(db_session)
    audit.record(db_session, audit.SIGN_IN)
    db_session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        db_session.execute(text(statement))
    db_session.rollback()
    assert actions_for(db_session) == [audit.SIGN_IN]


@pytest.fixture
def app_role(db_session) -> Iterator[Engine]:
    """An engine that works as a role holding only APP_ROLE_GRANTS; dropped at the end."""
    skip_unless_postgresql(db_session)
    role = f"intake_app_{uuid.uuid4().hex[:8]}"
    schema = db_session.scalar(text("SELECT current_schema()"))
    db_session.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
    for grant in APP_ROLE_GRANTS:
        db_session.execute(text(grant.format(schema=f'"{schema}"', role=f'"{role}"')))
    db_session.commit()
    options = f"-csearch_path={schema} -crole={role}"
    engine = create_engine(db_session.get_bind().url, connect_args={"options": options})
    yield engine
    engine.dispose()
    db_session.rollback()
    db_session.execute(text(f'DROP OWNED BY "{role}"'))
    db_session.execute(text(f'DROP ROLE "{role}"'))
    db_session.commit()


def test_the_app_role_adds_to_the_trail_but_cannot_truncate_change_or_delete_it(app_role):
    with Session(app_role) as session:
        assert session.scalar(text("SELECT current_user")).startswith("intake_app_")
        audit.record(session, audit.SIGN_IN)
        session.commit()
        for statement in (
            text("TRUNCATE audit_events"),
            update(AuditEvent).values(action="tampered"),
            delete(AuditEvent),
        ):
            with pytest.raises(DatabaseError, match="permission denied for table audit_events"):
                session.execute(statement)
            session.rollback()
        assert actions_for(session) == [audit.SIGN_IN]


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_truncate",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "SET session_replication_role = replica",
    ],
)
def test_the_app_role_cannot_switch_off_the_trails_triggers(app_role, statement):
    with (
        Session(app_role) as session,
        pytest.raises(DatabaseError, match=r"must be owner|permission denied to set parameter"),
    ):
        session.execute(text(statement))


def test_the_app_role_may_do_the_apps_work_from_request_to_purge(app_role, vault):
    now = utc(2026, 11, 25, 12, 0)
    with Session(app_role) as session:
        request = submit_request(session, vault, now=now - timedelta(days=100))
        agent = make_staff(session)
        queue.take(session, request, agent, now=now - timedelta(days=100))
        change_status(session, request, states.COMPLETED, by=agent, now=now - timedelta(days=99))
        session.commit()
        policy = retention.RetentionPolicy(closed=timedelta(days=90), withdrawn=timedelta(days=7))
        assert sum(retention.purge(session, now, policy)) == 1
        assert session.get(CallbackRequest, request.id).personal_data is None


def test_the_grants_the_tests_prove_are_those_the_deploy_guide_gives():
    guide = DEPLOY_GUIDE.read_text()
    for grant in APP_ROLE_GRANTS:
        assert grant.format(schema="public", role="intake_app") + ";" in guide


def test_an_unknown_action_is_refused(db_session):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(db_session, "coffee_break")


def test_viewing_a_request_is_audited_each_time(agent, db_session, vault):
    request = submit_request(db_session, vault)
    agent.get_page(f"/staff/requests/{request.reference}")
    agent.get_page(f"/staff/requests/{request.reference}")
    assert actions_for(db_session, request_id=request.id).count(audit.REQUEST_VIEWED) == 2


def test_the_queue_list_is_not_a_view_of_personal_details(agent, db_session, vault):
    submit_request(db_session, vault)
    agent.get_page("/staff/")
    assert audit.REQUEST_VIEWED not in actions_for(db_session)


def test_a_phone_search_is_audited_without_the_number(agent, db_session):
    agent.post("/staff/search", {"query": "07400 123456"}, form_page="/staff/")
    event = db_session.query(AuditEvent).filter_by(action=audit.SEARCHED_BY_PHONE).one()
    assert "123456" not in str(event.detail)


def test_a_visitor_withdrawal_is_in_the_request_trail(visitor, db_session):
    confirmation = visitor.client.get(visitor.submit().headers["Location"])
    secret = page(confirmation).select_one("input[name=secret]")["value"]
    token = page(confirmation).select_one("input[name=csrf_token]")["value"]
    visitor.client.post("/callback/withdraw", data={"secret": secret, "csrf_token": token})
    assert audit.REQUEST_WITHDRAWN in actions_for(db_session)


def test_supervisors_read_the_trail_per_request_and_per_member(make_member, db_session, vault):
    member, agent = make_member("agent", "Ada Agent")
    agent.sign_in()
    request = submit_request(db_session, vault)
    agent.get_page(f"/staff/requests/{request.reference}")
    _, supervisor = make_member("supervisor", "Sue")
    supervisor.sign_in()
    by_request = supervisor.get_page(f"/staff/audit?reference={request.reference}")
    assert "Viewed the request's personal details" in by_request.get_text()
    assert "Ada Agent" in by_request.get_text()
    by_member = supervisor.get_page(f"/staff/audit?member={member.id}")
    texts = [row.get_text(" ", strip=True) for row in by_member.select("tbody tr")]
    assert any("Signed in" in text for text in texts)
    assert all("Ada Agent" in text for text in texts)


def trail_rows(html) -> list[str]:
    return [row.get_text(" ", strip=True) for row in html.select("tbody tr")]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("reference=not-a-ref!", "is not a reference like K7QM-4Z2P"),
        ("reference=K7QM-4Z2P", "No request has the reference K7QM-4Z2P"),
        ("member=9999", "No member of staff has that number"),
    ],
)
def test_a_bad_filter_says_so_and_never_shows_everyones_trail(supervisor, query, message):
    response = supervisor.client.get(f"/staff/audit?{query}")
    assert response.status_code == 404
    html = page(response)
    assert message in html.get_text()
    assert not html.select("tbody tr")


def test_the_trail_reads_in_words_and_filters_by_kind(make_member, supervisor, db_session, vault):
    _, agent = make_member("agent", "Ada Agent")
    agent.sign_in()
    request = submit_request(db_session, vault)
    path = f"/staff/requests/{request.reference}"
    agent.post(f"{path}/take", form_page=path)
    agent.post(
        f"{path}/attempts", {"outcome": "reached", "result": "assessment_booked"}, form_page=path
    )
    html = supervisor.get_page("/staff/audit?action=attempt_recorded")
    assert trail_rows(html) == [
        f"{trail_rows(html)[0].split(' Ada Agent')[0]} Ada Agent Recorded a call attempt "
        f"{request.reference} Reached: Assessment booked"
    ]
    changes = " ".join(trail_rows(supervisor.get_page("/staff/audit?action=status_changed")))
    assert "from in progress to completed" in changes
    assert "to: " not in changes and "None" not in changes


def test_the_trail_pages_back_through_older_entries(supervisor, db_session):
    for _ in range(120):
        audit.record(db_session, audit.SEARCHED_BY_PHONE, staff_id=supervisor_id(db_session))
    db_session.commit()
    first = supervisor.get_page("/staff/audit?action=searched_by_phone")
    assert len(trail_rows(first)) == 100
    older = first.select_one("a[href*='older=']")["href"]
    assert len(trail_rows(supervisor.get_page(older))) == 20


def supervisor_id(db_session) -> int:
    return db_session.scalar(select(StaffMember.id).where(StaffMember.role == "supervisor"))


def test_supervisors_download_the_trail_as_csv_and_the_download_is_recorded(
    supervisor, db_session, vault
):
    request = submit_request(db_session, vault)
    supervisor.get_page(f"/staff/requests/{request.reference}")
    response = supervisor.post(
        f"/staff/audit.csv?reference={request.reference}", form_page="/staff/audit"
    )
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["when", "who", "what", "request", "detail"]
    assert rows[1][2:4] == ["Viewed the request's personal details", request.reference]
    exported = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == audit.TRAIL_EXPORTED)
    ).one()
    assert exported.detail == {"entries": 1}


def test_the_trail_csv_shows_a_formula_in_a_name_as_text(
    make_member, supervisor, db_session, vault
):
    request = submit_request(db_session, vault)
    _, prankster = make_member(role="agent", name='=HYPERLINK("http://evil.example")')
    prankster.sign_in().get_page(f"/staff/requests/{request.reference}")
    response = supervisor.post(
        f"/staff/audit.csv?reference={request.reference}", form_page="/staff/audit"
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example")'
