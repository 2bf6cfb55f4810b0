"""The admissions team in a real browser: live queue, working a request, racing colleagues."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, sign_in_staff
from tests.browser.live_server import live_server
from tests.browser.test_visitor_journeys import fill_the_form_correctly


def ask_for_a_callback(page: Page, server) -> str:
    page.goto(server.url + "/callback")
    fill_the_form_correctly(page)
    page.click("main button[type=submit]")
    return page.locator(".panel__reference").inner_text()


def test_an_agent_sees_a_request_arrive_without_reloading_and_works_it(server, open_page):
    server.create_staff("agent@intake.example", "Alex Agent")
    agent = open_page()
    sign_in_staff(agent, server, "agent@intake.example")
    expect(agent.locator("tbody")).to_contain_text("Nobody is waiting")
    agent.evaluate("window.sameDocument = true")

    reference = ask_for_a_callback(open_page(viewport=PHONE), server)

    row = agent.locator(f"tr[data-reference='{reference}']")
    expect(row).to_be_visible(timeout=10_000)
    assert agent.evaluate("window.sameDocument") is True, "the page was not reloaded"
    expect(agent.locator("[data-count=ready]")).to_have_text("1")
    assert agent.title().startswith("(1 ready, 0 overdue)")

    agent.click("text=Take next request")
    expect(agent.locator("h1")).to_contain_text(reference)
    expect(agent.locator(".instructions")).to_contain_text("Do NOT leave a voicemail")
    agent.check("input[name=outcome][value=reached]")
    agent.check("input[name=result][value=assessment_booked]")
    agent.fill("textarea[name=note]", "Assessment on Friday at 10")
    agent.click("text=Save the call")
    expect(agent.locator("[data-notification-banner]")).to_contain_text("completed")
    expect(agent.locator(".history")).to_contain_text("Assessment on Friday at 10")


def test_two_agents_pressing_take_next_at_once_get_different_requests(server, open_page):
    for name in ("one", "two"):
        server.create_staff(f"{name}@intake.example", f"Agent {name}")
    visitor = open_page()
    references = {ask_for_a_callback(visitor, server) for _ in range(2)}
    first, second = open_page(), open_page()
    sign_in_staff(first, server, "one@intake.example")
    sign_in_staff(second, server, "two@intake.example")
    press = "document.querySelector('form[action$=\"/take-next\"] button').click()"
    with first.expect_navigation(), second.expect_navigation():
        first.evaluate(press)
        second.evaluate(press)
    taken = {page.url.rsplit("/", 1)[1] for page in (first, second)}
    assert taken == references


def test_a_call_longer_than_the_idle_limit_keeps_its_session_and_is_saved(tmp_path, open_page):
    """A one-minute idle limit, the request page left open for longer while the agent is
    on the phone: its script renews the hold, which keeps the session, and the call is
    then saved as usual."""
    with live_server(tmp_path, workers=1, INTAKE_STAFF_IDLE_MINUTES="1") as short:
        short.create_staff("agent@intake.example", "Alex Agent")
        agent = open_page()
        sign_in_staff(agent, short, "agent@intake.example")
        reference = ask_for_a_callback(open_page(viewport=PHONE), short)
        agent.goto(short.url + "/staff/")
        agent.click("text=Take next request")
        expect(agent.locator("h1")).to_contain_text(reference)
        hold = agent.locator("[data-hold-url]")
        assert hold.get_attribute("data-renew-seconds") == "15"
        agent.wait_for_timeout(75_000)  # on the phone: no click, no key, for 75 seconds
        expect(hold).to_contain_text("You hold this request")
        agent.check("input[name=outcome][value=reached]")
        agent.check("input[name=result][value=information_given]")
        agent.fill("textarea[name=note]", "Talked it through; will call back Monday")
        agent.click("text=Save the call")
        expect(agent.locator("[data-notification-banner]")).to_contain_text("completed")
        expect(agent.locator(".history")).to_contain_text("will call back Monday")
