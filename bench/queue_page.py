"""The queue on a big database: 1,000,000 requests, 200,000 of them open.

Goals: the queue page's p99 under 150 ms (wrk, a signed-in supervisor) and
take-next under 20 ms, thanks to the right indexes; the query plans are printed.
Baseline: the bare Flask app's fixed page, served and measured the same way.
"""

import time
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.common import bare_fixed_page, gunicorn, percentile, staff_cookie_header, wrk
from bench.seed import seed
from bench.setup import (
    BOSS,
    BOSS_PASSWORD,
    bench_app,
    enrolled_supervisor,
    intake_env,
    migrate,
    postgres_schema,
)
from intake.domain import queue
from intake.domain.clock import utc_now
from intake.extensions import db
from intake.models import StaffMember

GOAL_PAGE_P99_MS = 150
GOAL_TAKE_MS = 20
TAKES = 300


def explain(session: Session, statement) -> str:
    compiled = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    rows = session.connection().exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + str(compiled), compiled.params
    )
    return "\n".join(row[0] for row in rows)


def plans(session: Session, staff_id: int) -> dict[str, str]:
    page = queue.page_query(queue.QueueFilter(), staff_id, utc_now(), None, queue.PAGE_SIZE + 1)
    take = queue.next_candidate(datetime.now(UTC), "postgresql")
    return {
        "Queue page (first 50 in order)": explain(session, page),
        "Take next (candidate row)": explain(session, take),
    }


def run() -> dict:
    with postgres_schema() as database_url:
        env = intake_env(database_url)
        migrate(env)
        seed(database_url, 1_000_000, 200_000, env["INTAKE_DATA_KEYS"])
        secret = enrolled_supervisor(database_url, env)
        app = bench_app(database_url, env)
        with app.app_context():
            boss = db.session.scalar(select(StaffMember).where(StaffMember.email == BOSS))
            query_plans = plans(db.session, boss.id)
            takes = []
            for _ in range(TAKES):
                started = time.perf_counter()
                queue.take_next(db.session, boss)
                takes.append((time.perf_counter() - started) * 1000)
            db.engine.dispose()
        with gunicorn("intake:create_app()", env) as (url, _):
            headers = staff_cookie_header(url, BOSS, BOSS_PASSWORD, secret)
            wrk(url + "/staff/", seconds=3, connections=8, headers=headers)
            page = wrk(url + "/staff/", seconds=10, connections=8, headers=headers)
    bare = bare_fixed_page()
    return {
        "page": page,
        "bare": bare,
        "plans": query_plans,
        "take_p50": percentile(takes, 0.5),
        "take_p99": percentile(takes, 0.99),
    }


def verdict(met: bool) -> str:
    return "met" if met else "missed"


def report(result: dict) -> str:
    page, bare = result["page"], result["bare"]
    lines = [
        "Queue on 1,000,000 requests (200,000 open), PostgreSQL, wrk 8 connections, 10 s:",
        "| | requests/s | p50 ms | p99 ms |",
        "| --- | --- | --- | --- |",
        f"| Queue page (signed in) | {page['rps']:.0f} | {page['p50']:.1f} | {page['p99']:.1f} |",
        f"| Bare Flask fixed page | {bare['rps']:.0f} | {bare['p50']:.1f} | {bare['p99']:.1f} |",
        f"Queue page p99: {page['p99']:.1f} ms, {page['p99'] / bare['p99']:.1f} times the bare "
        f"app (goal < {GOAL_PAGE_P99_MS} ms: {verdict(page['p99'] < GOAL_PAGE_P99_MS)}).",
        f"Take next, {TAKES} in a row: p50 {result['take_p50']:.1f} ms, "
        f"p99 {result['take_p99']:.1f} ms "
        f"(goal < {GOAL_TAKE_MS} ms: {verdict(result['take_p99'] < GOAL_TAKE_MS)}).",
    ]
    for name, plan in result["plans"].items():
        lines += ["", f"{name}:", "```", plan, "```"]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
