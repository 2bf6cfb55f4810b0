"""A long call keeps its session and its words: the open request page's hold renewals
count as activity, activity is written often enough for a short idle limit, and a call
sent after the session ended is kept for the next sign-in."""

from datetime import timedelta

import pytest
import time_machine

from intake import create_app
from tests.conftest import StaffBrowser, page
from tests.factories import enrol, make_staff, submit_request

# Members sign in after the clock has moved, as a person would: a session from the
# future is refused.
START = "2026-12-05T01:00:00Z"


def hold_path(request) -> str:
    return f"/staff/requests/{request.reference}/hold"


def renew(browser: StaffBrowser, request, token: str):
    return browser.client.post(hold_path(request), headers={"X-CSRFToken": token})


def token_on(browser: StaffBrowser, path: str) -> str:
    return browser.csrf(path)


def on_a_call(make_member, db_session, vault, take: bool = True):
    """At START, an agent signs in and (with `take`) takes a new request, its page open:
    returns (agent, request, path, the page's CSRF token)."""
    request = submit_request(db_session, vault)
    path = f"/staff/requests/{request.reference}"
    agent = make_member()[1].sign_in()
    if take:
        agent.post(f"{path}/take", form_page=path)
    return agent, request, path, token_on(agent, path)


def test_renewing_a_held_request_keeps_a_long_call_signed_in(make_member, db_session, vault):
    with time_machine.travel(START, tick=False) as clock:
        agent, request, path, token = on_a_call(make_member, db_session, vault)
        for _ in range(6):  # an hour on the phone, the page renewing every 10 minutes
            clock.shift(timedelta(minutes=10))
            assert renew(agent, request, token).get_json()["held"] is True
        assert agent.client.get(path).status_code == 200, "still signed in after an hour"


def test_renewing_a_request_one_does_not_hold_is_not_activity(make_member, db_session, vault):
    with time_machine.travel(START, tick=False) as clock:
        agent, request, _path, token = on_a_call(make_member, db_session, vault, take=False)
        for _ in range(3):
            clock.shift(timedelta(minutes=11))
            answer = renew(agent, request, token)
        assert answer.status_code == 401, "idle for 33 minutes: signed out"


@pytest.mark.parametrize("idle_minutes", [1, 2])
def test_someone_active_every_25_seconds_stays_signed_in_with_a_short_idle_limit(
    app_config, db_session, vault, idle_minutes
):
    app = create_app({**app_config, "INTAKE_STAFF_IDLE_MINUTES": idle_minutes})
    member = make_staff(db_session)
    browser = StaffBrowser(app.test_client(), member.email, enrol(db_session, vault, member))
    with time_machine.travel(START, tick=False) as clock:
        browser.sign_in()
        for second in range(0, 300, 25):
            clock.shift(timedelta(seconds=25))
            assert browser.client.get("/staff/").status_code == 200, f"at {second + 25} s"


def test_a_call_saved_after_the_session_ended_is_kept_and_offered_back_on_the_request(
    make_member, db_session, vault
):
    with time_machine.travel(START, tick=False) as clock:
        agent, request, path, token = on_a_call(make_member, db_session, vault)
        clock.shift(timedelta(minutes=31))  # the script could not renew: a laptop asleep
        assert renew(agent, request, token).status_code == 401, "the session ended"
        call = {"csrf_token": token, "outcome": "no_answer", "note": "Rang at 02:14, no reply"}
        response = agent.client.post(f"{path}/attempts", data=call)
        assert response.headers["Location"].endswith("/staff/sign-in")
        told = page(agent.client.get("/staff/sign-in")).get_text(" ", strip=True)
        assert "What you sent is kept: sign in again to find it" in told
        agent.enter_password()
        landed = agent.enter_code()
        assert landed.headers["Location"].endswith(path)
        html = agent.get_page(path)
    assert "What you typed before you were signed out is back below" in html.get_text()
    assert html.select_one("#outcome-1")["value"] == "no_answer"
    assert html.select_one("#outcome-1").has_attr("checked")
    assert html.select_one("#note").get_text() == "Rang at 02:14, no reply"


def test_a_call_sent_without_our_pages_token_is_not_kept(make_member, db_session, vault):
    with time_machine.travel(START, tick=False) as clock:
        agent, request, path, token = on_a_call(make_member, db_session, vault)
        clock.shift(timedelta(minutes=31))
        renew(agent, request, token)
        forged = {"csrf_token": "not-ours", "outcome": "no_answer", "note": "planted"}
        agent.client.post(f"{path}/attempts", data=forged)
        agent.sign_in()
        html = agent.get_page(path)
    assert "planted" not in html.get_text()
