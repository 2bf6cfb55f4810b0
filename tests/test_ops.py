"""Operations: probes, metrics (the database down, the jobs' heartbeats and failures),
request ids, logs, proxies, and Redis going away."""

import json
import logging
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from intake import create_app
from intake.domain import job_runs, queue, staff_sessions
from intake.domain.clock import utc_now
from intake.extensions import limiter
from intake.observability import RequestIdFilter, configure_json_logging
from tests.conftest import CallbackVisitor, base_config, command_environ
from tests.factories import make_staff, submit_request, utc

ROOT = Path(__file__).resolve().parents[1]


def test_healthz_says_the_process_is_up(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_the_database_and_the_schema(app, client):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["schema"] == app.extensions["intake"].schema_head


def test_readyz_is_not_ready_on_a_database_without_the_schema(tmp_path, app_config):
    empty_database = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
    }
    empty = create_app({**app_config, **empty_database})
    answer = empty.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["status"] == "schema is not at the latest migration"


def test_readyz_is_not_ready_when_the_database_is_unreachable(app_config):
    settings = {
        **app_config,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/x",
    }
    answer = create_app(settings).test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "database unavailable"}


def scrape(client, **kwargs) -> dict[str, float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    return {
        sample.name + str(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_count_the_queue_and_the_submissions(client, visitor, db_session, vault):
    before = scrape(client).get("intake_callback_submissions_total[('result', 'stored')]", 0)
    visitor.submit()
    submit_request(db_session, vault, in_danger=True)
    samples = scrape(client)
    assert samples["intake_requests_waiting[]"] == 2
    assert samples["intake_requests_urgent[]"] == 1
    assert samples["intake_requests_overdue[]"] == 0
    assert samples["intake_callback_submissions_total[('result', 'stored')]"] == before + 1
    assert any(name.startswith("intake_request_duration_seconds_bucket") for name in samples)


def test_metrics_are_only_for_this_machine_or_the_token_holder(app_config):
    app = create_app({**app_config, "INTAKE_METRICS_TOKEN": "scrape-me-please"})
    client = app.test_client()
    far_away = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    assert client.get("/metrics", **far_away).status_code == 403
    wrong = {"Authorization": "Bearer guess"}
    assert client.get("/metrics", headers=wrong, **far_away).status_code == 403
    right = {"Authorization": "Bearer scrape-me-please"}
    assert client.get("/metrics", headers=right, **far_away).status_code == 200


def test_every_response_carries_a_request_id(client):
    generated = client.get("/healthz").headers["X-Request-Id"]
    assert len(generated) == 32
    given = client.get("/healthz", headers={"X-Request-Id": "abc123-from-nginx"})
    assert given.headers["X-Request-Id"] == "abc123-from-nginx"
    hostile = client.get("/healthz", headers={"X-Request-Id": "<script>"})
    assert hostile.headers["X-Request-Id"] != "<script>"


@pytest.fixture
def logging_put_back():
    """The root logger as it was before the test set it up as gunicorn and the commands
    do (in the test itself, so that its handler writes to the test's stderr)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


def test_log_lines_are_json_with_the_request_id(app, capsys, logging_put_back):
    configure_json_logging()
    with app.test_request_context("/", headers={"X-Request-Id": "req-12345678"}):
        app.preprocess_request()
        logging.getLogger("intake.test").warning("something happened")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "something happened"
    assert line["request_id"] == "req-12345678"
    assert line["level"] == "WARNING"


def test_a_log_line_escapes_quotes_line_breaks_and_control_bytes(capsys, logging_put_back):
    configure_json_logging()
    logging.getLogger("intake.test").warning('a "quoted"\nline\x00 with %s', "{}\r\x1b")
    [written] = capsys.readouterr().err.splitlines()
    assert json.loads(written)["message"] == 'a "quoted"\nline\x00 with {}\r\x1b'
    assert "\x00" not in written and "\x1b" not in written


def test_readyz_writes_nothing_to_the_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    assert [client.get("/readyz").status_code for _ in range(3)] == [200, 200, 200]
    assert [record.getMessage() for record in caplog.records] == []


def test_the_request_id_filter_works_outside_requests():
    record = logging.LogRecord("x", logging.INFO, "", 0, "message", None, None)
    assert RequestIdFilter().filter(record) and record.request_id == "-"


def test_behind_a_trusted_proxy_the_client_address_comes_from_it(app_config):
    app = create_app({**app_config, "INTAKE_TRUSTED_PROXIES": 1})
    client = app.test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert client.get("/metrics", headers=forwarded).status_code == 403
    untrusted = create_app(app_config).test_client()
    assert untrusted.get("/metrics", headers=forwarded).status_code == 200


@pytest.fixture
def limiter_forgets_the_dead_store():
    """The limiter is one object for every app in this process, and it remembers a dead
    store: afterwards it must not, or a later test's limits would count in the fallback
    until the limiter rechecks its store, then start again from zero."""
    yield
    limiter._storage_dead = False


def test_with_redis_unreachable_the_form_still_works_and_it_is_logged_once(
    tmp_path, sqlite_template, caplog, limiter_forgets_the_dead_store
):
    database = tmp_path / "intake.db"
    shutil.copy(sqlite_template, database)
    config = base_config(f"sqlite:///{database}")
    app = create_app({**config, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"})
    visitor = CallbackVisitor(app.test_client())
    with caplog.at_level(logging.WARNING):
        statuses = [visitor.submit().status_code for _ in range(3)]
    assert statuses == [303, 303, 303]
    fallbacks = [r for r in caplog.records if "falling back to in-memory" in r.getMessage()]
    assert len(fallbacks) == 1


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_need_no_sign_in_and_send_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_metrics_give_the_oldest_wait_and_the_staff_active_now(client, agent, db_session, vault):
    assert scrape(client)["intake_oldest_waiting_seconds[]"] == 0
    submit_request(db_session, vault, now=utc_now() - timedelta(minutes=12))
    samples = scrape(client)
    assert 12 * 60 <= samples["intake_oldest_waiting_seconds[]"] < 13 * 60
    assert samples["intake_staff_active[]"] == 1


def test_the_oldest_wait_counts_only_requests_that_may_be_called_now(db_session, vault):
    now = utc(2026, 11, 25, 14, 0)
    assert queue.oldest_wait(db_session, now) == timedelta(0)
    submit_request(db_session, vault, now=now - timedelta(minutes=5))
    booked = {"when": "later", "day": date(2026, 11, 26), "window": "10-12"}
    submit_request(db_session, vault, now=now - timedelta(hours=3), **booked)
    assert queue.oldest_wait(db_session, now) == timedelta(minutes=5)


def test_staff_count_as_active_for_five_minutes_after_they_were_last_seen(db_session):
    now = utc(2026, 11, 25, 14, 0)
    member, colleague = make_staff(db_session), make_staff(db_session, name="Noor")
    staff_sessions.start(db_session, member, now - timedelta(minutes=4))
    staff_sessions.start(db_session, colleague, now - timedelta(minutes=6))
    assert staff_sessions.active_staff(db_session, now) == 1


def test_with_the_database_down_metrics_still_answer_and_say_so(app_config):
    settings = {
        **app_config,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/x",
    }
    client = create_app(settings).test_client()
    scrape(client)
    samples = scrape(client)
    assert samples["intake_database_up[]"] == 0
    assert "intake_requests_waiting[]" not in samples
    # What needs no database is still given: this process's own request timings.
    timings = (
        "intake_request_duration_seconds_count[('endpoint', 'ops.metrics'), ('method', 'GET')]"
    )
    assert samples[timings] >= 1


def test_with_the_database_up_metrics_say_so(client):
    assert scrape(client)["intake_database_up[]"] == 1


def heartbeat(samples: dict[str, float], job: str) -> float | None:
    return samples.get(f"intake_job_last_success_timestamp_seconds[('task', '{job}')]")


def test_a_job_that_succeeds_gives_its_heartbeat_and_one_never_run_gives_none(app, client):
    assert app.test_cli_runner().invoke(args=["release-holds"]).exit_code == 0
    samples = scrape(client)
    assert utc_now().timestamp() - heartbeat(samples, job_runs.RELEASE_HOLDS) < 60
    assert heartbeat(samples, job_runs.PURGE) is None
    for job in job_runs.JOBS:
        assert samples[f"intake_job_failures_total[('task', '{job}')]"] == 0


def test_a_heartbeat_written_by_a_cron_process_reaches_metrics(sqlite_template, tmp_path):
    environ = command_environ(sqlite_template, tmp_path)
    command = [sys.executable, "-m", "flask", "--app", "intake", "purge"]
    subprocess.run(command, env=environ, cwd=ROOT, check=True, capture_output=True)
    client = create_app(base_config(environ["DATABASE_URL"])).test_client()
    assert utc_now().timestamp() - heartbeat(scrape(client), job_runs.PURGE) < 60


@pytest.mark.parametrize(
    ("command", "job", "broken"),
    [
        (["release-holds"], job_runs.RELEASE_HOLDS, "intake.domain.queue.release_expired_holds"),
        (["purge"], job_runs.PURGE, "intake.domain.retention.expire_forgotten"),
        (["reports", "keep"], job_runs.REPORT_DAYS, "intake.domain.report_days.keep_some"),
    ],
)
def test_a_job_that_fails_is_logged_without_its_data_counted_and_exits_1(
    app, client, monkeypatch, caplog, command, job, broken
):
    def bug(*args, **kwargs):
        raise RuntimeError("Zebedee Quill +447400987654")

    monkeypatch.setattr(broken, bug)
    runner = app.test_cli_runner()
    first, second = runner.invoke(args=command), runner.invoke(args=command)
    assert (first.exit_code, second.exit_code) == (1, 1)
    samples = scrape(client)
    assert samples[f"intake_job_failures_total[('task', '{job}')]"] == 2
    assert heartbeat(samples, job) is None
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"The {job} job failed: RuntimeError at intake/cli.py:" in logged
    assert "Zebedee" not in logged + first.output and "987654" not in logged + first.output


def test_a_later_success_is_kept_when_an_earlier_one_is_recorded_after_it(db_session):
    now = utc(2026, 11, 25, 14, 0)
    job_runs.succeeded(db_session, job_runs.OUTBOX, now)
    job_runs.succeeded(db_session, job_runs.OUTBOX, now - timedelta(seconds=30))
    job_runs.failed(db_session, job_runs.OUTBOX, now)
    (outbox_runs,) = [runs for runs in job_runs.all_runs(db_session) if runs.job == "outbox"]
    assert (outbox_runs.last_success_at, outbox_runs.failures) == (now, 1)
