"""Callback submission at 32 concurrent clients on PostgreSQL.

Each client fetches the form, posts it and follows the redirect to the
confirmation. Goals: p99 of the post under 100 ms, no errors, and as many stored
requests as confirmations. Baseline: the bare Flask app, same journey, same gunicorn.
"""

import http.client
import re
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, func, select

from bench.common import gunicorn, percentile
from bench.setup import intake_env, migrate, postgres_schema, sqlalchemy_url
from intake.models import CallbackRequest

CLIENTS = 32
JOURNEYS_EACH = 20
GOAL_P99_MS = 100
HIDDEN = re.compile(r'name="(csrf_token|submission_token)"[^>]*value="([^"]*)"')


class Client:
    """One visitor on one keep-alive connection, keeping its cookie."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, body: dict | None = None):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, data, headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        if cookie := response.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, response.getheader("Location"), text


def journey(client: Client, form_path: str, answers: dict) -> tuple[float, bool]:
    """(milliseconds the post took, whether a confirmation came back)."""
    status, _, form = client.request("GET", form_path)
    hidden = dict(HIDDEN.findall(form))
    started = time.perf_counter()
    status, location, _ = client.request("POST", form_path, {**hidden, **answers})
    elapsed = (time.perf_counter() - started) * 1000
    if status != 303 or not location:
        return elapsed, False
    status, _, _ = client.request("GET", urlsplit(location).path)
    return elapsed, status == 200


def load(base: str, form_path: str, answers: dict) -> dict:
    timings, confirmations, errors = [], 0, 0
    lock = threading.Lock()

    def visitor() -> None:
        nonlocal confirmations, errors
        client = Client(base)
        for _ in range(JOURNEYS_EACH):
            elapsed, ok = journey(client, form_path, answers)
            with lock:
                timings.append(elapsed)
                confirmations += ok
                errors += not ok

    threads = [threading.Thread(target=visitor) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {
        "p50": percentile(timings, 0.50),
        "p99": percentile(timings, 0.99),
        "confirmations": confirmations,
        "errors": errors,
        "journeys_per_s": len(timings) / seconds,
    }


ANSWERS = {
    "name": "Bench",
    "phone": "07400 123456",
    "when": "asap",
    "for_whom": "me",
    "in_danger": "no",
    "consent": "y",
}


def run() -> dict:
    with postgres_schema() as database_url:
        env = intake_env(database_url)
        migrate(env)
        with gunicorn("intake:create_app()", env) as (url, _):
            load(url, "/callback", ANSWERS)  # warm up
            engine = create_engine(sqlalchemy_url(database_url))
            with engine.connect() as connection:
                before = connection.scalar(select(func.count()).select_from(CallbackRequest))
            ours = load(url, "/callback", ANSWERS)
            with engine.connect() as connection:
                after = connection.scalar(select(func.count()).select_from(CallbackRequest))
            engine.dispose()
        ours["stored"] = after - before
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "page.html"
        page.write_text('<input name="csrf_token" value="x">')
        env = {"BENCH_PAGE": str(page)}
        with gunicorn("bench.bare_app:create_app()", env, ready_path="/page") as (url, _):
            load(url, "/page", ANSWERS)
            bare = load(url, "/page", ANSWERS)
    return {"ours": ours, "bare": bare, "ratio": ours["p99"] / bare["p99"]}


def report(result: dict) -> str:
    ours, bare = result["ours"], result["bare"]
    met = (
        ours["p99"] < GOAL_P99_MS
        and ours["errors"] == 0
        and ours["stored"] == ours["confirmations"]
    )
    return "\n".join(
        [
            f"Callback submission, {CLIENTS} clients x {JOURNEYS_EACH} journeys, PostgreSQL:",
            "| | post p50 ms | post p99 ms | journeys/s | errors | confirmations | stored |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            f"| Intake | {ours['p50']:.1f} | {ours['p99']:.1f} | {ours['journeys_per_s']:.0f} | "
            f"{ours['errors']} | {ours['confirmations']} | {ours['stored']} |",
            f"| Bare Flask | {bare['p50']:.1f} | {bare['p99']:.1f} | "
            f"{bare['journeys_per_s']:.0f} | {bare['errors']} | — | — |",
            f"p99 ratio: {result['ratio']:.1f} times the bare app. Goal (p99 < {GOAL_P99_MS} ms, "
            f"no errors, stored = confirmations): {'met' if met else 'missed'}.",
        ]
    )


if __name__ == "__main__":
    print(report(run()))
