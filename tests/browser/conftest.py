"""Browser tests: Playwright driving Debian's Chromium against the real app under gunicorn.

Nothing downloads a browser. Without Chromium the tests skip, saying how to install
it; in CI (CI=true) a missing browser fails the run instead.
"""

import os
import shutil
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.live_server import STAFF_PASSWORD, LiveServer, live_server

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
    "--disable-sync",
]
LEAVE_URL = "https://www.bbc.co.uk/weather"
OWN_HOST = "127.0.0.1"  # every live server binds here; no other host may be asked for anything
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
AXE = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "axe-core", "axe.min.js")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's headless shell, the lighter build made for automation (the full browser
    drew more than twice the CPU for the same tests); the full browser if it is all
    there is."""
    path = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if path:
        return path
    message = (
        "Debian's Chromium is not installed, so the browser tests cannot run. "
        "Install it with: apt-get install chromium-headless-shell"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(chromium_path) -> Browser:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory) -> LiveServer:
    """One server per test process (each pytest-xdist worker has its own): a gunicorn
    started for each test took most of these tests' time."""
    settings = {
        "INTAKE_QUEUE_POLL_SECONDS": "1",
        "INTAKE_WALLBOARD_POLL_SECONDS": "1",
        # Every test starts afresh, so no figure may outlive the test that made it.
        "INTAKE_TEAM_COUNTS_CACHE_SECONDS": "0",
        "INTAKE_SIGN_IN_ADDRESS_RATE_LIMIT": "1000 per minute",
    }
    with live_server(tmp_path_factory.mktemp("site"), **settings) as running:
        yield running


@pytest.fixture
def server(shared_server) -> LiveServer:
    """The app under gunicorn, on a database as empty as a new one."""
    shared_server.start_afresh()
    return shared_server


class OwnHostOnly:
    """Records every request pages make; any to another host fails the test.

    The "Leave this site" destination is answered here by a stand-in page, so even
    that navigation never reaches the network; it is allowed by name, alone.
    """

    def __init__(self) -> None:
        self.requests: list[str] = []

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.on("request", lambda request: self.requests.append(request.url))
        context.route(
            LEAVE_URL,
            lambda route: route.fulfill(
                status=200, content_type="text/html", body="<title>Weather</title><p>Weather</p>"
            ),
        )
        return context

    def others(self) -> list[str]:
        return [
            url
            for url in self.requests
            if urlsplit(url).hostname != OWN_HOST
            and url != LEAVE_URL
            and not url.startswith(("data:", "about:", "blob:"))
        ]


@pytest.fixture
def network() -> OwnHostOnly:
    watcher = OwnHostOnly()
    yield watcher
    assert not watcher.others(), f"requests to other hosts: {watcher.others()}"
    assert watcher.requests, "the recorder saw the pages' requests"


@pytest.fixture
def open_page(browser, network):
    """A new page in its own context (viewport, JavaScript, options), recorded. With
    `axe`, axe-core is loaded into every document the page opens, ready for run_axe."""
    contexts = []

    def make(viewport=DESKTOP, javascript: bool = True, axe: bool = False, **options) -> Page:
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript, **options)
        if axe:
            context.add_init_script(path=AXE)
        contexts.append(network.watch(context))
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in_staff(page: Page, server: LiveServer, email: str) -> str:
    """Sign in through the pages, setting up the authenticator on first sign-in; returns
    the authenticator's key, for signing in again."""
    page.goto(server.url + "/staff/sign-in")
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    secret = page.inner_text("[data-totp-secret]")
    enter_code(page, secret)
    return secret


def enter_code(page: Page, secret: str) -> None:
    """The code step, then the queue (or the page the sign-in returns to)."""
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Callback queue'), h1:has-text('Request ')")


def run_axe(page: Page) -> list[dict]:
    """axe-core's WCAG 2.x A and AA violations on the page once it has loaded (a page
    opened with `open_page(axe=True)`)."""
    page.wait_for_load_state()
    return page.evaluate(
        """async tags => (await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]}))
            .violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target)}))""",
        WCAG_TAGS,
    )
