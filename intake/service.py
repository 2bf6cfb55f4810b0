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
from intake.pages import Library, load_library


@dataclass(frozen=True)
class Service:
    vault: Vault
    policy: CallbackPolicy
    country: CountryProfile
    helpline: PhoneLine
    pages: Library
    retention_days: int
    leave_url: str
    calls: CallPolicy
    hold_limit: timedelta
    idle_limit: timedelta
    poll_seconds: int

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
    helpline_e164 = parse_phone(config["INTAKE_HELPLINE_PHONE"], country)
    retention_days = config["INTAKE_RETENTION_DAYS"]
    return Service(
        vault=Vault(config["INTAKE_DATA_KEYS"]),
        policy=CallbackPolicy(
            zone=ZoneInfo(config["INTAKE_TIMEZONE"]),
            target=timedelta(minutes=config["INTAKE_CALLBACK_TARGET_MINUTES"]),
        ),
        country=profile_for(country),
        helpline=PhoneLine(
            "Admissions line",
            display_phone(helpline_e164, country),
            "open 24 hours, every day",
            e164=helpline_e164,
        ),
        pages=load_library({"retention_days": str(retention_days)}),
        retention_days=retention_days,
        leave_url=config["INTAKE_LEAVE_URL"],
        calls=CallPolicy(
            retry_delay=timedelta(minutes=config["INTAKE_RETRY_MINUTES"]),
            max_unanswered=config["INTAKE_MAX_UNANSWERED_CALLS"],
        ),
        hold_limit=timedelta(minutes=config["INTAKE_HOLD_MINUTES"]),
        idle_limit=timedelta(minutes=config["INTAKE_STAFF_IDLE_MINUTES"]),
        poll_seconds=config["INTAKE_QUEUE_POLL_SECONDS"],
    )


def current_service() -> Service:
    return current_app.extensions["intake"]
