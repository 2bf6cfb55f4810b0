"""The dashboard on 50,000 requests (5,000 open): a signed-in supervisor's queue page.

Goal: a median under 50 ms (wrk, 8 connections, 10 s), against the bare Flask app's
fixed page measured the same way in the same run.
"""

from bench.common import bare_fixed_page, gunicorn, staff_cookie_header, wrk
from bench.seed import seed
from bench.setup import (
    BOSS,
    BOSS_PASSWORD,
    enrolled_supervisor,
    intake_env,
    migrate,
    postgres_schema,
)

REQUESTS, OPEN = 50_000, 5_000
GOAL_MEDIAN_MS = 50


def run() -> dict:
    with postgres_schema() as database_url:
        env = intake_env(database_url)
        migrate(env)
        print(f"Seeding {REQUESTS:,} requests ({OPEN:,} open)…", flush=True)
        seed(database_url, REQUESTS, OPEN, env["INTAKE_DATA_KEYS"])
        secret = enrolled_supervisor(database_url, env)
        print("Measuring the dashboard (10 s)…", flush=True)
        with gunicorn("intake:create_app()", env) as (url, _):
            headers = staff_cookie_header(url, BOSS, BOSS_PASSWORD, secret)
            wrk(url + "/staff/", seconds=3, connections=8, headers=headers)
            page = wrk(url + "/staff/", seconds=10, connections=8, headers=headers)
    print("Measuring the bare Flask baseline (10 s)…", flush=True)
    return {"page": page, "bare": bare_fixed_page()}


def row(name: str, figures: dict) -> str:
    return f"| {name} | {figures['rps']:.0f} | {figures['p50']:.1f} | {figures['p99']:.1f} |"


def report(result: dict) -> str:
    page, bare = result["page"], result["bare"]
    met = "met" if page["p50"] < GOAL_MEDIAN_MS else "missed"
    return "\n".join(
        [
            f"Dashboard on {REQUESTS:,} requests ({OPEN:,} open), PostgreSQL, "
            "wrk 8 connections, 10 s:",
            "| | requests/s | median ms | p99 ms |",
            "| --- | --- | --- | --- |",
            row("Dashboard (signed in)", page),
            row("Bare Flask fixed page", bare),
            f"Dashboard median: {page['p50']:.1f} ms, {page['p50'] / bare['p50']:.1f} times the "
            f"bare app (goal < {GOAL_MEDIAN_MS} ms: {met}); non-2xx answers: {page['errors']}.",
        ]
    )


if __name__ == "__main__":
    print(report(run()))
