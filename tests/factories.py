"""Builders for the rows and forms tests need, with valid defaults to override."""

import base64
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from intake.domain import calls, queue
from intake.domain.callbacks import CallbackAnswers, CallbackPolicy, submit_callback
from intake.domain.second_factor import start_enrolment
from intake.domain.staff_accounts import complete_sign_in, create_staff
from intake.models import CallbackRequest, RequestNote

LONDON = ZoneInfo("Europe/London")
POLICY = CallbackPolicy(zone=LONDON, target=timedelta(minutes=15))
CALL_POLICY = calls.CallPolicy(retry_delay=timedelta(minutes=30), max_unanswered=3)

# Every field a visitor may fill in on the callback form: its public contract.
FORM_FIELDS = (
    "name",
    "phone",
    "email",
    "when",
    "day",
    "window",
    "for_whom",
    "topics",
    "voicemail_ok",
    "say_who_we_are",
    "text_first",
    "in_danger",
    "message",
    "consent",
    "relationship",
    "person_knows",
    "ask_for",
    "needs",
    "interpreter_language",
    "other_needs",
)

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


STAFF_PASSWORD = "correct horse battery staple"


def make_staff(session, *, role: str = "agent", email: str | None = None, name: str = "Alex"):
    """A staff account with a strong password, its second factor not yet set up."""
    return create_staff(
        session,
        email=email or f"{role}-{next(_serial)}@intake.example",
        name=name,
        role=role,
        password=STAFF_PASSWORD,
    )


def enrol(session, vault, staff) -> str:
    """Set up the member's second factor; returns the TOTP secret."""
    secret = start_enrolment(session, vault, staff, "test").secret
    complete_sign_in(session, staff)
    return secret


def submit_request(session, vault, *, token: str | None = None, now=None, **answers):
    """A stored callback request, as the public form would make it."""
    receipt = submit_callback(
        session, vault, make_answers(**answers), token or f"token-{next(_serial)}", POLICY, now=now
    )
    return session.get(CallbackRequest, receipt.request_id)


_serial = iter(range(1, 1_000_000))


def take_and_call(session, vault, request, staff, at, outcome=calls.REACHED, **extra):
    """`staff` takes the request at `at` and records a call at once."""
    queue.take(session, request, staff, now=at)
    if outcome == calls.REACHED:
        extra.setdefault("result", "assessment_booked")
    calls.record_attempt(
        session, vault, request, staff, outcome=outcome, policy=CALL_POLICY, now=at, **extra
    )


def cursor_text(*values: object) -> str:
    """A queue cursor as a page link carries it, holding whatever values a test needs."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def typed_reason(session, vault, event) -> str | None:
    """The reason a member typed for an audit line, opened from its sealed record."""
    reason = session.query(RequestNote).filter_by(audit_event_id=event.id).one_or_none()
    return vault.open(reason.body)["text"] if reason and reason.body else None
