"""The dashboard for an agent who works by keyboard or screen reader, at 1280 px and
320 px: the live queue keeps focus and holds its changes while the agent is in it,
says what is new in words, pauses on request; the idle warning comes first, staying
keeps the session, and an ending keeps what was typed; the banner after an action
takes focus."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, enter_code, run_axe, sign_in_staff
from tests.browser.live_server import live_server
from tests.browser.test_staff_journeys import ask_for_a_callback
from tests.browser.test_visitor_journeys import fill_the_form_correctly

NARROW = {"width": 320, "height": 640}
WIDTHS = pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280px", "320px"])
HANDOVER = "Night shift: K7QM-4Z2P asked for a woman to call back"
FOCUSED_ROW = (
    "document.activeElement.closest('tr') && document.activeElement.closest('tr').dataset.reference"
)


def ask_urgently(page: Page, server) -> str:
    page.goto(server.url + "/callback")
    fill_the_form_correctly(page)
    page.check("#in_danger-0")
    page.click("main button[type=submit]")
    return page.locator(".panel__reference").inner_text()


def focused(page: Page, selector: str) -> bool:
    return page.evaluate("selector => document.activeElement.matches(selector)", selector)


@WIDTHS
def test_the_live_queue_keeps_focus_and_holds_changes_until_asked(server, open_page, viewport):
    server.create_staff("agent@intake.example", "Alex Agent")
    visitor = open_page(viewport=PHONE)
    first = ask_for_a_callback(visitor, server)
    agent = open_page(viewport=viewport)
    sign_in_staff(agent, server, "agent@intake.example")
    agent.mouse.move(0, 0)
    agent.evaluate(
        "ref => { document.querySelector(`tr[data-reference='${ref}']`).untouched = 1 }", first
    )
    agent.focus(f"tr[data-reference='{first}'] a")

    second = ask_for_a_callback(visitor, server)
    waiting = agent.locator("[data-waiting-changes] button")
    expect(waiting).to_have_text("1 change: show them", timeout=10_000)
    expect(agent.locator("[data-count=ready]")).to_have_text("2")
    agent.wait_for_timeout(2_500)  # more updates come and go: nothing moves, focus stays
    assert agent.evaluate(FOCUSED_ROW) == first
    expect(agent.locator(f"tr[data-reference='{second}']")).to_have_count(0)

    agent.keyboard.press("Shift+Tab")  # to the list's scrolling region
    agent.keyboard.press("Shift+Tab")  # to the button just before it
    assert focused(agent, "[data-waiting-changes] button")
    agent.keyboard.press("Enter")
    expect(agent.locator(f"tr[data-reference='{second}']")).to_be_visible()
    expect(waiting).to_be_hidden()
    assert focused(agent, "[data-queue-list]"), "focus went to the list the button showed"
    assert agent.evaluate(
        "ref => document.querySelector(`tr[data-reference='${ref}']`).untouched", first
    ), "the row that did not change was left in place, not rebuilt"


@WIDTHS
def test_a_new_urgent_request_and_the_ready_count_are_said_in_words(server, open_page, viewport):
    server.create_staff("agent@intake.example", "Alex Agent")
    agent = open_page(viewport=viewport)
    sign_in_staff(agent, server, "agent@intake.example")
    news = agent.locator("[data-queue-news]")
    assert news.get_attribute("aria-live") == "polite"
    assert agent.locator("[aria-live]").count() == 1, "one live region on the queue page"
    agent.focus("[data-refresh-link]")

    reference = ask_urgently(open_page(viewport=PHONE), server)
    expect(news).to_have_text(
        f"New urgent request: {reference}. Ready to call now: 1.", timeout=10_000
    )
    expect(news).to_be_visible()
    assert focused(agent, "[data-refresh-link]")


def test_pausing_updates_stops_the_list_until_they_resume(server, open_page):
    server.create_staff("agent@intake.example", "Alex Agent")
    agent = open_page(viewport=NARROW)
    sign_in_staff(agent, server, "agent@intake.example")
    pause = agent.locator("[data-pause-updates]")
    pause.click()
    expect(pause).to_have_text("Resume updates")
    expect(agent.locator("[data-live-status]")).to_contain_text("Updates paused")

    reference = ask_for_a_callback(open_page(viewport=PHONE), server)
    agent.wait_for_timeout(3_000)  # three polls' time at this server's one second
    expect(agent.locator(f"tr[data-reference='{reference}']")).to_have_count(0)
    expect(agent.locator("[data-count=ready]")).to_have_text("0")

    pause.click()
    expect(pause).to_have_text("Pause updates")
    expect(agent.locator(f"tr[data-reference='{reference}']")).to_be_visible(timeout=10_000)


def test_the_banner_after_an_action_takes_focus(server, open_page):
    server.create_staff("agent@intake.example", "Alex Agent")
    agent = open_page(viewport=NARROW)
    sign_in_staff(agent, server, "agent@intake.example")
    agent.click("summary:has-text('Leave a handover note')")
    agent.fill("#text", HANDOVER)
    agent.click("button:has-text('Save the handover note')")
    banner = agent.locator("[data-notification-banner]")
    expect(banner).to_contain_text("Handover note saved.")
    expect(banner).to_be_focused()
    expect(banner.locator("h2")).to_have_text("Success")


def test_the_idle_warning_comes_first_staying_keeps_the_session_and_an_ending_keeps_the_typing(
    tmp_path, open_page
):
    """A one-minute idle limit: the warning comes at half of it. One agent (1280 px)
    stays signed in with the keyboard (Escape, then "Stay signed in"); the other (320 px)
    lets it end, and finds the handover note they were typing after signing in again."""
    with live_server(tmp_path, workers=1, INTAKE_STAFF_IDLE_MINUTES="1") as short:
        pages, keys = {}, {}
        for name, viewport in (("stays", DESKTOP), ("leaves", NARROW)):
            short.create_staff(f"{name}@intake.example", name.title())
            pages[name] = open_page(viewport=viewport, axe=True)
            keys[name] = sign_in_staff(pages[name], short, f"{name}@intake.example")
            pages[name].click("summary:has-text('Leave a handover note')")
            pages[name].fill("#text", HANDOVER)
        stays, leaves = pages["stays"], pages["leaves"]

        for agent in (stays, leaves):
            dialog = agent.locator("[data-session-dialog]")
            expect(dialog).to_be_visible(timeout=45_000)
            expect(dialog.locator("h2")).to_contain_text("You will be signed out in")
            assert focused(agent, "[data-session-stay]")
        assert run_axe(stays) == [], "the warning dialog passes axe"

        stays.keyboard.press("Escape")
        expect(stays.locator("[data-session-dialog]")).to_be_hidden()
        assert focused(stays, "#text"), "focus went back to where the agent was"

        ended = leaves.locator("[data-session-dialog]")
        expect(ended.locator("h2")).to_have_text("You have been signed out", timeout=45_000)
        expect(ended).to_contain_text("What you typed on this page is kept")
        assert focused(leaves, "[data-session-title]")
        assert run_axe(leaves) == []
        ended.locator("a:has-text('Sign in again')").click()
        leaves.fill("#email", "leaves@intake.example")
        leaves.fill("#password", "correct horse battery staple")
        leaves.click("button[type=submit]")
        enter_code(leaves, keys["leaves"])
        expect(leaves.locator("#text")).to_have_value(HANDOVER)
        expect(leaves.locator("[data-notification-banner]")).to_contain_text("back below")

        expect(stays.locator("[data-session-dialog]")).to_be_visible(timeout=45_000)
        expect(stays.locator("[data-session-stay]")).to_be_focused()
        stays.keyboard.press("Enter")
        expect(stays.locator("[data-session-dialog]")).to_be_hidden()
        stays.goto(short.url + "/staff/")
        expect(stays.locator("h1")).to_have_text("Callback queue")  # still signed in


def test_the_hold_is_renewed_quietly_and_its_ending_is_said_once(tmp_path, open_page):
    """A one-minute hold, renewed every 15 seconds. One agent's renewals stop reaching
    the server: they hear "ends in 1 minute", then "ended". The other's is refused (a
    supervisor released it): they hear "ended" at the next renewal."""
    with live_server(tmp_path, workers=1, INTAKE_HOLD_MINUTES="1") as short:
        visitor = open_page(viewport=PHONE)
        agents = {}
        for name, viewport in (("cut-off", DESKTOP), ("released", NARROW)):
            short.create_staff(f"{name}@intake.example", name.title())
            agents[name] = open_page(viewport=viewport)
            reference = ask_for_a_callback(visitor, short)
            sign_in_staff(agents[name], short, f"{name}@intake.example")
            agents[name].goto(f"{short.url}/staff/requests/{reference}")
            agents[name].click("button:has-text('Take this request')")
        cut_off, released = agents["cut-off"], agents["released"]
        news = cut_off.locator("[data-hold-news]")

        cut_off.wait_for_timeout(20_000)  # one renewal at least: nothing said
        expect(news).to_have_text("")
        expect(cut_off.locator("[data-hold-status]")).to_have_text(
            "You hold this request. It is renewed while this page is open."
        )
        cut_off.route("**/hold", lambda route: route.abort())

        supervisor = open_page(viewport=DESKTOP)
        short.create_staff("boss@intake.example", "Sam Supervisor", role="supervisor")
        sign_in_staff(supervisor, short, "boss@intake.example")
        supervisor.goto(released.url)
        supervisor.click("button:has-text('Release Released')")
        expect(released.locator("[data-hold-news]")).to_contain_text(
            "Your hold has ended", timeout=20_000
        )
        expect(released.locator("[data-hold-status]")).to_be_hidden()

        expect(news).to_contain_text("Your hold on this request ends in 1 minute", timeout=45_000)
        expect(news).to_contain_text("Your hold has ended", timeout=45_000)
