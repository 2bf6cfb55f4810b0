"""Memory of the whole gunicorn server (master and workers) after 10,000 requests: the
collector frozen in the master before each fork, as shipped, against the two other
ways, and the bare Flask app as the baseline.

Each server runs with gunicorn.conf.py's settings and the benches' worker count; its
memory is read after a warm-up and again after 10,000 requests (guide pages, the form,
probes, every worker serving), as PSS (proportional set size, /proc/<pid>/smaps_rollup):
a page shared by six processes counts a sixth to each, so the sum over the master and
its workers is what the server really holds. Resident size (RSS) counts a shared page
in full in every process that maps it, and so cannot show what the workers share.

The three ways (gunicorn.conf.py's comment says why the first):
- as shipped: the collector off in the master, everything frozen just before each
  fork, on again in each worker;
- INTAKE_GC_FREEZE=off: the collector as Python leaves it. Nothing is copied until a
  worker's first full collection, which walks every object it inherited; when that
  comes depends on what the worker allocates (none came in these requests);
- each worker collects, then freezes, after the fork: how gunicorn.conf.py did it until
  issue 30 (its former `post_worker_init`, added here to the file with the freeze off),
  and what a worker's first full collection does in the second way.
"""

import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import WORKERS, worker_pids
from bench.setup import intake_env, migrate, sqlite_url
from tests.browser.live_server import ROOT, free_port, stop

REQUESTS = 10_000
THREADS = 4
OURS = ["/", "/guide/about", "/guide/side-effects", "/callback", "/privacy", "/healthz"]
SHIPPED = ROOT / "gunicorn.conf.py"
# gunicorn.conf.py with the freeze off and the hook it had before issue 30.
COLLECT_IN_EACH_WORKER = f"""
import gc
import os
import runpy

os.environ["INTAKE_GC_FREEZE"] = "off"
globals().update(runpy.run_path({str(SHIPPED)!r}))


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
"""


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


@contextmanager
def gunicorn(config: Path, app_spec: str, env: dict[str, str], workers: int, ready: str):
    """Serve `app_spec` with the settings in `config`, no access log, and no worker
    recycled (gunicorn.conf.py recycles one after about 10,000 requests, which would
    hide any growth); yields (base URL, master's process)."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "-c", str(config), "--bind", f"127.0.0.1:{port}"),
        *("--workers", str(workers), "--log-level", "warning", "--max-requests", "0"),
        *("--access-logfile", "/dev/null", app_spec),
    ]
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + ready, timeout=2):  # noqa: S310
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer at {url}") from None
                time.sleep(0.2)
        yield url, process
    finally:
        stop(process)


def smaps_mb(pid: int, field: str) -> float:
    """One total of /proc/<pid>/smaps_rollup (Pss, Rss...), in MB."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in smaps_rollup")


@dataclass
class Server:
    """The memory of a master and its workers at one moment, in MB."""

    master_pss: float
    workers_pss: list[float]
    rss: float  # master and workers, each counted whole

    @classmethod
    def read(cls, master: int) -> "Server":
        workers = worker_pids(master)
        return cls(
            master_pss=smaps_mb(master, "Pss"),
            workers_pss=[smaps_mb(pid, "Pss") for pid in workers],
            rss=sum(smaps_mb(pid, "Rss") for pid in [master, *workers]),
        )

    @property
    def pss(self) -> float:
        return self.master_pss + sum(self.workers_pss)


def measure(config: Path, app_spec: str, env: dict, paths: list[str], ready: str):
    with gunicorn(config, app_spec, env, WORKERS, ready) as (url, process):
        hammer(url, paths, 40 * WORKERS)
        warm = Server.read(process.pid)
        hammer(url, paths, REQUESTS)
        return warm, Server.read(process.pid)


def run() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        env = intake_env(sqlite_url(Path(folder)))
        migrate(env)
        former = Path(folder) / "collect_in_each_worker.conf.py"
        former.write_text(COLLECT_IN_EACH_WORKER)
        intake = "intake:create_app()"
        result = {
            "shipped": measure(SHIPPED, intake, env, OURS, "/"),
            "off": measure(SHIPPED, intake, {**env, "INTAKE_GC_FREEZE": "off"}, OURS, "/"),
            "former": measure(former, intake, env, OURS, "/"),
        }
        page = Path(folder) / "page.html"
        with gunicorn(SHIPPED, intake, env, 1, "/") as (url, _):
            page.write_bytes(urllib.request.urlopen(url + "/guide/about").read())  # noqa: S310
        bare = {"BENCH_PAGE": str(page)}
        result["bare"] = measure(SHIPPED, "bench.bare_app:create_app()", bare, ["/page"], "/page")
    return result


ROWS = {
    "shipped": "Intake, frozen in the master before each fork (as shipped)",
    "off": "Intake, collector as Python leaves it (INTAKE_GC_FREEZE=off)",
    "former": "Intake, each worker collects then freezes after the fork (before)",
    "bare": "Bare Flask, as shipped",
}


def report(result: dict) -> str:
    lines = [
        f"Memory of gunicorn, master and {WORKERS} workers (PSS, MB), {REQUESTS:,} requests:",
        "| | total after warm-up | total after 10,000 requests | master | each worker "
        "| RSS summed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key, name in ROWS.items():
        warm, after = result[key]
        workers = after.workers_pss
        lines.append(
            f"| {name} | {warm.pss:.1f} | {after.pss:.1f} | {after.master_pss:.1f} "
            f"| {min(workers):.1f} to {max(workers):.1f} | {after.rss:.1f} |"
        )
    shipped, off, former, bare = (result[key][1].pss for key in ROWS)
    lines += [
        f"As shipped: {shipped / former:.2f} of the memory with each worker collecting after "
        f"the fork ({former - shipped:.1f} MB less), {shipped / off:.2f} of the collector "
        f"left alone; {shipped / bare:.1f} times the bare app's server.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
