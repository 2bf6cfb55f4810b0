"""Lighthouse (mobile settings) on the home page, a guide page and the callback form.

Serves the real app under gunicorn on a fresh SQLite database, runs Lighthouse with
Debian's Chromium for each page, and prints the four category scores as a table.
Usage: bench/lighthouse   (or: make lighthouse)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.browser.live_server import live_server

BENCH = Path(__file__).resolve().parent
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
PAGES = {
    "Home": "/",
    "Guide page": "/guide/side-effects",
    "Privacy notice": "/privacy",
    "Callback form": "/callback",
}
CATEGORIES = {
    "performance": "Performance",
    "accessibility": "Accessibility",
    "best-practices": "Best practices",
    "seo": "SEO",
}
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)


def audit(url: str, chrome: str, report: Path) -> dict[str, int]:
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        env={**os.environ, "CHROME_PATH": chrome},
        check=True,
    )
    categories = json.loads(report.read_text())["categories"]
    return {key: round(categories[key]["score"] * 100) for key in CATEGORIES}


def table(results: dict[str, dict[str, int]]) -> str:
    header = "| Page | " + " | ".join(CATEGORIES.values()) + " |"
    rule = "|" + " --- |" * (len(CATEGORIES) + 1)
    rows = [
        f"| {page} | " + " | ".join(str(scores[key]) for key in CATEGORIES) + " |"
        for page, scores in results.items()
    ]
    return "\n".join([header, rule, *rows])


def main() -> int:
    chrome = shutil.which("chromium")
    if chrome is None:
        print("Debian's Chromium is needed: apt-get install chromium", file=sys.stderr)
        return 1
    results = {}
    with tempfile.TemporaryDirectory() as folder, live_server(Path(folder)) as server:
        for number, (name, path) in enumerate(PAGES.items(), start=1):
            print(f"[{number}/{len(PAGES)}] Lighthouse on {name} ({path})…", flush=True)
            results[name] = audit(server.url + path, chrome, Path(folder) / f"{number}.json")
    print()
    print(table(results))
    perfect = all(score == 100 for scores in results.values() for score in scores.values())
    print("\nGoal: 100 in every category." + (" Met." if perfect else " Not met."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
