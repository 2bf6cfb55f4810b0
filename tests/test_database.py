"""The schema comes from migrations alone, and SQLite runs as a real embedded database."""

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from intake import create_app
from intake.domain.callbacks import submit_callback
from intake.extensions import db
from intake.models import CallbackRequest
from tests.conftest import base_config
from tests.factories import POLICY, make_answers, utc


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_the_database_is_at_the_latest_migration(app):
    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        config = app.extensions["migrate"].migrate.get_config()
        assert set(current) == set(ScriptDirectory.from_config(config).get_heads())


def test_sqlite_runs_with_wal_a_busy_timeout_foreign_keys_and_secure_delete(app):
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            pytest.skip("PRAGMAs are SQLite's own")
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def test_a_new_sqlite_database_and_its_wal_are_readable_by_their_owner_only(tmp_path):
    path = tmp_path / "new" / "intake.db"
    with umask(0o022):
        app = create_app(base_config(f"sqlite:///{path}"))
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE visitors (name TEXT)"))
            connection.execute(text("INSERT INTO visitors VALUES ('Sam')"))
            modes = {file.name: mode(file) for file in sqlite_files(path)}
        with app.app_context():
            db.engine.dispose()
    assert modes == {"intake.db": 0o600, "intake.db-wal": 0o600, "intake.db-shm": 0o600}


def test_an_existing_sqlite_database_with_a_looser_mode_is_tightened_at_start(tmp_path):
    path = tmp_path / "intake.db"
    for file in sqlite_files(path):
        file.touch(mode=0o644)
        file.chmod(0o644)
    create_app(base_config(f"sqlite:///{path}"))
    assert [mode(file) for file in sqlite_files(path)] == [0o600, 0o600, 0o600]


def test_times_come_back_from_the_database_as_aware_utc(db_session, vault):
    receipt = submit_callback(
        db_session, vault, make_answers(), "t", POLICY, now=utc(2026, 6, 1, 12, 0)
    )
    db_session.expire_all()
    stored = db_session.get(CallbackRequest, receipt.request_id)
    assert stored.created_at == utc(2026, 6, 1, 12, 0)
    assert stored.created_at.utcoffset().total_seconds() == 0
