"""Shared by the benchmarks: gunicorn servers started the same way, wrk, percentiles."""

import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pyotp

from tests.browser import live_server
from tests.faults.http_visitor import HttpVisitor

WORKERS = int(os.environ.get("BENCH_WORKERS", (os.cpu_count() or 1) * 2 + 1))


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], workers: int = WORKERS, ready_path: str = "/"):
    """Serve `app_spec` with gunicorn.conf.py's settings, but no access log lines (both
    sides of a comparison alike); yields (base URL, process)."""
    quiet = {**env, "GUNICORN_CMD_ARGS": "--access-logfile /dev/null"}
    with live_server.gunicorn(app_spec, quiet, workers, ready_path) as served:
        yield served


def wrk(url: str, seconds: int = 10, connections: int = 32, headers: dict | None = None) -> dict:
    """Requests per second and latency percentiles (ms) from wrk."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "errors": int(m.group(1))
        if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output))
        else 0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def worker_pids(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def signed_in(url: str, email: str, password: str, totp_secret: str) -> HttpVisitor:
    """A browser with a member signed in through the real pages."""
    browser = HttpVisitor(url)
    browser.post_form("/staff/sign-in", {"email": email, "password": password})
    browser.post_form("/staff/sign-in/code", {"code": pyotp.TOTP(totp_secret).now()})
    return browser


def staff_cookie_header(url: str, email: str, password: str, totp_secret: str) -> dict:
    """Sign a member in through the real pages; the Cookie header wrk should send."""
    browser = signed_in(url, email, password, totp_secret)
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in browser.cookies)}


@contextmanager
def bare_app():
    """The baseline server: the bare Flask app serving a fixed 20 KB page at /page."""
    with tempfile.TemporaryDirectory() as folder:
        fixed = Path(folder) / "page.html"
        fixed.write_bytes(b"x" * 20_000)
        with gunicorn(
            "bench.bare_app:create_app()", {"BENCH_PAGE": str(fixed)}, ready_path="/page"
        ) as (url, _):
            yield url


def bare_fixed_page(seconds: int = 10, connections: int = 8) -> dict:
    """The baseline: the bare Flask app's fixed 20 KB page, served and measured the same way."""
    with bare_app() as url:
        return wrk(url + "/page", seconds=seconds, connections=connections)
