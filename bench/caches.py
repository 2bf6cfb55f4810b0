"""What each of our caches saves: the work it stands in for, against a hit, in one process.

Every cache is declared in intake/caching.py's way; this bench times, for each, the
work done on a miss and the cost of a hit, and sets both beside a baseline measured in
the same run: one request to a bare Flask app's fixed page through its test client.
The figures each declaration's `earns` cites come from here (bench/RESULTS.md).

Run: .venv/bin/python -m bench.caches
"""

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from bench.setup import intake_env, migrate, sqlite_url
from intake import create_app
from intake.caching import DECLARED
from intake.config import sqlalchemy_url
from tests.factories import submit_request

ROUNDS = 200


def each_call_ms(work: Callable[[], object], rounds: int = ROUNDS) -> float:
    """The median of `rounds` timed calls, in milliseconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2] * 1000


def bare_request_ms() -> float:
    bare = Flask("bare")
    bare.add_url_rule("/page", "page", lambda: "<p>fixed</p>")
    client = bare.test_client()
    return each_call_ms(lambda: client.get("/page"), rounds=2000)


def measurements(app: Flask) -> dict[str, tuple[Callable, Callable]]:
    """For each cache, by its declared name: (the work of a miss, a hit)."""
    from intake import ops, pages
    from intake.app_state import app_state
    from intake.domain import estimate
    from intake.domain.crypto import Vault
    from intake.extensions import db
    from intake.public import form_page
    from intake.public import views as public_views
    from intake.staff.presenters import ROW_ANSWERS, row_answers, shown_answers

    now = datetime.now(UTC)
    content = sorted((Path(pages.__file__).parent / "content" / "guide").glob("*.md"))[0]
    values = {"country_code": "GB"}
    migrations = Path(app.extensions["migrate"].directory)
    stamp = (migrations / "versions").stat().st_mtime_ns
    static = sorted(Path(app.static_folder or "static").glob("*.css"))
    css = static[0] if static else Path("static/intake.css")
    vault: Vault = app_state(app).service.vault
    request = submit_request(db.session, vault)
    sealed = request.personal_data
    kept_answers = app_state(app).store(ROW_ANSWERS)
    target = app_state(app).service.policy.target
    shared = public_views.shared_blank_form("", now)
    tokens = {"csrf": "a" * 40, "submission": "b" * 40}
    env = app.jinja_env
    source = env.loader.get_source(env, "public/guide_page.html")[0]

    from intake import assets as assets_module

    return {
        "assets.compressed": (
            lambda: assets_module._compressed.__wrapped__(css, css.stat().st_mtime_ns),
            lambda: assets_module._compressed(css, css.stat().st_mtime_ns),
        ),
        "pages.rendered": (
            lambda: pages._rendered.__wrapped__(content, 0, tuple(values.items()), None),
            lambda: pages._rendered(content, 0, tuple(values.items()), None),
        ),
        "ops.newest_revision": (
            lambda: ops._newest_revision.__wrapped__(migrations, stamp),
            lambda: ops._newest_revision(migrations, stamp),
        ),
        "templating.compiled": (
            lambda: env.compile(source, "public/guide_page.html"),
            lambda: env.get_template("public/guide_page.html"),
        ),
        "public.asap_estimate": (
            lambda: estimate.asap_minutes(db.session, now, target),
            lambda: public_views.asap_minutes(now),
        ),
        "public.blank_form_pages": (
            lambda: form_page.with_tokens(public_views.shared_blank_form("", now), tokens),
            lambda: form_page.with_tokens(shared, tokens),
        ),
        "staff.row_answers": (
            lambda: row_answers(vault.open(sealed)),
            lambda: shown_answers(request, vault, kept_answers),
        ),
    }


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="intake-bench-caches-"))
    env = intake_env(sqlite_url(folder / "intake.db"))
    migrate(env)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(env["DATABASE_URL"]),
            "SECRET_KEY": env["SECRET_KEY"],
            "INTAKE_DATA_KEYS": [env["INTAKE_DATA_KEYS"]],
        }
    )
    baseline = bare_request_ms()
    print(f"Baseline: one request to a bare Flask page, {baseline:.3f} ms", file=sys.stderr)
    print("| Cache | Miss: the work, ms | Hit, ms | Miss in bare requests | Hit in bare requests |")
    print("| --- | --- | --- | --- | --- |")
    with app.test_request_context("/callback"):
        timed = measurements(app)
        for number, (name, (miss, hit)) in enumerate(timed.items(), start=1):
            print(f"  [{number}/{len(timed)}] {name}", file=sys.stderr)
            hit()  # filled once, then every call is a hit
            miss_ms, hit_ms = each_call_ms(miss, rounds=20), each_call_ms(hit)
            print(
                f"| {name} | {miss_ms:.3f} | {hit_ms:.4f} | "
                f"{miss_ms / baseline:.1f} | {hit_ms / baseline:.2f} |"
            )
    undeclared = set(timed) ^ {name for name in DECLARED if not name.startswith("test.")}
    if undeclared:
        print(f"Not measured here, or measured but not declared: {sorted(undeclared)}")


if __name__ == "__main__":
    main()
