"""The whole visitor journey by keyboard alone: the mouse is never touched."""

from playwright.sync_api import Page, expect

MAX_PRESSES = 150


def press_until_focused(page: Page, selector: str, key: str = "Tab") -> None:
    """Press `key` until the element matching `selector` has focus."""
    for _ in range(MAX_PRESSES):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{key} never reached {selector}")


def test_a_visitor_completes_the_journey_with_the_keyboard_alone(server, open_page):
    page = open_page()
    page.goto(server.url + "/")
    press_until_focused(page, "main .guide-list a[href='/guide/side-effects']")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Side effects of baclofen")
    press_until_focused(page, ".help-block a[href^='/callback']")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Ask for a confidential callback")

    press_until_focused(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_be_focused()
    press_until_focused(page, ".error-summary a[href='#in_danger-0']")
    page.keyboard.press("Enter")
    expect(page.locator("#in_danger-0")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#in_danger-1")).to_be_checked()

    press_until_focused(page, "#for_whom-0")
    page.keyboard.press("Space")
    press_until_focused(page, "#name")
    page.keyboard.type("Zoë")
    press_until_focused(page, "#phone")
    page.keyboard.type("07400 123456")
    press_until_focused(page, "#when-0")
    page.keyboard.press("Space")
    press_until_focused(page, "#topics-1")
    page.keyboard.press("Space")
    press_until_focused(page, "#consent")
    page.keyboard.press("Space")
    press_until_focused(page, "#message", key="Shift+Tab")
    page.keyboard.type("Evenings are best")
    press_until_focused(page, "main button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.locator("main h1")).to_have_text("Request received")
    press_until_focused(page, "main form[action='/callback/withdraw'] button")
    page.keyboard.press("Enter")
    expect(page.locator("main h1")).to_have_text("Request withdrawn")


def test_the_skip_link_is_first_and_moves_focus_to_the_content(server, open_page):
    page = open_page()
    page.goto(server.url + "/guide/about")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["x"] >= 0, "the skip link shows when focused"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
