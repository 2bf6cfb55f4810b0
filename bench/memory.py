"""Memory of one worker after 10,000 requests, against the bare Flask app's worker.

Each app runs under gunicorn with one worker; its resident memory is read from
/proc after a warm-up and again after 10,000 requests (guide pages, the form,
probes), all on keep-alive connections.
"""

import http.client
import tempfile
import threading
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import gunicorn, rss_mb, worker_pids
from bench.setup import intake_env, migrate, sqlite_url

REQUESTS = 10_000
THREADS = 4
OURS = ["/", "/guide/about", "/guide/side-effects", "/callback", "/privacy", "/healthz"]


def hammer(base: str, paths: list[str], total: int) -> None:
    parts = urlsplit(base)

    def client(count: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        for number in range(count):
            connection.request("GET", paths[number % len(paths)])
            connection.getresponse().read()

    threads = [threading.Thread(target=client, args=(total // THREADS,)) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def measure(app_spec: str, env: dict, paths: list[str], ready: str) -> tuple[float, float]:
    # The worker must live through the run: gunicorn.conf.py recycles workers after
    # about 10,000 requests, which would hide any growth.
    env = {**env, "GUNICORN_CMD_ARGS": "--max-requests 0"}
    with gunicorn(app_spec, env, workers=1, ready_path=ready) as (url, process):
        hammer(url, paths, 200)
        (worker,) = worker_pids(process.pid)
        warm = rss_mb(worker)
        hammer(url, paths, REQUESTS)
        return warm, rss_mb(worker)


def run() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        env = intake_env(sqlite_url(Path(folder)))
        migrate(env)
        ours = measure("intake:create_app()", env, OURS, "/")
        page = Path(folder) / "page.html"
        with gunicorn("intake:create_app()", env, workers=1) as (url, _):
            page.write_bytes(urllib.request.urlopen(url + "/guide/about").read())  # noqa: S310
        bare = measure("bench.bare_app:create_app()", {"BENCH_PAGE": str(page)}, ["/page"], "/page")
    return {"ours": ours, "bare": bare}


def report(result: dict) -> str:
    (ours_warm, ours_after), (bare_warm, bare_after) = result["ours"], result["bare"]
    return "\n".join(
        [
            f"Memory of one gunicorn worker (resident, MB), {REQUESTS:,} requests:",
            "| | after warm-up | after 10,000 requests | growth |",
            "| --- | --- | --- | --- |",
            f"| Intake | {ours_warm:.1f} | {ours_after:.1f} | {ours_after - ours_warm:+.1f} |",
            f"| Bare Flask | {bare_warm:.1f} | {bare_after:.1f} | {bare_after - bare_warm:+.1f} |",
            f"Ratio after 10,000 requests: {ours_after / bare_after:.1f} times the bare worker.",
        ]
    )


if __name__ == "__main__":
    print(report(run()))
