"""The idle warning's server side: how long a sign-in has left (asking is not activity,
"Stay signed in" is), and what a page's forms held when its session ended, kept for
the next sign-in and put back in the same forms (intake/staff/drafts.py)."""

from datetime import timedelta

import time_machine

from tests.conftest import page
from tests.factories import submit_request
from tests.test_long_call import START, on_a_call

NOTE = "Mum says he is at his sister's until Friday"
HANDOVER = "K7QM-4Z2P rang twice overnight; try after 9"


def time_left(browser) -> dict:
    response = browser.client.get("/staff/session")
    assert response.status_code == 200
    return response.get_json()


def keep(browser, token: str, form_address: str, **fields):
    """What the page's script sends once the session has ended, for one form."""
    data = {"csrf_token": token, "draft_for": form_address, **fields}
    return browser.client.post("/staff/drafts", data=data, headers={"Accept": "application/json"})


def test_a_page_knows_when_its_session_would_end_and_when_to_warn(make_member):
    with time_machine.travel(START, tick=False) as clock:
        agent = make_member()[1].sign_in()
        config = agent.get_page("/staff/").select_one("[data-session-config]")
        assert config["data-seconds-left"] == str(30 * 60)
        assert config["data-warn-seconds"] == "120"
        assert config["data-ends"] == "idle"
        clock.shift(timedelta(minutes=10))
        assert time_left(agent) == {"seconds_left": 20 * 60, "ends": "idle", "warn_seconds": 120}


def test_asking_how_long_is_left_is_not_activity_but_staying_signed_in_is(make_member):
    with time_machine.travel(START, tick=False) as clock:
        agent = make_member()[1].sign_in()
        token = agent.csrf("/staff/")
        clock.shift(timedelta(minutes=28))
        assert time_left(agent)["seconds_left"] == 120, "asking did not renew the session"
        stayed = agent.client.post("/staff/session/stay", headers={"X-CSRFToken": token})
        assert stayed.get_json()["seconds_left"] == 30 * 60
        clock.shift(timedelta(minutes=29))
        assert agent.client.get("/staff/").status_code == 200, "still signed in"


def test_staying_signed_in_needs_the_pages_token(make_member):
    with time_machine.travel(START, tick=False) as clock:
        agent = make_member()[1].sign_in()
        clock.shift(timedelta(minutes=28))
        refused = agent.client.post("/staff/session/stay", headers={"X-CSRFToken": "forged"})
        assert refused.status_code == 400
        clock.shift(timedelta(minutes=3))
        assert agent.client.get("/staff/session").status_code == 401


def test_the_warning_says_when_the_sign_in_ends_for_its_age_which_nothing_renews(make_member):
    with time_machine.travel(START, tick=False) as clock:
        agent = make_member()[1].sign_in()
        for _ in range(12 * 4 - 1):  # busy all shift: a page every 15 minutes
            clock.shift(timedelta(minutes=15))
            agent.client.get("/staff/")
        assert time_left(agent) == {
            "seconds_left": 15 * 60,
            "ends": "lifetime",
            "warn_seconds": 120,
        }


def test_a_session_still_going_keeps_no_draft(make_member, db_session, vault):
    with time_machine.travel(START, tick=False):
        agent, _request, path, token = on_a_call(make_member, db_session, vault)
        answer = keep(agent, token, f"{path}/notes", text=NOTE)
        assert answer.status_code == 409
        assert answer.get_json() == {"kept": False, "signed_in": True}
        assert NOTE not in agent.get_page(path).get_text()


def test_what_every_form_on_a_request_page_held_comes_back_there_after_signing_in(
    make_member, db_session, vault
):
    with time_machine.travel(START, tick=False) as clock:
        agent, _request, path, token = on_a_call(make_member, db_session, vault)
        clock.shift(timedelta(minutes=31))
        assert agent.client.get("/staff/session").status_code == 401, "the session ended"
        note = keep(agent, token, f"{path}/notes", text=NOTE)
        call = keep(agent, token, f"{path}/attempts", outcome="no_answer", note="Rang at 02:14")
        assert (note.status_code, note.get_json()["kept"]) == (401, True)
        assert (call.status_code, call.get_json()["kept"]) == (401, True)
        told = page(agent.client.get("/staff/sign-in")).get_text(" ", strip=True)
        assert "You were signed out because you had not used the dashboard" in told
        agent.enter_password()
        assert agent.enter_code().headers["Location"].endswith(path)
        html = agent.get_page(path)
    assert "What you typed before you were signed out is back below" in html.get_text()
    assert html.select_one("#text").get_text() == NOTE
    assert html.select_one("#note").get_text() == "Rang at 02:14"
    assert html.select_one("#outcome-1").has_attr("checked")


def test_a_handover_note_being_typed_comes_back_on_the_queue_page_open(make_member):
    with time_machine.travel(START, tick=False) as clock:
        agent = make_member()[1].sign_in()
        token = agent.csrf("/staff/")
        clock.shift(timedelta(minutes=31))
        assert keep(agent, token, "/staff/handover", text=HANDOVER).get_json()["kept"] is True
        agent.enter_password()
        assert agent.enter_code().headers["Location"].endswith("/staff/")
        html = agent.get_page("/staff/")
    assert html.select_one("#text").get_text() == HANDOVER
    assert html.select_one("section.handover details").has_attr("open")
    assert html.select_one("[data-notification-banner]").get_text().count("back below") == 1


def test_a_draft_is_given_back_once(make_member):
    with time_machine.travel(START, tick=False) as clock:
        agent = make_member()[1].sign_in()
        token = agent.csrf("/staff/")
        clock.shift(timedelta(minutes=31))
        keep(agent, token, "/staff/handover", text=HANDOVER)
        agent.sign_in()
        agent.get_page("/staff/")
        again = agent.get_page("/staff/")
    assert HANDOVER not in again.get_text()


def test_forms_that_are_not_drafts_and_addresses_not_ours_keep_nothing(
    make_member, db_session, vault
):
    with time_machine.travel(START, tick=False) as clock:
        agent = make_member()[1].sign_in()
        token = agent.csrf("/staff/")
        clock.shift(timedelta(minutes=31))
        search = keep(agent, token, "/staff/search", query="07700 900123")
        password = keep(agent, token, "/staff/change-password", current_password="secret")
        nowhere = keep(agent, token, "/staff/nowhere", text=HANDOVER)
        elsewhere = keep(agent, token, "https://elsewhere.example/staff/handover", text="")
        assert [answer.get_json()["kept"] for answer in (search, password, nowhere, elsewhere)] == [
            False
        ] * 4
        agent.sign_in()
        html = agent.get_page("/staff/")
    assert "07700" not in html.get_text()
    assert "back below" not in html.get_text()


def test_what_was_kept_is_sealed_at_rest(make_member, db_session, vault):
    from intake.models import StaffSession

    with time_machine.travel(START, tick=False) as clock:
        agent = make_member()[1].sign_in()
        token = agent.csrf("/staff/")
        clock.shift(timedelta(minutes=31))
        keep(agent, token, "/staff/handover", text=HANDOVER)
    kept = [row.draft for row in db_session.query(StaffSession) if row.draft]
    assert len(kept) == 1
    assert HANDOVER.encode() not in kept[0]
    assert vault.open(kept[0])["forms"] == {"staff.leave_handover": {"text": HANDOVER}}


def test_after_an_action_a_banner_headed_by_what_happened_says_it(agent, db_session, vault):
    request = submit_request(db_session, vault)
    path = f"/staff/requests/{request.reference}"
    agent.post(f"{path}/take", form_page=path)
    saved = agent.post(f"{path}/notes", {"text": "Left a message"}, form_page=path)
    banner = agent.get_page(saved.headers["Location"]).select_one("[data-notification-banner]")
    assert banner["role"] == "region" and banner["tabindex"] == "-1"
    assert banner.select_one("#notification-banner-title").get_text() == "Success"
    assert banner["aria-labelledby"] == "notification-banner-title"
    assert "Note saved." in banner.get_text()

    refused = agent.post("/staff/handover", {"text": ""}, form_page="/staff/")
    banner = agent.get_page(refused.headers["Location"]).select_one("[data-notification-banner]")
    assert banner.select_one("h2").get_text() == "There is a problem"
