"""The audit trail: every audited action leaves a line, and no line can be changed."""

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DatabaseError

from intake.domain import audit
from intake.models import AuditEvent
from tests.conftest import page
from tests.factories import submit_request


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
