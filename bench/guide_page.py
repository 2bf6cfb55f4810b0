"""A guide page's throughput against a bare Flask app sending the same bytes.

Goal: at least 95% of the bare app's requests per second, both under gunicorn with
gunicorn.conf.py's settings, measured with wrk in the same run. The guide page is
answered from memory (intake.prepared_pages) after its first fetch.
"""

import tempfile
import urllib.request
from pathlib import Path

from bench.common import gunicorn, wrk
from bench.setup import intake_env, migrate, sqlite_url

GOAL = 0.95


def run(seconds: int = 10) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        env = intake_env(sqlite_url(Path(folder)))
        migrate(env)
        with gunicorn("intake:create_app()", env) as (url, _):
            body = urllib.request.urlopen(url + "/guide/side-effects").read()  # noqa: S310
            page = Path(folder) / "page.html"
            page.write_bytes(body)
            wrk(url + "/guide/side-effects", seconds=2)
            ours = wrk(url + "/guide/side-effects", seconds=seconds)
        bare_env = {"BENCH_PAGE": str(page)}
        with gunicorn("bench.bare_app:create_app()", bare_env, ready_path="/page") as (url, _):
            wrk(url + "/page", seconds=2)
            bare = wrk(url + "/page", seconds=seconds)
    ratio = ours["rps"] / bare["rps"]
    return {"ours": ours, "bare": bare, "ratio": ratio, "met": ratio >= GOAL, "bytes": len(body)}


def report(result: dict) -> str:
    ours, bare = result["ours"], result["bare"]
    return "\n".join(
        [
            f"Guide page ({result['bytes']} bytes), wrk 32 connections, 10 s:",
            "| | requests/s | p50 ms | p99 ms |",
            "| --- | --- | --- | --- |",
            f"| Intake | {ours['rps']:.0f} | {ours['p50']:.1f} | {ours['p99']:.1f} |",
            f"| Bare Flask | {bare['rps']:.0f} | {bare['p50']:.1f} | {bare['p99']:.1f} |",
            f"Throughput ratio: {result['ratio']:.2f} of the bare app (goal ≥ {GOAL:.2f}: "
            f"{'met' if result['met'] else 'missed'}).",
        ]
    )


if __name__ == "__main__":
    print(report(run()))
