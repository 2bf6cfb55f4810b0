"""The messages in the outbox: emails composed from templates/email/ (the visitor's)
or from the alert's facts, sent over SMTP, and alerts posted to the alert webhook.

`send_due` is one round of the worker (`flask --app intake outbox run`). Nothing
personal is logged: only how many messages went, wait or failed.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from functools import partial
from typing import Any

from flask import render_template
from sqlalchemy.orm import Session

from intake import mail, webhooks
from intake.domain import alerts, outbox
from intake.domain.callback_times import WINDOWS_BY_CODE
from intake.domain.crypto import UnreadableData, Vault
from intake.domain.estimate import wait_words
from intake.service import Service
from intake.templating import local_time

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sender:
    """Who the emails come from, the server that takes them (None: not configured),
    and the webhook alerts are posted to (None: not configured)."""

    address: str
    name: str
    smtp: mail.SmtpSettings | None
    webhook: webhooks.Webhook | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Sender":
        url = config.get("INTAKE_SMTP_URL")
        return cls(
            address=config["INTAKE_MAIL_FROM"],
            name=config["INTAKE_MAIL_FROM_NAME"],
            smtp=mail.parse_smtp_url(url) if url else None,
            webhook=webhooks.Webhook.from_config(config),
        )


@dataclass
class RoundReport:
    """What one round did: sent, to be tried again later, failed for good."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.sent or self.retrying or self.failed)

    def __str__(self) -> str:
        return (
            f"Sent {self.sent}, {self.retrying} to try again later, "
            f"{self.failed} failed after the last try."
        )


Send = Callable[[mail.SmtpSettings, EmailMessage], None]
Post = Callable[[webhooks.Webhook, bytes], None]


def send_due(
    session: Session,
    service: Service,
    sender: Sender,
    now: datetime,
    send: Send = mail.send,
    stopping: Callable[[], bool] = lambda: False,
    post: Post = webhooks.post,
) -> RoundReport:
    """Claim the messages due now, send (or post) each, and record how each went.

    If `stopping()` turns true (SIGTERM), the messages not yet tried are given back.
    """
    if sender.smtp is None:
        raise RuntimeError("INTAKE_SMTP_URL is not set: nothing can be sent.")
    report = RoundReport()
    claims = outbox.claim_due(session, now)
    for position, claim in enumerate(claims):
        if stopping():
            outbox.release(session, claims[position:], now)
            break
        outcome = _attempt(session, claim, service, sender, now, send, post)
        if outcome == outbox.SENT:
            report.sent += 1
        elif outcome == outbox.FAILED:
            report.failed += 1
        else:
            report.retrying += 1
    if report.anything:
        log.info("Outbox round: %s", report)
    return report


def _attempt(
    session: Session,
    claim: outbox.Claimed,
    service: Service,
    sender: Sender,
    now: datetime,
    send: Send,
    post: Post,
) -> str:
    """One try at one message; returns its status afterwards."""
    try:
        if claim.kind == outbox.ALERT_WEBHOOK:
            deliver = partial(post, *_webhook_post(claim, service, sender, now))
        else:
            deliver = partial(send, sender.smtp, compose(claim, service, sender, now))
    except (UnreadableError, KeyError, ValueError) as error:
        reason = str(error) if isinstance(error, UnreadableError) else type(error).__name__
        return outbox.mark_attempt_failed(
            session, claim, now, f"Could not compose the message: {reason}", permanent=True
        )
    try:
        deliver()
    except mail.DeliveryError as error:
        return outbox.mark_attempt_failed(session, claim, now, error.description, error.permanent)
    if not outbox.mark_sent(session, claim, now):
        log.warning("Outbox message %d was sent after its claim had lapsed.", claim.id)
    return outbox.SENT


class UnreadableError(Exception):
    """A message that cannot be composed: trying again will not help."""


def compose(claim: outbox.Claimed, service: Service, sender: Sender, now: datetime) -> EmailMessage:
    """The email a claimed message stands for."""
    if claim.kind == outbox.CALLBACK_CONFIRMATION:
        return confirmation_email(_open(service.vault, claim.payload), service, sender, now)
    if claim.kind == outbox.ALERT_EMAIL:
        return alert_email(_open(service.vault, claim.payload), service, sender, now)
    raise UnreadableError(f"it is of an unknown kind, {claim.kind[:40]}.")


def _webhook_post(
    claim: outbox.Claimed, service: Service, sender: Sender, now: datetime
) -> tuple[webhooks.Webhook, bytes]:
    """Where an alert is posted, and the exact bytes (signed as they are sent)."""
    if sender.webhook is None:
        raise UnreadableError("INTAKE_ALERT_WEBHOOK_URL is not set.")
    facts = _open(service.vault, claim.payload)
    _subject, text = alerts.describe(facts, service.zone, service.zone_label)
    return sender.webhook, webhooks.body(facts, text, now)


def _open(vault: Vault, payload: bytes) -> dict[str, Any]:
    try:
        return vault.open(payload)
    except UnreadableData:
        raise UnreadableError("none of the data keys opens it.") from None


def confirmation_email(
    facts: dict[str, Any], service: Service, sender: Sender, now: datetime
) -> EmailMessage:
    """The visitor's email: their reference, when we will call and from which number,
    and how to withdraw. A neutral subject; nothing about why they asked."""
    context = {
        "reference": facts["reference"],
        "when": call_time_words(facts, service),
        "time_set_aside": facts.get("chosen_time_set_aside", False),
        "emergency_number": service.country.emergency.number,
        # Someone in danger: the same lines the confirmation page gives them.
        "emergency_lines": (
            (service.country.emergency, *service.country.support) if facts.get("urgent") else ()
        ),
        "zone_label": service.zone_label,
        "number": service.helpline.number,
        "from_name": sender.name,
    }
    message = EmailMessage()
    message["Subject"] = f"Your reference {facts['reference']}"
    message["From"] = formataddr((sender.name, sender.address))
    message["To"] = facts["to"]
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.address.rpartition("@")[2])
    message.set_content(render_template("email/callback_confirmation.txt", **context))
    message.add_alternative(
        render_template("email/callback_confirmation.html", **context), subtype="html"
    )
    return message


def alert_email(
    facts: dict[str, Any], service: Service, sender: Sender, now: datetime
) -> EmailMessage:
    """An alert to one member of staff: references and counts, a neutral subject."""
    subject, text = alerts.describe(facts, service.zone, service.zone_label)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((sender.name, sender.address))
    message["To"] = facts["to"]
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.address.rpartition("@")[2])
    message.set_content(text + "\n")
    return message


def call_time_words(facts: dict[str, Any], service: Service) -> str:
    """'as soon as possible: we aim to call within 25 minutes, by about 2:35pm on Friday
    27 November', or 'on Friday 27 November, from 10am to midday', in the service's
    zone. Messages written before the aim was kept say 'by' the due time."""
    window = WINDOWS_BY_CODE.get(facts.get("window") or "")
    if facts.get("when") == "later" and facts.get("day") and window:
        return f"on {_day_words(date.fromisoformat(facts['day']))}, from {window.label}"
    if facts.get("aim_minutes") and facts.get("created_at"):
        minutes = facts["aim_minutes"]
        aim = datetime.fromisoformat(facts["created_at"]) + timedelta(minutes=minutes)
        local = aim.astimezone(service.zone)
        return (
            f"as soon as possible: we aim to call within {wait_words(minutes)}, "
            f"by about {local_time(local)} on {_day_words(local.date())}"
        )
    due = datetime.fromisoformat(facts["due_at"]).astimezone(service.zone)
    return f"by {local_time(due)} on {_day_words(due.date())}"


def _day_words(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"
