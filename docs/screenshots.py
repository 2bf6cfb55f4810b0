"""Screenshots for the README, taken with Debian's Chromium through Playwright.

The guide on a phone, the form with errors, the confirmation, and the dashboard
with a few requests, into docs/screenshots/. Usage: make screenshots
"""

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM_FLAGS, DESKTOP, PHONE, sign_in_staff
from tests.browser.live_server import live_server
from tests.browser.test_visitor_journeys import fill_the_form_correctly

OUT = Path(__file__).resolve().parent / "screenshots"


def main() -> int:
    chrome = shutil.which("chromium")
    if chrome is None:
        print("Debian's Chromium is needed: apt-get install chromium", file=sys.stderr)
        return 1
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, live_server(Path(folder)) as server:
        server.create_staff("sam@intake.example", "Sam Supervisor", role="supervisor")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chrome, args=CHROMIUM_FLAGS)
            phone = browser.new_page(viewport=PHONE, device_scale_factor=2)
            shots = [
                ("guide-on-a-phone", lambda: phone.goto(server.url + "/guide/side-effects")),
                ("form-with-errors", lambda: form_with_errors(phone, server.url)),
                ("confirmation", lambda: confirmation(phone)),
            ]
            for number, (name, step) in enumerate(shots, start=1):
                print(f"[{number}/4] {name}", flush=True)
                step()
                phone.screenshot(path=OUT / f"{name}.png")
            print("[4/4] dashboard", flush=True)
            for _ in range(3):
                phone.goto(server.url + "/callback")
                fill_the_form_correctly(phone)
                phone.click("main button[type=submit]")
            desk = browser.new_page(viewport=DESKTOP)
            sign_in_staff(desk, server, "sam@intake.example")
            desk.screenshot(path=OUT / "dashboard.png", full_page=True)
            browser.close()
    print(f"Saved 4 screenshots in {OUT}")
    return 0


def form_with_errors(page, url: str) -> None:
    page.goto(url + "/callback")
    page.fill("#name", "Zoë")
    page.fill("#phone", "12")
    page.click("main button[type=submit]")


def confirmation(page) -> None:
    fill_the_form_correctly(page)
    page.click("main button[type=submit]")


if __name__ == "__main__":
    sys.exit(main())
