"""Configuration from the environment: safe in development, strict in production."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from intake.config import (
    KEEPING_PERIODS,
    OPTIONAL_SECRETS,
    ORGANISATION_PLACEHOLDERS,
    REQUIRED_IN_PRODUCTION,
    ConfigError,
    load_config,
)
from intake.domain.crypto import new_key

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "INTAKE_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "INTAKE_DATA_KEYS": new_key(),
    "INTAKE_HELPLINE_PHONE": "0808 157 0192",
    "DATABASE_URL": "postgresql://intake@db/intake",
    "INTAKE_TRUSTED_PROXIES": "1",
    "INTAKE_SMTP_URL": "smtp+starttls://intake:secret@mail.example.org:587",
    "INTAKE_MAIL_FROM": "callbacks@example.org",
    "INTAKE_PUBLIC_URL": "https://help.example.org",
    **{name: f"Real value of {name}" for name in ORGANISATION_PLACEHOLDERS},
}


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_production_refuses_to_start_without_a_required_setting_and_names_it(tmp_path, missing):
    for environ in [{**PRODUCTION, missing: ""}, _without(PRODUCTION, missing)]:
        with pytest.raises(ConfigError, match=missing):
            load_config(tmp_path, environ)


def _without(environ: dict, name: str) -> dict:
    return {key: value for key, value in environ.items() if key != name}


def test_production_accepts_no_trusted_proxies_when_it_is_said_explicitly(tmp_path):
    config = load_config(tmp_path, {**PRODUCTION, "INTAKE_TRUSTED_PROXIES": "0"})
    assert config["INTAKE_TRUSTED_PROXIES"] == 0


def test_production_without_its_public_address_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError, match="INTAKE_ENV=production needs INTAKE_PUBLIC_URL"):
        load_config(tmp_path, _without(PRODUCTION, "INTAKE_PUBLIC_URL"))


def test_production_answers_only_its_public_host_and_the_extra_hosts_named(tmp_path):
    assert load_config(tmp_path, PRODUCTION)["TRUSTED_HOSTS"] == ["help.example.org"]
    probes = {**PRODUCTION, "INTAKE_EXTRA_HOSTS": " 127.0.0.1, localhost ,"}
    assert load_config(tmp_path, probes)["TRUSTED_HOSTS"] == [
        "help.example.org",
        "127.0.0.1",
        "localhost",
    ]


def test_development_answers_any_host_as_its_links_never_name_one(tmp_path):
    config = load_config(tmp_path, {})
    assert config["TRUSTED_HOSTS"] is None
    assert config["INTAKE_PUBLIC_URL"] is None  # pages use DEVELOPMENT_PUBLIC_URL


@pytest.mark.parametrize(
    "url",
    [
        "help.example.org",
        "ftp://help.example.org",
        "https://",
        "https://user:secret@help.example.org",
        "https://help.example.org:port",
        "https://help.example.org/?from=here",
    ],
)
def test_a_public_address_that_is_not_one_stops_the_app(tmp_path, url):
    with pytest.raises(ConfigError, match="INTAKE_PUBLIC_URL must be the site's address"):
        load_config(tmp_path, {"INTAKE_PUBLIC_URL": url})


def test_production_refuses_a_public_address_without_https(tmp_path):
    with pytest.raises(ConfigError, match="INTAKE_PUBLIC_URL must be https:// in production"):
        load_config(tmp_path, {**PRODUCTION, "INTAKE_PUBLIC_URL": "http://help.example.org"})


def test_an_extra_host_that_is_not_a_host_name_stops_the_app(tmp_path):
    with pytest.raises(ConfigError, match="INTAKE_EXTRA_HOSTS"):
        load_config(tmp_path, {**PRODUCTION, "INTAKE_EXTRA_HOSTS": "http://127.0.0.1/"})


@pytest.mark.parametrize("variable", ["INTAKE_WORKERS", "WEB_CONCURRENCY"])
def test_production_with_several_workers_refuses_to_start_without_redis(tmp_path, variable):
    with pytest.raises(ConfigError, match="4 workers needs REDIS_URL"):
        load_config(tmp_path, {**PRODUCTION, variable: "4"})
    shared = load_config(tmp_path, {**PRODUCTION, variable: "4", "REDIS_URL": "redis://r:6379/0"})
    assert shared["RATELIMIT_STORAGE_URI"] == "redis://r:6379/0"


def test_production_with_one_worker_may_count_rate_limits_in_memory(tmp_path):
    config = load_config(tmp_path, {**PRODUCTION, "INTAKE_WORKERS": "1"})
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize("value", ["prod", "Production", "producton", "staging", ""])
def test_an_unknown_environment_name_stops_the_app_instead_of_meaning_development(tmp_path, value):
    with pytest.raises(
        ConfigError, match=f"INTAKE_ENV must be development or production, not {value!r}"
    ):
        load_config(tmp_path, {**PRODUCTION, "INTAKE_ENV": value})


def test_the_documented_environment_names_are_accepted(tmp_path):
    assert load_config(tmp_path, {"INTAKE_ENV": "development"})["INTAKE_ENV"] == "development"
    assert (
        load_config(tmp_path, {**PRODUCTION, "INTAKE_ENV": " production\n"})["INTAKE_ENV"]
        == "production"
    )


@pytest.mark.parametrize("name", ORGANISATION_PLACEHOLDERS)
def test_production_refuses_to_start_while_an_organisation_detail_is_a_placeholder(tmp_path, name):
    for value in ["", ORGANISATION_PLACEHOLDERS[name]]:
        with pytest.raises(ConfigError, match=name):
            load_config(tmp_path, {**PRODUCTION, name: value})


def test_production_refuses_to_start_without_the_data_protection_officer(tmp_path):
    placeholder = ORGANISATION_PLACEHOLDERS["INTAKE_DPO_NAME"]
    for environ in [
        _without(PRODUCTION, "INTAKE_DPO_NAME"),
        {**PRODUCTION, "INTAKE_DPO_NAME": " "},
        {**PRODUCTION, "INTAKE_DPO_NAME": placeholder},
    ]:
        with pytest.raises(ConfigError, match="needs INTAKE_DPO_NAME"):
            load_config(tmp_path, environ)
    named = load_config(tmp_path, {**PRODUCTION, "INTAKE_DPO_NAME": "Sam Okafor"})
    assert named["INTAKE_DPO_NAME"] == "Sam Okafor"
    assert "(placeholder)" in load_config(tmp_path, {})["INTAKE_DPO_NAME"]


def test_backups_and_downloads_are_kept_14_and_30_days_unless_told_otherwise(tmp_path):
    config = load_config(tmp_path, {})
    assert (config["INTAKE_BACKUP_DAYS"], config["INTAKE_EXPORT_DAYS"]) == (14, 30)
    told = load_config(tmp_path, {"INTAKE_BACKUP_DAYS": "3", "INTAKE_EXPORT_DAYS": "2"})
    assert (told["INTAKE_BACKUP_DAYS"], told["INTAKE_EXPORT_DAYS"]) == (3, 2)


def test_backups_and_downloads_are_never_kept_longer_than_the_personal_data(tmp_path):
    short = load_config(tmp_path, {"INTAKE_RETENTION_DAYS": "7"})
    assert (short["INTAKE_BACKUP_DAYS"], short["INTAKE_EXPORT_DAYS"]) == (7, 7)
    for name in KEEPING_PERIODS:
        with pytest.raises(ConfigError, match=f"{name} is 91, more than INTAKE_RETENTION_DAYS"):
            load_config(tmp_path, {name: "91"})
        with pytest.raises(ConfigError, match=name):
            load_config(tmp_path, {**PRODUCTION, name: "0"})
        assert load_config(tmp_path, {name: "90"})[name] == 90


def test_development_shows_placeholders_that_say_what_they_are(tmp_path):
    config = load_config(tmp_path, {})
    assert "(placeholder)" in config["INTAKE_ORG_NAME"]
    assert config["INTAKE_REVIEWER_NAME"] == ORGANISATION_PLACEHOLDERS["INTAKE_REVIEWER_NAME"]


def test_production_refuses_a_short_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path, {**PRODUCTION, "SECRET_KEY": "dev"})


@pytest.mark.parametrize("name", OPTIONAL_SECRETS)
def test_production_refuses_a_metrics_token_or_webhook_secret_under_32_characters(tmp_path, name):
    for short in ["s" * 31, "...", f"  {'s' * 30}  "]:
        with pytest.raises(ConfigError, match=f"^{name} must be at least 32 characters"):
            load_config(tmp_path, {**PRODUCTION, name: short})
    assert load_config(tmp_path, {**PRODUCTION, name: "s" * 32})[name] == "s" * 32
    assert load_config(tmp_path, PRODUCTION)[name] is None


@pytest.mark.parametrize("name", OPTIONAL_SECRETS)
def test_development_takes_a_short_metrics_token_or_webhook_secret(tmp_path, name):
    assert load_config(tmp_path, {name: "short"})[name] == "short"


def test_staff_passwords_are_hashed_at_the_recommended_costs_unless_told_otherwise(tmp_path):
    assert load_config(tmp_path, {})["INTAKE_PASSWORD_COSTS"] == "recommended"
    cheap = load_config(tmp_path, {"INTAKE_PASSWORD_COSTS": "cheapest"})
    assert cheap["INTAKE_PASSWORD_COSTS"] == "cheapest"
    with pytest.raises(ConfigError, match="recommended or cheapest, not 'low'"):
        load_config(tmp_path, {"INTAKE_PASSWORD_COSTS": "low"})


def test_production_refuses_the_cheapest_password_costs(tmp_path):
    with pytest.raises(ConfigError, match="INTAKE_PASSWORD_COSTS=cheapest is for tests"):
        load_config(tmp_path, {**PRODUCTION, "INTAKE_PASSWORD_COSTS": "cheapest"})


def test_production_never_generates_secrets(tmp_path):
    config = load_config(tmp_path, PRODUCTION)
    assert not (tmp_path / "dev-secrets.json").exists()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://intake@db/intake"


def test_development_generates_secrets_once_and_keeps_them_private(tmp_path):
    first = load_config(tmp_path, {})
    second = load_config(tmp_path, {})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["INTAKE_DATA_KEYS"] == second["INTAKE_DATA_KEYS"]
    mode = stat.S_IMODE(os.stat(tmp_path / "dev-secrets.json").st_mode)
    assert mode == 0o600


def test_development_defaults(tmp_path):
    config = load_config(tmp_path, {})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'intake.db'}"
    assert config["INTAKE_TIMEZONE"] == "Europe/London"
    assert config["INTAKE_COUNTRY"] == "GB"
    assert config["INTAKE_CALLBACK_TARGET_MINUTES"] == 15
    assert config["INTAKE_RETENTION_DAYS"] == 90
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["SESSION_COOKIE_SECURE"] is False


def test_redis_url_carries_the_rate_limits(tmp_path):
    config = load_config(tmp_path, {"REDIS_URL": "redis://127.0.0.1:6379/2"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/2"


def test_data_keys_are_read_newest_first(tmp_path):
    newest, older = new_key(), new_key()
    config = load_config(tmp_path, {"INTAKE_DATA_KEYS": f"{newest}, {older}"})
    assert config["INTAKE_DATA_KEYS"] == [newest, older]


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"INTAKE_DATA_KEYS": "not-a-key"}, "INTAKE_DATA_KEYS"),
        ({"INTAKE_TIMEZONE": "Mars/Olympus"}, "INTAKE_TIMEZONE"),
        ({"INTAKE_HELPLINE_PHONE": "123"}, "INTAKE_HELPLINE_PHONE"),
        ({"INTAKE_CALLBACK_TARGET_MINUTES": "soon"}, "INTAKE_CALLBACK_TARGET_MINUTES"),
        ({"INTAKE_RETENTION_DAYS": "0"}, "INTAKE_RETENTION_DAYS"),
    ],
)
def test_unusable_settings_are_refused_by_name(tmp_path, environ, named):
    with pytest.raises(ConfigError, match=named):
        load_config(tmp_path, environ)


def test_overrides_win_over_the_environment(tmp_path):
    config = load_config(tmp_path, {"INTAKE_RETENTION_DAYS": "30"}, {"INTAKE_RETENTION_DAYS": 7})
    assert config["INTAKE_RETENTION_DAYS"] == 7


def test_gunicorn_with_several_production_workers_and_no_redis_does_not_start(tmp_path):
    """The real server and its settings file: told on its command line to start two
    workers, gunicorn refuses before starting any."""
    environ = {
        **_without(dict(os.environ), "REDIS_URL"),
        **PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2"]
    command += ["--bind", "127.0.0.1:0"]
    server = subprocess.Popen(command, env=environ, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        _, log = server.communicate(timeout=300)
    finally:
        server.kill()
    assert server.returncode != 0
    assert "with 2 workers needs REDIS_URL" in log
    assert "Booting worker" not in log


SHORT_SECRET_SAID = (
    "Error: {name} must be at least 32 characters (make one with "
    "python3 -c 'import secrets; print(secrets.token_urlsafe(32))')."
)


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (["flask", "--app", "intake", "routes"], "INTAKE_METRICS_TOKEN"),
        (["flask", "--app", "intake", "db", "upgrade"], "INTAKE_ALERT_WEBHOOK_SECRET"),
        (["gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0"], "INTAKE_METRICS_TOKEN"),
    ],
    ids=["flask-routes", "flask-db-upgrade", "gunicorn"],
)
def test_a_short_secret_stops_the_cli_and_gunicorn_in_one_line_without_a_traceback(
    tmp_path, command, name
):
    """The real programs an operator starts: what they print is the whole message."""
    environ = {
        **{key: value for key, value in os.environ.items() if not key.startswith("INTAKE_")},
        **PRODUCTION,
        name: "too-short-to-be-a-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
    }
    program = subprocess.Popen(
        [sys.executable, "-m", *command],
        env=environ,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = program.communicate(timeout=120)
    finally:
        program.kill()
    assert program.returncode == 1
    assert out == ""
    # gunicorn puts a blank line before and after it.
    assert [line for line in err.splitlines() if line] == [SHORT_SECRET_SAID.format(name=name)]


# Queue alerts


def test_alerts_are_off_by_default_with_5_and_15_minutes(tmp_path):
    config = load_config(tmp_path, {})
    assert config["INTAKE_ALERT_EMAILS"] == ()
    assert config["INTAKE_ALERT_WEBHOOK_URL"] is None
    assert config["INTAKE_URGENT_ALERT_MINUTES"] == 5
    assert config["INTAKE_OVERDUE_ALERT_MINUTES"] == 15


def test_alert_addresses_are_read_comma_separated_checked_and_counted_once(tmp_path):
    raw = " on-call@intake.example, Manager@Intake.Example ,,on-call@intake.example"
    config = load_config(tmp_path, {"INTAKE_ALERT_EMAILS": raw})
    assert config["INTAKE_ALERT_EMAILS"] == ("on-call@intake.example", "Manager@intake.example")


@pytest.mark.parametrize("bad", ["on-call", "on call@intake.example", "a@b@intake.example"])
def test_an_alert_address_that_is_not_one_stops_the_app_and_is_named(tmp_path, bad):
    with pytest.raises(ConfigError, match="INTAKE_ALERT_EMAILS") as refused:
        load_config(tmp_path, {"INTAKE_ALERT_EMAILS": f"ok@intake.example,{bad}"})
    assert repr(bad) in str(refused.value)


def test_an_alert_webhook_needs_its_secret(tmp_path):
    url = {"INTAKE_ALERT_WEBHOOK_URL": "https://hooks.example.org/T000/B000/tokenpart"}
    with pytest.raises(ConfigError, match="INTAKE_ALERT_WEBHOOK_SECRET") as refused:
        load_config(tmp_path, url)
    assert "tokenpart" not in str(refused.value)
    config = load_config(tmp_path, {**url, "INTAKE_ALERT_WEBHOOK_SECRET": "s" * 32})
    assert config["INTAKE_ALERT_WEBHOOK_URL"] == url["INTAKE_ALERT_WEBHOOK_URL"]


@pytest.mark.parametrize(
    "url",
    ["ftp://hooks.example.org/tokenpart", "https:///tokenpart", "https://h:port/tokenpart", "x"],
)
def test_an_unusable_alert_webhook_address_stops_the_app_without_repeating_it(tmp_path, url):
    environ = {"INTAKE_ALERT_WEBHOOK_URL": url, "INTAKE_ALERT_WEBHOOK_SECRET": "s" * 32}
    with pytest.raises(ConfigError, match="INTAKE_ALERT_WEBHOOK_URL") as refused:
        load_config(tmp_path, environ)
    assert "tokenpart" not in str(refused.value)


def test_production_posts_alerts_over_https_only(tmp_path):
    hook = {"INTAKE_ALERT_WEBHOOK_SECRET": "s" * 32}
    with pytest.raises(ConfigError, match="https:// in production"):
        load_config(tmp_path, {**PRODUCTION, **hook, "INTAKE_ALERT_WEBHOOK_URL": "http://h/x"})
    config = load_config(
        tmp_path, {**PRODUCTION, **hook, "INTAKE_ALERT_WEBHOOK_URL": "https://h/x"}
    )
    assert config["INTAKE_ALERT_WEBHOOK_URL"] == "https://h/x"
    development = load_config(tmp_path, {**hook, "INTAKE_ALERT_WEBHOOK_URL": "http://127.0.0.1/x"})
    assert development["INTAKE_ALERT_WEBHOOK_URL"] == "http://127.0.0.1/x"


@pytest.mark.parametrize("name", ["INTAKE_URGENT_ALERT_MINUTES", "INTAKE_OVERDUE_ALERT_MINUTES"])
def test_alert_minutes_are_whole_numbers_above_0(tmp_path, name):
    assert load_config(tmp_path, {name: "30"})[name] == 30
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ConfigError, match=name):
            load_config(tmp_path, {name: bad})
