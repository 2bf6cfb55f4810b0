"""A crisis request's whole life: no single agent closes it unreached or puts it far
off; it waits, marked, for a supervisor, who is told at once and decides with a reason."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.domain import alerts, audit, calls, closing, queue, states, supervision
from intake.models import AuditEvent, CallAttempt, OutboxMessage
from tests.conftest import page
from tests.factories import CALL_POLICY, make_staff, submit_request, typed_reason, utc

NOW = utc(2026, 12, 5, 2, 0)
CHANNELS = alerts.AlertSettings(emails=("night-desk@example.org",), webhook=True)


@pytest.fixture
def crisis(db_session, vault):
    """An urgent request held by an agent; returns (request, agent)."""
    agent = make_staff(db_session, email="alex@example.org")
    request = submit_request(db_session, vault, now=NOW - timedelta(minutes=3), in_danger=True)
    queue.take(db_session, request, agent, now=NOW)
    return request, agent


def record(db_session, vault, request, agent, outcome, now=NOW, **extra):
    return calls.record_attempt(
        db_session,
        vault,
        request,
        agent,
        outcome=outcome,
        policy=CALL_POLICY,
        channels=CHANNELS,
        now=now,
        **extra,
    )


def told(db_session, vault) -> list[dict]:
    """What the outbox holds to send about the request, as the worker would read it."""
    rows = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [vault.open(row.payload) for row in rows]


def left_for_a_supervisor(request, why: str) -> None:
    assert request.status == states.NEW and request.held_by_id is None
    assert (request.needs_supervisor, request.needs_supervisor_at) == (why, NOW)


def test_a_wrong_number_on_a_crisis_request_leaves_it_open_for_a_supervisor(
    db_session, vault, crisis
):
    request, agent = crisis
    boss = make_staff(db_session, role="supervisor", email="sam@example.org", name="Sam")
    record(db_session, vault, request, agent, calls.WRONG_NUMBER)
    left_for_a_supervisor(request, supervision.WRONG_NUMBER)
    assert request.due_at == NOW + CALL_POLICY.retry_delay, "back in the queue, tried again"
    assert request.attempt_count == 1
    sent = told(db_session, vault)
    addresses = sorted(message.get("to", "webhook") for message in sent)
    assert addresses == ["night-desk@example.org", boss.email, "webhook"]
    assert {message["kind"] for message in sent} == {alerts.NEEDS_SUPERVISOR}
    assert {message["why"] for message in sent} == {"An agent recorded a wrong number"}
    assert {tuple(message["references"]) for message in sent} == {(request.reference,)}


def test_an_ordinary_wrong_number_still_closes_the_request_as_unreachable(db_session, vault):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, agent, now=NOW)
    record(db_session, vault, request, agent, calls.WRONG_NUMBER)
    assert (request.status, request.needs_supervisor) == (states.UNREACHABLE, None)
    assert told(db_session, vault) == []


def test_the_last_unanswered_call_on_a_crisis_request_leaves_it_open_for_a_supervisor(
    db_session, vault, crisis
):
    request, agent = crisis
    for call in range(CALL_POLICY.max_unanswered):
        at = NOW + call * CALL_POLICY.retry_delay
        if call:
            queue.take(db_session, request, agent, now=at)
        record(db_session, vault, request, agent, calls.NO_ANSWER, now=at)
    assert request.status == states.NEW
    assert request.needs_supervisor == supervision.UNREACHABLE
    assert db_session.query(CallAttempt).count() == 3


def test_calling_a_crisis_request_much_later_needs_a_supervisor_but_an_hour_does_not(
    db_session, vault, crisis
):
    request, agent = crisis
    record(
        db_session, vault, request, agent, calls.CALL_LATER, call_again_at=NOW + timedelta(hours=1)
    )
    assert request.needs_supervisor is None
    assert request.due_at == NOW + timedelta(hours=1)
    queue.take(db_session, request, agent, now=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=1)
    record(
        db_session,
        vault,
        request,
        agent,
        calls.CALL_LATER,
        now=later,
        call_again_at=later + CALL_POLICY.urgent_max_defer + timedelta(minutes=1),
    )
    assert request.needs_supervisor == supervision.CALL_LATER
    assert request.due_at == later + CALL_POLICY.retry_delay
    asked = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == audit.NEEDS_SUPERVISOR)
    ).one()
    assert "asked_for" in asked.detail


@pytest.mark.parametrize("days", [8, 206])
def test_no_request_is_called_again_beyond_the_booking_horizon(db_session, vault, days):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, agent, now=NOW)
    with pytest.raises(queue.QueueRefused, match="within the next 7 days"):
        record(
            db_session,
            vault,
            request,
            agent,
            calls.CALL_LATER,
            call_again_at=NOW + timedelta(days=days),
        )
    db_session.rollback()
    assert request.status == states.IN_PROGRESS


def test_an_agents_spam_on_a_crisis_request_leaves_it_open_for_a_supervisor(
    db_session, vault, crisis
):
    request, agent = crisis
    closed = closing.close_without_call(
        db_session, vault, request, agent, states.SPAM, channels=CHANNELS, now=NOW
    )
    assert closed is False
    left_for_a_supervisor(request, supervision.SPAM)


def test_a_request_marked_again_tells_nobody_twice(db_session, vault, crisis):
    request, agent = crisis
    record(db_session, vault, request, agent, calls.WRONG_NUMBER)
    first = len(told(db_session, vault))
    queue.take(db_session, request, agent, now=NOW + timedelta(hours=1))
    record(db_session, vault, request, agent, calls.WRONG_NUMBER, now=NOW + timedelta(hours=1))
    assert len(told(db_session, vault)) == first
    assert request.needs_supervisor_at == NOW, "marked since the first time"


def test_reaching_the_person_clears_the_mark(db_session, vault, crisis):
    request, agent = crisis
    record(db_session, vault, request, agent, calls.WRONG_NUMBER)
    queue.take(db_session, request, agent, now=NOW + timedelta(hours=1))
    record(
        db_session,
        vault,
        request,
        agent,
        calls.REACHED,
        now=NOW + timedelta(hours=1),
        result="assessment_booked",
    )
    assert (request.status, request.needs_supervisor, request.needs_supervisor_at) == (
        states.COMPLETED,
        None,
        None,
    )


@pytest.fixture
def marked(db_session, vault, crisis):
    request, agent = crisis
    record(db_session, vault, request, agent, calls.WRONG_NUMBER)
    return request, agent


def test_only_a_supervisor_decides_and_always_with_a_reason(db_session, vault, marked):
    request, agent = marked
    boss = make_staff(db_session, role="supervisor", email="sam@example.org", name="Sam")
    with pytest.raises(queue.QueueRefused, match="Only a supervisor"):
        supervision.decide(db_session, vault, request, agent, states.UNREACHABLE, "gone", NOW)
    with pytest.raises(queue.QueueRefused, match="Give the reason"):
        supervision.decide(db_session, vault, request, boss, states.UNREACHABLE, "", NOW)
    assert request.needs_supervisor == supervision.WRONG_NUMBER


@pytest.mark.parametrize(
    ("decision", "status"),
    [
        (supervision.KEEP, states.NEW),
        (states.UNREACHABLE, states.UNREACHABLE),
        (states.SPAM, states.SPAM),
    ],
)
def test_a_supervisors_decision_is_carried_out_and_audited_with_its_reason(
    db_session, vault, marked, decision, status
):
    request, _ = marked
    boss = make_staff(db_session, role="supervisor", email="sam@example.org", name="Sam")
    later = NOW + timedelta(minutes=10)
    supervision.decide(db_session, vault, request, boss, decision, "Police attended; safe", later)
    assert (request.status, request.needs_supervisor) == (status, None)
    decided = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == audit.SUPERVISOR_DECIDED)
    ).one()
    assert decided.staff_id == boss.id
    assert decided.detail == {
        "decision": decision,
        "reason_given": True,
        "why": supervision.WRONG_NUMBER,
    }
    assert typed_reason(db_session, vault, decided) == "Police attended; safe"
    with pytest.raises(queue.QueueRefused, match="does not need a supervisor"):
        supervision.decide(db_session, vault, request, boss, decision, "again", later)


def test_the_alert_says_which_request_and_why_and_nothing_personal(db_session, vault, marked):
    request, _ = marked
    message = told(db_session, vault)[0]
    subject, text = alerts.describe(message, NOW.tzinfo, "UK time")
    assert subject == "Callback queue: a supervisor's decision is needed"
    assert request.reference in text and "An agent recorded a wrong number" in text
    assert "Sam" not in text and "07400" not in text


# Through the dashboard and the wallboard


def test_the_queue_shows_requests_waiting_for_a_supervisor_at_the_top(
    db_session, vault, marked, supervisor
):
    request, _ = marked
    html = supervisor.get_page("/staff/")
    panel = html.select_one("h1").find_next_sibling()
    assert panel.select_one("#supervisor-heading").get_text() == "Needs a supervisor (1)"
    link = panel.select_one(f"a[href='/staff/requests/{request.reference}']")
    assert "An agent recorded a wrong number" in link.parent.get_text()


def test_a_supervisor_decides_from_the_request_page(db_session, vault, marked, supervisor):
    request, _ = marked
    path = f"/staff/requests/{request.reference}"
    refused = supervisor.post(f"{path}/decide", {"decide-decision": "unreachable"}, path)
    assert refused.status_code == 400
    assert "Give the reason for your decision" in page(refused).get_text()
    response = supervisor.post(
        f"{path}/decide",
        {"decide-decision": "unreachable", "decide-reason": "Number unobtainable twice"},
        path,
    )
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(type(request), request.id).status == states.UNREACHABLE


def test_an_agent_may_not_post_a_decision(db_session, vault, marked, agent):
    request, _ = marked
    path = f"/staff/requests/{request.reference}"
    response = agent.post(f"{path}/decide", {"decide-decision": "keep", "decide-reason": "x"}, path)
    assert response.status_code == 403
    db_session.expire_all()
    assert db_session.get(type(request), request.id).needs_supervisor == supervision.WRONG_NUMBER
