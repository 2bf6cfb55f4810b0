"""The schema comes from migrations alone, and SQLite runs as a real embedded database."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from intake.domain.callbacks import submit_callback
from intake.extensions import db
from intake.models import CallbackRequest
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


def test_sqlite_runs_with_wal_a_busy_timeout_and_foreign_keys(app):
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            pytest.skip("PRAGMAs are SQLite's own")
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_times_come_back_from_the_database_as_aware_utc(db_session, vault):
    receipt = submit_callback(
        db_session, vault, make_answers(), "t", POLICY, now=utc(2026, 6, 1, 12, 0)
    )
    db_session.expire_all()
    stored = db_session.get(CallbackRequest, receipt.request_id)
    assert stored.created_at == utc(2026, 6, 1, 12, 0)
    assert stored.created_at.utcoffset().total_seconds() == 0
