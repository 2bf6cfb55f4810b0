"""Everything the views need that is built once from configuration."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from limits import parse_many

from intake.config import ORGANISATION_PLACEHOLDERS
from intake.domain.alerts import AlertSettings
from intake.domain.callback_times import DAYS_AHEAD
from intake.domain.callbacks import CallbackPolicy
from intake.domain.calls import CallPolicy
from intake.domain.country import CountryProfile, PhoneLine, profile_for
from intake.domain.crypto import Vault
from intake.domain.phones import display_phone, parse_phone
from intake.domain.retention import RetentionPolicy
from intake.domain.staff_sessions import SessionLimits
from intake.pages import Library, load_library

PLACEHOLDER_MARK = "(placeholder)"


@dataclass(frozen=True)
class Organisation:
    """Who runs the line and who reviews its health pages, and what the privacy notice
    promises about copies and processors: all from configuration.

    `placeholders` names the fields still holding a development placeholder: those
    whose words do not say so themselves (the email addresses) are marked where shown.
    """

    name: str
    address: str
    registration: str
    email: str
    privacy_contact: str
    dpo_name: str
    hosting_provider: str
    email_provider: str | None
    reviewer_name: str
    reviewer_role: str
    redis_provider: str | None = None
    backup_days: int = 14
    export_days: int = 30
    rate_limit_seconds: int = 3600
    placeholders: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Organisation":
        values = {field: config[setting] for field, setting in _ORGANISATION_SETTINGS.items()}
        return cls(
            **values,
            email_provider=config["INTAKE_EMAIL_PROVIDER"],
            redis_provider=config.get("INTAKE_REDIS_PROVIDER"),
            backup_days=config["INTAKE_BACKUP_DAYS"],
            export_days=config["INTAKE_EXPORT_DAYS"],
            rate_limit_seconds=max(
                item.get_expiry() for item in parse_many(config["INTAKE_CALLBACK_RATE_LIMIT"])
            ),
            placeholders=frozenset(
                field
                for field, setting in _ORGANISATION_SETTINGS.items()
                if config[setting] == ORGANISATION_PLACEHOLDERS[setting]
            ),
        )

    def placeholder_mark(self, field: str) -> str:
        """' (placeholder)' after a development value that does not say so itself."""
        value = getattr(self, field)
        if field in self.placeholders and PLACEHOLDER_MARK not in value:
            return f" {PLACEHOLDER_MARK}"
        return ""

    def _email_link(self, field: str) -> str:
        """An address as a Markdown autolink, marked if it is a placeholder."""
        return f"<{getattr(self, field)}>{self.placeholder_mark(field)}"

    @property
    def rate_limit_window(self) -> str:
        """The longest the form's rate-limit counts last, in words: 'an hour'."""
        return _duration_words(self.rate_limit_seconds)

    @property
    def page_values(self) -> dict[str, str]:
        """The placeholders the service pages use: `$org_name` and the rest."""
        if self.email_provider:
            email_processor = f"{self.email_provider} sends our emails for us."
        else:
            email_processor = (
                "We send emails from our own mail server, so no email company sees your details."
            )
        if self.redis_provider:
            store_processor = f"{self.redis_provider} runs the store that keeps these counts."
        else:
            store_processor = (
                "The store that keeps these counts runs on our own servers at "
                f"{self.hosting_provider}, so no other company sees them."
            )
        return {
            "org_name": self.name,
            "org_address": self.address,
            "org_registration": self.registration,
            "org_email": self._email_link("email"),
            "privacy_contact": self._email_link("privacy_contact"),
            "dpo_name": self.dpo_name,
            "hosting_provider": self.hosting_provider,
            "email_processor": email_processor,
            "rate_limit_processor": store_processor,
            "rate_limit_window": self.rate_limit_window,
            "backup_days": str(self.backup_days),
            "export_days": str(self.export_days),
        }


# Each Organisation field read as it is from one of the organisation settings.
_ORGANISATION_SETTINGS = {
    "name": "INTAKE_ORG_NAME",
    "address": "INTAKE_ORG_ADDRESS",
    "registration": "INTAKE_ORG_REGISTRATION",
    "email": "INTAKE_ORG_EMAIL",
    "privacy_contact": "INTAKE_PRIVACY_CONTACT",
    "dpo_name": "INTAKE_DPO_NAME",
    "hosting_provider": "INTAKE_HOSTING_PROVIDER",
    "reviewer_name": "INTAKE_REVIEWER_NAME",
    "reviewer_role": "INTAKE_REVIEWER_ROLE",
}


def _duration_words(seconds: int) -> str:
    """'an hour', '2 days', 'a minute', '30 seconds'."""
    for unit, size, one in (
        ("day", 86400, "a day"),
        ("hour", 3600, "an hour"),
        ("minute", 60, "a minute"),
    ):
        if seconds % size == 0:
            count = seconds // size
            return one if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"


@dataclass(frozen=True)
class Service:
    vault: Vault
    policy: CallbackPolicy
    country: CountryProfile
    helpline: PhoneLine
    organisation: Organisation
    pages: Library
    retention: RetentionPolicy
    leave_url: str
    calls: CallPolicy
    hold_limit: timedelta
    session_limits: SessionLimits
    poll_seconds: int
    wallboard_poll_seconds: int
    alerts: AlertSettings

    @property
    def retention_days(self) -> int:
        """How long a closed request keeps its personal data, as the privacy notice says."""
        return self.retention.closed.days

    @property
    def idle_limit(self) -> timedelta:
        return self.session_limits.idle

    @property
    def zone(self) -> ZoneInfo:
        return self.policy.zone

    @property
    def zone_label(self) -> str:
        """How pages name the service's time zone: 'UK time' by default."""
        if self.zone.key == "Europe/London":
            return "UK time"
        return f"{self.zone.key.replace('_', ' ')} time"


def build_service(config: dict[str, Any]) -> Service:
    country = config["INTAKE_COUNTRY"]
    profile = profile_for(country)
    helpline_e164 = parse_phone(config["INTAKE_HELPLINE_PHONE"], country)
    retention_days = config["INTAKE_RETENTION_DAYS"]
    withdrawn_days = config["INTAKE_WITHDRAWN_RETENTION_DAYS"]
    helpline = PhoneLine(
        "Admissions line",
        display_phone(helpline_e164, country),
        "open 24 hours, every day",
        e164=helpline_e164,
    )
    organisation = Organisation.from_config(config)
    calls = CallPolicy(
        retry_delay=timedelta(minutes=config["INTAKE_RETRY_MINUTES"]),
        max_unanswered=config["INTAKE_MAX_UNANSWERED_CALLS"],
        # A call booked later than the form books, and never past the retention period.
        booking_horizon=min(timedelta(days=DAYS_AHEAD), timedelta(days=retention_days)),
        urgent_max_defer=timedelta(minutes=config["INTAKE_URGENT_MAX_DEFER_MINUTES"]),
    )
    page_values = {
        **profile.page_values,
        **organisation.page_values,
        "helpline_number": helpline.number,
        "retention_days": str(retention_days),
        "withdrawn_retention_days": str(withdrawn_days),
    }
    return Service(
        vault=Vault(config["INTAKE_DATA_KEYS"]),
        policy=CallbackPolicy(
            zone=ZoneInfo(config["INTAKE_TIMEZONE"]),
            target=timedelta(minutes=config["INTAKE_CALLBACK_TARGET_MINUTES"]),
        ),
        country=profile,
        helpline=helpline,
        organisation=organisation,
        pages=load_library(page_values),
        retention=RetentionPolicy.from_days(retention_days, withdrawn_days),
        leave_url=config["INTAKE_LEAVE_URL"],
        calls=calls,
        hold_limit=timedelta(minutes=config["INTAKE_HOLD_MINUTES"]),
        session_limits=SessionLimits(
            idle=timedelta(minutes=config["INTAKE_STAFF_IDLE_MINUTES"]),
            lifetime=timedelta(hours=config["INTAKE_STAFF_SESSION_HOURS"]),
        ),
        poll_seconds=config["INTAKE_QUEUE_POLL_SECONDS"],
        wallboard_poll_seconds=config["INTAKE_WALLBOARD_POLL_SECONDS"],
        alerts=AlertSettings.from_config(config),
    )


def current_service() -> Service:
    return current_app.extensions["intake"].service
