"""Taking a visitor's callback request: store it once, confirm it, let them withdraw it."""

import secrets
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.domain import audit, outbox, states
from intake.domain.callback_times import WINDOWS_BY_CODE, window_bounds
from intake.domain.clock import utc_now
from intake.domain.crypto import Vault, token_digest
from intake.domain.phones import phone_ending
from intake.domain.references import new_reference
from intake.domain.status import change_status, commit_unless_changed_meanwhile
from intake.models import CallbackRequest, OutboxMessage

requests_table = CallbackRequest.__table__
# One statement, no unit of work: the submission is the hottest write we have.
STORE = insert(requests_table).returning(requests_table.c.id)

REFERENCE_ATTEMPTS = 5
ASAP = "asap"
LATER = "later"


# What a visitor may say the call is about, and how staff read it.
TOPICS = {
    "alcohol": "Alcohol",
    "cocaine": "Cocaine",
    "opioids": "Opioids, such as heroin",
    "prescription": "Prescription medicines",
    "other": "Something else",
    "prefer_not_to_say": "I would rather not say",
}

# Ways of talking to us a visitor may need, as the form offers them.
NEEDS = {
    "interpreter": "An interpreter",
    "bsl": "British Sign Language (BSL), through a video relay service",
    "relay_uk": "Relay UK (text relay)",
}


@dataclass(frozen=True)
class CallbackAnswers:
    """What the visitor told us, already validated."""

    name: str
    phone: str
    for_whom: str
    in_danger: bool
    when: str = ASAP
    day: date | None = None
    window: str | None = None
    # A time the visitor chose that was set aside because someone is in danger.
    chosen_time_set_aside: bool = False
    email: str | None = None
    topics: tuple[str, ...] = ()
    voicemail_ok: bool | None = None
    say_who_we_are: bool | None = None
    text_first: bool | None = None
    message: str | None = None
    source_page: str | None = None
    # Calling for someone else: who they are to the visitor, whether they know we
    # will call ("yes", "no", "not_sure") and whom to ask for.
    relationship: str | None = None
    person_knows: str | None = None
    ask_for: str | None = None
    # Communication needs: codes of NEEDS, the interpreter's language, anything else.
    needs: tuple[str, ...] = ()
    interpreter_language: str | None = None
    other_needs: str | None = None

    def as_queued(self) -> "CallbackAnswers":
        """The answers as the queue takes them: when someone is in immediate danger the
        call is as soon as possible, never at a time chosen for later (the urgent flag
        must not wait for a slot days ahead), and the set-aside choice is noted."""
        if not self.in_danger or self.when == ASAP:
            return self
        return replace(self, when=ASAP, day=None, window=None, chosen_time_set_aside=True)

    def personal(self) -> dict[str, Any]:
        """The answers that are sealed together, encrypted, in one column.

        Fields added later have defaults, and readers use .get, so older sealed
        answers still read."""
        answers = asdict(self)
        del answers["source_page"]
        answers["day"] = self.day.isoformat() if self.day else None
        answers["topics"] = list(self.topics)
        answers["needs"] = list(self.needs)
        return answers


@dataclass(frozen=True)
class CallbackPolicy:
    """The service settings that decide when a request is due."""

    zone: ZoneInfo
    target: timedelta


@dataclass(frozen=True)
class Receipt:
    """What the visitor gets back once a request is stored: a token for one look at
    the confirmation (the server keeps only its digest, and spends it on that look).
    None for a form sent again after its confirmation was shown: it is not shown twice."""

    request_id: int
    reference: str
    token: str | None
    repeated: bool


@dataclass(frozen=True)
class Confirmation:
    reference: str
    due_at: datetime
    phone_ending: str
    urgent: bool
    when: str
    created_at: datetime | None = None
    # None: the visitor left the question blank (we do the discreet thing).
    voicemail_ok: bool | None = None
    say_who_we_are: bool | None = None
    chosen_time_set_aside: bool = False
    # A new single-use secret for the withdraw button, while it can still be withdrawn.
    withdraw_secret: str | None = None


def call_times(
    answers: CallbackAnswers, now: datetime, policy: CallbackPolicy
) -> tuple[datetime, datetime, datetime]:
    """(callable from, due at, overdue after). ASAP: callable now, due and overdue after
    the callback target. A chosen window: callable and due at its start (or now, if it
    has begun), overdue only once it has ended. Urgent requests are always ASAP."""
    answers = answers.as_queued()
    if answers.when == LATER and answers.day and answers.window:
        start, end = window_bounds(answers.day, WINDOWS_BY_CODE[answers.window], policy.zone)
        start = max(start.astimezone(UTC), now)
        return start, start, max(end.astimezone(UTC), now)
    return now, now + policy.target, now + policy.target


def submit_callback(
    session: Session,
    vault: Vault,
    answers: CallbackAnswers,
    submission_token: str,
    policy: CallbackPolicy,
    now: datetime | None = None,
    aim: timedelta | None = None,
) -> Receipt:
    """Store the request exactly once per submission token, and commit.

    `aim` is how soon we aim to call an as-soon-as-possible request (the figure the
    form showed: intake.domain.estimate); the email repeats it.

    A token seen before (a double click, a resend, a retry) returns the request
    already stored instead of making a second one: the unique submission digest
    refuses the second insert, so the common case costs one INSERT and no lookup.
    """
    now = now or utc_now()
    answers = answers.as_queued()
    submission = token_digest(submission_token)
    callable_from, due_at, overdue_at = call_times(answers, now, policy)
    row = {
        "urgent": answers.in_danger,
        "created_at": now,
        "due_at": due_at,
        "overdue_at": overdue_at,
        "callable_from": callable_from,
        "first_callable_at": callable_from,
        "source_page": answers.source_page,
        "personal_data": vault.seal(answers.personal()),
        "phone_hash": vault.phone_hash(answers.phone),
        "email_hash": vault.email_hash(answers.email) if answers.email else None,
        "submission_digest": submission,
    }
    for _ in range(REFERENCE_ATTEMPTS):
        reference, receipt_token = new_reference(), secrets.token_urlsafe(32)
        unique = {"reference": reference, "receipt_digest": token_digest(receipt_token)}
        try:
            request_id = session.execute(STORE, {**row, **unique}).scalar_one()
            if answers.email:  # written with the request: both are stored, or neither
                _enqueue_confirmation(
                    session, vault, answers, request_id, reference, due_at, now, aim
                )
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = _find_by_submission(session, submission)
            if existing is not None:
                return _repeat(session, existing)
            continue  # the reference was taken: draw another
        return Receipt(request_id, reference, receipt_token, repeated=False)
    raise RuntimeError("no free reference after several attempts")


def _enqueue_confirmation(
    session: Session,
    vault: Vault,
    answers: CallbackAnswers,
    request_id: int,
    reference: str,
    due_at: datetime,
    now: datetime,
    aim: timedelta | None = None,
) -> OutboxMessage:
    """The visitor's email: only what it says (reference, when we will call) and where
    it goes. Never their name, number, topics or message. An as-soon-as-possible call
    is described by `aim` from `now` (what the form and confirmation said), falling
    back on the due time."""
    payload = {
        "to": answers.email,
        "reference": reference,
        "when": answers.when,
        "due_at": due_at.isoformat(),
        "created_at": now.isoformat(),
        "aim_minutes": int(aim.total_seconds() // 60) if aim else None,
        "chosen_time_set_aside": answers.chosen_time_set_aside,
        "urgent": answers.in_danger,
        "day": answers.day.isoformat() if answers.day else None,
        "window": answers.window,
    }
    kind = outbox.CALLBACK_CONFIRMATION
    return outbox.enqueue(session, vault, kind, payload, now, request_id=request_id)


def _find_by_submission(session: Session, submission: str) -> CallbackRequest | None:
    query = select(CallbackRequest).where(CallbackRequest.submission_digest == submission)
    return session.scalar(query)


def _repeat(session: Session, request: CallbackRequest) -> Receipt:
    """A resent form (a double click, a refresh after a dropped answer): a fresh look
    at the confirmation, while it has not been shown. Once it has, the form sent again
    (from history, on a shared device) shows nothing: the confirmation shows once.

    Racing resends each write their own receipt; the last one written is the one
    that works, as the browser shows the last answer it got.
    """
    receipt_token = secrets.token_urlsafe(32)
    renew = update(CallbackRequest).where(
        CallbackRequest.id == request.id, CallbackRequest.receipt_digest.is_not(None)
    )
    renewed = session.execute(renew.values(receipt_digest=token_digest(receipt_token)))
    session.commit()
    token = receipt_token if renewed.rowcount == 1 else None
    return Receipt(request.id, request.reference, token, repeated=True)


def show_confirmation(session: Session, vault: Vault, receipt_token: str) -> Confirmation | None:
    """The confirmation, once per receipt: the receipt is spent as it is read, in one
    conditional UPDATE, so the same token replayed later or at the same moment, from
    this browser or any other, shows nothing.

    While the request can still be withdrawn, a new withdrawal secret is issued with
    it (a secret shown earlier stops working).
    """
    withdraw_secret = secrets.token_urlsafe(32)
    withdrawable = requests_table.c.status.in_(states.statuses_that_may_become(states.WITHDRAWN))
    spend = (
        update(requests_table)
        .where(
            requests_table.c.receipt_digest == token_digest(receipt_token),
            requests_table.c.personal_data.is_not(None),
        )
        .values(
            receipt_digest=None,
            withdraw_digest=case(
                (withdrawable, token_digest(withdraw_secret)),
                else_=requests_table.c.withdraw_digest,
            ),
        )
        .returning(
            requests_table.c.reference,
            requests_table.c.due_at,
            requests_table.c.created_at,
            requests_table.c.urgent,
            requests_table.c.personal_data,
            withdrawable.label("withdrawable"),
        )
    )
    shown = session.execute(spend).one_or_none()
    session.commit()
    if shown is None:
        return None
    personal = vault.open(shown.personal_data)
    return Confirmation(
        reference=shown.reference,
        due_at=shown.due_at,
        phone_ending=phone_ending(personal["phone"]),
        urgent=shown.urgent,
        when=personal["when"],
        created_at=shown.created_at,
        voicemail_ok=personal.get("voicemail_ok"),
        say_who_we_are=personal.get("say_who_we_are"),
        chosen_time_set_aside=personal.get("chosen_time_set_aside", False),
        withdraw_secret=withdraw_secret if shown.withdrawable else None,
    )


def withdraw_callback(session: Session, secret: str, now: datetime | None = None) -> str | None:
    """Withdraw the request this single-use secret belongs to; return its reference.

    Closing clears the secret, and the version check lets only one of two racing
    withdrawals commit, so it works once; None means the secret is unknown, spent,
    or the request is already closed. Whoever holds the request sees the change at once.
    """
    now = now or utc_now()
    request = session.scalar(
        select(CallbackRequest).where(
            CallbackRequest.withdraw_digest == token_digest(secret),
            CallbackRequest.status.in_(states.statuses_that_may_become(states.WITHDRAWN)),
        )
    )
    if request is None:
        session.rollback()
        return None
    change_status(
        session, request, states.WITHDRAWN, by=None, now=now, event=audit.REQUEST_WITHDRAWN
    )
    # An email saying when we will call would no longer be true: it never goes.
    outbox.forget_for_requests(session, [request.id])
    return request.reference if commit_unless_changed_meanwhile(session) else None
