"""deploy/backup.sh backs up PostgreSQL and restores it, and the restored data reads."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from intake import create_app
from intake.config import sqlalchemy_url
from intake.extensions import db
from intake.models import CallbackRequest
from tests.conftest import POSTGRES_URL, base_config
from tests.factories import submit_request

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "backup.sh"

pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set INTAKE_TEST_DATABASE_URL"),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed"),
]


def test_a_backup_restores_everything_after_the_data_is_lost(tmp_path):
    schema = f"intake_backup_{uuid.uuid4().hex[:8]}"
    url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    engine_url = sqlalchemy_url(url)
    admin = create_engine(sqlalchemy_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        app = create_app(base_config(engine_url))
        with app.app_context():
            upgrade()
            with Session(db.engine) as session:
                reference = submit_request(
                    session, app.extensions["intake"].service.vault, name="Kept safe"
                ).reference
            db.engine.dispose()
        dump = tmp_path / "intake.dump"
        run = lambda *args: subprocess.run(  # noqa: E731
            [str(SCRIPT), *args], check=True, capture_output=True, text=True, env=os.environ
        )
        assert "Backed up" in run("backup", url, str(dump), f"--schema={schema}").stdout
        assert oct(dump.stat().st_mode)[-3:] == "600"
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        assert "Restored" in run("restore", POSTGRES_URL, str(dump)).stdout
        engine = create_engine(engine_url)
        with Session(engine) as session:
            restored = session.scalars(select(CallbackRequest)).one()
        engine.dispose()
        assert restored.reference == reference
        vault = app.extensions["intake"].service.vault
        assert vault.open(restored.personal_data)["name"] == "Kept safe"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
