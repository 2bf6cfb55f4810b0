"""Every change of status goes through one function (or its one bulk sibling): the table,
the hold, the times, the trail."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from intake.domain import audit, queue, states
from intake.domain.callbacks import withdraw_callback
from intake.domain.crypto import token_digest
from intake.domain.status import change_status, return_held_to_queue
from intake.models import AuditEvent, CallbackRequest
from tests.factories import make_staff, submit_request, typed_reason, utc

NOW = utc(2026, 11, 25, 12, 0)


def events(session, request) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.request_id == request.id).order_by(AuditEvent.id)
    return list(session.scalars(query))


def test_taking_holds_the_request_and_says_so_in_the_trail(db_session, vault):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW)
    change_status(db_session, request, states.IN_PROGRESS, by=agent, now=NOW)
    db_session.commit()
    assert (request.status, request.held_by_id, request.held_at) == (
        states.IN_PROGRESS,
        agent.id,
        NOW,
    )
    event = events(db_session, request)[-1]
    assert (event.action, event.staff_id, event.detail) == (
        audit.STATUS_CHANGED,
        agent.id,
        {"from": "new", "to": "in_progress"},
    )


@pytest.mark.parametrize("target", [states.COMPLETED, states.SPAM, states.WITHDRAWN])
def test_closing_a_held_request_clears_the_whole_hold_and_stamps_the_time(
    db_session, vault, target
):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, agent, now=NOW)
    later = NOW + timedelta(minutes=7)
    words = audit.seal_words(vault, "checked")
    change_status(db_session, request, target, by=agent, now=later, words=words)
    db_session.commit()
    assert (request.held_by_id, request.held_at, request.closed_at) == (None, None, later)
    assert request.withdraw_digest is None, "the visitor's link no longer withdraws it"
    assert typed_reason(db_session, vault, events(db_session, request)[-1]) == "checked"


def test_a_visitor_withdrawing_a_held_request_leaves_no_holder_behind(db_session, vault):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW, token="withdraw-me")
    queue.take(db_session, request, agent, now=NOW)
    secret = "secret-of-the-visitor"
    request.withdraw_digest = token_digest(secret)
    db_session.commit()
    assert withdraw_callback(db_session, secret, now=NOW) == request.reference
    db_session.refresh(request)
    assert (request.status, request.held_by_id, request.held_at) == (states.WITHDRAWN, None, None)
    assert events(db_session, request)[-1].action == audit.REQUEST_WITHDRAWN


def test_a_change_the_table_forbids_changes_nothing(db_session, vault):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW)
    with pytest.raises(states.TransitionRefused):
        change_status(db_session, request, states.NEW, by=agent, now=NOW)
    assert request.status == states.NEW
    assert events(db_session, request) == []


def test_a_change_made_from_a_stale_copy_is_refused_and_writes_nothing(db_session, vault):
    first, second = make_staff(db_session, name="Alex"), make_staff(db_session, name="Bea")
    request = submit_request(db_session, vault, now=NOW)
    with Session(db_session.get_bind()) as other:
        stale = other.get(CallbackRequest, request.id)
        change_status(db_session, request, states.IN_PROGRESS, by=first, now=NOW)
        db_session.commit()
        change_status(other, stale, states.SPAM, by=second, now=NOW)
        with pytest.raises(StaleDataError):
            other.commit()
        other.rollback()
    db_session.refresh(request)
    assert (request.status, request.held_by_id) == (states.IN_PROGRESS, first.id)
    assert audit.STATUS_CHANGED in [e.action for e in events(db_session, request)]
    assert not [e for e in events(db_session, request) if e.detail.get("to") == states.SPAM]


def test_putting_held_requests_back_writes_each_its_audit_line_itself(db_session, vault):
    """The bulk sibling audits every request it moves: no caller can forget to."""
    agent, boss = make_staff(db_session), make_staff(db_session, role="supervisor", name="Sam")
    held = [submit_request(db_session, vault, now=NOW) for _ in range(2)]
    waiting = submit_request(db_session, vault, now=NOW)
    for request in held:
        queue.take(db_session, request, agent, now=NOW)
    later = NOW + timedelta(minutes=9)
    released = return_held_to_queue(
        db_session,
        CallbackRequest.held_by_id == agent.id,
        event=audit.REQUEST_RELEASED,
        now=later,
        by_id=boss.id,
        detail={"because": "disabled"},
    )
    db_session.commit()
    assert sorted(released) == sorted(request.id for request in held)
    for request in held:
        last = events(db_session, request)[-1]
        assert (last.action, last.staff_id, last.occurred_at, last.detail) == (
            audit.REQUEST_RELEASED,
            boss.id,
            later,
            {"from": states.IN_PROGRESS, "to": states.NEW, "because": "disabled"},
        )
    assert events(db_session, waiting) == []
