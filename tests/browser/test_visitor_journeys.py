"""The visitor's journey in a real browser: phone and desktop, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, LEAVE_URL, PHONE

REFERENCE = re.compile(r"^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$")


def fill_the_form_correctly(page: Page) -> None:
    page.check("#in_danger-1")
    page.fill("#name", "Zoë")
    page.fill("#phone", "07400 123456")
    page.check("#when-0")
    page.check("#for_whom-0")
    page.check("#topics-0")
    page.check("#voicemail_ok-1")
    page.check("#consent")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_visitor_reads_asks_for_a_callback_corrects_mistakes_and_withdraws(
    server, open_page, viewport, javascript
):
    page = open_page(viewport=viewport, javascript=javascript)
    page.goto(server.url + "/")
    page.click("main .guide-list a[href='/guide/side-effects']")
    expect(page.locator("h1")).to_have_text("Side effects of baclofen")
    page.click(".help-block a[href='/callback?from=side-effects']")
    expect(page.locator("h1")).to_have_text("Ask for a confidential callback")

    page.fill("#name", "Zoë")
    page.fill("#phone", "12")
    page.click("main button[type=submit]")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert page.title().startswith("Error: ")
    expect(page.locator("#name")).to_have_value("Zoë")
    if javascript:
        expect(summary).to_be_focused()
    summary.locator("a[href='#phone']").click()
    if javascript:
        expect(page.locator("#phone")).to_be_focused()
    else:
        assert page.url.endswith("#phone")

    fill_the_form_correctly(page)
    page.click("main button[type=submit]")
    expect(page.locator("main h1")).to_have_text("Request received")
    reference = page.locator(".panel__reference").inner_text()
    assert REFERENCE.match(reference)
    expect(page.locator("main")).to_contain_text("ending 3456")

    page.click("text=Withdraw my request")
    expect(page.locator("main h1")).to_have_text("Request withdrawn")
    expect(page.locator("main")).to_contain_text(reference)


REVEALS = [
    ("#for_whom-1", "#for_whom-0", ["#relationship", "#person_knows-0", "#ask_for"]),
    ("#when-1", "#when-0", ["#day-0", "#window-0"]),
    ("#needs-0", None, ["#interpreter_language"]),
]


@pytest.mark.parametrize(("option", "other", "questions"), REVEALS, ids=["for", "when", "needs"])
def test_without_javascript_every_revealed_question_is_simply_there(
    server, open_page, option, other, questions
):
    page = open_page(javascript=False)
    page.goto(server.url + "/callback")
    for question in questions:
        expect(page.locator(question)).to_be_visible()


@pytest.mark.parametrize(("option", "other", "questions"), REVEALS, ids=["for", "when", "needs"])
def test_with_javascript_an_option_reveals_its_questions_and_says_so(
    server, open_page, option, other, questions
):
    page = open_page()
    page.goto(server.url + "/callback")
    choice = page.locator(option)
    block = f"#{choice.get_attribute('data-reveals')}"
    expect(choice).to_have_attribute("aria-controls", block[1:])
    expect(page.locator(block)).to_be_hidden()
    choice.check()
    for question in questions:
        expect(page.locator(question)).to_be_visible()
    if other:  # a radio: ARIA allows aria-expanded on no radio
        page.check(other)
    else:
        expect(choice).to_have_attribute("aria-expanded", "true")
        choice.uncheck()
        expect(choice).to_have_attribute("aria-expanded", "false")
    expect(page.locator(block)).to_be_hidden()


def test_a_revealed_question_with_a_mistake_is_shown_again_open(server, open_page):
    page = open_page()
    page.goto(server.url + "/callback")
    page.check("#for_whom-1")
    page.click("main button[type=submit]")
    expect(page.locator("#relationship")).to_be_visible()
    page.locator(".error-summary a[href='#relationship']").click()
    expect(page.locator("#relationship")).to_be_focused()


def test_with_javascript_someone_in_danger_cannot_choose_a_later_time(server, open_page):
    page = open_page()
    page.goto(server.url + "/callback")
    page.check("#when-1")
    expect(page.locator("#day-0")).to_be_visible()
    page.check("#in_danger-0")
    expect(page.locator("#when-1")).to_be_disabled()
    expect(page.locator("#when-0")).to_be_checked()
    expect(page.locator("#day-0")).to_be_hidden()
    expect(page.locator("[data-if-in-danger]")).to_contain_text("call 999 now")
    page.check("#in_danger-1")
    expect(page.locator("#when-1")).to_be_enabled()


def test_with_javascript_times_already_gone_today_cannot_be_chosen(server, open_page):
    page = open_page()
    page.goto(server.url + "/callback")
    times = page.locator("[data-first-window-today]")
    today, first = times.get_attribute("data-today"), times.get_attribute("data-first-window-today")
    page.check("#when-1")
    windows = page.locator("input[name=window]")
    codes = [windows.nth(i).get_attribute("value") for i in range(windows.count())]
    today_option = page.locator(f"input[name=day][value='{today}']")
    if today_option.count():  # late in the evening no time is left today, nor the day
        today_option.check()
        for index, code in enumerate(codes):
            gone = code < first
            assert windows.nth(index).is_disabled() == gone, code
    page.check("input[name=day] >> nth=-1")
    for index in range(len(codes)):
        expect(windows.nth(index)).to_be_enabled()


def test_nothing_on_the_page_scrolls_sideways_on_a_phone(server, open_page):
    page = open_page(viewport=PHONE)
    for path in ["/", "/guide/common-questions", "/about-this-service", "/callback"]:
        page.goto(server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_leave_this_site_goes_to_a_neutral_page(server, open_page, javascript):
    page = open_page(javascript=javascript)
    page.goto(server.url + "/guide/about")
    page.click("a[data-leave-site]")
    page.wait_for_url(LEAVE_URL)
    expect(page).to_have_title("Weather")


def test_with_javascript_leaving_hides_the_page_at_once_and_leaves_no_way_back(server, open_page):
    page = read_privacy_then_a_guide_page(server, open_page)
    state_right_after_the_click = page.evaluate(
        """() => {
            document.querySelector("[data-leave-site]").click();
            return [document.documentElement.classList.contains("leaving"), document.title,
                    getComputedStyle(document.body).display];
        }"""
    )
    assert state_right_after_the_click == [True, "", "none"]
    assert_left_with_the_guide_page_gone_from_history(page)


def test_pressing_shift_three_times_leaves_as_the_button_does(server, open_page):
    page = read_privacy_then_a_guide_page(server, open_page)
    for _ in range(2):
        page.keyboard.press("Shift")
    expect(page.locator("[data-leave-status]")).to_contain_text("Press it 1 more")
    page.keyboard.press("Shift")
    assert_left_with_the_guide_page_gone_from_history(page)


def read_privacy_then_a_guide_page(server, open_page) -> Page:
    page = open_page()
    page.goto(server.url + "/privacy")
    page.goto(server.url + "/guide/about")
    return page


def assert_left_with_the_guide_page_gone_from_history(page: Page) -> None:
    page.wait_for_url(LEAVE_URL)
    page.go_back()
    assert page.url.endswith("/privacy"), "the guide page was replaced in history"


def test_capital_letters_typed_in_the_form_never_leave_the_page(server, open_page):
    page = open_page()
    page.goto(server.url + "/callback")
    page.click("#name")
    for letter in "ABC":
        page.keyboard.press(f"Shift+{letter}")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    assert page.url.endswith("/callback")
    assert page.input_value("#name") == "ABC"


def wait_until_scrolled_past(page, pixels: int, checks: int = 600) -> None:
    """A wheel scrolls when the page gets to it. Asked from here, not with
    wait_for_function: its polling compiles the test inside the page, which the pages'
    Content-Security-Policy refuses (no 'unsafe-eval')."""
    for _ in range(checks):
        if page.evaluate("window.scrollY") > pixels:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the page never scrolled past {pixels} px")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_leave_button_stays_in_view_as_the_page_scrolls(server, open_page, viewport):
    page = open_page(viewport=viewport)
    page.goto(server.url + "/guide/common-questions")
    page.mouse.wheel(0, 3000)
    wait_until_scrolled_past(page, 1000)
    box = page.locator("a[data-leave-site]").bounding_box()
    assert box is not None and 0 <= box["y"] < 80, box
    page.click("a[data-leave-site]")
    page.wait_for_url(LEAVE_URL)
