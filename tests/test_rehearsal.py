"""deploy/rehearse.py carries out docs/deploy.md's production steps, in the documented
order and with the commands written there, on PostgreSQL roles and databases of its
own, and drops them afterwards."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from intake.config import sqlalchemy_url
from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "deploy" / "rehearse.py"
GUIDE = ROOT / "docs" / "deploy.md"
CLIENT_TOOLS = ("psql", "pg_dump", "pg_restore")


def load_rehearsal():
    spec = importlib.util.spec_from_file_location("rehearse", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["rehearse"] = module
    spec.loader.exec_module(module)
    return module


rehearse = load_rehearsal()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set INTAKE_TEST_DATABASE_URL")
@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in CLIENT_TOOLS),
    reason="needs psql, pg_dump and pg_restore (apt-get install postgresql-client)",
)
def test_the_guide_rehearsed_installs_serves_backs_up_restores_rotates_and_rolls_back():
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**os.environ, "INTAKE_TEST_DATABASE_URL": POSTGRES_URL},
        capture_output=True,
        text=True,
    )
    said = result.stdout + result.stderr
    assert result.returncode == 0, said[-12000:]
    assert "Rehearsal passed" in said
    run = re.search(r"run ([0-9a-f]{8})\.", said)[1]
    engine = create_engine(sqlalchemy_url(POSTGRES_URL))
    with engine.connect() as connection:
        left = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM pg_roles WHERE rolname LIKE :like)"
                " + (SELECT count(*) FROM pg_database WHERE datname LIKE :like)"
            ),
            {"like": f"rehearsal\\_{run}%"},
        ).scalar()
    engine.dispose()
    assert left == 0, "the run's roles and databases are dropped"


def test_every_block_marked_for_the_rehearsal_is_one_it_runs():
    assert set(rehearse.marked_blocks(GUIDE.read_text())) == set(rehearse.BLOCKS_RUN)


def test_the_grants_the_guide_shows_are_those_of_deploy_grants_sql():
    rehearse.grants_as_the_guide_shows_them(rehearse.marked_blocks(GUIDE.read_text()))


def test_steps_4_and_8_start_the_site_and_the_outbox_worker_with_systemctl():
    guide = GUIDE.read_text()
    assert "--now intake" in rehearse.step_command(guide, 4, "systemctl ")
    assert "--now intake-outbox" in rehearse.step_command(guide, 8, "systemctl ")


def test_the_guides_names_become_the_runs_own_and_nothing_else_changes(tmp_path):
    run = rehearse.Run(
        rehearse.Server.from_url("postgresql://postgres@127.0.0.1:5432/test"), "", tmp_path
    )
    command = run.substitute(
        "sudo -u intake_owner psql -v ON_ERROR_STOP=1 -f /srv/intake/deploy/grants.sql intake\n"
        "/usr/bin/env DATABASE_URL=postgresql://intake_owner@/intake?host=/var/run/postgresql "
        "/srv/intake/.venv/bin/flask --app intake db upgrade --config /etc/intake/intake.env"
    )
    assert f"-f {run.grants} {run.database}\n" in command
    assert f"postgresql://{run.owner}@/{run.database}?host=127.0.0.1&port=5432 " in command
    assert f"{ROOT}/.venv/bin/flask --app intake db upgrade --config {run.env_file}" in command
    assert "intake_owner" not in command


@pytest.mark.parametrize("line", ["A=14   # days", 'B="two words" # note', "C=two words"])
def test_a_settings_line_that_systemd_and_sh_read_differently_is_refused(line):
    with pytest.raises(rehearse.RehearsalError, match="line 2: systemd and sh would not"):
        rehearse.read_settings(f"# a comment\n{line}\n")


def test_settings_lines_are_read_plain_or_in_double_quotes():
    text = 'A=postgresql://u:p@h/db?x=1\nB="two words"\nC=\n'
    assert rehearse.read_settings(text) == {
        "A": "postgresql://u:p@h/db?x=1",
        "B": "two words",
        "C": "",
    }


def test_a_cron_line_may_not_hold_a_bare_per_cent_sign():
    line = "0 2 * * * owner backup.sh /backups/intake-$(date +\\%F).dump"
    assert rehearse.cron_lines(line) == [("owner", "backup.sh /backups/intake-$(date +%F).dump")]
    with pytest.raises(rehearse.RehearsalError, match="bare %"):
        rehearse.cron_lines("0 2 * * * owner date +%F")


def test_the_rehearsal_never_runs_git():
    assert rehearse.Operator.kind("sudo git pull --ff-only") == "skip"
    with pytest.raises(rehearse.RehearsalError, match="git inside another command"):
        rehearse.Operator.kind("cd /srv/intake; git reset --hard 1a2b3c4")
