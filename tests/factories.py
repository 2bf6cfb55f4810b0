"""Builders for the rows and forms tests need, with valid defaults to override."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from intake.domain.callbacks import CallbackAnswers, CallbackPolicy

LONDON = ZoneInfo("Europe/London")
POLICY = CallbackPolicy(zone=LONDON, target=timedelta(minutes=15))

VALID_FORM = {
    "name": "Sam",
    "phone": "07400 123 456",
    "email": "",
    "when": "asap",
    "for_whom": "me",
    "topics": ["alcohol"],
    "voicemail_ok": "no",
    "say_who_we_are": "no",
    "text_first": "yes",
    "in_danger": "no",
    "message": "",
    "consent": "y",
}


def valid_form(**overrides) -> dict:
    """The callback form as a visitor would fill it in; None leaves a field out."""
    form = {**VALID_FORM, **overrides}
    return {name: value for name, value in form.items() if value is not None}


def make_answers(**overrides) -> CallbackAnswers:
    values = {
        "name": "Sam",
        "phone": "+447400123456",
        "for_whom": "me",
        "in_danger": False,
        "topics": ("alcohol",),
        "voicemail_ok": False,
        "say_who_we_are": False,
        "text_first": True,
    }
    return CallbackAnswers(**{**values, **overrides})


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
