"""The dashboard as the admissions team uses it, through the web pages."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import text

from intake import create_app
from intake.domain import audit, queue, states
from intake.models import AuditEvent
from tests.conftest import StaffBrowser, StoredRequests, page
from tests.factories import submit_request, utc

# Tests that move the clock sign in after moving it, as a person would: a session
# from the future is refused, and one idle for months has long expired.


def test_the_queue_lists_requests_without_phone_numbers(make_member, db_session, vault):
    with time_machine.travel("2027-01-15T10:00:00Z", tick=False):
        agent = make_member()[1].sign_in()
        request = submit_request(db_session, vault, phone="+447400123456", topics=("cocaine",))
        html = agent.get_page("/staff/")
    row = html.select_one(f"tr[data-reference='{request.reference}']")
    text = row.get_text(" ", strip=True)
    assert "Cocaine" in text and "Themselves" in text and "Waiting" in text
    assert "due in 15 min" in text
    body = html.get_text()
    assert "123456" not in body and "7400" not in body


@pytest.mark.pages_only
def test_urgent_and_overdue_rows_say_so_in_words_not_only_colour(make_member, db_session, vault):
    with time_machine.travel("2027-01-15T10:00:00Z", tick=False) as clock:
        agent = make_member()[1].sign_in()
        submit_request(db_session, vault, in_danger=True)
        clock.shift(timedelta(minutes=27))
        row = agent.get_page("/staff/").select_one("tbody tr")
    assert row.select_one(".tag--urgent").get_text() == "Urgent"
    assert row.select_one(".tag--overdue").get_text() == "overdue by 12 min"


def test_the_counts_sit_at_the_top_of_the_queue(agent, db_session, vault):
    submit_request(db_session, vault, in_danger=True)
    submit_request(db_session, vault)
    counts = agent.get_page("/staff/").select_one(".counts")
    assert counts.select_one("[data-count=ready]").get_text() == "2"
    assert counts.select_one("[data-count=urgent]").get_text() == "1"


def test_the_queue_json_feeds_the_live_page(agent, db_session, vault):
    urgent = submit_request(db_session, vault, in_danger=True)
    data = agent.client.get("/staff/queue.json").get_json()
    assert data["counts"]["ready"] == 1
    assert data["urgent"] == [urgent.reference]
    assert urgent.reference in data["rows"]


@pytest.mark.pages_only
def test_the_queue_page_works_without_javascript_through_a_refresh_link(agent):
    html = agent.get_page("/staff/")
    assert html.select_one("a[data-refresh-link]")["href"] == "/staff/"
    scripts = [script["src"] for script in html.select("script[defer]")]
    assert any(re.fullmatch(r"/assets/queue\.[0-9a-f]{10}\.js", src) for src in scripts)


def test_take_next_opens_the_request_it_took(agent, db_session, vault):
    request = submit_request(db_session, vault)
    response = agent.post("/staff/take-next", form_page="/staff/")
    assert response.headers["Location"].endswith(f"/staff/requests/{request.reference}")
    db_session.refresh(request)
    assert request.status == states.IN_PROGRESS


@pytest.mark.pages_only
def test_take_next_on_an_empty_queue_says_so(agent):
    response = agent.post("/staff/take-next", form_page="/staff/")
    assert "Nobody is waiting" in page(agent.client.get(response.headers["Location"])).get_text()


@pytest.mark.pages_only
def test_the_request_page_shows_everything_with_the_discreet_choices_first(
    agent, db_session, vault
):
    request = submit_request(
        db_session,
        vault,
        name="Zoë",
        message="After 6pm please",
        voicemail_ok=False,
        say_who_we_are=None,
        text_first=True,
    )
    html = agent.get_page(f"/staff/requests/{request.reference}")
    instructions = [li.get_text(strip=True) for li in html.select(".instructions li")]
    assert instructions == [
        "Do NOT leave a voicemail",
        "Do not say who we are (not answered, so be discreet)",
        "Send a text before you call",
    ]
    answers = html.select_one(".answers").get_text(" ", strip=True)
    assert "Zoë" in answers and "After 6pm please" in answers
    assert html.select_one(".answers a[href='tel:+447400123456']")


THIRD_PARTY_WITH_NEEDS = {
    "for_whom": "someone_else",
    "relationship": "partner",
    "person_knows": "no",
    "ask_for": "Sam",
    "needs": ("interpreter", "bsl", "relay_uk"),
    "interpreter_language": "Polish",
    "other_needs": "Speak slowly, please",
}


@pytest.mark.pages_only
def test_the_queue_row_flags_someone_else_and_communication_needs_loudly(agent, db_session, vault):
    request = submit_request(db_session, vault, **THIRD_PARTY_WITH_NEEDS)
    row = agent.get_page("/staff/").select_one(f"tr[data-reference='{request.reference}']")
    assert row.select_one(".tag--third-party").get_text() == "For someone else"
    assert [tag.get_text() for tag in row.select(".tag--needs")] == [
        "Interpreter: Polish",
        "BSL video relay",
        "Relay UK",
        "Other needs: see request",
    ]
    text = row.get_text(" ", strip=True)
    assert "Sam" not in text and "partner" not in text and "slowly" not in text


@pytest.mark.pages_only
def test_a_row_without_flags_shows_no_tags_but_its_own(agent, db_session, vault):
    request = submit_request(db_session, vault)
    row = agent.get_page("/staff/").select_one(f"tr[data-reference='{request.reference}']")
    assert not row.select(".tag--third-party, .tag--needs")


@pytest.mark.pages_only
def test_the_request_page_puts_someone_else_and_communication_needs_first(agent, db_session, vault):
    request = submit_request(db_session, vault, **THIRD_PARTY_WITH_NEEDS)
    html = agent.get_page(f"/staff/requests/{request.reference}")
    flags = html.select_one(".flags")
    assert flags.find_next_sibling(class_="instructions"), "before the call instructions"
    assert [li.get_text() for li in flags.select("li")] == [
        "Calling for someone else: their partner; they do not know we will call; ask for Sam",
        "Interpreter: Polish",
        "BSL video relay",
        "Relay UK",
        "Other needs: Speak slowly, please",
    ]


@pytest.mark.pages_only
def test_a_call_about_someone_else_reminds_the_agent_what_the_privacy_notice_promises_them(
    agent, db_session, vault, client
):
    request = submit_request(
        db_session, vault, for_whom="someone_else", relationship="partner", ask_for="Sam"
    )
    flags = agent.get_page(f"/staff/requests/{request.reference}").select_one(".flags")
    prompt = "tell them at the start who we are, why we are calling and that someone asked us"
    assert prompt in flags.get_text(" ", strip=True)
    link = flags.select_one("a[href='/privacy#asked-to-call-about-you']")
    promise = page(client.get("/privacy")).select_one("#asked-to-call-about-you")
    assert link and promise
    notice = promise.find_next("p", string=re.compile("at the start of the first call"))
    assert "We say who asked only if they agree, and only if it is safe" in notice.get_text()


def test_a_request_about_the_visitor_with_no_needs_has_no_flags_block(agent, db_session, vault):
    request = submit_request(db_session, vault)
    html = agent.get_page(f"/staff/requests/{request.reference}")
    assert html.select_one(".flags") is None
    assert "Communication needs None given" in html.select_one(".answers").get_text(" ", strip=True)


def test_a_chosen_time_is_shown_in_the_service_time_zone(make_member, db_session, vault):
    with time_machine.travel("2027-07-01T08:00:00Z", tick=False):
        agent = make_member()[1].sign_in()
        request = submit_request(
            db_session, vault, when="later", day=date(2027, 7, 2), window="18-20"
        )
        html = agent.get_page(f"/staff/requests/{request.reference}")
    text = html.get_text(" ", strip=True)
    assert "Friday 2 July, 6pm to 8pm" in text
    assert "Friday 2 July at 6:00pm" in text


def test_a_time_set_aside_because_someone_is_in_danger_is_shown_as_such(agent, db_session, vault):
    request = submit_request(
        db_session, vault, in_danger=True, when="later", day=date(2027, 7, 2), window="18-20"
    )
    text = agent.get_page(f"/staff/requests/{request.reference}").get_text(" ", strip=True)
    assert "As soon as possible (they chose a later time; set aside: someone is in danger)" in text
    assert "Friday 2 July" not in text


def test_a_withdrawal_shows_on_the_request_page_at_once(agent, visitor, db_session):
    confirmation = page(visitor.client.get(visitor.submit().headers["Location"]))
    reference = confirmation.select_one(".panel__reference").get_text(strip=True)
    agent.post(f"/staff/requests/{reference}/take", form_page="/staff/")
    form = {i["name"]: i["value"] for i in confirmation.select("form input[type=hidden]")}
    visitor.client.post("/callback/withdraw", data=form)
    html = agent.get_page(f"/staff/requests/{reference}")
    assert "Withdrawn: do not call." in html.get_text()
    assert not html.select("form[action$='/attempts']")


def test_recording_on_a_request_you_do_not_hold_is_refused_clearly(agent, db_session, vault):
    request = submit_request(db_session, vault)
    path = f"/staff/requests/{request.reference}"
    response = agent.post(f"{path}/attempts", {"outcome": "no_answer"}, form_page=path)
    assert response.status_code == 400
    assert "Take this request before you record anything" in page(response).get_text()


def test_a_supervisor_adds_and_disables_a_colleague_from_the_dashboard(supervisor, db_session):
    colleague = {"name": "Noor", "email": "noor@intake.example", "role": "agent"}
    response = supervisor.post("/staff/team", colleague)
    assert response.status_code == 200
    assert page(response).select_one("[data-temporary-password]")
    team = supervisor.get_page("/staff/team")
    assert "noor@intake.example" in team.get_text()
    form = next(f for f in team.select("form") if f["action"].endswith("/disable"))
    supervisor.post(form["action"], form_page="/staff/team")
    assert "Disabled" in supervisor.get_page("/staff/team").get_text()


def test_a_colleague_already_on_the_team_is_not_added_twice(supervisor, make_member):
    member, _ = make_member("agent", "Noor")
    colleague = {"name": "Noor", "email": member.email.upper(), "role": "agent"}
    response = supervisor.post("/staff/team", colleague)
    assert response.status_code == 400
    summary = page(response).select_one(".error-summary").get_text()
    assert "already an account with that email address" in summary


def test_the_whole_journey_of_a_request(app, make_member, visitor, db_session):
    """A supervisor signs in, sees a new request, takes it, records no answer, sees it come
    back 30 minutes later, reaches the visitor and completes it: all of it audited."""
    _, supervisor = make_member("supervisor", "Sam Supervisor")
    with time_machine.travel("2026-11-25T10:00:00Z", tick=False) as clock:
        supervisor.sign_in()
        assert supervisor.client.get("/staff/queue.json").get_json()["counts"]["ready"] == 0
        visitor.submit(in_danger="yes")
        live = supervisor.client.get("/staff/queue.json").get_json()
        assert live["counts"] == {**live["counts"], "ready": 1, "urgent": 1}
        reference = live["urgent"][0]
        path = f"/staff/requests/{reference}"
        supervisor.post("/staff/take-next", form_page="/staff/")
        supervisor.post(f"{path}/attempts", {"outcome": "no_answer"}, form_page=path)
        request = StoredRequests(app).only()
        assert request.status == states.NEW
        assert request.due_at.isoformat() == "2026-11-25T10:30:00+00:00"
        clock.shift(timedelta(minutes=20))
        too_soon = supervisor.post("/staff/take-next", form_page="/staff/")
        assert too_soon.headers["Location"].endswith("/staff/")
        clock.shift(timedelta(minutes=11))
        supervisor.post("/staff/take-next", form_page="/staff/")
        supervisor.post(
            f"{path}/attempts",
            {"outcome": "reached", "result": "assessment_booked", "note": "Booked for Friday"},
            form_page=path,
        )
        assert StoredRequests(app).only().status == states.COMPLETED
        assert (
            supervisor.client.get("/staff/queue.json").get_json()["counts"]["completed_today"] == 1
        )
    trail = [e.action for e in db_session.query(AuditEvent).order_by(AuditEvent.id)]
    for action in (
        audit.SECOND_FACTOR_ENROLLED,
        audit.SIGN_IN,
        audit.REQUEST_TAKEN,
        audit.REQUEST_VIEWED,
        audit.ATTEMPT_RECORDED,
        audit.STATUS_CHANGED,
        audit.NOTE_ADDED,
    ):
        assert action in trail, action
    assert trail.count(audit.ATTEMPT_RECORDED) == 2


def test_the_tab_title_shows_the_numbers_ready_and_overdue(agent, db_session, vault):
    submit_request(db_session, vault)
    assert agent.get_page("/staff/").title.get_text().startswith("(1 ready, 0 overdue) Queue")


@pytest.mark.parametrize("typed", ["07400 123456", "+44 7400 123 456", "(07400) 123-456"])
def test_search_finds_a_request_by_phone_typed_any_way(agent, db_session, vault, typed):
    wanted = submit_request(db_session, vault, phone="+447400123456")
    submit_request(db_session, vault, phone="+447911123456")
    response = agent.post("/staff/search", {"query": typed}, form_page="/staff/")
    references = [
        row["data-reference"] for row in page(response).select("tbody tr[data-reference]")
    ]
    assert references == [wanted.reference]


def test_search_by_reference_in_lower_case(agent, db_session, vault):
    wanted = submit_request(db_session, vault)
    response = agent.post("/staff/search", {"query": wanted.reference.lower()}, form_page="/staff/")
    assert page(response).select_one(f"tr[data-reference='{wanted.reference}']")


@pytest.mark.pages_only
def test_a_search_that_is_neither_says_what_to_type(agent):
    response = agent.post("/staff/search", {"query": "hello"}, form_page="/staff/")
    assert response.status_code == 400
    assert "Enter a reference like K7QM-4Z2P" in page(response).select_one(".error-summary").text


def test_team_counts_are_shared_for_a_few_seconds_and_mine_are_always_fresh(
    app_config, db_session, vault, make_member
):
    app = create_app({**app_config, "INTAKE_TEAM_COUNTS_CACHE_SECONDS": 3})
    member, fixture_browser = make_member()
    browser = StaffBrowser(app.test_client(), member.email, fixture_browser.secret)

    def counts() -> dict:
        return browser.client.get("/staff/queue.json").get_json()["counts"]

    with time_machine.travel("2027-01-15T10:00:00Z", tick=False) as clock:
        browser.sign_in()
        first = submit_request(db_session, vault)
        assert counts()["ready"] == 1
        submit_request(db_session, vault)
        assert counts()["ready"] == 1, "the team's numbers are reused for 3 seconds"
        browser.post(f"/staff/requests/{first.reference}/take", form_page="/staff/")
        assert counts()["held_by_me"] == 1, "an agent's own holds are always fresh"
        submit_request(db_session, vault)
        clock.shift(timedelta(seconds=3))
        assert counts()["ready"] == 2


def test_the_page_and_the_feed_show_a_change_to_the_list_at_once(make_member, db_session, vault):
    with time_machine.travel("2027-01-15T10:00:00Z", tick=False):
        agent = make_member("agent", "Alex Agent")[1].sign_in()
        request = submit_request(db_session, vault)
        first = listed(agent, request.reference)
        assert listed(agent, request.reference) == first
        agent.post(f"/staff/requests/{request.reference}/take", form_page="/staff/")
        row, feed = listed(agent, request.reference)
    assert "Nobody" in first[0] and "Waiting" in first[0]
    assert "Alex Agent" in row and "In progress" in row and "Alex Agent" in feed


def listed(agent: StaffBrowser, reference: str) -> tuple[str, str]:
    """A request's row on the queue page, as text, and the live feed's rows."""
    html = agent.get_page("/staff/").select_one(f"tr[data-reference='{reference}']")
    return html.get_text(" ", strip=True), agent.client.get("/staff/queue.json").get_json()["rows"]


@pytest.mark.pages_only
def test_an_unknown_request_or_colleague_is_a_404(agent, supervisor):
    assert agent.client.get("/staff/requests/K7QM-4Z2P").status_code == 404
    assert supervisor.client.get("/staff/audit?member=9999").status_code == 404


def offered_outcomes(html) -> set[str]:
    return {radio["value"] for radio in html.select("input[name=outcome]")}


@pytest.mark.pages_only
@pytest.mark.parametrize(("answer", "offered"), [(True, True), (False, False), (None, False)])
def test_voicemail_is_offered_only_when_the_visitor_allowed_it(
    agent, db_session, vault, answer, offered
):
    request = submit_request(db_session, vault, voicemail_ok=answer)
    path = f"/staff/requests/{request.reference}"
    agent.post(f"{path}/take", form_page=path)
    html = agent.get_page(path)
    assert ("voicemail_left" in offered_outcomes(html)) is offered
    assert "no_answer" in offered_outcomes(html)


@pytest.mark.pages_only
def test_the_visitors_wishes_stand_beside_the_call_button(agent, db_session, vault):
    request = submit_request(db_session, vault, say_who_we_are=False, text_first=True)
    box = agent.get_page(f"/staff/requests/{request.reference}").select_one(".instructions")
    assert box.select_one("a.button[href='tel:+447400123456']")
    text = box.get_text(" ", strip=True)
    assert "Do not say who we are" in text and "Send a text before you call" in text


def test_a_supervisor_reopens_a_completed_request_from_its_page(supervisor, db_session, vault):
    request = submit_request(db_session, vault)
    path = f"/staff/requests/{request.reference}"
    supervisor.post(f"{path}/take", form_page=path)
    supervisor.post(
        f"{path}/attempts", {"outcome": "reached", "result": "not_ready_now"}, form_page=path
    )
    assert page(supervisor.client.get(path)).select_one(f"form[action='{path}/reopen']")
    response = supervisor.post(f"{path}/reopen", {"reason": "They rang to ask"}, form_page=path)
    html = page(supervisor.client.get(response.headers["Location"]))
    assert "back in the queue, due now" in html.get_text()
    db_session.expire_all()
    assert db_session.get(type(request), request.id).status == states.NEW


def test_an_agent_cannot_close_an_urgent_request_as_spam_from_its_page(agent, db_session, vault):
    request = submit_request(db_session, vault, in_danger=True)
    path = f"/staff/requests/{request.reference}"
    agent.post(f"{path}/take", form_page=path)
    response = agent.post(f"{path}/close", {"target": "spam"}, form_page=path)
    html = page(agent.client.get(response.headers["Location"]))
    text = html.get_text(" ", strip=True)
    assert "stays open in the queue until a supervisor decides" in text
    assert html.select_one("#supervisor-heading").get_text() == "Needs a supervisor"
    assert not html.select("form[action$='/decide']"), "only a supervisor decides"
    db_session.expire_all()
    assert db_session.get(type(request), request.id).status == states.NEW


def test_an_agent_whose_hold_moved_on_is_told_their_call_was_kept_late(
    make_member, db_session, vault
):
    with time_machine.travel("2026-11-25T12:00:00Z", tick=False) as clock:
        alex, bea = make_member(name="Alex")[1].sign_in(), make_member(name="Bea")[1].sign_in()
        request = submit_request(db_session, vault)
        path = f"/staff/requests/{request.reference}"
        alex.post(f"{path}/take", form_page=path)
        clock.shift(timedelta(minutes=21))
        bea.post("/staff/take-next", form_page="/staff/")
        bea.post(
            f"{path}/attempts", {"outcome": "reached", "result": "not_ready_now"}, form_page=path
        )
        response = alex.post(
            f"{path}/attempts",
            {"outcome": "reached", "result": "assessment_booked", "note": "Booked for Monday"},
            form_page=path,
        )
        text = page(alex.client.get(response.headers["Location"])).get_text(" ", strip=True)
    assert "saved in the history as a late call. The request is now completed." in text
    assert "Reached: Assessment booked (saved late" in text
    assert "Booked for Monday" in text


def test_the_request_page_renews_its_holders_hold_and_with_it_the_session(
    make_member, db_session, vault
):
    with time_machine.travel("2026-11-25T12:00:00Z", tick=False) as clock:
        agent = make_member()[1].sign_in()
        request = submit_request(db_session, vault)
        path = f"/staff/requests/{request.reference}"
        agent.post(f"{path}/take", form_page=path)
        html = agent.get_page(path)
        renew = html.select_one("[data-hold-url]")
        token = renew["data-csrf-token"]
        clock.shift(timedelta(minutes=25))
        response = agent.client.post(renew["data-hold-url"], headers={"X-CSRFToken": token})
        assert response.get_json() == {"held": True, "seconds_left": 1200}
        db_session.expire_all()
        assert db_session.get(type(request), request.id).held_at.minute == 25
        clock.shift(timedelta(minutes=6))
        assert agent.client.get(path).status_code == 200, "the renewal 6 minutes ago was activity"


@pytest.mark.pages_only
def test_a_refused_call_keeps_everything_the_agent_typed(agent, db_session, vault):
    request = submit_request(db_session, vault)
    path = f"/staff/requests/{request.reference}"
    agent.post(f"{path}/take", form_page=path)
    typed = {"outcome": "reached", "note": "Wants a detox; call their sister after 6"}
    response = agent.post(f"{path}/attempts", typed, form_page=path)
    assert response.status_code == 400
    html = page(response)
    assert html.select_one("textarea[name=note]").get_text() == typed["note"]
    assert html.select_one("input[name=outcome][value=reached]").has_attr("checked")
    assert "Choose the result of the call" in html.get_text()


@pytest.mark.pages_only
def test_a_call_the_rules_refuse_keeps_the_note_and_says_why(agent, db_session, vault):
    request = submit_request(db_session, vault, voicemail_ok=False)
    path = f"/staff/requests/{request.reference}"
    agent.post(f"{path}/take", form_page=path)
    typed = {"outcome": "voicemail_left", "note": "Left a message with her sister"}
    response = agent.post(f"{path}/attempts", typed, form_page=path)
    assert response.status_code == 400
    html = page(response)
    assert "asked us not to leave a voicemail" in html.get_text()
    assert html.select_one("textarea[name=note]").get_text() == typed["note"]


def test_taking_a_request_during_its_retry_wait_is_refused_and_takes_nothing(
    agent, db_session, vault
):
    request = submit_request(db_session, vault)
    path = f"/staff/requests/{request.reference}"
    agent.post(f"{path}/take", form_page=path)
    agent.post(f"{path}/attempts", {"outcome": "no_answer"}, form_page=path)
    response = agent.post(f"{path}/take", form_page=path)
    html = page(agent.client.get(response.headers["Location"]))
    assert "may not be called for another 30 min" in html.get_text()
    db_session.expire_all()
    stored = db_session.get(type(request), request.id)
    assert (stored.status, stored.held_by_id) == (states.NEW, None)


def test_the_team_page_shows_locks_holds_and_lets_a_supervisor_unlock_and_enable(
    supervisor, make_member, db_session, vault
):
    locked, alex = make_member(name="Lou")[0], make_member(name="Alex")[1].sign_in()
    stranger = StaffBrowser(supervisor.client.application.test_client(), locked.email, None)
    for _ in range(5):
        stranger.enter_password("wrong password")
    request = submit_request(db_session, vault)
    alex.post(f"/staff/requests/{request.reference}/take", form_page="/staff/")
    team = supervisor.get_page("/staff/team")
    rows = {row.td.get_text(): row for row in team.select("tbody tr")}
    assert "held back from 1 address until" in rows["Lou"].get_text()
    assert "1 request, held since" in rows["Alex"].get_text()
    supervisor.post(f"/staff/team/{locked.id}/unlock", form_page="/staff/team")
    assert "held back from" not in supervisor.get_page("/staff/team").get_text()
    supervisor.post(f"/staff/team/{locked.id}/disable", form_page="/staff/team")
    response = supervisor.post(f"/staff/team/{locked.id}/enable", form_page="/staff/team")
    done = page(supervisor.client.get(response.headers["Location"])).get_text()
    assert "Lou can sign in again." in done


def test_an_agent_gives_a_held_request_to_a_named_colleague_with_a_note(
    make_member, supervisor, db_session, vault
):
    alex = make_member(name="Alex")[1].sign_in()
    bea, bea_browser = make_member(name="Bea")
    bea_browser.sign_in()
    make_member(name="Gone home")
    request = submit_request(
        db_session, vault, needs=("interpreter",), interpreter_language="Arabic"
    )
    path = f"/staff/requests/{request.reference}"
    alex.post(f"{path}/take", form_page=path)
    options = [o.get_text() for o in alex.get_page(path).select("select[name=reassign-to] option")]
    assert "Bea" in options and "Alex" not in options
    assert "Gone home" not in options, "only colleagues signed in now"
    alex.post(
        f"{path}/reassign",
        {"reassign-to": str(bea.id), "reassign-note": "Speaks Polish"},
        form_page=path,
    )
    banner = bea_browser.get_page("/staff/").find(attrs={"aria-label": "Handed to you"})
    words = " ".join(banner.get_text().split())
    assert f"Alex handed you {request.reference} (Interpreter: Arabic)." in words
    bea_browser.get_page(path)
    assert not bea_browser.get_page("/staff/").find(attrs={"aria-label": "Handed to you"}), (
        "gone once opened"
    )
    html = supervisor.get_page(path)
    assert "held by Bea" in html.select_one(".lead").get_text()
    assert "For Bea: Speaks Polish" in html.select_one(".history").get_text()
    supervisor.post(f"{path}/release", form_page=path)
    db_session.expire_all()
    assert db_session.get(type(request), request.id).held_by_id is None


@pytest.mark.pages_only
def test_a_supervisor_is_offered_to_release_a_colleagues_hold(supervisor, agent, db_session, vault):
    request = submit_request(db_session, vault)
    path = f"/staff/requests/{request.reference}"
    agent.post(f"{path}/take", form_page=path)
    buttons = [b.get_text() for b in supervisor.get_page(path).select("form button")]
    assert "Release Alex Agent's hold" in buttons


def test_a_booked_window_shows_on_its_row_and_is_not_overdue_until_it_ends(
    make_member, db_session, vault
):
    with time_machine.travel("2027-07-01T17:30:00Z", tick=False) as clock:
        agent = make_member()[1].sign_in()
        request = submit_request(
            db_session, vault, when="later", day=date(2027, 7, 1), window="18-20"
        )
        row = agent.get_page("/staff/").select_one(f"tr:has(a[href$='{request.reference}'])")
        assert "Thursday 1 July, 6pm to 8pm (due now)" in row.get_text(" ", strip=True)
        assert "overdue" not in row.get_text()
        clock.shift(timedelta(hours=1, minutes=31))
        agent = make_member(name="Bea")[1].sign_in()
        row = agent.get_page("/staff/").select_one(f"tr:has(a[href$='{request.reference}'])")
        assert "overdue by 1 min" in row.get_text()


def test_take_next_says_when_the_next_booked_request_may_be_called(make_member, db_session, vault):
    with time_machine.travel("2027-07-01T08:00:00Z", tick=False):
        agent = make_member()[1].sign_in()
        submit_request(db_session, vault, when="later", day=date(2027, 7, 1), window="18-20")
        response = agent.post("/staff/take-next", form_page="/staff/")
        text = page(agent.client.get(response.headers["Location"])).get_text(" ", strip=True)
    assert "The next request may be called today at 6:00pm (UK time)." in text


def test_the_request_page_lists_other_requests_from_the_same_number(agent, db_session, vault):
    earlier = submit_request(db_session, vault, phone="+447400123456")
    submit_request(db_session, vault, phone="+447700900123")
    latest = submit_request(db_session, vault, phone="+447400123456", in_danger=True)
    html = agent.get_page(f"/staff/requests/{latest.reference}")
    listed = [link.get_text() for link in html.select(".same-number a")]
    assert listed == [earlier.reference]
    assert "waiting" in html.select_one(".same-number").get_text()


def test_a_shift_handover_note_sits_on_the_dashboard_with_its_author_and_time(
    make_member, db_session
):
    with time_machine.travel("2026-11-25T21:55:00Z", tick=False):
        night, morning = make_member(name="Nia")[1].sign_in(), make_member(name="Mo")[1].sign_in()
        assert "No handover note in the last 24 hours." in morning.get_page("/staff/").get_text()
        note = "Two booked for 8am. KX sister may ring back."
        night.post("/staff/handover", {"text": note}, form_page="/staff/")
        box = morning.get_page("/staff/").select_one(".handover")
    assert box.select_one(".handover__note").get_text() == note
    assert "Nia, today at 9:55pm (UK time)" in box.get_text(" ", strip=True)
    stored = db_session.execute(text("SELECT body FROM handover_notes")).scalar_one()
    assert b"booked" not in stored, "kept encrypted"


@pytest.mark.pages_only
def test_an_empty_handover_note_is_refused_and_says_why(agent):
    response = agent.post("/staff/handover", {"text": "  "}, form_page="/staff/")
    after = page(agent.client.get(response.headers["Location"])).get_text()
    assert "Write the handover note" in after


@pytest.mark.pages_only
def test_the_live_refresh_asks_for_the_page_and_filters_being_read(agent, db_session, vault):
    for _ in range(3):
        submit_request(db_session, vault)
    cursor = queue.Cursor(True, utc(2026, 11, 25, 14), utc(2026, 11, 25, 13), 2).encode()
    html = agent.get_page(f"/staff/?urgent=1&after={cursor}")
    config = html.select_one("[data-queue-config]")
    assert config["data-poll-url"] == f"/staff/queue.json?urgent=1&after={cursor}"
    assert config["data-refresh-rows"] == "yes"
    assert html.select_one("[data-refresh-link]")["href"] == f"/staff/?urgent=1&after={cursor}"


@pytest.mark.pages_only
def test_search_results_are_never_replaced_by_the_live_refresh(agent, db_session, vault):
    request = submit_request(db_session, vault)
    response = agent.post("/staff/search", {"query": request.reference}, form_page="/staff/")
    assert page(response).select_one("[data-queue-config]")["data-refresh-rows"] == "no"


def test_the_queue_filters_to_booked_requests_from_the_page(make_member, db_session, vault):
    with time_machine.travel("2027-07-01T08:00:00Z", tick=False):
        agent = make_member()[1].sign_in()
        booked = submit_request(
            db_session, vault, when="later", day=date(2027, 7, 1), window="18-20"
        )
        ready = submit_request(db_session, vault)
        html = agent.get_page("/staff/?show=booked")
    listed = {link.get_text() for link in html.select("tbody a")}
    assert booked.reference in listed and ready.reference not in listed
    assert html.select_one("#show option[selected]")["value"] == "booked"


def test_paging_through_search_results_stays_within_the_search(agent, db_session, vault):
    ours = {submit_request(db_session, vault, phone="+447400123456").reference for _ in range(55)}
    submit_request(db_session, vault, phone="+447700900123")
    first = page(agent.post("/staff/search", {"query": "07400 123456"}, form_page="/staff/"))
    shown = {link.get_text() for link in first.select("tbody a")}
    more = first.select_one("form:has(input[name=after])")
    data = {field["name"]: field["value"] for field in more.select("input")}
    second = page(agent.client.post(more["action"], data=data))
    shown |= {link.get_text() for link in second.select("tbody a")}
    assert len(first.select("tbody a")) == 50
    assert shown == ours, "both pages hold only this number's requests, all of them"
    assert "Search results" in second.get_text()


def test_closed_requests_never_say_overdue_in_search_results(agent, db_session, vault):
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    request = submit_request(db_session, vault, now=long_ago)
    path = f"/staff/requests/{request.reference}"
    agent.post(f"{path}/take", form_page=path)
    agent.post(f"{path}/attempts", {"outcome": "wrong_number"}, form_page=path)
    response = agent.post("/staff/search", {"query": request.reference}, form_page="/staff/")
    row = page(response).select_one("tbody tr").get_text(" ", strip=True)
    assert "overdue" not in row and "closed" in row


def test_the_queue_row_and_the_request_page_count_down_the_same_minutes(
    make_member, db_session, vault
):
    with time_machine.travel("2026-12-05T03:00:00Z", tick=False) as clock:
        agent = make_member()[1].sign_in()
        request = submit_request(db_session, vault)
        path = f"/staff/requests/{request.reference}"
        agent.post(f"{path}/take", form_page=path)
        agent.post(f"{path}/attempts", {"outcome": "no_answer"}, form_page=path)
        clock.shift(timedelta(minutes=28, seconds=30))  # 90 seconds of the wait left
        row = agent.get_page("/staff/").select_one(f"tr[data-reference='{request.reference}']")
        response = agent.post(f"{path}/take", form_page=path)
        told = page(agent.client.get(response.headers["Location"])).get_text(" ", strip=True)
    assert "due in 2 min" in row.get_text(" ", strip=True)
    assert "may not be called for another 2 min" in told


def test_the_dashboard_says_signing_out_returns_holds_and_signing_out_does(
    agent, db_session, vault
):
    request = submit_request(db_session, vault)
    agent.post("/staff/take-next", form_page="/staff/")
    hint = agent.get_page("/staff/").find(string=re.compile("Signing out puts"))
    assert "Signing out puts the 1 request you hold back in the queue" in hint
    response = agent.post("/staff/sign-out", form_page="/staff/")
    told = page(agent.client.get(response.headers["Location"])).get_text(" ", strip=True)
    assert "The 1 request you held went back in the queue." in told
    db_session.expire_all()
    assert db_session.get(type(request), request.id).status == states.NEW


def test_handover_notes_are_a_log_the_last_24_hours_on_the_dashboard_older_on_their_page(
    make_member, db_session
):
    with time_machine.travel("2026-12-03T22:00:00Z", tick=False) as clock:
        nia = make_member(name="Nia")[1].sign_in()
        nia.post("/staff/handover", {"text": "Wednesday night: quiet"}, form_page="/staff/")
        clock.move_to("2026-12-04T22:00:00Z")
        mo = make_member(name="Mo")[1].sign_in()
        mo.post("/staff/handover", {"text": "Thursday night: two booked"}, form_page="/staff/")
        clock.move_to("2026-12-05T06:00:00Z")
        nia = make_member(name="Nia B")[1].sign_in()
        nia.post("/staff/handover", {"text": "Friday early: all clear"}, form_page="/staff/")
        box = nia.get_page("/staff/").select_one(".handover")
        older = nia.get_page(box.select_one("a[href='/staff/handover']")["href"])
    shown = [note.get_text() for note in box.select(".handover__note")]
    assert shown == ["Friday early: all clear", "Thursday night: two booked"], "newest first"
    assert [note.get_text() for note in older.select(".handover__note")] == [
        "Wednesday night: quiet"
    ]
    assert "Nia, Thursday 3 December at 10:00pm" in older.get_text(" ", strip=True)


def test_the_team_page_shows_who_is_signed_in_now_and_when_each_was_last_active(
    make_member, db_session
):
    with time_machine.travel("2026-12-05T02:00:00Z", tick=False) as clock:
        sam = make_member("supervisor", "Sam")[1].sign_in()
        make_member(name="Quinn")
        gone = make_member(name="Gus")[1].sign_in()
        clock.shift(timedelta(minutes=10))
        gone.post("/staff/sign-out", form_page="/staff/")
        clock.shift(timedelta(minutes=5))
        rows = {
            row.select_one("td").get_text(): " ".join(row.get_text().split())
            for row in sam.get_page("/staff/team").select("tbody tr")
        }
    assert "Signed in now, last active today at 2:15am" in rows["Sam"]
    assert "Not signed in; last active today at 2:10am" in rows["Gus"]
    assert "Never signed in" in rows["Quinn"]
