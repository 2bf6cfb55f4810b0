"""Everything the views need that is built once from configuration."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from intake.domain.callbacks import CallbackPolicy
from intake.domain.calls import CallPolicy
from intake.domain.country import CountryProfile, PhoneLine, profile_for
from intake.domain.crypto import Vault
from intake.domain.phones import display_phone, parse_phone
from intake.domain.retention import RetentionPolicy
from intake.domain.staff_sessions import SessionLimits
from intake.pages import Library, load_library


@dataclass(frozen=True)
class Organisation:
    """Who runs the line, and who reviews its health pages: all from configuration."""

    name: str
    address: str
    registration: str
    email: str
    privacy_contact: str
    hosting_provider: str
    email_provider: str | None
    reviewer_name: str
    reviewer_role: str

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Organisation":
        return cls(
            name=config["INTAKE_ORG_NAME"],
            address=config["INTAKE_ORG_ADDRESS"],
            registration=config["INTAKE_ORG_REGISTRATION"],
            email=config["INTAKE_ORG_EMAIL"],
            privacy_contact=config["INTAKE_PRIVACY_CONTACT"],
            hosting_provider=config["INTAKE_HOSTING_PROVIDER"],
            email_provider=config["INTAKE_EMAIL_PROVIDER"],
            reviewer_name=config["INTAKE_REVIEWER_NAME"],
            reviewer_role=config["INTAKE_REVIEWER_ROLE"],
        )

    @property
    def page_values(self) -> dict[str, str]:
        """The placeholders the service pages use: `$org_name` and the rest."""
        if self.email_provider:
            email_processor = f"{self.email_provider} sends our emails for us."
        else:
            email_processor = (
                "We send emails from our own mail server, so no email company sees your details."
            )
        return {
            "org_name": self.name,
            "org_address": self.address,
            "org_registration": self.registration,
            "org_email": self.email,
            "privacy_contact": self.privacy_contact,
            "hosting_provider": self.hosting_provider,
            "email_processor": email_processor,
        }


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
    )


def current_service() -> Service:
    return current_app.extensions["intake"].service
