"""The outbox: emails (and alert webhooks) are written in the same transaction as the
change that causes them, and a worker (`flask --app intake outbox run`) sends them
afterwards.

So a request is never stored without its email, nor an email sent for a request
that was rolled back. A message's address and words are sealed with the Vault in
`payload`; the other columns say only what kind of message it is, for which
request, and how sending went.

A worker claims due messages in one conditional UPDATE: on PostgreSQL the rows are
picked `FOR UPDATE SKIP LOCKED`, so workers running at once take different messages;
on SQLite writes are serialised and the same UPDATE is atomic. Claiming moves a
message's next attempt on by a lease and counts the attempt: no other worker takes
it meanwhile, and if its worker dies, it is tried again once the lease runs out.
A message is marked sent only after the server accepted it; each failure waits
longer before the next try, and after the last try the message is marked failed,
for a supervisor to see and try again.
"""

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake.domain import audit
from intake.domain.crypto import Vault
from intake.models import OutboxMessage

WAITING = "waiting"
SENT = "sent"
FAILED = "failed"
# The request's personal data was purged before the message could go.
DISCARDED = "discarded"
STATUSES = (WAITING, SENT, FAILED, DISCARDED)

# The visitor's confirmation, written with their request (intake.domain.callbacks).
CALLBACK_CONFIRMATION = "callback_confirmation"
# Alerts about requests waiting unseen (intake.domain.alerts): an email to one address
# of the alert list or to one supervisor, and a signed POST to the alert webhook.
ALERT_EMAIL = "alert_email"
ALERT_WEBHOOK = "alert_webhook"
# How supervisors read each kind of message.
KIND_LABELS = {
    CALLBACK_CONFIRMATION: "Callback confirmation to the visitor",
    ALERT_EMAIL: "Queue alert email to staff",
    ALERT_WEBHOOK: "Queue alert to the alert webhook",
}

BATCH_SIZE = 20
# Longer than a batch can take to send (each connection times out well before), so
# a message is never taken by a second worker while the first is still sending it.
CLAIM_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and how far apart, a message is tried: 1, 2, 4, 8... minutes."""

    max_attempts: int = 8
    first_wait: timedelta = timedelta(minutes=1)
    longest_wait: timedelta = timedelta(hours=1)

    def wait_after(self, attempts: int) -> timedelta:
        """The wait before the next try, after `attempts` tries have failed."""
        return min(self.first_wait * 2 ** max(attempts - 1, 0), self.longest_wait)


RETRIES = RetryPolicy()


@dataclass(frozen=True)
class Claimed:
    """A message one worker holds for one attempt."""

    id: int
    kind: str
    payload: bytes
    attempts: int
    claim_token: str


@dataclass(frozen=True)
class OutboxCounts:
    waiting: int
    failed: int
    sent: int
    oldest_waiting: datetime | None


def enqueue(
    session: Session,
    vault: Vault,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
    request_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the caller's transaction; it is committed (or not) with it."""
    message = OutboxMessage(
        kind=kind,
        request_id=request_id,
        status=WAITING,
        payload=vault.seal(payload),
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    return message


def _due(now: datetime):
    return (
        (OutboxMessage.status == WAITING)
        & (OutboxMessage.next_attempt_at <= now)
        & OutboxMessage.payload.is_not(None)
    )


def claim_due(
    session: Session, now: datetime, limit: int = BATCH_SIZE, lease: timedelta = CLAIM_LEASE
) -> list[Claimed]:
    """Take up to `limit` due messages for this worker, oldest due first, and commit."""
    token = secrets.token_hex(16)
    picked = (
        select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(picked), _due(now))
        .values(
            claim_token=token,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + lease,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.payload, OutboxMessage.attempts)
        .where(OutboxMessage.claim_token == token)
        .order_by(OutboxMessage.id)
    ).all()
    session.rollback()
    return [Claimed(row.id, row.kind, row.payload, row.attempts, token) for row in rows]


def _held(claim: Claimed):
    return update(OutboxMessage).where(
        OutboxMessage.id == claim.id, OutboxMessage.claim_token == claim.claim_token
    )


def mark_sent(session: Session, claim: Claimed, now: datetime) -> bool:
    """The server accepted the message: it is sent, and its sealed payload is dropped.

    False if the claim had lapsed and another worker took the message meanwhile.
    """
    result = session.execute(
        _held(claim).values(status=SENT, sent_at=now, payload=None, claim_token=None)
    )
    session.commit()
    return result.rowcount == 1


def mark_attempt_failed(
    session: Session,
    claim: Claimed,
    now: datetime,
    error: str,
    permanent: bool = False,
    policy: RetryPolicy = RETRIES,
) -> str:
    """Record a failed try: wait longer before the next, or, after the last try (or an
    error no retry will cure), mark the message failed. Returns its new status.

    `error` must name no person and no address: it is shown to supervisors.
    """
    if permanent or claim.attempts >= policy.max_attempts:
        values: dict[str, Any] = {"status": FAILED, "failed_at": now}
    else:
        values = {"next_attempt_at": now + policy.wait_after(claim.attempts)}
    status = values.get("status", WAITING)
    session.execute(_held(claim).values(claim_token=None, last_error=error[:200], **values))
    session.commit()
    return status


def release(session: Session, claims: Iterable[Claimed], now: datetime) -> None:
    """Give back messages claimed but not tried (the worker is stopping): they are due
    again at once, and the attempt is not counted. Commits."""
    for claim in claims:
        session.execute(
            _held(claim).values(
                claim_token=None, attempts=OutboxMessage.attempts - 1, next_attempt_at=now
            )
        )
    session.commit()


def counts(session: Session) -> OutboxCounts:
    """How many messages wait, have failed and were sent; when the oldest waiting was written."""
    by_status = dict(
        session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    oldest = session.scalar(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == WAITING)
    )
    session.rollback()
    return OutboxCounts(
        waiting=by_status.get(WAITING, 0),
        failed=by_status.get(FAILED, 0),
        sent=by_status.get(SENT, 0),
        oldest_waiting=oldest,
    )


def failed_messages(session: Session, limit: int = 50) -> list[OutboxMessage]:
    """Messages that could not be sent, newest failure first, for supervisors."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == FAILED)
            .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def try_again(session: Session, message_id: int, now: datetime, by: int | None = None) -> bool:
    """A failed message goes back in the queue with a fresh set of tries, audited as
    `by`'s doing; commits. False if it is not failed, or its personal data has been
    purged since."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == FAILED,
            OutboxMessage.payload.is_not(None),
        )
        .values(status=WAITING, attempts=0, next_attempt_at=now, failed_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        return False
    detail = {"message": message_id}
    audit.record(session, audit.EMAIL_RETRIED, staff_id=by, detail=detail, now=now)
    session.commit()
    return True


def forget_for_requests(session: Session, request_ids: Iterable[int]) -> None:
    """Retention: the purged requests' messages lose their sealed payload, and any not
    yet sent never will be. Part of the caller's transaction."""
    ids = list(request_ids)
    owned = OutboxMessage.request_id.in_(ids)
    session.execute(
        update(OutboxMessage)
        .where(owned, OutboxMessage.status.in_((WAITING, FAILED)))
        .values(status=DISCARDED, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(OutboxMessage)
        .where(owned, OutboxMessage.payload.is_not(None))
        .values(payload=None)
        .execution_options(synchronize_session=False)
    )
