"""The real app under gunicorn on a free port, with a fresh SQLite database.

Used by the browser tests, bench/lighthouse and docs/screenshots.py.
"""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from flask import Flask
from flask_migrate import upgrade

from intake import create_app
from intake.config import sqlalchemy_url
from intake.domain import staff_accounts
from intake.extensions import db

ROOT = Path(__file__).resolve().parents[2]
STAFF_PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    process: subprocess.Popen | None = None
    # The SQLite database as migration left it, for `start_afresh`.
    fresh_copy: Path | None = None

    def app(self) -> Flask:
        """The app in this process, on the server's database with its keys: for setting
        up what a test needs faster than a `flask` command could."""
        return create_app(
            {
                "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(self.env["DATABASE_URL"]),
                "SECRET_KEY": self.env["SECRET_KEY"],
                "INTAKE_DATA_KEYS": [self.env["INTAKE_DATA_KEYS"]],
                "INTAKE_PASSWORD_COSTS": self.env["INTAKE_PASSWORD_COSTS"],
            }
        )

    def migrate(self) -> None:
        app = self.app()
        with app.app_context():
            upgrade()
            db.engine.dispose()

    def start_afresh(self) -> None:
        """Put the server's SQLite database back as migration left it, while the server
        runs: SQLite's online backup writes it in place, under the workers' connections."""
        assert self.fresh_copy, "only a server on its own SQLite file starts afresh"
        fresh = closing(sqlite3.connect(self.fresh_copy))
        live = closing(sqlite3.connect(self.env["DATABASE_URL"].removeprefix("sqlite:///")))
        with fresh as source, live as destination:
            source.backup(destination)

    def create_staff(self, email: str, name: str, role: str = "agent") -> None:
        app = self.app()
        with app.app_context():
            staff_accounts.create_staff(
                db.session, email=email, name=name, role=role, password=STAFF_PASSWORD
            )
            db.engine.dispose()


@contextmanager
def live_server(folder: Path, workers: int = 2, **settings: str):
    """Migrate a new database (in `folder` unless DATABASE_URL is given), serve the app
    under gunicorn with `workers` workers, and stop it afterwards."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'intake.db'}",
        "SECRET_KEY": "browser-test-secret-key-long-enough-to-sign",
        "INTAKE_DATA_KEYS": Fernet.generate_key().decode(),
        "INTAKE_CALLBACK_RATE_LIMIT": "1000 per minute",
        "INTAKE_SIGN_IN_RATE_LIMIT": "1000 per minute",
        "INTAKE_PASSWORD_COSTS": "cheapest",
        "INTAKE_LEAVE_URL": "https://www.bbc.co.uk/weather",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"),
        **settings,
    }
    server = LiveServer("", env)
    server.migrate()
    if "DATABASE_URL" not in settings:
        server.fresh_copy = folder / "fresh.db"
        shutil.copy(folder / "intake.db", server.fresh_copy)
    with gunicorn("intake:create_app()", env, workers) as (url, process):
        server.url, server.process = url, process
        yield server


@contextmanager
def gunicorn(
    app_spec: str, env: dict[str, str], workers: int, ready_path: str = "/"
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Serve `app_spec` on a free port with gunicorn.conf.py's production settings (the
    number of workers aside); yields its base URL and process, and stops it after."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"),
        app_spec,
    ]
    # A session of its own: stopping it reaches the workers too, whatever the master does.
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + ready_path, process)
        yield url, process
    finally:
        stop(process)


def stop(process: subprocess.Popen, grace: float = 20) -> None:
    """Stop gently, then firmly, and never fail: a busy machine that is slow to stop
    the server must not fail the test that used it. SIGTERM lets gunicorn finish what
    its workers hold; it is sent again each second, because a worker still starting
    (one replacing a worker that died, say) has not yet set up its own handler and
    misses it. Whatever is left of the server's session after `grace` is killed."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _signal_session(process, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=1)
            break
    _signal_session(process, signal.SIGKILL)
    process.wait()


def _signal_session(process: subprocess.Popen, number: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, number)


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server stopped while starting")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")
