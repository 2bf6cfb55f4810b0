"""The supervisors' reports page on a big database: 1,000,000 requests (200,000 open),
each closed one with its call and its audit lines (taken, closed).

Goal: the page answers in under a second for the default period (the last 7 days)
and for a whole year. The ended days are kept first, as the outbox worker keeps them
(`flask --app intake reports summarise`, timed too); today is worked out on each
fetch. Each page is fetched one at a time, signed in as a supervisor, after one
warm-up; the baseline is the bare Flask app's fixed page fetched the same way under
the same gunicorn.
"""

import time
from datetime import timedelta

from bench.common import bare_app, gunicorn, percentile, signed_in
from bench.seed import seed
from bench.setup import (
    BOSS,
    BOSS_PASSWORD,
    enrolled_supervisor,
    intake_env,
    migrate,
    postgres_schema,
    run_flask,
)
from intake.domain.clock import utc_now
from tests.faults.http_visitor import HttpVisitor

GOAL_MS = 1000
FETCHES = 10


def timed_fetches(visitor: HttpVisitor, path: str) -> list[float]:
    visitor.get(path)  # warm up
    timings = []
    for _ in range(FETCHES):
        started = time.perf_counter()
        response = visitor.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
    return timings


def run() -> dict:
    today = utc_now().date()
    year = f"/staff/reports?start={today - timedelta(days=365)}&end={today}"
    with postgres_schema() as database_url:
        env = intake_env(database_url)
        migrate(env)
        seed(database_url, 1_000_000, 200_000, env["INTAKE_DATA_KEYS"], with_history=True)
        secret = enrolled_supervisor(database_url, env)
        summarised = summarise(env)
        with gunicorn("intake:create_app()", env) as (url, _):
            boss_browser = signed_in(url, BOSS, BOSS_PASSWORD, secret)
            week = timed_fetches(boss_browser, "/staff/reports")
            whole_year = timed_fetches(boss_browser, year)
    with bare_app() as url:
        bare = timed_fetches(HttpVisitor(url), "/page")
    return {"week": week, "year": whole_year, "bare": bare, "summarise_s": summarised}


def summarise(env: dict[str, str]) -> float:
    """Keep every ended day's figures, as the worker would have; how long it took (s)."""
    started = time.perf_counter()
    run_flask(env, "reports", "summarise", quiet=False)
    return time.perf_counter() - started


def report(result: dict) -> str:
    bare_p50 = percentile(result["bare"], 0.5)
    lines = [
        "Reports page on 1,000,000 requests with their calls and audit lines, PostgreSQL,",
        f"{FETCHES} fetches one at a time after a warm-up:",
        "| | p50 ms | slowest ms | times the bare page (p50) |",
        "| --- | --- | --- | --- |",
    ]
    met = True
    for name, key in (("Last 7 days (the default)", "week"), ("A whole year", "year")):
        timings = result[key]
        p50, slowest = percentile(timings, 0.5), max(timings)
        met = met and slowest < GOAL_MS
        lines.append(f"| {name} | {p50:.0f} | {slowest:.0f} | {p50 / bare_p50:.0f} |")
    lines.append(f"| Bare Flask fixed page | {bare_p50:.1f} | {max(result['bare']):.1f} | 1 |")
    lines.append(f"Goal (every fetch under {GOAL_MS} ms): {'met' if met else 'missed'}.")
    lines.append(
        f"Keeping the 120 ended days first (once; then the worker, a day at a time): "
        f"{result['summarise_s']:.0f} s."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
