"""Recording calls moves a request along the state machine, and nowhere else."""

from datetime import timedelta

import pytest

from intake.domain import audit, calls, queue, states
from intake.models import AuditEvent, RequestNote
from tests.factories import make_staff, submit_request, utc

NOW = utc(2026, 11, 25, 12, 0)
POLICY = calls.CallPolicy(retry_delay=timedelta(minutes=30), max_unanswered=3)


@pytest.fixture
def held(db_session, vault):
    """A request held by an agent; returns (request, agent)."""
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW - timedelta(minutes=5))
    queue.take(db_session, request, agent, now=NOW)
    return request, agent


def record(db_session, vault, request, agent, outcome, now=NOW, **extra):
    return calls.record_attempt(
        db_session, vault, request, agent, outcome=outcome, policy=POLICY, now=now, **extra
    )


def test_no_answer_puts_the_request_back_due_again_after_the_retry_delay(db_session, vault, held):
    request, agent = held
    record(db_session, vault, request, agent, calls.NO_ANSWER)
    assert request.status == states.NEW
    assert request.held_by_id is None
    assert request.due_at == request.callable_from == NOW + timedelta(minutes=30)
    assert request.attempt_count == 1


def test_the_third_unanswered_call_makes_the_request_unreachable(db_session, vault, held):
    request, agent = held
    for number, outcome in enumerate([calls.NO_ANSWER, calls.VOICEMAIL_LEFT], start=1):
        record(db_session, vault, request, agent, outcome, now=NOW + number * timedelta(hours=1))
        queue.take(db_session, request, agent, now=NOW + number * timedelta(hours=1))
    record(db_session, vault, request, agent, calls.NO_ANSWER, now=NOW + timedelta(hours=3))
    assert request.status == states.UNREACHABLE
    assert request.closed_at == NOW + timedelta(hours=3)


def test_a_reached_call_with_a_result_completes_the_request(db_session, vault, held):
    request, agent = held
    attempt = record(db_session, vault, request, agent, calls.REACHED, result="assessment_booked")
    assert request.status == states.COMPLETED
    assert request.closed_at == NOW
    assert attempt.result == "assessment_booked"
    assert request.withdraw_digest is None


def test_a_reached_call_needs_a_result(db_session, vault, held):
    request, agent = held
    with pytest.raises(queue.QueueRefused, match="result"):
        record(db_session, vault, request, agent, calls.REACHED)


def test_a_wrong_number_makes_the_request_unreachable(db_session, vault, held):
    request, agent = held
    record(db_session, vault, request, agent, calls.WRONG_NUMBER)
    assert request.status == states.UNREACHABLE


def test_call_later_sets_a_new_due_time(db_session, vault, held):
    request, agent = held
    later = NOW + timedelta(hours=5)
    record(db_session, vault, request, agent, calls.CALL_LATER, call_again_at=later)
    assert (request.status, request.due_at, request.callable_from) == (states.NEW, later, later)


@pytest.mark.parametrize("when", [None, NOW - timedelta(minutes=1)])
def test_call_later_needs_a_time_in_the_future(db_session, vault, held, when):
    request, agent = held
    with pytest.raises(queue.QueueRefused, match="future"):
        record(db_session, vault, request, agent, calls.CALL_LATER, call_again_at=when)


def test_only_the_holder_records_a_call(db_session, vault, held):
    request, _ = held
    other = make_staff(db_session)
    with pytest.raises(queue.QueueRefused, match="Take this request"):
        record(db_session, vault, request, other, calls.NO_ANSWER)


def test_nothing_can_be_recorded_on_a_withdrawn_request(db_session, vault, held):
    request, agent = held
    request.status = states.WITHDRAWN
    db_session.commit()
    with pytest.raises(queue.QueueRefused, match="withdrawn"):
        record(db_session, vault, request, agent, calls.NO_ANSWER)


def test_an_unknown_outcome_is_refused(db_session, vault, held):
    request, agent = held
    with pytest.raises(queue.QueueRefused):
        record(db_session, vault, request, agent, "hung_up_on_us")


def test_notes_are_encrypted_and_shown_in_the_history(db_session, vault, held):
    request, agent = held
    record(db_session, vault, request, agent, calls.NO_ANSWER, note="Try the mobile after 6")
    queue.take(db_session, request, agent, now=NOW + timedelta(hours=1))
    calls.add_note(
        db_session, vault, request, agent, "Sister answered", now=NOW + timedelta(hours=1)
    )
    stored = db_session.query(RequestNote).all()
    assert all(b"Sister" not in note.body and b"mobile" not in note.body for note in stored)
    history = calls.history(db_session, vault, request)
    assert [entry.text for entry in history] == [
        "No answer",
        "Try the mobile after 6",
        "Sister answered",
    ]


@pytest.mark.parametrize("target", [states.SPAM, states.WITHDRAWN])
def test_a_request_can_be_closed_without_a_call(db_session, vault, held, target):
    request, agent = held
    calls.close_without_call(db_session, request, agent, target, now=NOW)
    assert (request.status, request.closed_at) == (target, NOW)


def test_closing_cannot_reopen_or_complete(db_session, vault, held):
    request, agent = held
    with pytest.raises(queue.QueueRefused):
        calls.close_without_call(db_session, request, agent, states.COMPLETED, now=NOW)


def test_every_attempt_and_status_change_is_audited(db_session, vault, held):
    request, agent = held
    record(db_session, vault, request, agent, calls.REACHED, result="information_given")
    events = db_session.query(AuditEvent).filter_by(request_id=request.id).all()
    actions = [event.action for event in events]
    assert audit.ATTEMPT_RECORDED in actions
    change = next(event for event in events if event.action == audit.STATUS_CHANGED)
    assert change.detail == {"from": states.IN_PROGRESS, "to": states.COMPLETED}
    assert change.staff_id == agent.id
