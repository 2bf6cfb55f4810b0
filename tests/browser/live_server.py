"""The real app under gunicorn on a free port, with a fresh SQLite database.

Used by the browser tests, bench/lighthouse and docs/screenshots.py.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
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
            env=self.env, cwd=ROOT, input=stdin, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return result.stdout

    def create_staff(self, email: str, name: str, role: str = "agent") -> None:
        self.flask(
            "staff", "create", "--email", email, "--name", name, "--role", role,
            "--password-stdin", stdin=STAFF_PASSWORD + "\n",
        )  # fmt: skip


@contextmanager
def live_server(folder: Path, workers: int = 2, **settings: str):
    """Migrate a new database (in `folder` unless DATABASE_URL is given), serve the app
    under gunicorn with `workers` workers, and stop it afterwards."""
    port = free_port()
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
    server = LiveServer(f"http://127.0.0.1:{port}", env)
    server.flask("db", "upgrade")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning", "intake:create_app()"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    server.process = process
    try:
        _wait_until_up(server.url, process)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop gently, then firmly: a busy machine must not fail the test at its end."""
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the app stopped while starting")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the app did not answer on {url} within {seconds} s")
