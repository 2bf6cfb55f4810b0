"""The Prometheus alert rules (deploy/prometheus/): Prometheus's own checker accepts
them, their unit tests pass (the paging rule fires with nobody active and stays silent
when someone is; a target down; the database down; each job's heartbeat late or
missing), and every metric they read is one the app gives."""

import re
import subprocess
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from intake.domain import job_runs

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "prometheus"


def run(promtool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [promtool, *args], cwd=RULES, capture_output=True, text=True, timeout=120, check=False
    )


def test_promtool_accepts_the_rules_and_the_example_configuration(promtool):
    rules = run(promtool, "check", "rules", "intake-rules.yml")
    assert rules.returncode == 0, rules.stdout + rules.stderr
    config = run(promtool, "check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr


def test_the_rules_pass_their_unit_tests(promtool):
    tested = run(promtool, "test", "rules", "intake-rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def metrics_read_by_the_rules() -> set[str]:
    return set(re.findall(r"\bintake_[a-z_]+", (RULES / "intake-rules.yml").read_text()))


def test_the_rules_watch_the_heartbeat_of_every_job():
    rules = (RULES / "intake-rules.yml").read_text()
    for job in job_runs.JOBS:
        assert f'intake_job_last_success_timestamp_seconds{{task="{job}"}}' in rules


def test_every_metric_the_rules_read_is_one_the_app_gives(app, client):
    runner = app.test_cli_runner()
    for command in (["release-holds"], ["purge"], ["reports", "keep"], ["outbox", "run", "--once"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, (command, result.output)
    given = set()
    for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)):
        given |= {family.name} | {sample.name for sample in family.samples}
    read = metrics_read_by_the_rules()
    assert "intake_database_up" in read
    assert read <= given, read - given


def test_the_deploy_guide_points_to_the_rules_rather_than_copying_them():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    section = guide.split("## Alerts from the metrics", 1)[1].split("\n## ", 1)[0]
    assert "deploy/prometheus/intake-rules.yml" in section
    assert "expr:" not in section
