"""The guide page through nginx's cache, beside nginx sending the same bytes from disk.

Goal: at least half the static file's requests per second. Both come from one nginx,
over HTTPS, with the shipped deploy/nginx files rewritten as the tests rewrite them
(tests/deploy_helpers.py) and a second server that sends the page's bytes as a file;
measured with wrk in the same run, in turns (this machine's load from other work
changes within seconds). The app alone (gunicorn with gunicorn.conf.py's settings, no
nginx) is measured too, for scale.
"""

import statistics
import tempfile
import urllib.request
from pathlib import Path

from bench.common import gunicorn, wrk
from bench.setup import intake_env, migrate, sqlite_url
from tests.browser.live_server import free_port
from tests.deploy_helpers import HOST, MISSING, nginx_in_front

GOAL = 0.5
PAGE = "/guide/side-effects"


def static_server(folder: Path, port: int, tls: Path) -> str:
    """A server in the same nginx, with the same TLS, sending `folder`'s files as they are."""
    return f"""
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {tls / "fullchain.pem"};
        ssl_certificate_key {tls / "privkey.pem"};
        root {folder};
        default_type "text/html; charset=utf-8";
    }}"""


def run(rounds: int = 5, seconds: int = 2) -> dict:
    if MISSING:
        raise SystemExit(MISSING)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        env = intake_env(sqlite_url(folder))
        migrate(env)
        with gunicorn("intake:create_app()", env) as (url, _):
            body = urllib.request.urlopen(url + PAGE).read()  # noqa: S310
            static = folder / "static"
            (static / PAGE.lstrip("/")).parent.mkdir(parents=True)
            (static / PAGE.lstrip("/")).write_bytes(body)
            static_port = free_port()
            extra = static_server(static, static_port, folder / "nginx" / "tls")
            with nginx_in_front(folder / "nginx", url, extra, workers="auto") as site:
                site.visitor("127.0.0.1").get(PAGE)  # the first fetch fills the cache
                kept = site.visitor("127.0.0.1").get(PAGE)
                assert kept.cache_status == "HIT", "nginx keeps the guide page"
                assert kept.body.encode() == body, "the same bytes as the file"
                targets = {
                    "cached": (f"https://127.0.0.1:{site.ports.https}{PAGE}", {"Host": HOST}),
                    "static": (f"https://127.0.0.1:{static_port}{PAGE}", {}),
                    "app": (url + PAGE, {}),
                }
                measured = taking_turns(targets, rounds, seconds)
    ratio = measured["cached"]["rps"] / measured["static"]["rps"]
    return {
        **measured,
        "ratio": ratio,
        "app_ratio": measured["app"]["rps"] / measured["static"]["rps"],
        "met": ratio >= GOAL,
        "bytes": len(body),
        "rounds": rounds,
        "seconds": seconds,
    }


def taking_turns(targets: dict[str, tuple[str, dict]], rounds: int, seconds: int) -> dict:
    """Each target measured `rounds` times in turn, after a warm-up, so that a change in
    what else the machine is doing falls on each alike; the median of each figure."""
    runs = {name: [] for name in targets}
    for url, headers in targets.values():
        wrk(url, seconds=2, headers=headers)
    for _ in range(rounds):
        for name, (url, headers) in targets.items():
            runs[name].append(wrk(url, seconds=seconds, headers=headers))
    return {
        name: {
            **{key: statistics.median(run[key] for run in done) for key in ("rps", "p50", "p99")},
            "errors": sum(run["errors"] for run in done),
        }
        for name, done in runs.items()
    }


def report(result: dict) -> str:
    rows = (
        ("Guide page through nginx's cache (HTTPS)", result["cached"]),
        ("The same bytes as a file, same nginx (HTTPS)", result["static"]),
        ("The app alone (gunicorn, plain HTTP)", result["app"]),
    )
    errors = sum(r["errors"] for _, r in rows)
    return "\n".join(
        [
            f"Guide page ({result['bytes']} bytes), wrk 32 connections, {result['rounds']} "
            f"rounds of {result['seconds']} s each in turn, medians:",
            "| | requests/s | p50 ms | p99 ms |",
            "| --- | --- | --- | --- |",
            *(f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} |" for name, r in rows),
            f"Through nginx's cache: {result['ratio']:.2f} of nginx's static file "
            f"(goal ≥ {GOAL:.2f}: {'met' if result['met'] else 'missed'}); "
            f"the app alone: {result['app_ratio']:.2f}; non-2xx answers: {errors}.",
        ]
    )


if __name__ == "__main__":
    print(report(run()))
