"""Configuration from environment variables.

Development gets safe generated defaults (secrets kept in instance/dev-secrets.json,
readable only by their owner). With INTAKE_ENV=production the app refuses to start
without real secrets, and says which one is missing.
"""

import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from email_validator import EmailNotValidError, validate_email
from werkzeug.sansio.utils import host_is_trusted

from intake.domain import crypto
from intake.domain.passwords import PASSWORD_COSTS
from intake.domain.phones import InvalidPhone, parse_phone
from intake.mail import InvalidSmtpUrl, parse_smtp_url

REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "INTAKE_DATA_KEYS",
    "INTAKE_HELPLINE_PHONE",
    "DATABASE_URL",
    # How many proxies stand in front: 0 is a valid answer, but it must be given, or
    # behind nginx every visitor would share nginx's address (and its rate limits).
    "INTAKE_TRUSTED_PROXIES",
    # The form promises an email to visitors who give an address.
    "INTAKE_SMTP_URL",
    "INTAKE_MAIL_FROM",
    # Page links (canonical, og:url, sitemap, robots) are made from it, never from the
    # Host a request names, and the app answers no other host (TRUSTED_HOSTS).
    "INTAKE_PUBLIC_URL",
)
ENVIRONMENTS = ("development", "production")
DEVELOPMENT_MAIL_FROM = "callbacks@localhost"
# Seen in inboxes, maybe by others: it must not say what the service is about.
DEFAULT_MAIL_FROM_NAME = "Callback service"
MIN_SECRET_KEY_LENGTH = 32
# Optional secrets, but when given in production as long as SECRET_KEY: a short metrics
# token or webhook secret can be guessed (the token is compared on every scrape).
OPTIONAL_SECRETS = ("INTAKE_METRICS_TOKEN", "INTAKE_ALERT_WEBHOOK_SECRET")
# One address, no display name: INTAKE_MAIL_FROM_NAME gives the name.
MAIL_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+")
# An Ofcom number reserved for drama: it rings nobody. Production must set its own.
DEVELOPMENT_HELPLINE = "0808 157 0192"
# Where `make run` serves: the address page links use in development when
# INTAKE_PUBLIC_URL is unset (never the Host a request names).
DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"
# Who runs the line, shown on the service pages and beside every guide page. Development
# shows these placeholders; production refuses to start until each one is replaced.
ORGANISATION_PLACEHOLDERS = {
    "INTAKE_ORG_NAME": "Example Admissions Line Ltd (placeholder)",
    "INTAKE_ORG_ADDRESS": "1 Example Street, London EC1A 1AA (placeholder)",
    "INTAKE_ORG_REGISTRATION": (
        "registered with the Care Quality Commission, provider ID 1-000000000 (placeholder)"
    ),
    "INTAKE_ORG_EMAIL": "help@example.org",
    "INTAKE_PRIVACY_CONTACT": "privacy@example.org",
    # The data protection officer named on /privacy and in every footer (a person, or a
    # DPO service); INTAKE_PRIVACY_CONTACT is their address.
    "INTAKE_DPO_NAME": "Alex Example (placeholder)",
    "INTAKE_HOSTING_PROVIDER": "Example Hosting Ltd, in the UK (placeholder)",
    "INTAKE_REVIEWER_NAME": "Dr A. Reviewer (placeholder)",
    "INTAKE_REVIEWER_ROLE": "consultant in addiction psychiatry (placeholder)",
}


# How long copies outside the live database are kept, as /privacy states. Backups are
# deleted from cron (docs/deploy.md, "Backup and restore"); downloaded CSV files by the
# staff who made them. Unset, each is this many days, or the retention period if shorter.
KEEPING_PERIODS = {"INTAKE_BACKUP_DAYS": 14, "INTAKE_EXPORT_DAYS": 30}


class ConfigError(click.ClickException, RuntimeError):
    """The configuration is unsafe or unusable; the message says how to fix it.

    Said in one line, without a traceback, wherever the app is built: gunicorn prints a
    RuntimeError as "Error: ..." and exits, and so does `flask --app intake ...` for a
    ClickException."""


def load_config(
    instance_path: Path,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the Flask config: environment, then `overrides`, then checks."""
    environ = os.environ if environ is None else environ
    production = _environment(environ) == "production"
    if production:
        _require_production_secrets(environ)
        require_shared_rate_limits(environ)
    config = _from_environment(environ, instance_path, production)
    config.update(overrides or {})
    if not production:
        _fill_development_secrets(config, instance_path)
    _settle_keeping_periods(config)
    _check(config)
    return config


def _environment(environ: Mapping[str, str]) -> str:
    """The documented INTAKE_ENV values only: a misspelt "prodcution" must not quietly
    run as development, with generated secrets and insecure cookies."""
    name = environ.get("INTAKE_ENV", "development").strip()
    if name not in ENVIRONMENTS:
        raise ConfigError(
            f"INTAKE_ENV must be {' or '.join(ENVIRONMENTS)}, not {name!r}: "
            "the app will not guess which was meant."
        )
    return name


def require_shared_rate_limits(environ: Mapping[str, str], workers: int | None = None) -> None:
    """Several production workers each counting in their own memory would multiply every
    limit. gunicorn.conf.py asks again with the number of workers it is starting."""
    if _environment(environ) != "production":
        return
    if workers is None:
        workers = _whole_number(environ, "INTAKE_WORKERS", 0) or _whole_number(
            environ, "WEB_CONCURRENCY", 1
        )
    if workers > 1 and not environ.get("REDIS_URL", "").strip():
        raise ConfigError(
            f"INTAKE_ENV=production with {workers} workers needs REDIS_URL: "
            "without it each worker keeps its own rate limit counts."
        )


def _require_production_secrets(environ: Mapping[str, str]) -> None:
    for name in REQUIRED_IN_PRODUCTION:
        if not environ.get(name, "").strip():
            raise ConfigError(f"INTAKE_ENV=production needs {name}; it is not set.")
    if len(environ["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters.")
    for name in OPTIONAL_SECRETS:
        if 0 < len(environ.get(name, "").strip()) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"{name} must be at least {MIN_SECRET_KEY_LENGTH} characters (make one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))')."
            )
    for name, placeholder in ORGANISATION_PLACEHOLDERS.items():
        if environ.get(name, "").strip() in ("", placeholder):
            raise ConfigError(
                f"INTAKE_ENV=production needs {name}: the pages would show a placeholder."
            )


def _from_environment(environ: Mapping[str, str], instance_path: Path, production: bool) -> dict:
    database_url = environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'intake.db'}"
    redis_url = environ.get("REDIS_URL") or None
    keys = [key.strip() for key in environ.get("INTAKE_DATA_KEYS", "").split(",") if key.strip()]
    return {
        "INTAKE_ENV": "production" if production else "development",
        "SECRET_KEY": environ.get("SECRET_KEY") or None,
        "INTAKE_DATA_KEYS": keys,
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "pool_pre_ping": True},
        "SQLITE_BUSY_TIMEOUT_MS": _positive_int(environ, "INTAKE_SQLITE_BUSY_TIMEOUT_MS", 5000),
        "INTAKE_HELPLINE_PHONE": environ.get("INTAKE_HELPLINE_PHONE") or DEVELOPMENT_HELPLINE,
        "INTAKE_TIMEZONE": environ.get("INTAKE_TIMEZONE") or "Europe/London",
        "INTAKE_COUNTRY": (environ.get("INTAKE_COUNTRY") or "GB").upper(),
        "INTAKE_CALLBACK_TARGET_MINUTES": _positive_int(
            environ, "INTAKE_CALLBACK_TARGET_MINUTES", 15
        ),
        "INTAKE_RETENTION_DAYS": _positive_int(environ, "INTAKE_RETENTION_DAYS", 90),
        "INTAKE_WITHDRAWN_RETENTION_DAYS": _positive_int(
            environ, "INTAKE_WITHDRAWN_RETENTION_DAYS", 7
        ),
        "INTAKE_LEAVE_URL": environ.get("INTAKE_LEAVE_URL") or "https://www.bbc.co.uk/weather",
        **{
            name: environ.get(name, "").strip() or placeholder
            for name, placeholder in ORGANISATION_PLACEHOLDERS.items()
        },
        "INTAKE_EMAIL_PROVIDER": environ.get("INTAKE_EMAIL_PROVIDER", "").strip() or None,
        # Unset: Redis (the rate limits' store) runs on our own servers at the host.
        "INTAKE_REDIS_PROVIDER": environ.get("INTAKE_REDIS_PROVIDER", "").strip() or None,
        **{name: _optional_positive_int(environ, name) for name in KEEPING_PERIODS},
        "INTAKE_PUBLIC_URL": environ.get("INTAKE_PUBLIC_URL", "").strip().rstrip("/") or None,
        # Host names answered besides INTAKE_PUBLIC_URL's, in production (for probes
        # and metrics that reach gunicorn directly, say 127.0.0.1).
        "INTAKE_EXTRA_HOSTS": _names(environ.get("INTAKE_EXTRA_HOSTS", "")),
        # Unset in development: emails wait in the outbox, and nothing is sent.
        "INTAKE_SMTP_URL": environ.get("INTAKE_SMTP_URL", "").strip() or None,
        "INTAKE_MAIL_FROM": environ.get("INTAKE_MAIL_FROM", "").strip() or DEVELOPMENT_MAIL_FROM,
        "INTAKE_MAIL_FROM_NAME": environ.get("INTAKE_MAIL_FROM_NAME", "").strip()
        or DEFAULT_MAIL_FROM_NAME,
        # Alerts when requests wait unseen (intake.domain.alerts): none without either.
        "INTAKE_ALERT_EMAILS": _alert_emails(environ.get("INTAKE_ALERT_EMAILS", "")),
        "INTAKE_ALERT_WEBHOOK_URL": environ.get("INTAKE_ALERT_WEBHOOK_URL", "").strip() or None,
        "INTAKE_ALERT_WEBHOOK_SECRET": environ.get("INTAKE_ALERT_WEBHOOK_SECRET", "").strip()
        or None,
        "INTAKE_URGENT_ALERT_MINUTES": _positive_int(environ, "INTAKE_URGENT_ALERT_MINUTES", 5),
        "INTAKE_OVERDUE_ALERT_MINUTES": _positive_int(environ, "INTAKE_OVERDUE_ALERT_MINUTES", 15),
        # Supervisors are told again this often while an alerted request waits unseen.
        "INTAKE_ESCALATE_EVERY_MINUTES": _positive_int(
            environ, "INTAKE_ESCALATE_EVERY_MINUTES", 15
        ),
        "INTAKE_CALLBACK_RATE_LIMIT": environ.get("INTAKE_CALLBACK_RATE_LIMIT")
        or "10 per minute;60 per hour",
        "INTAKE_SIGN_IN_RATE_LIMIT": environ.get("INTAKE_SIGN_IN_RATE_LIMIT")
        or "10 per minute;50 per hour",
        "INTAKE_SIGN_IN_ADDRESS_RATE_LIMIT": environ.get("INTAKE_SIGN_IN_ADDRESS_RATE_LIMIT")
        or "60 per minute;300 per hour",
        "INTAKE_PASSWORD_COSTS": environ.get("INTAKE_PASSWORD_COSTS", "").strip() or "recommended",
        "INTAKE_STAFF_IDLE_MINUTES": _positive_int(environ, "INTAKE_STAFF_IDLE_MINUTES", 30),
        "INTAKE_STAFF_SESSION_HOURS": _positive_int(environ, "INTAKE_STAFF_SESSION_HOURS", 12),
        "INTAKE_HOLD_MINUTES": _positive_int(environ, "INTAKE_HOLD_MINUTES", 20),
        "INTAKE_RETRY_MINUTES": _positive_int(environ, "INTAKE_RETRY_MINUTES", 30),
        # An urgent request an agent would put off longer than this waits for a supervisor.
        "INTAKE_URGENT_MAX_DEFER_MINUTES": _positive_int(
            environ, "INTAKE_URGENT_MAX_DEFER_MINUTES", 120
        ),
        "INTAKE_MAX_UNANSWERED_CALLS": _positive_int(environ, "INTAKE_MAX_UNANSWERED_CALLS", 3),
        "INTAKE_QUEUE_POLL_SECONDS": _positive_int(environ, "INTAKE_QUEUE_POLL_SECONDS", 10),
        "INTAKE_WALLBOARD_POLL_SECONDS": _positive_int(
            environ, "INTAKE_WALLBOARD_POLL_SECONDS", 15
        ),
        "INTAKE_TEAM_COUNTS_CACHE_SECONDS": _whole_number(
            environ, "INTAKE_TEAM_COUNTS_CACHE_SECONDS", 3
        ),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis down: keep limiting in each worker's memory, log it once, never fail a page.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "INTAKE_TRUSTED_PROXIES": _whole_number(environ, "INTAKE_TRUSTED_PROXIES", 0),
        "INTAKE_METRICS_TOKEN": environ.get("INTAKE_METRICS_TOKEN", "").strip() or None,
        "RATELIMIT_HEADERS_ENABLED": False,
        "SESSION_COOKIE_NAME": "intake_session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        # Flask-WTF's HTTPS referrer check cannot work with Referrer-Policy: no-referrer
        # (browsers send no Referer); the signed token and SameSite cookies protect us.
        "WTF_CSRF_SSL_STRICT": False,
        "MAX_CONTENT_LENGTH": 64 * 1024,
    }


def _names(raw: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def _alert_emails(raw: str) -> tuple[str, ...]:
    """The addresses alerts go to, each checked (never looked up: no DNS at start-up)."""
    addresses: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            address = validate_email(item, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ConfigError(
                f"INTAKE_ALERT_EMAILS: {item!r} is not an email address ({error})"
            ) from None
        if address not in addresses:
            addresses.append(address)
    return tuple(addresses)


def sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (the one place that says so)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _whole_number(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < 0:
        raise ConfigError(f"{name} cannot be negative.")
    return value


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = _whole_number(environ, name, default)
    if value == 0:
        raise ConfigError(f"{name} must be greater than 0.")
    return value


def _optional_positive_int(environ: Mapping[str, str], name: str) -> int | None:
    """A whole number above 0, or None when the setting is not given."""
    if not environ.get(name, "").strip():
        return None
    return _positive_int(environ, name, 1)


def _fill_development_secrets(config: dict[str, Any], instance_path: Path) -> None:
    """Generate development secrets once and keep them, so data stays readable."""
    if config.get("SECRET_KEY") and config.get("INTAKE_DATA_KEYS"):
        return
    path = instance_path / "dev-secrets.json"
    if path.exists():
        stored = json.loads(path.read_text())
    else:
        stored = {"secret_key": secrets.token_urlsafe(48), "data_key": crypto.new_key()}
        instance_path.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(stored, handle)
    config["SECRET_KEY"] = config.get("SECRET_KEY") or stored["secret_key"]
    config["INTAKE_DATA_KEYS"] = config.get("INTAKE_DATA_KEYS") or [stored["data_key"]]


def _settle_keeping_periods(config: dict[str, Any]) -> None:
    """Backups and downloads are kept no longer than the personal data itself: an unset
    period is its default or the retention period, whichever is shorter; a longer one
    given on purpose stops the app."""
    retention = config["INTAKE_RETENTION_DAYS"]
    for name, default in KEEPING_PERIODS.items():
        days = config.get(name)
        if days is None:
            config[name] = min(default, retention)
        elif days > retention:
            raise ConfigError(
                f"{name} is {days}, more than INTAKE_RETENTION_DAYS ({retention}): copies "
                "would keep personal details long after the purge removed them."
            )


def _check(config: dict[str, Any]) -> None:
    for position, key in enumerate(config["INTAKE_DATA_KEYS"], start=1):
        if not crypto.is_valid_key(key):
            raise ConfigError(
                f"INTAKE_DATA_KEYS key {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            )
    try:
        ZoneInfo(config["INTAKE_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"INTAKE_TIMEZONE {config['INTAKE_TIMEZONE']!r} is not a time zone."
        ) from None
    try:
        parse_phone(config["INTAKE_HELPLINE_PHONE"], config["INTAKE_COUNTRY"])
    except InvalidPhone:
        raise ConfigError("INTAKE_HELPLINE_PHONE is not a valid phone number.") from None
    _check_password_costs(config)
    _check_mail(config)
    _check_alert_webhook(config)
    _settle_hosts(config)


def _check_password_costs(config: dict[str, Any]) -> None:
    costs = config["INTAKE_PASSWORD_COSTS"]
    if costs not in PASSWORD_COSTS:
        raise ConfigError(
            f"INTAKE_PASSWORD_COSTS must be {' or '.join(PASSWORD_COSTS)}, not {costs!r}."
        )
    if costs != "recommended" and config["INTAKE_ENV"] == "production":
        raise ConfigError(
            "INTAKE_PASSWORD_COSTS=cheapest is for tests: in production staff passwords "
            "are hashed at the recommended costs."
        )


def _check_mail(config: dict[str, Any]) -> None:
    if config.get("INTAKE_SMTP_URL"):
        try:
            parse_smtp_url(config["INTAKE_SMTP_URL"])
        except InvalidSmtpUrl as error:
            raise ConfigError(str(error)) from None
    sender = config["INTAKE_MAIL_FROM"]
    if not MAIL_ADDRESS.fullmatch(sender):
        raise ConfigError(f"INTAKE_MAIL_FROM {sender!r} is not an email address.")
    if any(char in config["INTAKE_MAIL_FROM_NAME"] for char in "\r\n"):
        raise ConfigError("INTAKE_MAIL_FROM_NAME must be on one line.")


def _check_alert_webhook(config: dict[str, Any]) -> None:
    """The URL may hold a token of its own (Slack's do): messages never repeat it."""
    url = config.get("INTAKE_ALERT_WEBHOOK_URL")
    if not url:
        return
    parts = urlsplit(url)
    try:
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        usable = False
    if not usable:
        raise ConfigError(
            "INTAKE_ALERT_WEBHOOK_URL must be an http:// or https:// address with a host "
            "(and a port that is a number, if it has one)."
        )
    if config["INTAKE_ENV"] == "production" and parts.scheme != "https":
        raise ConfigError("INTAKE_ALERT_WEBHOOK_URL must be https:// in production.")
    if not config.get("INTAKE_ALERT_WEBHOOK_SECRET"):
        raise ConfigError(
            "INTAKE_ALERT_WEBHOOK_URL is set without INTAKE_ALERT_WEBHOOK_SECRET: "
            "alerts are signed with it, so the receiver can tell them from forgeries."
        )


def _settle_hosts(config: dict[str, Any]) -> None:
    """The public address, checked; in production, the only hosts answered.

    Flask refuses any other Host with 400 (TRUSTED_HOSTS, checked for every request;
    intake.prepared_pages checks it too, as it answers before Flask). Page links come
    from the public address alone (intake.templating.public_url), so a page made for
    one Host is the same for every other, and the page caches keep one copy per path.
    """
    production = config["INTAKE_ENV"] == "production"
    url = config.get("INTAKE_PUBLIC_URL")
    if url:
        parts = urlsplit(url)
        try:
            usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
        except ValueError:  # a port that is not a number
            usable = False
        if not usable or parts.query or parts.fragment or "@" in parts.netloc:
            raise ConfigError(
                "INTAKE_PUBLIC_URL must be the site's address, like https://help.example.org."
            )
        if production and parts.scheme != "https":
            raise ConfigError("INTAKE_PUBLIC_URL must be https:// in production.")
        config["INTAKE_PUBLIC_URL"] = url.rstrip("/")
    extra = tuple(config.get("INTAKE_EXTRA_HOSTS") or ())
    for name in extra:
        if not host_is_trusted(name):
            raise ConfigError(f"INTAKE_EXTRA_HOSTS: {name!r} is not a host name.")
    # None: every host, in development (where the links name DEVELOPMENT_PUBLIC_URL).
    config["TRUSTED_HOSTS"] = [urlsplit(url).hostname, *extra] if production and url else None
