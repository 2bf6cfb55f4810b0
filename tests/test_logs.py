"""Every log line is one JSON object: gunicorn's master and workers (error and access
logs), the app, the outbox worker and the other commands. No line carries a client
address, a query string, a password or a raw control byte, and a readiness probe
writes none.

The real app runs under gunicorn with gunicorn.conf.py at its production log level;
what it wrote to stdout and stderr is read once it has stopped.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import IntegrityError, OperationalError

from intake.errors import database_problem
from tests.browser.live_server import ROOT, LiveServer, _wait_until_up, free_port, stop
from tests.conftest import POSTGRES_URL
from tests.faults.http_visitor import HttpVisitor

# A path that would close the JSON string, start a new line with an object of its own
# and write a NUL, if the access line were a printf template.
HOSTILE_PATH = "/nope%22,%22status%22:200%0A{%22forged%22:%22line%00%22}"
PRIVATE_QUERY = "from=a-private-query"
PASSWORD = "Tr0ub4dor-never-in-a-log"
ACCESS_FIELDS = {"time", "level", "logger", "method", "path", "status", "bytes", "ms"}


@dataclass
class Output:
    """What a process wrote to stdout and stderr."""

    stdout: bytes = b""
    stderr: bytes = b""

    @property
    def raw(self) -> bytes:
        return self.stdout + self.stderr

    def lines(self, stream: str = "both") -> list[dict]:
        """Each line parsed as JSON: fails on the first that is not one object."""
        written = {"stdout": self.stdout, "stderr": self.stderr}.get(stream, self.raw)
        parsed = []
        for line in written.decode().splitlines():
            entry = json.loads(line)
            assert isinstance(entry, dict), line
            parsed.append(entry)
        return parsed

    def messages(self) -> list[str]:
        return [line.get("message", "") for line in self.lines()]


def server_settings(folder: Path, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'intake.db'}",
        "SECRET_KEY": "log-test-secret-key-long-enough-to-sign",
        "INTAKE_DATA_KEYS": Fernet.generate_key().decode(),
        "INTAKE_PASSWORD_COSTS": "cheapest",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"),
        **settings,
    }


@contextmanager
def gunicorn_logging_to_files(
    folder: Path, *options: str, **settings: str
) -> Iterator[tuple[str, subprocess.Popen, Output]]:
    """The app under gunicorn (gunicorn.conf.py, its log level as in production) on a
    database migrated in `folder` unless DATABASE_URL is given; yields its URL, its
    process, and its Output, read once it has stopped."""
    env = server_settings(folder, **settings)
    if "DATABASE_URL" not in settings:
        LiveServer("", env).migrate()
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")),
        *("--bind", f"127.0.0.1:{port}", "--workers", "2", *options),
    ]
    output = Output()
    out_path, err_path = folder / "stdout.log", folder / "stderr.log"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=err, start_new_session=True
        )
        try:
            _wait_until_up(f"http://127.0.0.1:{port}/", process)
            yield f"http://127.0.0.1:{port}", process, output
        finally:
            stop(process)
    output.stdout, output.stderr = out_path.read_bytes(), err_path.read_bytes()


def send_raw(url: str, request: bytes) -> None:
    """Bytes no HTTP client would send, on a connection of their own."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        connection.recv(1024)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Output:
    """One server's whole output: a page with a query string, a hostile path, three
    readiness probes and a request gunicorn refuses (a NUL in its method)."""
    folder = tmp_path_factory.mktemp("served")
    with gunicorn_logging_to_files(folder) as (url, _, output):
        visitor = HttpVisitor(url, timeout=60)
        assert visitor.get(f"/guide/about?{PRIVATE_QUERY}").status == 200
        assert visitor.get(HOSTILE_PATH).status == 404
        assert [visitor.get("/readyz").status for _ in range(3)] == [200, 200, 200]
        send_raw(url, b"GE\x00T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return output


def test_every_line_gunicorn_and_the_app_write_is_one_json_object(served):
    lines = served.lines()
    messages = served.messages()
    assert any(message.startswith("Starting gunicorn") for message in messages)
    assert sum(message.startswith("Booting worker") for message in messages) >= 2
    assert any(line["logger"] == "gunicorn.access" for line in lines)
    assert all({"time", "level", "logger"} <= line.keys() for line in lines)


def test_no_raw_nul_byte_is_written_anywhere(served):
    assert b"\x00" not in served.raw
    refused = [message for message in served.messages() if "Invalid request" in message]
    assert len(refused) == 1 and "ip=[address]" in refused[0]


def test_a_hostile_path_is_one_access_line_with_its_quotes_breaks_and_nul_escaped(served):
    hostile = unquote(HOSTILE_PATH)
    assert '"' in hostile and "\n" in hostile and "\x00" in hostile
    written = [line for line in served.stdout.decode().splitlines() if "/nope" in line]
    assert len(written) == 1
    assert '\\"status\\":200\\n{\\"forged\\":\\"line\\u0000\\"}' in written[0]
    entry = json.loads(written[0])
    assert entry["path"] == hostile
    assert entry["status"] == 404
    assert not [line for line in served.lines() if "forged" in line]


def test_access_lines_keep_their_fields_without_a_query_string_or_client_address(served):
    access = [line for line in served.lines("stdout") if line["logger"] == "gunicorn.access"]
    guide = next(line for line in access if line["path"] == "/guide/about")
    assert guide.keys() >= ACCESS_FIELDS
    assert (guide["method"], guide["status"]) == ("GET", 200)
    assert isinstance(guide["bytes"], int) and isinstance(guide["ms"], int)
    assert len(guide["request_id"]) == 32
    assert b"a-private-query" not in served.raw
    # The one address written is the one gunicorn listens at, in its first lines.
    mentioned = [message for message in served.messages() if "127.0.0.1" in message]
    assert [message.split(":", 1)[0] for message in mentioned] == ["Listening at"]
    assert all("127.0.0.1" not in json.dumps(line) for line in access)


def test_readiness_probes_write_no_alembic_lines(served):
    probes = [line for line in served.lines() if line.get("path") == "/readyz"]
    assert len(probes) == 3
    assert not [line for line in served.lines() if line["logger"].startswith("alembic")]


def worker_pids(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def wait_for(seconds: float, ready) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, f"not done within {seconds} s"
        time.sleep(0.2)


def test_a_worker_timeout_and_its_replacement_are_json_lines(tmp_path):
    with gunicorn_logging_to_files(tmp_path, "--timeout", "5") as (_, process, output):
        os.kill(worker_pids(process.pid)[0], signal.SIGSTOP)  # it stops telling the master
        booted = (tmp_path / "stderr.log").read_bytes

        def replaced() -> bool:
            return b"Booting worker" in booted().partition(b"WORKER TIMEOUT")[2]

        wait_for(180, replaced)
    messages = output.messages()
    assert any(message.startswith("WORKER TIMEOUT (pid:") for message in messages)
    assert any("was sent SIGKILL" in message for message in messages)


# Database errors: where and why, never the password


def closed_port() -> int:
    """A port nothing listens on (as good as: nothing took it since it was free)."""
    return free_port()


def test_a_database_refusing_connections_is_logged_with_host_and_reason_not_the_password(
    tmp_path,
):
    port = closed_port()
    database = f"postgresql://intake_app:{PASSWORD}@127.0.0.1:{port}/intake"
    with gunicorn_logging_to_files(tmp_path, DATABASE_URL=database) as (url, _, output):
        visitor = HttpVisitor(url, timeout=60)
        assert visitor.ask_for_callback("Ada").status == 503
        assert visitor.get("/readyz").status == 503
    assert PASSWORD.encode() not in output.raw
    errors = [line for line in output.lines() if line["level"] == "ERROR"]
    assert [line["message"] for line in errors] == [
        f"database unavailable: connection refused (127.0.0.1:{port})"
    ]
    assert errors[0]["logger"] == "intake.errors" and len(errors[0]["request_id"]) == 32


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set INTAKE_TEST_DATABASE_URL")
def test_a_wrong_database_user_is_logged_by_name_with_the_host_not_the_password(tmp_path):
    real = make_url(POSTGRES_URL)
    wrong = real.set(username="intake_nobody", password=PASSWORD)
    database = wrong.render_as_string(hide_password=False)
    with gunicorn_logging_to_files(tmp_path, DATABASE_URL=database) as (url, _, output):
        assert HttpVisitor(url, timeout=60).ask_for_callback("Ada").status == 503
    assert PASSWORD.encode() not in output.raw
    [error] = [line["message"] for line in output.lines() if line["level"] == "ERROR"]
    # 'role "intake_nobody" does not exist', or with passwords checked first,
    # 'password authentication failed for user "intake_nobody"'
    assert error.startswith("database unavailable: ") and '"intake_nobody"' in error
    assert error.endswith(f" ({real.host}:{real.port or 5432})")


@pytest.mark.parametrize(
    "said",
    [
        f'connection to server at "db", port 5432 failed: postgresql://u:{PASSWORD}@db/x',
        f"could not connect: password={PASSWORD} host=db",
        f"the driver quoted it whole: {PASSWORD}",
    ],
)
def test_a_database_error_that_quotes_a_password_is_logged_without_it(said):
    url = make_url(f"postgresql+psycopg://intake_app:{PASSWORD}@db:5432/intake")
    error = OperationalError("SELECT 1", {}, Exception(said))
    described = database_problem(error, url)
    assert PASSWORD not in described
    assert "db" in described


def test_errors_that_may_quote_values_are_logged_by_kind_and_place_alone(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}", hide_parameters=True)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE people (email TEXT UNIQUE)"))
        connection.execute(text("INSERT INTO people VALUES ('ada@example.org')"))
    with pytest.raises(IntegrityError) as refused, engine.begin() as connection:
        connection.execute(text("INSERT INTO people VALUES ('ada@example.org')"))
    engine.dispose()
    assert database_problem(refused.value, engine.url) == f"IntegrityError ({tmp_path / 'x.db'})"


# Commands: the outbox worker, cron's tasks, migrations


def flask_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flask", "--app", "intake", *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, timeout=300)


def test_a_migration_logs_each_step_it_takes_as_a_json_line(tmp_path):
    ran = flask_command("db", "upgrade", env=server_settings(tmp_path))
    assert ran.returncode == 0, ran.stderr
    messages = Output(ran.stdout, ran.stderr).messages()
    assert any(message.startswith("Running upgrade  -> ") for message in messages)


def test_the_outbox_worker_logs_json_lines_without_the_database_password(tmp_path):
    database = f"postgresql://intake_app:{PASSWORD}@127.0.0.1:{closed_port()}/intake"
    settings = server_settings(tmp_path, DATABASE_URL=database)
    ran = flask_command("outbox", "run", "--once", env=settings)
    assert ran.returncode != 0
    assert Output(stderr=ran.stderr).lines("stderr"), "the failure was logged"
    assert PASSWORD.encode() not in ran.stdout + ran.stderr


def test_a_command_the_database_stops_says_where_and_why_in_one_json_line(tmp_path):
    port = closed_port()
    database = f"postgresql://intake_app:{PASSWORD}@127.0.0.1:{port}/intake"
    ran = flask_command("staff", "list", env=server_settings(tmp_path, DATABASE_URL=database))
    assert ran.returncode == 1
    [line] = Output(stderr=ran.stderr).lines("stderr")
    assert line["logger"] == "intake.cli"
    assert line["message"].startswith(
        f"the command failed: OperationalError: connection refused (127.0.0.1:{port}), "
        "at intake/cli.py:"
    )
    assert PASSWORD.encode() not in ran.stdout + ran.stderr
