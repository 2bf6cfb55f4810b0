#!/usr/bin/env python3
"""A rehearsal of docs/deploy.md: the production steps, in the documented order, with
the commands the guide gives, on PostgreSQL roles and databases of the run's own and a
Redis database of its own; everything it made is dropped at the end.

    deploy/rehearse.py                 # the superuser in INTAKE_TEST_DATABASE_URL, Redis db 14
    deploy/rehearse.py --superuser-url postgresql://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/14 --keep

What it runs comes from the guide and deploy/ themselves: each fenced block marked
`<!-- rehearse: NAME -->` on the line above it, the commands named in steps 3, 4 and 8
of "One host, step by step" (the settings' check, `systemctl`), every line of the Cron
block, and the unit files for what `systemctl` would start. Only these changes are made
to them, and a run prints them first:

- Run.substitutions: this checkout for /srv/intake, a folder of the run's own for
  /etc/intake/intake.env and /backups, names of the run's own for the roles and
  databases, TCP to the test server for the local socket.
- `sudo` runs as ourselves; `sudo -u USER` connects to PostgreSQL as that role (trust
  over TCP stands in for peer authentication); so does a cron line's user.
- `systemctl` starts, stops and restarts a unit's own processes directly (its
  EnvironmentFile, Environment, WorkingDirectory, ExecStartPre and ExecStart; Type=notify
  waits for READY=1; a unit enabled with RequiredBy= and Before= runs first), and
  `systemd-run` is run the same way.
- `git` commands are not run: this checkout stands in for every release.
- deploy/intake-task and deploy/grants.sql are run from copies with the same
  substitutions (and intake-task without `runuser -u intake --`: no such user here).

The settings are deploy/intake.env.example's, with secrets, addresses and ports of the
run's own in place of the template's (settings_for_the_run), in a file that
`deploy/intake-task --check` accepts, so that systemd and sh read it alike.
Needs the test requirements (aiosmtpd), psql, pg_dump and pg_restore, a PostgreSQL
superuser that the run's roles may reach over TCP without a password, and Redis.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "deploy.md"
DEPLOY = ROOT / "deploy"
ENV_TEMPLATE = DEPLOY / "intake.env.example"
VENV = ROOT / ".venv"

# Generous: a busy machine is slow, never wrong. Nothing waits on a fixed sleep.
READY_SECONDS = 300
EMAIL_SECONDS = 300
# What a shell started by systemd or cron has: nothing of the caller's environment.
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

VISITOR_NAME = "Robin Rehearsal"
VISITOR_EMAIL = "robin@rehearsal.example"
REFERENCE = re.compile(r'class="panel__reference">([^<]+)<')
MARKER = re.compile(r"^\s*<!-- rehearse: (?P<name>[\w./-]+) -->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<info>\S*)")
SUDO = re.compile(r"(?<![\w/-])sudo(?:\s+-u\s+(?P<user>\S+))?\s+")
HEREDOC = re.compile(r"<<-?\s*['\"]?(?P<word>\w+)['\"]?")
TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
# Every marked block of the guide, and where the rehearsal runs it.
BLOCKS_RUN = {
    "roles-and-database": "step 2",
    "grants": "step 2, after the first migration (step 4)",
    "deploy/grants.sql": "the file the grants block runs: compared with deploy/grants.sql",
    "first-supervisor": "step 9",
    "cron": "step 10",
    "restore": "twice: the backup, then the backup made before the key rotation",
    "restore-older-than-rotation": "after restoring the backup made before the rotation",
    "rotate-keys": "the key rotation",
    "upgrade": "an upgrade",
    "roll-back": "a rollback by downgrading",
    "retire-key": "INTAKE_BACKUP_DAYS after the rotation",
}
# What deploy/intake-task does that cannot be done here, and what is done instead.
INTAKE_TASK_CHANGES = (("runuser -u intake -- ", "", "run as ourselves: no user `intake` here"),)


class RehearsalError(RuntimeError):
    """A documented step failed, or the guide no longer says what the rehearsal needs."""


# --- The guide -----------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    name: str
    language: str
    text: str
    line: int  # of the marker, in docs/deploy.md

    @property
    def where(self) -> str:
        return f"docs/deploy.md:{self.line}"


def marked_blocks(guide: str) -> dict[str, Block]:
    """Every fenced block with `<!-- rehearse: NAME -->` on the line above it."""
    lines = guide.splitlines()
    blocks: dict[str, Block] = {}
    for number, line in enumerate(lines):
        marker = MARKER.match(line)
        if not marker:
            continue
        fence = FENCE.match(lines[number + 1]) if number + 1 < len(lines) else None
        if not fence:
            raise RehearsalError(f"docs/deploy.md:{number + 1}: no fenced block under the marker")
        indent, body = fence["indent"], []
        for inner in lines[number + 2 :]:
            if inner.strip() == fence["fence"]:
                break
            body.append(inner[len(indent) :] if inner.startswith(indent) else inner.strip())
        else:
            raise RehearsalError(f"docs/deploy.md:{number + 2}: the fenced block is not closed")
        name = marker["name"]
        if name in blocks:
            raise RehearsalError(f"docs/deploy.md:{number + 1}: a second block named {name}")
        blocks[name] = Block(name, fence["info"], "\n".join(body) + "\n", number + 1)
    return blocks


def step_text(guide: str, number: int) -> str:
    """Step `number` of "One host, step by step", as written."""
    section = guide.split("## One host, step by step", 1)[1].split("\n## ", 1)[0]
    items = re.split(r"^(?=\d+\. )", section, flags=re.MULTILINE)
    for item in items:
        if item.startswith(f"{number}. "):
            return item
    raise RehearsalError(f'"One host, step by step" has no step {number}')


def step_command(guide: str, number: int, words: str) -> str:
    """The first command (a code span) of step `number` that holds `words`."""
    for span in re.findall(r"`([^`]+)`", step_text(guide, number)):
        if words in span:
            return span
    raise RehearsalError(f"step {number} names no `{words}` command: the rehearsal needs one")


def commands(text: str) -> list[str]:
    """A block's commands: comment lines dropped, continued lines joined, each here-
    document kept with the command that reads it."""
    lines, result, index = text.splitlines(), [], 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.endswith("\\") and index < len(lines):
            line = line[:-1].rstrip() + " " + lines[index].strip()
            index += 1
        heredoc = HEREDOC.search(line)
        if heredoc:
            body = []
            while index < len(lines) and lines[index].strip() != heredoc["word"]:
                body.append(lines[index])
                index += 1
            if index == len(lines):
                raise RehearsalError(f"the here-document {heredoc['word']} is not closed")
            index += 1
            line = "\n".join([line, *body, heredoc["word"]])
        result.append(line)
    return result


def grants_as_the_guide_shows_them(blocks: dict[str, Block]) -> None:
    """The grants the guide shows are deploy/grants.sql's, its opening comment aside."""
    shown = blocks["deploy/grants.sql"].text.strip()
    sql_lines = (DEPLOY / "grants.sql").read_text().splitlines()
    written = "\n".join(line for line in sql_lines if not line.startswith("--")).strip()
    if shown != written:
        raise RehearsalError(f"{blocks['deploy/grants.sql'].where} is not deploy/grants.sql")


def and_then(listed: Iterable[str]) -> Iterator[str]:
    """`a && b` as `a`, then `b`: each stops the rest when it fails, as `&&` would."""
    for command in listed:
        yield from [command] if "\n" in command else command.split(" && ")


def cron_lines(text: str) -> list[tuple[str, str]]:
    """(user, command) for each line of an /etc/cron.d file, the command as cron gives it
    to the shell: `\\%` is a per cent sign, and a bare `%` would end the command there."""
    entries = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or re.match(r"^\w+=", line):
            continue
        found = re.match(r"^(?:\S+\s+){5}(?P<user>\S+)\s+(?P<command>.+)$", line)
        if not found:
            raise RehearsalError(f"not a cron line: {line}")
        command = found["command"]
        if re.search(r"(?<!\\)%", command):
            raise RehearsalError(f"cron would end this command at its first bare %: {line}")
        entries.append((found["user"], command.replace("\\%", "%")))
    return entries


# --- Settings ----------------------------------------------------------------------

# The lines that systemd (EnvironmentFile=) and sh (deploy/intake-task) read alike, the
# only ones `deploy/intake-task --check` lets through (deploy/intake.env.example says so).
SETTING = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)="
    r'(?:"(?P<quoted>[^"$`\\]*)"|(?P<plain>[A-Za-z0-9_.,:/@%+=?*!-]*))[ \t]*$'
)


def read_settings(text: str) -> dict[str, str]:
    """NAME=value lines as systemd and sh both read them; any other line is refused."""
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = SETTING.match(line)
        if not found:
            raise RehearsalError(f"line {number}: systemd and sh would not read it alike")
        values[found["name"]] = found["plain"] if found["quoted"] is None else found["quoted"]
    return values


def setting_line(name: str, value: str) -> str:
    line = f"{name}={value}"
    return line if SETTING.match(line) else f'{name}="{value}"'


# --- The run ------------------------------------------------------------------------


@dataclass
class Server:
    """The PostgreSQL server, as INTAKE_TEST_DATABASE_URL names it (a superuser)."""

    user: str
    password: str
    host: str
    port: int
    database: str

    @classmethod
    def from_url(cls, url: str) -> "Server":
        parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
        return cls(
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            database=parts.path.lstrip("/") or "postgres",
        )

    def environment(self, user: str, database: str | None = None) -> dict[str, str]:
        """libpq's settings for connecting as `user`, over TCP."""
        settings = {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": user}
        if database:
            settings["PGDATABASE"] = database
        if user == self.user and self.password:
            settings["PGPASSWORD"] = self.password
        return settings

    def conninfo(self, database: str | None = None) -> str:
        return " ".join(
            f"{key}='{value}'"
            for key, value in (
                ("host", self.host),
                ("port", self.port),
                ("user", self.user),
                ("password", self.password),
                ("dbname", database or self.database),
            )
            if value
        )


@dataclass
class Run:
    server: Server
    redis_url: str
    folder: Path
    id: str = field(default_factory=lambda: secrets.token_hex(4))
    app_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    http_port: int = 0
    smtp_url: str = ""
    previous_revision: str = ""
    dump: Path | None = None  # the nightly backup made before the key rotation
    backup_days: int = 0

    @property
    def owner(self) -> str:
        return f"rehearsal_{self.id}_owner"

    @property
    def app_role(self) -> str:
        return f"rehearsal_{self.id}_app"

    @property
    def database(self) -> str:
        return f"rehearsal_{self.id}"

    @property
    def restored(self) -> str:
        return f"rehearsal_{self.id}_restored"

    @property
    def before_restore(self) -> str:
        return f"rehearsal_{self.id}_before_restore"

    @property
    def env_file(self) -> Path:
        return self.folder / "etc" / "intake.env"

    @property
    def backups(self) -> Path:
        return self.folder / "backups"

    @property
    def intake_task(self) -> Path:
        return self.folder / "bin" / "intake-task"

    @property
    def grants(self) -> Path:
        return self.folder / "bin" / "grants.sql"

    def substitutions(self) -> list[tuple[str, str, str]]:
        """(what the guide says, what the run uses, why)."""
        return [
            (r"/srv/intake/deploy/intake-task\b", str(self.intake_task), "a copy: see above"),
            (r"/srv/intake/deploy/grants\.sql\b", str(self.grants), "a copy, the run's roles"),
            (r"/srv/intake\b", str(ROOT), "this checkout"),
            (r"/etc/intake/intake\.env\b", str(self.env_file), "the run's settings"),
            (
                r"/backups/intake-\d{4}-\d{2}-\d{2}\.dump",
                str(self.dump or "(the nightly backup, once made)"),
                "the example dump: the nightly backup made before the key rotation",
            ),
            (r"/backups\b", str(self.backups), "the run's backups folder"),
            (r"\bintake_owner\b", self.owner, "roles are the cluster's: the run's own"),
            (r"\bintake_app\b", self.app_role, "roles are the cluster's: the run's own"),
            (r"\bintake_restored\b", self.restored, "a database of the run's own"),
            (r"\bintake_before_restore\b", self.before_restore, "a database of the run's own"),
            (
                r"(?:(?<=DATABASE )|(?<=RENAME TO )|(?<=\\c )|(?<=@/)|(?<=psql )|(?<=\.sql ))"
                r"intake\b",
                self.database,
                "the database `intake`: the run's own",
            ),
            (
                r"host=/var/run/postgresql",
                f"host={self.server.host}&port={self.server.port}",
                "TCP to the test server for the local socket (trust for peer)",
            ),
            (r"PASSWORD '\.\.\.'", f"PASSWORD '{self.app_password}'", "the app role's password"),
            (r"127\.0\.0\.1:8000\b", f"127.0.0.1:{self.http_port}", "gunicorn on a free port"),
            (
                r"(?<=db downgrade )[0-9a-f]{12}\b",
                self.previous_revision,
                "the revision before this checkout's newest migration",
            ),
        ]

    def substitute(self, text: str) -> str:
        """Every substitution in one pass, so that nothing replaced is replaced again; at
        one place, the first in the list that matches."""
        listed = self.substitutions()
        pattern = "|".join(f"(?P<s{n}>{found})" for n, (found, _, _) in enumerate(listed))
        return re.sub(pattern, lambda match: listed[int(match.lastgroup[1:])][1], text)

    def connection_as(self, user: str | None) -> dict[str, str]:
        """What `sudo -u USER` (or a cron line's user) means for libpq here."""
        if user == "postgres":
            return self.server.environment(self.server.user, self.server.database)
        if user in (self.owner, self.app_role):
            return self.server.environment(user)
        return {}

    def base_environment(self, user: str | None = None) -> dict[str, str]:
        return {
            "PATH": BASE_PATH,
            "LANG": "C.UTF-8",
            "HOME": str(self.folder),
            **self.connection_as(user),
        }

    def settings(self) -> dict[str, str]:
        """The settings every entry point reads."""
        return read_settings(self.env_file.read_text())


def settings_for_the_run(run: Run) -> dict[str, str]:
    """The values deploy/intake.env.example leaves for the operator, and gunicorn's own:
    secrets made now, this run's addresses, and nothing that could reach another host."""
    from cryptography.fernet import Fernet

    server = run.server
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "INTAKE_DATA_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": (
            f"postgresql://{run.app_role}:{run.app_password}@{server.host}:{server.port}/"
            f"{run.database}"
        ),
        "REDIS_URL": run.redis_url,
        "INTAKE_HELPLINE_PHONE": "0808 157 0192",
        "INTAKE_METRICS_TOKEN": secrets.token_urlsafe(32),
        "INTAKE_SMTP_URL": run.smtp_url,
        "INTAKE_ALERT_WEBHOOK_URL": "",
        "INTAKE_ALERT_WEBHOOK_SECRET": "",
        "INTAKE_BIND": f"127.0.0.1:{run.http_port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(run.folder / "prometheus"),
    }


def write_settings(run: Run) -> None:
    """The run's /etc/intake/intake.env: deploy/intake.env.example, with the values
    settings_for_the_run gives in place of the template's."""
    overrides, written = settings_for_the_run(run), []
    for line in ENV_TEMPLATE.read_text().splitlines():
        name = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=", line)
        written.append(
            setting_line(name[1], overrides.pop(name[1])) if name and name[1] in overrides else line
        )
    written += [setting_line(name, value) for name, value in overrides.items()]
    run.env_file.parent.mkdir(parents=True)
    run.env_file.write_text("\n".join(written) + "\n")
    run.env_file.chmod(0o600)
    unfilled = sorted(name for name, value in run.settings().items() if "..." in value)
    if unfilled:
        raise RehearsalError(f"the template's placeholders the rehearsal leaves: {unfilled}")
    run.backup_days = int(run.settings().get("INTAKE_BACKUP_DAYS") or 14)


# --- Running what the guide says ----------------------------------------------------


def show(output: str) -> None:
    """A command's output, indented; a JSON log line by its message alone."""
    for line in output.rstrip().splitlines():
        with contextlib.suppress(ValueError, TypeError, KeyError):
            line = json.loads(line)["message"].replace("\n", " ")
        print(f"      | {line}", flush=True)


def check_run(
    argv: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess:
    completed = subprocess.run(  # noqa: S603
        argv, env=env, cwd=cwd, input=stdin, capture_output=True, text=True
    )
    show(completed.stdout + completed.stderr)
    if completed.returncode != 0:
        raise RehearsalError(f"exit status {completed.returncode}: {shlex.join(argv)[:300]}")
    return completed


def without_sudo(command: str, run: Run) -> str:
    """`sudo` runs as ourselves; `sudo -u ROLE` connects to PostgreSQL as that role."""

    def replace(found: re.Match) -> str:
        settings = run.connection_as(found["user"]) if found["user"] else {}
        if not settings:
            return ""
        return "env " + " ".join(f"{k}={shlex.quote(v)}" for k, v in settings.items()) + " "

    return SUDO.sub(replace, command)


@dataclass
class Unit:
    """A unit file of deploy/, as much of it as the rehearsal needs."""

    name: str
    settings: dict[str, list[str]]

    @classmethod
    def read(cls, name: str, run: Run) -> "Unit":
        path = DEPLOY / f"{name.removesuffix('.service')}.service"
        if not path.exists():
            raise RehearsalError(f"no unit file {path.relative_to(ROOT)}")
        settings: dict[str, list[str]] = {}
        section = ""
        text = re.sub(r"\\\n", " ", path.read_text())
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            settings.setdefault(f"{section}.{key.strip()}", []).append(run.substitute(value))
        return cls(path.stem, settings)

    def get(self, key: str) -> list[str]:
        return self.settings.get(key, [])

    def environment(self, run: Run) -> dict[str, str]:
        """Environment= first; EnvironmentFile= wins over it, as in systemd."""
        env = run.base_environment()
        for line in self.get("Service.Environment"):
            for assignment in shlex.split(line):
                key, _, value = assignment.partition("=")
                env[key] = value
        for line in self.get("Service.EnvironmentFile"):
            path = Path(line.lstrip("-"))
            if path.exists():
                env.update(read_settings(path.read_text()))
            elif not line.startswith("-"):
                raise RehearsalError(f"{self.name}: no EnvironmentFile {path}")
        return env

    def command(self, line: str, env: dict[str, str]) -> tuple[list[str], bool]:
        """An Exec line's argv (with $VAR and ${VAR} expanded), and whether a failure counts."""
        must_succeed = not line.startswith("-")
        line = line.lstrip("-@:+!")

        def expand(found: re.Match) -> str:
            return env.get(found[1] or found[2], "")

        return [
            re.sub(r"\$\{(\w+)\}|\$(\w+)", expand, word) for word in shlex.split(line)
        ], must_succeed


@dataclass
class Services:
    """What `systemctl` does to the units in deploy/, with their processes run here."""

    run: Run
    enabled: set[str] = field(default_factory=set)
    running: dict[str, tuple[subprocess.Popen, Unit]] = field(default_factory=dict)

    def systemctl(self, arguments: list[str]) -> None:
        """enable (--now), start, stop, restart. A timer stands for its service: started,
        the service runs once, as if the timer had fired."""
        verb, *rest = arguments
        if verb not in ("daemon-reload", "enable", "start", "stop", "restart"):
            raise RehearsalError(f"the rehearsal does not know `systemctl {verb}`")
        names = [
            name.removesuffix(".service").removesuffix(".timer")
            for name in rest
            if not name.startswith("-")
        ]
        if verb == "enable":
            self.enabled.update(names)
        if verb in ("stop", "restart"):
            for name in names:
                self.stop(name)
        if verb in ("start", "restart") or (verb == "enable" and "--now" in rest):
            for name in names:
                self.start(name)

    def pulled_in_by(self, name: str) -> list[str]:
        """Enabled units that `name` requires (RequiredBy=) and that run before it."""
        found = []
        for other in sorted(self.enabled - {name}):
            unit = Unit.read(other, self.run)
            install = " ".join(unit.get("Install.RequiredBy") + unit.get("Install.WantedBy"))
            if f"{name}.service" in install.split() and f"{name}.service" in " ".join(
                unit.get("Unit.Before")
            ):
                found.append(other)
        return found

    def start(self, name: str) -> None:
        if name in self.running:
            return
        for other in self.pulled_in_by(name):
            self.start(other)
        unit = Unit.read(name, self.run)
        env = unit.environment(self.run)
        cwd = Path((unit.get("Service.WorkingDirectory") or [str(ROOT)])[0])
        print(f"    systemd: starting {name}", flush=True)
        for line in unit.get("Service.ExecStartPre"):
            self.exec_to_completion(unit, line, env, cwd)
        kind = (unit.get("Service.Type") or ["simple"])[0]
        if kind == "oneshot":
            for line in unit.get("Service.ExecStart"):
                self.exec_to_completion(unit, line, env, cwd)
            return
        argv, _ = unit.command(unit.get("Service.ExecStart")[0], env)
        notify = None
        if kind == "notify":
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            path = self.run.folder / f"notify-{name}"
            path.unlink(missing_ok=True)
            notify.bind(str(path))
            env = {**env, "NOTIFY_SOCKET": str(path)}
        with (self.run.folder / "logs" / f"{name}.log").open("a") as log:
            process = subprocess.Popen(  # noqa: S603
                argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running[name] = (process, unit)
        if notify is not None:
            with notify:
                self.wait_for_ready(name, process, notify)

    def wait_for_ready(self, name: str, process: subprocess.Popen, notify: socket.socket) -> None:
        """Type=notify: started once the process says READY=1."""
        notify.settimeout(0.5)
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            self.require_running(name)
            with contextlib.suppress(TimeoutError):
                if b"READY=1" in notify.recv(4096).split(b"\n"):
                    return
        raise RehearsalError(f"{name} did not say it was ready within {READY_SECONDS} s")

    def exec_to_completion(self, unit: Unit, line: str, env: dict, cwd: Path) -> None:
        argv, must_succeed = unit.command(line, env)
        print(f"    systemd ({unit.name}): {shlex.join(argv)[:200]}", flush=True)
        completed = subprocess.run(  # noqa: S603
            argv, env=env, cwd=cwd, capture_output=True, text=True
        )
        show(completed.stdout + completed.stderr)
        if completed.returncode != 0 and must_succeed:
            raise RehearsalError(f"{unit.name}: exit status {completed.returncode}")

    def require_running(self, name: str) -> None:
        process, _ = self.running[name]
        if process.poll() is not None:
            raise RehearsalError(
                f"{name} stopped (exit status {process.returncode}):\n" + (self.log_tail(name))
            )

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.run.folder / "logs" / f"{name}.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""

    def stop(self, name: str) -> None:
        """SIGTERM to the main process (KillMode=mixed), the rest killed after
        TimeoutStopSec."""
        if name not in self.running:
            return
        process, unit = self.running.pop(name)
        print(f"    systemd: stopping {name}", flush=True)
        grace = float((unit.get("Service.TimeoutStopSec") or ["90"])[0].rstrip("s"))
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_everything(self) -> None:
        for name in list(self.running):
            self.stop(name)


def systemd_run(arguments: list[str], run: Run) -> None:
    """`systemd-run --wait --pipe ... COMMAND`: the command with the properties given."""
    env, cwd, files, user = run.base_environment(), ROOT, [], None
    words = list(arguments)
    while words and words[0].startswith("-"):
        option = words.pop(0)
        name, _, value = option.partition("=")
        if name in ("-p", "-E", "--property", "--setenv", "--uid", "--working-directory") and (
            not value
        ):
            value = words.pop(0)
        if name in ("--property", "-p"):
            key, _, setting = value.partition("=")
            if key == "EnvironmentFile":
                files.append(Path(setting))
            elif key == "WorkingDirectory":
                cwd = Path(setting)
            elif key == "User":
                user = setting
            else:
                raise RehearsalError(f"the rehearsal does not know the property {key}")
        elif name in ("--setenv", "-E"):
            key, _, setting = value.partition("=")
            env[key] = setting
        elif name == "--uid":
            user = value
        elif name == "--working-directory":
            cwd = Path(value)
        elif name not in ("--wait", "--pipe", "-P", "--quiet", "-q", "--collect", "-G"):
            raise RehearsalError(f"the rehearsal does not know systemd-run {option}")
    for path in files:
        env.update(read_settings(path.read_text()))
    env.update(run.connection_as(user))
    print(f"    systemd-run: {shlex.join(words)[:200]}", flush=True)
    check_run(words, env, cwd)


@dataclass
class Operator:
    """Runs the guide's commands, with the rehearsal's substitutions."""

    run: Run
    services: Services

    def block(
        self,
        block: Block,
        stdin: str | None = None,
        after: dict[str, Callable[[], None]] | None = None,
    ) -> None:
        self.commands(commands(block.text), stdin, after or {})

    def commands(
        self, listed: list[str], stdin: str | None = None, after: dict | None = None
    ) -> None:
        """Consecutive shell commands run in one shell (so a variable set in one is seen
        by the next); `systemctl`, `systemd-run` and `git` are taken apart."""
        shell: list[str] = []
        for command in and_then(self.run.substitute(command) for command in listed):
            kind = self.kind(command)
            if kind == "shell":
                shell.append(without_sudo(command, self.run))
            else:
                self.shell(shell, stdin)
                shell = []
                bare = SUDO.sub("", command, count=1)
                if kind == "skip":
                    print(f"    not run: {bare} (this checkout stands in for every release)")
                elif kind == "systemd-run":
                    systemd_run(shlex.split(bare)[1:], self.run)
                else:
                    self.services.systemctl(shlex.split(bare)[1:])
            for words, check in (after or {}).items():
                if words in command:
                    self.shell(shell, stdin)
                    shell = []
                    check()
        self.shell(shell, stdin)

    @staticmethod
    def kind(command: str) -> str:
        """How a command is run. `git` never is: this checkout must stay as it is."""
        bare = SUDO.sub("", command.strip(), count=1)
        first, line = bare.split(maxsplit=1)[0], bare.split("\n", 1)[0]
        if first == "git":
            return "skip"
        for word in ("git", "systemctl", "systemd-run"):
            if first != word and re.search(rf"(?<![\w/.-]){word}\s", line):
                raise RehearsalError(f"{word} inside another command cannot be rehearsed: {line}")
        return first if first in ("systemctl", "systemd-run") else "shell"

    def shell(self, lines: list[str], stdin: str | None = None) -> None:
        if not lines:
            return
        for line in lines:
            print(f"    $ {line.splitlines()[0][:200]}", flush=True)
        check_run(
            ["bash", "-euo", "pipefail", "-c", "\n".join(lines)],
            self.run.base_environment(),
            ROOT,
            stdin,
        )

    def cron(self, entries: list[tuple[str, str]]) -> None:
        """Cron lines as cron runs them: /bin/sh, as the line's user."""
        for user, command in entries:
            command = self.run.substitute(command)
            Operator.kind(command)  # never git
            print(f"    cron ({user}): {command[:200]}", flush=True)
            check_run(["/bin/sh", "-c", command], self.run.base_environment(user), self.run.folder)


def copy_with_substitutions(source: Path, target: Path, run: Run, changes=()) -> None:
    text = run.substitute(source.read_text())
    for old, new, why in changes:
        if old not in text:
            raise RehearsalError(f"{source.relative_to(ROOT)} no longer has {old!r} ({why})")
        text = text.replace(old, new)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(source.stat().st_mode)


# --- Looking as the app and its users would -----------------------------------------


@dataclass
class Page:
    status: int
    body: str
    path: str


class Fields(HTMLParser):
    """A page's hidden inputs, and the TOTP key a set-up page shows."""

    def __init__(self, body: str) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.totp_secret = ""
        self._secret_tag: str | None = None  # the element holding the key, while inside it
        self.feed(body)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.hidden[attributes["name"]] = attributes.get("value") or ""
        if "data-totp-secret" in attributes:
            self._secret_tag = tag

    def handle_data(self, data):
        if self._secret_tag is not None:  # the key's text, its groups of four included
            self.totp_secret += data.strip()

    def handle_endtag(self, tag):
        if tag == self._secret_tag:
            self._secret_tag = None


@dataclass
class Browser:
    """Someone reaching gunicorn as nginx passes them on (deploy/nginx/): the public
    host, https, and their address in X-Forwarded-For. Cookies are kept whatever their
    Secure flag says, since nginx ends TLS."""

    port: int
    host: str
    address: str = field(default_factory=lambda: f"198.51.100.{secrets.randbelow(250) + 1}")
    cookies: dict[str, str] = field(default_factory=dict)

    def open(self, method: str, path: str, form: dict | None = None) -> Page:
        for _ in range(10):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            headers = {
                "Host": self.host,
                "X-Forwarded-For": self.address,
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": self.host,
            }
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode(form, doseq=True)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            try:
                connection.request(method, path, body, headers)
                response = connection.getresponse()
                content = response.read().decode()
            finally:
                connection.close()
            self.keep(response.headers.get_all("Set-Cookie") or [])
            if response.status not in (301, 302, 303, 307, 308):
                return Page(response.status, content, path)
            location = urlsplit(response.headers["Location"])
            path = location.path + (f"?{location.query}" if location.query else "")
            if response.status in (301, 302, 303):
                method, form = "GET", None
        raise RehearsalError(f"too many redirects from {path}")

    def keep(self, headers: list[str]) -> None:
        for header in headers:
            pair, *attributes = header.split(";")
            name, _, value = pair.strip().partition("=")
            gone = any(
                re.match(r"\s*(max-age=0|expires=.*1970)", a, re.IGNORECASE) for a in attributes
            )
            if gone:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def get(self, path: str) -> Page:
        return self.open("GET", path)

    def submit(self, path: str, answers: dict) -> Page:
        """The form as the page gave it (its hidden tokens), with `answers`."""
        return self.open("POST", path, {**Fields(self.get(path).body).hidden, **answers})


def sql(run: Run, database: str, query: str, parameters: tuple | dict = ()) -> list[tuple]:
    """A query as the superuser; the connection is closed before this returns."""
    import psycopg

    with psycopg.connect(run.server.conninfo(database), autocommit=True) as connection:
        cursor = connection.execute(query, parameters or None)
        return cursor.fetchall() if cursor.description else []


# --- The rehearsal ------------------------------------------------------------------


@dataclass
class Progress:
    started: float = field(default_factory=time.monotonic)
    number: int = 0

    @contextlib.contextmanager
    def step(self, title: str, where: str = "") -> Iterator[None]:
        self.number += 1
        began = time.monotonic()
        elapsed = began - self.started
        print(f"\n[{elapsed:6.1f}s] {self.number}. {title}" + (f"  ({where})" if where else ""))
        sys.stdout.flush()
        yield
        print(f"          done in {time.monotonic() - began:.1f}s", flush=True)


@dataclass
class Rehearsal:
    run: Run
    blocks: dict[str, Block]
    guide: str
    operator: Operator
    progress: Progress = field(default_factory=Progress)
    inbox: object = None
    reference: str = ""
    supervisor: Browser | None = None
    supervisor_email: str = ""
    supervisor_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    before_downgrade: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)

    @property
    def services(self) -> Services:
        return self.operator.services

    def block(self, name: str) -> Block:
        if name not in self.blocks:
            raise RehearsalError(f"docs/deploy.md has no block marked `<!-- rehearse: {name} -->`")
        return self.blocks[name]

    def public_host(self) -> str:
        return urlsplit(self.run.settings()["INTAKE_PUBLIC_URL"]).hostname or ""

    def browser(self) -> Browser:
        return Browser(self.run.http_port, self.public_host())

    def everything(self) -> None:
        self.install()
        self.first_day()
        self.restore()
        self.rotate_keys()
        self.restore_from_before_the_rotation()
        self.upgrade_and_roll_back()
        self.retire_the_old_key()

    # The steps of "One host, step by step" ------------------------------------------

    def install(self) -> None:
        run, step = self.run, self.progress.step
        with step("Step 1: the checkout", "docs/deploy.md, One host"):
            print(f"    this checkout ({ROOT}) and its .venv stand in for /srv/intake")
            print("    not run: useradd, pg_hba.conf (this server trusts TCP from 127.0.0.1),")
            print(f"    install -d /backups ({run.backups} stands in)")
        block = self.block("roles-and-database")
        with step("Step 2: the roles and the database, before any table", block.where):
            self.operator.block(block)
        with step("Step 3: the settings file", "docs/deploy.md, One host"):
            write_settings(run)
            print(f"    {run.env_file} (0600): deploy/intake.env.example, with the run's own")
            print(f"    {', '.join(settings_for_the_run(run))}")
            self.operator.commands([step_command(self.guide, 3, "intake-task --check")])
        command = step_command(self.guide, 4, "systemctl ")
        with step(f"Step 4: {command}", "docs/deploy.md, One host"):
            self.operator.commands([command])
            self.must_be_ready()
        block = self.block("grants")
        with step("Step 2, once the first migration has run: the app's grants", block.where):
            grants_as_the_guide_shows_them(self.blocks)
            self.operator.block(block)
            self.check_the_app_roles_rights()
        command = step_command(self.guide, 8, "systemctl ")
        with step(f"Step 8: {command}", "docs/deploy.md, One host"):
            self.operator.commands([command])
        block = self.block("first-supervisor")
        with step("Step 9: the first supervisor", block.where):
            self.supervisor_email = re.search(r"--email (\S+)", block.text)[1]
            typed = f"{self.supervisor_password}\n" * 2
            self.operator.block(block, stdin=typed)

    def first_day(self) -> None:
        step = self.progress.step
        with step("A visitor asks for a callback through the form, and gives an email address"):
            answer = self.browser().submit(
                "/callback",
                {
                    "name": VISITOR_NAME,
                    "phone": "07400 123456",
                    "email": VISITOR_EMAIL,
                    "when": "asap",
                    "for_whom": "me",
                    "in_danger": "no",
                    "consent": "y",
                },
            )
            found = REFERENCE.search(answer.body)
            if answer.status != 200 or not found:
                raise RehearsalError(f"no confirmation ({answer.status} at {answer.path})")
            self.reference = found[1]
            print(f"    confirmed: {self.reference}")
        with step("The outbox worker sends their email to the mail server"):
            message = self.wait_for_email()
            print(f"    to {message['To']}: {message['Subject']!r}")
        with step("The supervisor signs in (password, then setting up the code) and reads it"):
            self.sign_in_the_supervisor()
            self.must_read_the_request()
        block = self.block("cron")
        with step("Step 10: a night's cron, the backup included", block.where):
            self.operator.cron(cron_lines(block.text))
            dumps = sorted(self.run.backups.glob("intake-*.dump"))
            if len(dumps) != 1 or oct(dumps[0].stat().st_mode)[-3:] != "600":
                raise RehearsalError(f"the backup line made no single 0600 dump: {dumps}")
            self.run.dump = dumps[0]
            print(f"    {dumps[0].name}: {dumps[0].stat().st_size} bytes, mode 0600")
        with step(f"Cron deletes each dump {self.run.backup_days} days (INTAKE_BACKUP_DAYS) on"):
            days = self.run.backup_days
            gone = self.aged_dump("intake-gone.dump", days * 86400 + 60)
            kept = self.aged_dump("intake-kept.dump", days * 86400 - 3600)
            self.run_the_cron_lines_that_delete_backups()
            if gone.exists() or not kept.exists() or not self.run.dump.exists():
                raise RehearsalError(
                    f"after {days} days a dump must be gone, and not an hour before"
                )
            kept.unlink()
            print(f"    {days} days and a minute old: deleted; an hour younger: kept")

    # Restoring, rotating, upgrading ----------------------------------------------------

    def restore(self) -> None:
        block = self.block("restore")
        with self.progress.step("Restore the backup, as the guide says", block.where):
            self.operator.block(block)
            self.must_be_ready()
            self.must_read_the_request()
            self.check_the_app_roles_rights()

    def rotate_keys(self) -> None:
        block = self.block("rotate-keys")
        with self.progress.step("Rotate the data key", block.where):
            before = self.run.settings()["INTAKE_DATA_KEYS"]
            self.operator.block(block)
            keys = self.run.settings()["INTAKE_DATA_KEYS"].split(",")
            if len(keys) != 2 or keys[1] != before:
                raise RehearsalError(f"INTAKE_DATA_KEYS should be the new key, then {before}")
            self.must_be_ready()
            self.must_read_the_request()
            self.read_as_the_app("--newest-key-only")

    def restore_from_before_the_rotation(self) -> None:
        block = self.block("restore")
        with self.progress.step(
            "Restore the backup made before the rotation, the retired key kept", block.where
        ):
            self.operator.block(block)
            self.must_be_ready()
            self.must_read_the_request()
            self.read_as_the_app("--newest-key-only", "--expect-unreadable")
            print("    (so the retired key is what opens this backup)")
        block = self.block("restore-older-than-rotation")
        with self.progress.step("Re-seal what that backup brought back", block.where):
            self.operator.block(block)
            self.read_as_the_app("--newest-key-only")

    def upgrade_and_roll_back(self) -> None:
        block = self.block("upgrade")
        with self.progress.step("Upgrade", block.where):
            self.operator.block(block)
            self.must_be_ready()
            self.must_read_the_request()
        block = self.block("roll-back")
        with self.progress.step(
            f"Roll back by downgrading to {self.run.previous_revision}", block.where
        ):
            self.before_downgrade = self.tables()
            self.operator.block(block, after={"db downgrade": self.check_the_downgrade})
            self.must_be_ready()
            self.must_read_the_request()
            self.check_a_new_table_needs_no_new_grant()

    def retire_the_old_key(self) -> None:
        days = self.run.backup_days
        block = self.block("retire-key")
        with self.progress.step(
            f"{days} days on: the backups made before the rotation are gone; retire its key",
            block.where,
        ):
            made_before = [self.run.dump]
            for dump in made_before:
                os.utime(dump, (time.time() - days * 86400 - 60,) * 2)
            self.run_the_cron_lines_that_delete_backups()
            if any(dump.exists() for dump in made_before):
                raise RehearsalError("the backup made before the rotation is still there")
            self.operator.block(block)
            if "," in self.run.settings()["INTAKE_DATA_KEYS"]:
                raise RehearsalError("INTAKE_DATA_KEYS should hold the newest key alone")
            self.must_be_ready()
            self.must_read_the_request()

    # Checks ----------------------------------------------------------------------------

    def must_be_ready(self) -> None:
        for name in self.services.running:
            self.services.require_running(name)
        page = Browser(self.run.http_port, "127.0.0.1").get("/readyz")
        if page.status != 200:
            raise RehearsalError(f"/readyz answered {page.status}: {page.body[:300]}")
        print("    /readyz: 200 (the database answers, its schema is the newest)")

    def wait_for_email(self):
        deadline = time.monotonic() + EMAIL_SECONDS
        while time.monotonic() < deadline:
            for message in self.inbox.messages:
                if self.reference in str(message["Subject"]):
                    if message["To"] != VISITOR_EMAIL:
                        raise RehearsalError(f"the email went to {message['To']}")
                    return message
            self.services.require_running("intake-outbox")
            time.sleep(0.5)
        raise RehearsalError(
            f"no email within {EMAIL_SECONDS} s:\n" + (self.services.log_tail("intake-outbox"))
        )

    def sign_in_the_supervisor(self) -> None:
        import pyotp

        browser = self.browser()
        page = browser.submit(
            "/staff/sign-in",
            {"email": self.supervisor_email, "password": self.supervisor_password},
        )
        secret = Fields(page.body).totp_secret
        if not secret:
            raise RehearsalError(f"no code to set up after the password ({page.path})")
        page = browser.submit(page.path, {"code": pyotp.TOTP(secret).now()})
        if page.status != 200 or "sign-in" in page.path:
            raise RehearsalError(f"the supervisor is not signed in ({page.status} {page.path})")
        self.supervisor = browser

    def must_read_the_request(self) -> None:
        """The supervisor opens the request page (the app's role reads and opens it), and
        every sealed value in the database opens with the configured keys."""
        page = self.supervisor.get(f"/staff/requests/{self.reference}")
        if page.status != 200 or VISITOR_NAME not in page.body:
            raise RehearsalError(f"the request page does not show the visitor ({page.status})")
        print(f"    the supervisor reads {self.reference}: {VISITOR_NAME}")
        self.read_as_the_app()

    def read_as_the_app(self, *options: str) -> None:
        env = {**self.run.base_environment(), **self.run.settings()}
        argv = [str(python()), __file__, "read", self.reference, VISITOR_NAME, *options]
        check_run(argv, env, ROOT)

    def check_the_app_roles_rights(self) -> None:
        """What grants.sql promises, asked of PostgreSQL."""
        rows = sql(
            self.run,
            self.run.database,
            """SELECT
                 has_table_privilege(%(role)s, 'audit_events', 'SELECT')
                   AND has_table_privilege(%(role)s, 'audit_events', 'INSERT'),
                 has_table_privilege(%(role)s, 'audit_events', 'UPDATE, DELETE, TRUNCATE'),
                 has_table_privilege(%(role)s, 'alembic_version', 'SELECT'),
                 has_table_privilege(%(role)s, 'alembic_version', 'INSERT, UPDATE, DELETE'),
                 has_table_privilege(%(role)s, 'callback_requests', 'UPDATE')
                   AND has_table_privilege(%(role)s, 'callback_requests', 'DELETE'),
                 (SELECT count(*) FROM pg_tables WHERE schemaname = 'public'
                    AND (tableowner = %(role)s
                         OR has_table_privilege(%(role)s, format('%%I.%%I', schemaname, tablename),
                                                'TRUNCATE, TRIGGER')))""",
            {"role": self.run.app_role},
        )
        expected = (True, False, True, False, True, 0)
        if rows[0] != expected:
            raise RehearsalError(f"the app role's rights are {rows[0]}, not {expected}")
        print(
            "    the app role: adds to the trail, never changes it; reads alembic_version only; "
            "owns, truncates and triggers nothing"
        )

    def tables(self) -> set[str]:
        rows = sql(self.run, self.run.database, TABLES)
        return {name for (name,) in rows}

    def check_the_downgrade(self) -> None:
        """The schema is at the previous revision; the tables its newest migration made
        are gone (kept in `self.dropped`, to be checked once they are made again)."""
        version = sql(self.run, self.run.database, "SELECT version_num FROM alembic_version")
        if version != [(self.run.previous_revision,)]:
            raise RehearsalError(f"the downgrade left the schema at {version}")
        self.dropped = self.before_downgrade - self.tables()
        print(f"    the schema is at {self.run.previous_revision}; dropped: {sorted(self.dropped)}")

    def check_a_new_table_needs_no_new_grant(self) -> None:
        """The start after the downgrade migrated up again, as the owner, making those
        tables anew, and nobody ran grants.sql: the default privileges gave the app its
        rights on them."""
        for table in sorted(self.dropped):
            rights = sql(
                self.run,
                self.run.database,
                "SELECT has_table_privilege(%(role)s, %(table)s, 'SELECT')"
                " AND has_table_privilege(%(role)s, %(table)s, 'INSERT')"
                " AND has_table_privilege(%(role)s, %(table)s, 'UPDATE')"
                " AND has_table_privilege(%(role)s, %(table)s, 'DELETE')",
                {"role": self.run.app_role, "table": f"public.{table}"},
            )
            if rights != [(True,)]:
                raise RehearsalError(f"the app may not read and write {table}, made again")
            print(f"    {table}, made again by the migration: the app reads and writes it")

    def aged_dump(self, name: str, age_seconds: float) -> Path:
        path = self.run.backups / name
        path.write_bytes(b"")
        os.utime(path, (time.time() - age_seconds,) * 2)
        return path

    def run_the_cron_lines_that_delete_backups(self) -> None:
        entries = [
            (user, command)
            for user, command in cron_lines(self.block("cron").text)
            if "/backups" in command and "backup.sh backup" not in command
        ]
        if not entries:
            raise RehearsalError("no cron line deletes old backups")
        self.operator.cron(entries)


def python() -> Path:
    candidate = VENV / "bin" / "python"
    return candidate if candidate.exists() else Path(sys.executable)


def previous_revision() -> str:
    """The revision before this checkout's newest migration: the release before it."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    scripts = ScriptDirectory.from_config(config)
    down = scripts.get_revision(scripts.get_current_head()).down_revision
    if not isinstance(down, str):
        raise RehearsalError("the newest migration has no single revision before it")
    return down


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prerequisites(run: Run) -> None:
    """Say plainly what is missing, before anything is made."""
    import psycopg
    import redis

    missing = [tool for tool in ("psql", "pg_dump", "pg_restore") if not shutil.which(tool)]
    if missing:
        raise RehearsalError(f"needs {', '.join(missing)} (apt-get install postgresql-client)")
    try:
        superuser = sql(
            run, run.server.database, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        )
    except psycopg.Error as error:
        raise RehearsalError(f"PostgreSQL does not answer: {error}") from None
    if superuser != [(True,)]:
        raise RehearsalError(f"{run.server.user} is not a PostgreSQL superuser")
    try:
        redis.Redis.from_url(run.redis_url, socket_timeout=30).ping()
    except redis.RedisError as error:
        raise RehearsalError(f"Redis does not answer at {run.redis_url}: {error}") from None


def clean_up(run: Run, services: Services, keep: bool) -> None:
    """Stop what was started; drop the run's databases and roles (even after a failure)."""
    services.stop_everything()
    prefix = f"rehearsal_{run.id}"
    try:
        for (name,) in sql(run, run.server.database, "SELECT datname FROM pg_database"):
            if name == prefix or name.startswith(prefix + "_"):
                sql(run, run.server.database, f'DROP DATABASE "{name}" WITH (FORCE)')
        for role in (run.owner, run.app_role):
            sql(run, run.server.database, f'DROP ROLE IF EXISTS "{role}"')
        print(f"\nCleaned up: databases {prefix}*, roles {run.owner} and {run.app_role} dropped.")
    except Exception as error:  # say so, and still remove the folder
        print(f"\nCould not drop {prefix}* and its roles: {error}")
    if keep:
        print(f"Kept {run.folder} (settings, logs, backups).")
    else:
        shutil.rmtree(run.folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--superuser-url", default=os.environ.get("INTAKE_TEST_DATABASE_URL"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder")
    arguments = parser.parse_args(argv)
    if not arguments.superuser_url:
        print("Needs a PostgreSQL superuser: set INTAKE_TEST_DATABASE_URL.", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from tests.smtp import SmtpServer

    started = time.monotonic()
    run = Run(
        Server.from_url(arguments.superuser_url),
        arguments.redis_url,
        Path(tempfile.mkdtemp(prefix="rehearsal-")),
    )
    (run.folder / "logs").mkdir()
    run.backups.mkdir(mode=0o700)
    run.http_port = free_port()
    run.previous_revision = previous_revision()
    services = Services(run)
    smtp = SmtpServer(free_port()).start()
    run.smtp_url = smtp.url
    guide = GUIDE.read_text()
    rehearsal = Rehearsal(run, marked_blocks(guide), guide, Operator(run, services))
    rehearsal.inbox = smtp.inbox
    print(f"Rehearsing {GUIDE.relative_to(ROOT)} in {run.folder}, run {run.id}.")
    print("What the guide says, and what this run uses instead:")
    for pattern, replacement, why in run.substitutions():
        print(f"    {pattern}  ->  {replacement[:70]}  ({why})")
    print(
        "    sudo: runs as ourselves; sudo -u ROLE, and a cron line's user, connect to\n"
        "    PostgreSQL as that role; systemctl and systemd-run run the unit's processes here;\n"
        "    git is never run; intake-task runs without runuser (INTAKE_TASK_CHANGES)."
    )
    try:
        prerequisites(run)
        copy_with_substitutions(DEPLOY / "grants.sql", run.grants, run)
        copy_with_substitutions(DEPLOY / "intake-task", run.intake_task, run, INTAKE_TASK_CHANGES)
        rehearsal.everything()
    except RehearsalError as error:
        print(f"\nRehearsal FAILED: {error}", flush=True)
        for name in services.running:
            print(f"--- the end of {name}'s log:\n{services.log_tail(name)}")
        return 1
    finally:
        clean_up(run, services, arguments.keep)
        smtp.stop()
    took = time.monotonic() - started
    print(f"\nRehearsal passed: {rehearsal.progress.number} steps in {took:.0f} s.")
    return 0


def read(argv: list[str]) -> int:
    """`read REFERENCE NAME`: as the app (DATABASE_URL, INTAKE_DATA_KEYS from the
    environment), open every sealed value and find the request's name."""
    parser = argparse.ArgumentParser(prog="rehearse.py read")
    parser.add_argument("reference")
    parser.add_argument("name")
    parser.add_argument("--newest-key-only", action="store_true")
    parser.add_argument("--expect-unreadable", action="store_true")
    arguments = parser.parse_args(argv)
    if arguments.newest_key_only:
        os.environ["INTAKE_DATA_KEYS"] = os.environ["INTAKE_DATA_KEYS"].split(",")[0]
    sys.path.insert(0, str(ROOT))
    from cryptography.fernet import Fernet, InvalidToken, MultiFernet
    from sqlalchemy import select, text

    from intake import create_app
    from intake.domain.rotation import SEALED_COLUMNS
    from intake.extensions import db
    from intake.models import CallbackRequest

    app = create_app()
    keys = app.config["INTAKE_DATA_KEYS"]
    ring = MultiFernet([Fernet(key) for key in keys])
    opened = unreadable = 0
    with app.app_context():
        role = db.session.scalar(text("SELECT current_user"))
        for model, name in SEALED_COLUMNS:
            column = getattr(model, name)
            for token in db.session.scalars(select(column).where(column.is_not(None))):
                try:
                    ring.decrypt(token)
                    opened += 1
                except InvalidToken:
                    unreadable += 1
        request = db.session.scalars(
            select(CallbackRequest).where(CallbackRequest.reference == arguments.reference)
        ).one()
        name = None
        with contextlib.suppress(InvalidToken):
            name = json_name(ring.decrypt(request.personal_data))
        db.engine.dispose()
    which = "the newest key alone" if len(keys) == 1 else f"{len(keys)} keys"
    print(
        f"As {role}, with {which}: {opened} sealed values open, {unreadable} do not; "
        f"{arguments.reference} is {name or 'unreadable'}."
    )
    if arguments.expect_unreadable:
        return 0 if unreadable else 1
    return 0 if unreadable == 0 and name == arguments.name else 1


def json_name(plain: bytes) -> str:
    return json.loads(plain)["name"]


if __name__ == "__main__":
    if Path(sys.prefix).resolve() != VENV.resolve() and (VENV / "bin" / "python").exists():
        os.execv(python(), [str(python()), __file__, *sys.argv[1:]])  # noqa: S606
    if sys.argv[1:2] == ["read"]:
        sys.exit(read(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
