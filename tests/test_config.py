"""Configuration from the environment: safe in development, strict in production."""

import os
import stat

import pytest

from intake.config import ORGANISATION_PLACEHOLDERS, ConfigError, load_config
from intake.domain.crypto import new_key

PRODUCTION = {
    "INTAKE_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "INTAKE_DATA_KEYS": new_key(),
    "INTAKE_HELPLINE_PHONE": "0808 157 0192",
    "DATABASE_URL": "postgresql://intake@db/intake",
    **{name: f"Real value of {name}" for name in ORGANISATION_PLACEHOLDERS},
}


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "INTAKE_DATA_KEYS", "INTAKE_HELPLINE_PHONE", "DATABASE_URL"]
)
def test_production_refuses_to_start_without_a_secret_and_names_it(tmp_path, missing):
    environ = {**PRODUCTION, missing: ""}
    with pytest.raises(ConfigError, match=missing):
        load_config(tmp_path, environ)


@pytest.mark.parametrize("name", ORGANISATION_PLACEHOLDERS)
def test_production_refuses_to_start_while_an_organisation_detail_is_a_placeholder(
    tmp_path, name
):
    for value in ["", ORGANISATION_PLACEHOLDERS[name]]:
        with pytest.raises(ConfigError, match=name):
            load_config(tmp_path, {**PRODUCTION, name: value})


def test_development_shows_placeholders_that_say_what_they_are(tmp_path):
    config = load_config(tmp_path, {})
    assert "(placeholder)" in config["INTAKE_ORG_NAME"]
    assert config["INTAKE_REVIEWER_NAME"] == ORGANISATION_PLACEHOLDERS["INTAKE_REVIEWER_NAME"]


def test_production_refuses_a_short_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path, {**PRODUCTION, "SECRET_KEY": "dev"})


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
