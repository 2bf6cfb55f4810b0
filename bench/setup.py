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
from sqlalchemy import create_engine, text

from intake.config import sqlalchemy_url
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


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "intake", "db", "upgrade"],
        env={**os.environ, **env}, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip


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
