"""Accessibility in a real browser: axe-core (WCAG 2.2 A and AA) on every page and state
that matters, and the checks axe cannot make: headings, focus, target size, zoom, motion."""

from itertools import pairwise

import pytest
from playwright.sync_api import Page, expect

from intake.pages import SERVICE_PAGES
from tests.browser.conftest import DESKTOP, PHONE, run_axe, sign_in_staff
from tests.browser.live_server import STAFF_PASSWORD
from tests.browser.test_staff_journeys import ask_for_a_callback
from tests.browser.test_visitor_journeys import fill_the_form_correctly
from tests.test_guide import GUIDE_ORDER

PUBLIC_PAGES = (
    ["/", "/guide/", "/callback", "/no-such-page"]
    + [f"/guide/{slug}" for slug in GUIDE_ORDER]
    + [f"/{slug}" for slug in SERVICE_PAGES]
)


def public_states(page: Page, url: str):
    """Yield (name) after bringing the page into each state worth checking."""
    for path in PUBLIC_PAGES:
        page.goto(url + path)
        yield path
    page.goto(url + "/callback")
    page.fill("#phone", "12")
    page.click("main button[type=submit]")
    yield "callback form with errors"
    fill_the_form_correctly(page)
    page.check("#in_danger-0")
    page.click("main button[type=submit]")
    yield "confirmation, urgent"
    page.goto(url + "/callback/received")
    yield "confirmation opened again"
    page.goto(url + "/callback")
    fill_the_form_correctly(page)
    page.click("main button[type=submit]")
    yield "confirmation"
    page.click("text=Withdraw my request")
    yield "withdrawn"


def staff_states(page: Page, server):
    page.goto(server.url + "/staff/sign-in")
    yield "sign-in"
    page.fill("#email", "nobody@intake.example")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    yield "sign-in with an error"
    sign_in_staff(page, server, "boss@intake.example")
    yield "queue, empty"
    visitor = page.context.new_page()
    for _ in range(3):
        ask_for_a_callback(visitor, server)
    visitor.close()
    page.reload()
    page.click("summary")
    yield "queue, full, filters open"
    page.click("text=Take next request")
    yield "request page, held"
    page.check("input[name=outcome][value=no_answer]")
    page.click("text=Save the call")
    yield "request page after a call"
    someone_in_danger = page.context.new_page()
    someone_in_danger.goto(server.url + "/callback")
    fill_the_form_correctly(someone_in_danger)
    someone_in_danger.check("#in_danger-0")
    someone_in_danger.click("main button[type=submit]")
    # Closed once the confirmation has loaded: Chromium could hang closing a page whose
    # redirect was still arriving, and with it this test, on a busy machine.
    someone_in_danger.locator(".panel__reference").wait_for()
    someone_in_danger.close()
    page.goto(server.url + "/staff/")
    page.click("text=Take next request")
    page.check("input[name=outcome][value=wrong_number]")
    page.click("text=Save the call")
    yield "request page, waiting for a supervisor's decision"
    page.goto(server.url + "/staff/")
    yield "queue, with a request for a supervisor"
    page.goto(server.url + "/staff/handover")
    yield "older handover notes"
    page.goto(server.url + "/staff/team")
    yield "team"
    page.goto(server.url + "/staff/audit")
    yield "audit trail"
    yield from person_states(page, server)
    make_this_browser_a_wallboard(page, server)
    yield "wallboard"


def person_states(page: Page, server):
    """A supervisor carries out a person's rights: find, export, a refused erasure."""
    page.goto(server.url + "/staff/people")
    page.click("button:has-text('Find their requests')")
    yield "a person's data, nothing entered"
    page.fill("#phone", "07400 123456")
    page.click("button:has-text('Find their requests')")
    yield "a person's requests found"
    first_request = page.get_attribute("main ul a", "href")
    page.click("button:has-text('Open as a page')")
    yield "everything kept about a person"
    page.goto(server.url + first_request)
    page.click("button:has-text('Erase their details')")
    yield "request page, erasure not confirmed"


def make_this_browser_a_wallboard(page: Page, server) -> None:
    page.goto(server.url + "/staff/team")
    page.fill("#screen_name", "Office TV")
    page.click("button:has-text('Make this browser a wallboard')")
    page.wait_for_selector("h1:has-text('Callback queue')")


def axe_everywhere(page: Page, states) -> tuple[int, dict]:
    checked, violations = 0, {}
    for state in states:
        found = run_axe(page)
        checked += 1
        if found:
            violations[state] = found
    return checked, violations


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_finds_no_violation_on_any_public_page_or_state(server, open_page, viewport):
    page = open_page(viewport=viewport, bypass_csp=True, axe=True)
    checked, violations = axe_everywhere(page, public_states(page, server.url))
    assert checked == len(PUBLIC_PAGES) + 5
    assert violations == {}


def test_axe_finds_no_violation_on_any_staff_page_or_state(server, open_page):
    server.create_staff("boss@intake.example", "Sam Supervisor", role="supervisor")
    page = open_page(bypass_csp=True, axe=True)
    checked, violations = axe_everywhere(page, staff_states(page, server))
    assert checked == 16
    assert violations == {}


TV = {"width": 1920, "height": 1080}
PAGE_SIZE = "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"


def test_the_wallboard_fits_a_tv_and_a_phone_and_updates_itself(server, open_page):
    """On a 1920x1080 TV it needs no scrolling at all; at 320px none sideways. Its own
    script brings in a new request's count without a reload."""
    server.create_staff("boss@intake.example", "Sam Supervisor", role="supervisor")
    page = open_page(viewport=TV, bypass_csp=True, axe=True)
    sign_in_staff(page, server, "boss@intake.example")
    ask_for_a_callback(page.context.new_page(), server)
    ask_for_a_callback(page.context.new_page(), server)
    make_this_browser_a_wallboard(page, server)
    assert page.locator('[data-wallboard="ready"]').inner_text() == "2"
    width, height = page.evaluate(PAGE_SIZE)
    assert width <= TV["width"] and height <= TV["height"]
    assert run_axe(page) == []
    page.evaluate("window.sameDocument = true")

    ask_for_a_callback(page.context.new_page(), server)

    expect(page.locator('[data-wallboard="ready"]')).to_have_text("3", timeout=30_000)
    assert page.evaluate("window.sameDocument") is True
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate(PAGE_SIZE)[0] <= 320
    assert run_axe(page) == []


HEADINGS = """() => [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")]
    .filter(h => h.offsetParent !== null).map(h => Number(h.tagName[1]))"""


def each_page(page: Page, url: str, paths, check) -> dict[str, object]:
    """Open each path in turn on one page; what `check` found wrong, by path."""
    problems = {}
    for path in paths:
        page.goto(url + path)
        problem = check(page)
        if problem:
            problems[path] = problem
    return problems


def headings_out_of_order(page: Page) -> list[int] | None:
    levels = page.evaluate(HEADINGS)
    in_order = all(later - earlier <= 1 for earlier, later in pairwise(levels))
    return None if levels.count(1) == 1 and levels[0] == 1 and in_order else levels


def test_every_public_page_has_one_h1_and_headings_in_order(server, open_page):
    assert each_page(open_page(), server.url, PUBLIC_PAGES, headings_out_of_order) == {}


FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary"
# Each visible control's look unfocused and focused (outline, shadow, background): the
# page's own script could not fake it, as it runs after the keyboard has been used.
FOCUS_LOOKS = """selector => [...document.querySelectorAll(`body :is(${selector})`)]
    .filter(el => el.checkVisibility())
    .map(el => {
        const look = () => { const s = getComputedStyle(el);
            return [s.outlineStyle, s.outlineWidth, s.boxShadow, s.backgroundColor].join("|"); };
        document.activeElement.blur();
        const before = look();
        el.focus();
        return {html: el.outerHTML.slice(0, 120), before, after: look()};
    })"""


@pytest.mark.parametrize("path", ["/", "/guide/about", "/callback"])
def test_every_control_shows_visible_focus(server, open_page, path):
    page = open_page()
    page.goto(server.url + path)
    page.keyboard.press("Tab")  # focus rings show for the keyboard (:focus-visible)
    controls = page.evaluate(FOCUS_LOOKS, FOCUSABLE)
    assert len(controls) > 5
    assert [c["html"] for c in controls if c["before"] == c["after"]] == []


TARGETS = """() => [...document.querySelectorAll(
        "button, input:not([type=hidden]), select, textarea, a[href]")]
    .filter(el => el.offsetParent !== null)
    .filter(el => !(el.tagName === "A" && el.closest("p, li, dd, td")))
    .map(el => { const r = el.getBoundingClientRect();
                 return {html: el.outerHTML.slice(0, 80), w: r.width, h: r.height}; })"""


def small_targets(page: Page) -> list[dict]:
    return [t for t in page.evaluate(TARGETS) if t["w"] < 24 or t["h"] < 24]


def test_targets_are_at_least_24_by_24_pixels(server, open_page):
    paths = ["/", "/guide/about", "/callback", "/privacy"]
    assert each_page(open_page(viewport=PHONE), server.url, paths, small_targets) == {}


@pytest.mark.parametrize(
    "viewport",
    [{"width": 320, "height": 640}, {"width": 640, "height": 400}],
    ids=["320px", "200%-zoom"],
)
def test_usable_at_320px_and_200_percent_zoom_without_sideways_scrolling(
    server, open_page, viewport
):
    def scrolls_sideways(page: Page) -> int | None:
        width = page.evaluate("document.documentElement.scrollWidth")
        return width if width > viewport["width"] else None

    page = open_page(viewport=viewport, device_scale_factor=2)
    assert each_page(page, server.url, PUBLIC_PAGES[:5], scrolls_sideways) == {}


def test_reduced_motion_is_respected(server, open_page):
    page = open_page(reduced_motion="reduce")
    page.goto(server.url + "/callback")
    moving = page.evaluate(
        """() => [...document.querySelectorAll("*")].filter(el => {
            const s = getComputedStyle(el);
            return parseFloat(s.transitionDuration) > 0 || parseFloat(s.animationDuration) > 0
                || s.scrollBehavior === "smooth"; }).length"""
    )
    assert moving == 0


DUPLICATE_IDS = """() => { const seen = {};
    for (const el of document.querySelectorAll("[id]")) seen[el.id] = (seen[el.id] || 0) + 1;
    return Object.keys(seen).filter(id => seen[id] > 1); }"""


def duplicate_ids_everywhere(page: Page, states) -> tuple[int, dict]:
    checked, duplicates = 0, {}
    for state in states:
        found = page.evaluate(DUPLICATE_IDS)
        checked += 1
        if found:
            duplicates[state] = found
    return checked, duplicates


def test_no_id_is_used_twice_on_any_staff_page_or_state(server, open_page):
    """A label whose `for` names a repeated id focuses the wrong field."""
    server.create_staff("boss@intake.example", "Sam Supervisor", role="supervisor")
    page = open_page()
    checked, duplicates = duplicate_ids_everywhere(page, staff_states(page, server))
    assert checked == 16
    assert duplicates == {}


def test_no_id_is_used_twice_on_any_public_page_or_state(server, open_page):
    page = open_page()
    checked, duplicates = duplicate_ids_everywhere(page, public_states(page, server.url))
    assert checked == len(PUBLIC_PAGES) + 5
    assert duplicates == {}


# Forced colours drop backgrounds and shadows: only an outline still shows focus there.
OUTLINES_MISSING = """selector => [...document.querySelectorAll(`body :is(${selector})`)]
    .filter(el => el.checkVisibility())
    .filter(el => { el.focus(); const s = getComputedStyle(el);
        return s.outlineStyle === "none" || parseFloat(s.outlineWidth) === 0; })
    .map(el => el.outerHTML.slice(0, 120))"""


def controls_without_an_outline_when_focused(page: Page) -> list[str]:
    page.emulate_media(forced_colors="active")
    page.keyboard.press("Tab")  # focus rings show for the keyboard (:focus-visible)
    assert page.evaluate("matchMedia('(forced-colors: active)').matches")
    return page.evaluate(OUTLINES_MISSING, FOCUSABLE)


def test_every_control_shows_focus_in_forced_colours_on_a_public_page(server, open_page):
    page = open_page()
    page.goto(server.url + "/callback")
    assert controls_without_an_outline_when_focused(page) == []


def test_every_control_shows_focus_in_forced_colours_on_a_staff_page(server, open_page):
    server.create_staff("boss@intake.example", "Sam Supervisor", role="supervisor")
    page = open_page()
    sign_in_staff(page, server, "boss@intake.example")
    ask_for_a_callback(page.context.new_page(), server)
    page.reload()
    page.click("text=Take next request")
    page.wait_for_selector("h1:has-text('Request')")
    assert controls_without_an_outline_when_focused(page) == []


# What an error-summary link leads to, and the sticky bar's bottom, as drawn.
TARGET_AND_BAR = """href => [document.getElementById(href.slice(1)).getBoundingClientRect().top,
    document.querySelector("[data-leave-site]").getBoundingClientRect().bottom]"""


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 800}, {"width": 320, "height": 640}, {"width": 320, "height": 200}],
    ids=["1280px", "320px", "400%-zoom"],
)
def test_error_summary_links_bring_their_field_out_from_under_the_leave_bar(
    server, open_page, viewport, javascript
):
    page = open_page(viewport=viewport, javascript=javascript)
    page.goto(server.url + "/callback")
    page.fill("#phone", "12")
    page.click("main button[type=submit]")
    links = page.locator(".error-summary a")
    links.first.wait_for()
    assert links.count() > 2
    hidden = {}
    for index in range(links.count()):
        page.evaluate("window.scrollTo(0, 0)")
        href = links.nth(index).get_attribute("href")
        links.nth(index).click()
        if javascript:
            assert page.evaluate("document.activeElement.id") == href[1:]
        top, bar_bottom = page.evaluate(TARGET_AND_BAR, href)
        if top < bar_bottom:
            hidden[href] = (top, bar_bottom)
    assert hidden == {}


def test_the_authenticator_key_is_shown_in_groups_of_four_and_copies_whole(server, open_page):
    server.create_staff("boss@intake.example", "Sam Supervisor", role="supervisor")
    page = open_page(viewport={"width": 320, "height": 640})
    page.goto(server.url + "/staff/sign-in")
    page.fill("#email", "boss@intake.example")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    key = page.locator("[data-totp-secret]")
    secret = key.inner_text()
    assert len(secret) == 32 and secret.isalnum()
    groups = key.locator("span")
    assert groups.all_inner_texts() == [secret[i : i + 4] for i in range(0, 32, 4)]
    first, second = groups.nth(0).bounding_box(), groups.nth(1).bounding_box()
    assert second["x"] > first["x"] + first["width"] or second["y"] > first["y"], "spaced apart"
    page.evaluate("getSelection().selectAllChildren(document.querySelector('[data-totp-secret]'))")
    assert page.evaluate("getSelection().toString()") == secret
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


# The heat map's key: one cell per level, 0 (none) to 4, each with its digit.
HEAT_KEY = """() => { const chart = document.querySelector(".chart--heat");
    const looks = el => ({fill: getComputedStyle(el).fill, shown: el.checkVisibility()});
    return {key: [...chart.querySelectorAll("rect:not(:has(title))")].map(looks),
            marks: [...chart.querySelectorAll(".chart__heat-mark")].map(el =>
                ({text: el.textContent, ...looks(el)})),
            cells: chart.querySelectorAll("rect").length,
            page: getComputedStyle(document.body).backgroundColor}; }"""


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two computed colours, "rgb(r, g, b)"."""

    def luminance(colour: str) -> float:
        channels = [int(part) / 255 for part in colour[colour.index("(") + 1 : -1].split(",")]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted([luminance(first), luminance(second)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_every_heat_map_shade_stands_out_and_forced_colours_show_the_levels(server, open_page):
    server.create_staff("boss@intake.example", "Sam Supervisor", role="supervisor")
    page = open_page()
    sign_in_staff(page, server, "boss@intake.example")
    page.goto(server.url + "/staff/reports")
    drawn = page.evaluate(HEAT_KEY)
    shades = [look["fill"] for look in drawn["key"][1:]]
    assert len(shades) == 4 and len(set(shades)) == 4
    ratios = [round(contrast(shade, drawn["page"]), 1) for shade in shades]
    assert min(ratios) >= 3, ratios
    assert not any(mark["shown"] for mark in drawn["marks"]), "the digits only in forced colours"

    page.emulate_media(forced_colors="active")
    drawn = page.evaluate(HEAT_KEY)
    assert all(mark["shown"] for mark in drawn["marks"])
    assert len(drawn["marks"]) == drawn["cells"], "a digit in every cell"
    assert [mark["text"] for mark in drawn["marks"][-5:]] == ["0", "1", "2", "3", "4"]
