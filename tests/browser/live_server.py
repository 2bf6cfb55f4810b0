"""The real app under gunicorn on a free port, with a fresh SQLite database.

Used by the browser tests, bench/lighthouse and docs/screenshots.py.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

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

    def flask(self, *args: str, stdin: str | None = None) -> str:
        """Run a `flask --app intake` command against this server's database."""
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "intake", *args],
            env=self.env,
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def create_staff(self, email: str, name: str, role: str = "agent") -> None:
        self.flask(
            "staff",
            "create",
            "--email",
            email,
            "--name",
            name,
            "--role",
            role,
            "--password-stdin",
            stdin=STAFF_PASSWORD + "\n",
        )


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
        "INTAKE_LEAVE_URL": "https://www.bbc.co.uk/weather",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"),
        **settings,
    }
    server = LiveServer("", env)
    server.flask("db", "upgrade")
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
    its workers hold; whatever is left of its session after `grace` is killed."""
    _signal_session(process, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
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
