"""Databases for the benchmarks: a SQLite file, or a fresh PostgreSQL schema.

`sqlalchemy_url` is re-exported for the benches: the app's own rewrite of the URL."""

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import create_engine, text

from intake import create_app
from intake.config import sqlalchemy_url
from intake.domain.second_factor import start_enrolment
from intake.domain.staff_accounts import complete_sign_in, create_staff
from intake.extensions import db
from tests.browser.live_server import ROOT

POSTGRES_URL = os.environ.get(
    "INTAKE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def intake_env(database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret-key-long-enough-to-sign-sessions",
        "INTAKE_DATA_KEYS": Fernet.generate_key().decode(),
        "INTAKE_CALLBACK_RATE_LIMIT": "100000 per minute",
        "INTAKE_SIGN_IN_RATE_LIMIT": "100000 per minute",
    }


def run_flask(env: dict[str, str], *args: str, quiet: bool = True) -> None:
    """`flask --app intake ARGS` in the bench's environment (its progress shown unless
    `quiet`)."""
    command = [sys.executable, "-m", "flask", "--app", "intake", *args]
    subprocess.run(command, env={**os.environ, **env}, cwd=ROOT, check=True, capture_output=quiet)


def migrate(env: dict[str, str]) -> None:
    run_flask(env, "db", "upgrade")


@contextmanager
def postgres_schema(keep: bool = False):
    """A new schema; yields the DATABASE_URL that reaches it."""
    schema = f"intake_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sqlalchemy_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        if not keep:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'intake.db'}"


BOSS = "boss@intake.example"
BOSS_PASSWORD = "correct horse battery staple"


def bench_app(database_url: str, env: dict[str, str]) -> Flask:
    """The app in this process, on the bench's database, with the server's keys."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
            "INTAKE_DATA_KEYS": [env["INTAKE_DATA_KEYS"]],
            "SECRET_KEY": env["SECRET_KEY"],
        }
    )


def enrolled_supervisor(database_url: str, env: dict[str, str]) -> str:
    """A supervisor (BOSS) with the second factor set up; returns its TOTP secret."""
    app = bench_app(database_url, env)
    with app.app_context():
        boss = create_staff(
            db.session, email=BOSS, name="Boss", role="supervisor", password=BOSS_PASSWORD
        )
        vault = app.extensions["intake"].service.vault
        secret = start_enrolment(db.session, vault, boss, "b").secret
        complete_sign_in(db.session, boss)
        db.engine.dispose()
    return secret
