"""Flask extensions, created once and unbound; `create_app` initialises them."""

import contextlib
import os
import sqlite3
from pathlib import Path

from flask import request
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for every model; constraints get predictable names for migrations."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def reading_is_never_limited() -> bool:
    """Only sending forms is rate limited: skip the limiter's work for every read."""
    return request.method in ("GET", "HEAD")


login_manager = LoginManager()
compress = Compress()


def tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Run SQLite as a real embedded database: WAL, a busy timeout, foreign keys.

    Its files are readable by their owner only, and what it deletes is overwritten
    (secure_delete), so removed personal data leaves no readable copy in free pages.
    """
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        keep_private(Path(database))

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def keep_private(database: Path) -> None:
    """Create the SQLite file mode 0600 before SQLite opens it, and tighten an old one.

    SQLite gives its -wal and -shm files the database file's mode, so they follow.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for path in (database, *(database.with_name(database.name + s) for s in SQLITE_COMPANIONS)):
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o600)
