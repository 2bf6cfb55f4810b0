"""One call, one outcome: a late 'reached' closes what nobody else has called, a visitor
who rings in is reached at once, the holder is told why their hold ended, and the
reasons given show in the request's history to whoever opens it."""

from datetime import timedelta

import pytest

from intake.domain import calls, closing, queue, states, supervision
from tests.factories import CALL_POLICY, make_staff, submit_request, utc

NOW = utc(2026, 12, 5, 2, 0)


def record(db_session, vault, request, agent, outcome, now, **extra):
    return calls.record_attempt(
        db_session, vault, request, agent, outcome=outcome, policy=CALL_POLICY, now=now, **extra
    )


@pytest.fixture
def moved_on(db_session, vault):
    """Alex's hold ran out and Cal took the request; returns (request, alex, cal)."""
    alex = make_staff(db_session, email="alex@example.org", name="Alex")
    cal = make_staff(db_session, email="cal@example.org", name="Cal")
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, alex, now=NOW)
    queue.release_expired_holds(db_session, NOW + timedelta(minutes=25), timedelta(minutes=20))
    queue.take(db_session, request, cal, now=NOW + timedelta(minutes=26))
    return request, alex, cal


def test_a_late_reached_closes_the_request_when_nobody_has_called_it_since(
    db_session, vault, moved_on
):
    request, alex, _cal = moved_on
    attempt = record(
        db_session,
        vault,
        request,
        alex,
        calls.REACHED,
        NOW + timedelta(minutes=27),
        result="assessment_booked",
    )
    assert attempt.late
    assert (request.status, request.attempt_count) == (states.COMPLETED, 1)


def test_a_late_reached_after_a_colleagues_call_goes_to_a_supervisor(db_session, vault, moved_on):
    request, alex, cal = moved_on
    record(db_session, vault, request, cal, calls.NO_ANSWER, NOW + timedelta(minutes=27))
    record(
        db_session,
        vault,
        request,
        alex,
        calls.REACHED,
        NOW + timedelta(minutes=28),
        result="information_given",
    )
    assert request.status == states.NEW
    assert request.needs_supervisor == supervision.LATE_REACHED
    assert request.attempt_count == 2, "the row counts both calls"


def test_a_late_call_that_did_not_reach_anyone_changes_nothing_but_is_counted(
    db_session, vault, moved_on
):
    request, alex, cal = moved_on
    record(db_session, vault, request, alex, calls.NO_ANSWER, NOW + timedelta(minutes=27))
    assert (request.status, request.held_by_id, request.attempt_count) == (
        states.IN_PROGRESS,
        cal.id,
        1,
    )


def test_a_visitor_who_rings_in_is_reached_at_once_by_anyone(db_session, vault, moved_on):
    request, _alex, cal = moved_on
    record(db_session, vault, request, cal, calls.NO_ANSWER, NOW + timedelta(minutes=27))
    assert request.callable_from > NOW + timedelta(minutes=28), "in its retry wait"
    desk = make_staff(db_session, email="desk@example.org", name="Dee")
    calls.record_called_in(
        db_session,
        vault,
        request,
        desk,
        result="assessment_booked",
        note="Rang in with the reference",
        now=NOW + timedelta(minutes=28),
    )
    assert (request.status, request.held_by_id, request.attempt_count) == (
        states.COMPLETED,
        None,
        2,
    )
    (entry,) = [e for e in calls.history(db_session, vault, request) if "called us" in e.text]
    assert (entry.who, entry.text) == ("Dee", "They called us: Assessment booked")


def test_they_called_us_needs_a_result_and_an_open_request(db_session, vault, moved_on):
    request, _alex, cal = moved_on
    with pytest.raises(queue.QueueRefused, match="result"):
        calls.record_called_in(db_session, vault, request, cal, result=None)
    db_session.rollback()
    calls.record_called_in(db_session, vault, request, cal, result="information_given")
    with pytest.raises(queue.QueueRefused, match="completed"):
        calls.record_called_in(db_session, vault, request, cal, result="information_given")


def test_they_called_us_is_not_an_outcome_of_a_call_we_make(db_session, vault):
    assert calls.CALLED_US not in calls.outcomes_for({"voicemail_ok": True})


def test_the_reasons_given_show_in_the_history_to_everyone(db_session, vault):
    boss = make_staff(db_session, role="supervisor", email="sam@example.org", name="Sam")
    agent = make_staff(db_session)
    request = submit_request(db_session, vault, now=NOW, in_danger=True)
    queue.take(db_session, request, agent, now=NOW)
    record(db_session, vault, request, agent, calls.NO_ANSWER, NOW)
    queue.take(
        db_session,
        request,
        boss,
        now=NOW + timedelta(minutes=2),
        override_reason="Their sister rang: he is home now",
        vault=vault,
    )
    closing.close_without_call(
        db_session,
        vault,
        request,
        boss,
        states.SPAM,
        reason="Same prank as K7QM",
        now=NOW + timedelta(minutes=3),
    )
    closing.reopen(
        db_session,
        vault,
        request,
        boss,
        "Police say it was real",
        timedelta(days=90),
        now=NOW + timedelta(minutes=4),
    )
    texts = [
        (e.who, e.text) for e in calls.history(db_session, vault, request) if e.kind == "reason"
    ]
    assert texts == [
        ("Sam", "Taken before the retry time: Their sister rang: he is home now"),
        ("Sam", "Closed as spam: Same prank as K7QM"),
        ("Sam", "Reopened: Police say it was real"),
    ]


# The holder is told at once, through the page's hold renewal


def renew(browser, request):
    path = f"/staff/requests/{request.reference}"
    token = browser.get_page(path).select_one("[data-hold-url]")["data-csrf-token"]
    return lambda: browser.client.post(f"{path}/hold", headers={"X-CSRFToken": token}).get_json()


def held_by_alex(make_member, db_session, vault, colleague: str):
    """Alex and a colleague signed in, and a new request Alex holds:
    returns (alex, colleague, request, its page's path)."""
    alex, other = make_member(name="Alex")[1].sign_in(), make_member(name=colleague)[1].sign_in()
    request = submit_request(db_session, vault)
    path = f"/staff/requests/{request.reference}"
    alex.post(f"{path}/take", form_page=path)
    return alex, other, request, path


def test_the_holder_is_told_at_once_when_a_supervisor_closes_their_request(
    db_session, vault, make_member
):
    _, alex = make_member(name="Alex")
    _, sam = make_member("supervisor", "Sam")
    alex.sign_in(), sam.sign_in()
    request = submit_request(db_session, vault)
    path = f"/staff/requests/{request.reference}"
    alex.post(f"{path}/take", form_page=path)
    renewal = renew(alex, request)
    assert renewal()["held"] is True
    sam.post(f"{path}/close", {"target": "spam"}, form_page=path)
    answer = renewal()
    assert answer["held"] is False and answer["status"] == "Spam"
    assert answer["said"].startswith("Sam closed this request as spam at ")


def test_the_holder_is_told_at_once_when_the_visitor_rings_in(db_session, vault, make_member):
    alex, dee, request, path = held_by_alex(make_member, db_session, vault, "Dee")
    renewal = renew(alex, request)
    response = dee.post(f"{path}/called-us", {"called-result": "assessment_booked"}, path)
    assert response.status_code == 303
    said = renewal()["said"]
    assert said.startswith("Dee spoke to this person when they called us at ")
    assert said.endswith(": assessment booked.")


def test_the_holder_is_told_at_once_when_a_late_call_reached_the_person(
    db_session, vault, make_member
):
    alex, cal, request, path = held_by_alex(make_member, db_session, vault, "Cal")
    alex_page = alex.csrf(path)
    queue.release(db_session, request, make_staff(db_session, role="supervisor", name="Sam"))
    cal.post(f"{path}/take", form_page=path)
    renewal = renew(cal, request)
    call = {"csrf_token": alex_page, "outcome": "reached", "result": "assessment_booked"}
    alex.client.post(f"{path}/attempts", data=call)
    said = renewal()["said"]
    assert said.startswith("Alex reached this person at ")
    assert said.endswith(": assessment booked.")
