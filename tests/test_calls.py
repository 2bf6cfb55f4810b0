"""Recording calls moves a request along the state machine, and nowhere else."""

from datetime import timedelta

import pytest

from intake.domain import audit, calls, closing, queue, states
from intake.models import AuditEvent, RequestNote
from tests.factories import CALL_POLICY, make_staff, submit_request, typed_reason, utc

NOW = utc(2026, 11, 25, 12, 0)


@pytest.fixture
def held(db_session, vault):
    """A request held by an agent; returns (request, agent)."""
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW - timedelta(minutes=5))
    queue.take(db_session, request, agent, now=NOW)
    return request, agent


def record(db_session, vault, request, agent, outcome, now=NOW, **extra):
    return calls.record_attempt(
        db_session, vault, request, agent, outcome=outcome, policy=CALL_POLICY, now=now, **extra
    )


def test_no_answer_puts_the_request_back_due_again_after_the_retry_delay(db_session, vault, held):
    request, agent = held
    record(db_session, vault, request, agent, calls.NO_ANSWER)
    assert request.status == states.NEW
    assert request.held_by_id is None
    assert request.due_at == request.callable_from == NOW + timedelta(minutes=30)
    assert request.attempt_count == 1


def test_the_third_unanswered_call_makes_the_request_unreachable(db_session, vault):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW - timedelta(minutes=5), voicemail_ok=True)
    queue.take(db_session, request, agent, now=NOW)
    for number, outcome in enumerate([calls.NO_ANSWER, calls.VOICEMAIL_LEFT], start=1):
        called_at = NOW + (number - 1) * timedelta(hours=1)
        record(db_session, vault, request, agent, outcome, now=called_at)
        queue.take(db_session, request, agent, now=NOW + number * timedelta(hours=1))
    record(db_session, vault, request, agent, calls.NO_ANSWER, now=NOW + timedelta(hours=2))
    assert request.status == states.UNREACHABLE
    assert request.closed_at == NOW + timedelta(hours=2)


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


def test_a_call_on_a_request_withdrawn_meanwhile_is_kept_late_and_it_stays_withdrawn(
    db_session, vault, held
):
    request, agent = held
    closing.close_without_call(db_session, vault, request, agent, states.WITHDRAWN, now=NOW)
    assert record(db_session, vault, request, agent, calls.NO_ANSWER).late is True
    assert request.status == states.WITHDRAWN


def test_nothing_can_be_recorded_on_a_withdrawn_request_by_someone_who_never_held_it(
    db_session, vault, held
):
    request, agent = held
    closing.close_without_call(db_session, vault, request, agent, states.WITHDRAWN, now=NOW)
    with pytest.raises(queue.QueueRefused, match="withdrawn"):
        record(db_session, vault, request, make_staff(db_session, name="Bea"), calls.NO_ANSWER)


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
    closing.close_without_call(db_session, vault, request, agent, target, now=NOW)
    assert (request.status, request.closed_at) == (target, NOW)


def test_closing_cannot_reopen_or_complete(db_session, vault, held):
    request, agent = held
    with pytest.raises(queue.QueueRefused):
        closing.close_without_call(db_session, vault, request, agent, states.COMPLETED, now=NOW)


def test_every_attempt_and_status_change_is_audited(db_session, vault, held):
    request, agent = held
    record(db_session, vault, request, agent, calls.REACHED, result="information_given")
    events = db_session.query(AuditEvent).filter_by(request_id=request.id).all()
    actions = [event.action for event in events]
    assert audit.ATTEMPT_RECORDED in actions
    change = next(event for event in events if event.action == audit.STATUS_CHANGED)
    assert change.detail == {"from": states.IN_PROGRESS, "to": states.COMPLETED}
    assert change.staff_id == agent.id


def take_after(db_session, request, agent, minutes):
    later = NOW + timedelta(minutes=minutes)
    queue.take(db_session, request, agent, now=later)
    return later


@pytest.mark.parametrize("answer", [False, None])
def test_voicemail_is_refused_and_not_offered_unless_the_visitor_said_yes(
    db_session, vault, answer
):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW, voicemail_ok=answer)
    queue.take(db_session, request, agent, now=NOW)
    assert calls.VOICEMAIL_LEFT not in calls.outcomes_for(vault.open(request.personal_data))
    with pytest.raises(queue.QueueRefused, match="not to leave a voicemail"):
        record(db_session, vault, request, agent, calls.VOICEMAIL_LEFT)
    assert request.attempt_count == 0


def test_voicemail_is_offered_when_the_visitor_said_yes(db_session, vault):
    assert calls.VOICEMAIL_LEFT in calls.outcomes_for({"voicemail_ok": True})


def test_the_retry_wait_holds_against_three_quick_no_answers(db_session, vault):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW, in_danger=True)
    queue.take(db_session, request, agent, now=NOW)
    record(db_session, vault, request, agent, calls.NO_ANSWER)
    for minutes in (1, 2, 29):
        with pytest.raises(queue.QueueRefused, match="may not be called for another"):
            take_after(db_session, request, agent, minutes)
        db_session.rollback()
        # A refused take takes nothing: the request waits, held by nobody.
        assert (request.status, request.held_by_id, request.attempt_count) == (states.NEW, None, 1)
    take_after(db_session, request, agent, 30)
    record(db_session, vault, request, agent, calls.NO_ANSWER, now=NOW + timedelta(minutes=30))
    assert request.status == states.NEW, "after the wait, the second call counts"


def test_a_supervisor_may_call_early_only_with_a_reason_and_it_is_audited(db_session, vault):
    boss = make_staff(db_session, role="supervisor", name="Sam")
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, boss, now=NOW)
    record(db_session, vault, request, boss, calls.NO_ANSWER)
    at = NOW + timedelta(minutes=2)
    with pytest.raises(queue.QueueRefused, match="give the reason"):
        queue.take(db_session, request, boss, now=at)
    db_session.rollback()
    reason = "They rang back on the main line"
    queue.take(db_session, request, boss, now=at, override_reason=reason, vault=vault)
    record(db_session, vault, request, boss, calls.REACHED, now=at, result="information_given")
    assert request.status == states.COMPLETED
    taken = (
        db_session.query(AuditEvent)
        .filter_by(action=audit.REQUEST_TAKEN)
        .order_by(AuditEvent.id)
        .all()[-1]
    )
    assert taken.detail == {
        "from": "new",
        "to": "in_progress",
        "override": True,
        "reason_given": True,
    }
    assert typed_reason(db_session, vault, taken) == reason


def test_an_agent_may_not_take_a_request_during_its_retry_wait(db_session, vault, held):
    request, agent = held
    record(db_session, vault, request, agent, calls.NO_ANSWER)
    with pytest.raises(queue.QueueRefused, match="A supervisor can override this"):
        queue.take(db_session, request, agent, now=NOW + timedelta(minutes=5), override_reason="x")


def test_an_urgent_request_is_not_closed_as_spam_by_an_agent_but_left_for_a_supervisor(
    db_session, vault
):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW, in_danger=True)
    queue.take(db_session, request, agent, now=NOW)
    closed = closing.close_without_call(
        db_session, vault, request, agent, states.SPAM, reason="prank", now=NOW
    )
    assert closed is False
    assert (request.status, request.held_by_id) == (states.NEW, None)
    assert request.needs_supervisor == "spam"


def test_a_supervisor_closes_an_urgent_request_as_spam_only_with_a_reason(db_session, vault):
    boss = make_staff(db_session, role="supervisor", name="Sam")
    request = submit_request(db_session, vault, now=NOW, in_danger=True)
    with pytest.raises(queue.QueueRefused, match="Give the reason"):
        closing.close_without_call(db_session, vault, request, boss, states.SPAM, now=NOW)
    closing.close_without_call(
        db_session, vault, request, boss, states.SPAM, reason="Test entry", now=NOW
    )
    assert request.status == states.SPAM
    change = (
        db_session.query(AuditEvent)
        .filter_by(action=audit.STATUS_CHANGED)
        .order_by(AuditEvent.id)
        .all()[-1]
    )
    assert change.detail == {"from": "new", "to": "spam", "reason_given": True}
    assert typed_reason(db_session, vault, change) == "Test entry"


def test_an_agent_still_closes_an_ordinary_request_as_spam_in_one_step(db_session, vault, held):
    request, agent = held
    closing.close_without_call(db_session, vault, request, agent, states.SPAM, now=NOW)
    assert request.status == states.SPAM


RETENTION = timedelta(days=90)


def completed(db_session, vault):
    boss = make_staff(db_session, role="supervisor", name="Sam")
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, boss, now=NOW)
    record(db_session, vault, request, boss, calls.REACHED, result="not_ready_now")
    return request, boss


def test_a_supervisor_reopens_a_completed_request_with_a_reason(db_session, vault):
    request, boss = completed(db_session, vault)
    later = NOW + timedelta(days=3)
    closing.reopen(
        db_session, vault, request, boss, "They asked us to try again", RETENTION, now=later
    )
    assert (request.status, request.due_at, request.callable_from) == (states.NEW, later, later)
    assert (request.closed_at, request.held_by_id) == (None, None)
    event = db_session.query(AuditEvent).filter_by(action=audit.REQUEST_REOPENED).one()
    assert event.detail["reason_given"] is True
    assert typed_reason(db_session, vault, event) == "They asked us to try again"


@pytest.mark.parametrize(
    ("who", "reason", "days", "message"),
    [
        ("agent", "why", 3, "Only a supervisor"),
        ("supervisor", "", 3, "Give the reason"),
        ("supervisor", "why", 90, "past the retention period"),
    ],
)
def test_reopening_needs_a_supervisor_a_reason_and_the_retention_period(
    db_session, vault, who, reason, days, message
):
    request, boss = completed(db_session, vault)
    staff = boss if who == "supervisor" else make_staff(db_session, name="Alex")
    later = NOW + timedelta(days=days)
    with pytest.raises(queue.QueueRefused, match=message):
        closing.reopen(db_session, vault, request, staff, reason, RETENTION, now=later)
    assert request.status == states.COMPLETED


def test_a_withdrawn_request_is_never_reopened(db_session, vault, held):
    request, agent = held
    boss = make_staff(db_session, role="supervisor", name="Sam")
    closing.close_without_call(db_session, vault, request, agent, states.WITHDRAWN, now=NOW)
    with pytest.raises(queue.QueueRefused, match="withdrawn cannot be reopened"):
        closing.reopen(db_session, vault, request, boss, "why", RETENTION, now=NOW)


def test_a_call_saved_after_the_hold_moved_on_is_kept_late_and_changes_nothing(db_session, vault):
    alex, bea = make_staff(db_session, name="Alex"), make_staff(db_session, name="Bea")
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, alex, now=NOW)
    queue.release_expired_holds(db_session, NOW + timedelta(minutes=21), timedelta(minutes=20))
    db_session.refresh(request)
    queue.take(db_session, request, bea, now=NOW + timedelta(minutes=22))
    record(
        db_session,
        vault,
        request,
        bea,
        calls.REACHED,
        result="information_given",
        now=NOW + timedelta(minutes=23),
    )
    attempt = record(
        db_session,
        vault,
        request,
        alex,
        calls.REACHED,
        result="assessment_booked",
        note="Booked for Monday",
        now=NOW + timedelta(minutes=25),
    )
    assert attempt.late is True
    assert request.status == states.COMPLETED, "the late call moves the request nowhere"
    entries = calls.history(db_session, vault, request)
    late = [entry for entry in entries if "saved late" in entry.text]
    assert [(entry.who, entry.text.split(" (")[0]) for entry in late] == [
        ("Alex", "Reached: Assessment booked")
    ]
    assert "Booked for Monday" in [entry.text for entry in entries]
    event = (
        db_session.query(AuditEvent)
        .filter_by(action=audit.ATTEMPT_RECORDED)
        .order_by(AuditEvent.id)
        .all()[-1]
    )
    assert (event.staff_id, event.detail["late"]) == (alex.id, True)


def test_a_call_saved_after_an_expired_hold_nobody_took_counts_as_usual(db_session, vault):
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, agent, now=NOW)
    queue.release_expired_holds(db_session, NOW + timedelta(minutes=21), timedelta(minutes=20))
    db_session.refresh(request)
    assert request.status == states.NEW
    attempt = record(
        db_session, vault, request, agent, calls.WRONG_NUMBER, now=NOW + timedelta(minutes=22)
    )
    assert attempt.late is False
    assert request.status == states.UNREACHABLE


def test_renewing_a_hold_keeps_it_only_for_its_holder(db_session, vault, held):
    request, agent = held
    other = make_staff(db_session, name="Bea")
    later = NOW + timedelta(minutes=15)
    assert queue.renew_hold(db_session, request, agent, now=later) is True
    assert request.held_at == later
    assert queue.renew_hold(db_session, request, other, now=later) is False
