"""Retention: personal data is removed once the service has no more use for it.

- A closed request keeps it for `closed` (INTAKE_RETENTION_DAYS) after closing.
- A withdrawn one loses it within `withdrawn` (INTAKE_WITHDRAWN_RETENTION_DAYS):
  the visitor asked us not to call.
- An open request still waiting `closed` after it was due will never be called: it
  is closed as expired (audited, through change_status) and loses its data at once.
- Its emails in the outbox go with it: their sealed address and words are dropped,
  and one not yet sent never will be.

The request row stays, anonymous (status, urgency, times, source page), so the
service can still be counted and timed. On SQLite every connection overwrites what
it deletes (secure_delete, see intake.extensions), and the purge ends by emptying
the write-ahead log, so no copy of removed data is left in the database's files.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from intake.domain import audit, cache_generation, outbox, sign_in_guesses, states
from intake.domain.staff_sessions import DRAFT_KEPT_FOR
from intake.domain.status import change_status, commit_unless_changed_meanwhile
from intake.models import CallbackRequest, HandoverNote, RequestNote, StaffSession

CLOSED = tuple(status for status in states.STATUSES if status not in states.OPEN_STATUSES)
BATCH_SIZE = 500
# The purge runs once a day (docs/deploy.md). The privacy notice promises a withdrawn
# request's details are gone *within* N days, so a run takes them once N - 1 days old.
PURGE_EVERY = timedelta(days=1)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionPolicy:
    """How long personal data is kept after a request closes, and after a withdrawal."""

    closed: timedelta
    withdrawn: timedelta

    @classmethod
    def from_days(cls, closed: int, withdrawn: int) -> "RetentionPolicy":
        return cls(closed=timedelta(days=closed), withdrawn=timedelta(days=withdrawn))


def _due_for_purge(now: datetime, policy: RetentionPolicy) -> ColumnElement[bool]:
    withdrawn_cutoff = now - max(policy.withdrawn - PURGE_EVERY, timedelta(0))
    return and_(
        CallbackRequest.purged_at.is_(None),
        or_(
            and_(
                CallbackRequest.status.in_(CLOSED),
                CallbackRequest.closed_at < now - policy.closed,
            ),
            and_(
                CallbackRequest.status == states.WITHDRAWN,
                CallbackRequest.closed_at <= withdrawn_cutoff,
            ),
            CallbackRequest.status == states.EXPIRED,
        ),
    )


def _forgotten(now: datetime, policy: RetentionPolicy) -> ColumnElement[bool]:
    """Open, and due longer ago than the retention period: nobody will call it now."""
    return and_(
        CallbackRequest.status.in_(states.OPEN_STATUSES),
        CallbackRequest.due_at < now - policy.closed,
    )


def count_due(session: Session, now: datetime, policy: RetentionPolicy) -> int:
    """How many requests a purge now would empty, forgotten open ones included."""
    due = or_(_due_for_purge(now, policy), _forgotten(now, policy))
    return session.scalar(select(func.count()).select_from(CallbackRequest).where(due)) or 0


def expire_forgotten(
    session: Session, now: datetime, policy: RetentionPolicy, batch_size: int = BATCH_SIZE
) -> int:
    """Close as expired every forgotten open request, audited; returns how many.

    Commits a batch at a time. If someone changed a request of the batch meanwhile,
    nothing of the batch is written and the next round looks at it afresh (a request
    called again for later is no longer forgotten).
    """
    expired = 0
    while requests := list(
        session.scalars(
            select(CallbackRequest)
            .where(_forgotten(now, policy))
            .order_by(CallbackRequest.id)
            .limit(batch_size)
        )
    ):
        for request in requests:
            change_status(
                session, request, states.EXPIRED, by=None, now=now, event=audit.REQUEST_EXPIRED
            )
        if commit_unless_changed_meanwhile(session):
            expired += len(requests)
    return expired


def purge(
    session: Session, now: datetime, policy: RetentionPolicy, batch_size: int = BATCH_SIZE
) -> Iterator[int]:
    """Remove personal data batch by batch, committing each; yields each batch's size.

    Forgotten open requests are closed as expired first. Safe to run again and again:
    purged requests are never picked twice.
    """
    expire_forgotten(session, now, policy, batch_size)
    while ids := _next_batch(session, now, policy, batch_size):
        _remove_personal_data(session, ids, now)
        yield len(ids)
    _forget_shift_leftovers(session, now - policy.closed, now)
    leave_no_copies(session)


def _next_batch(
    session: Session, now: datetime, policy: RetentionPolicy, batch_size: int
) -> list[int]:
    return list(
        session.scalars(
            select(CallbackRequest.id)
            .where(_due_for_purge(now, policy))
            .order_by(CallbackRequest.id)
            .limit(batch_size)
        )
    )


def _remove_personal_data(session: Session, ids: list[int], now: datetime) -> None:
    remove_personal_data(session, ids, now)
    audit.record(session, audit.PERSONAL_DATA_PURGED, detail={"requests": len(ids)}, now=now)
    session.commit()


def remove_personal_data(session: Session, ids: list[int], now: datetime) -> None:
    """Empty these requests of everything personal, in the caller's transaction: the
    sealed answers, lookup hashes and links, every note and reason typed about them,
    their emails; each worker then forgets the answers it kept in memory."""
    session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id.in_(ids))
        .values(
            personal_data=None,
            phone_hash=None,
            email_hash=None,
            withdraw_digest=None,
            receipt_digest=None,
            purged_at=now,
            version=CallbackRequest.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(update(RequestNote).where(RequestNote.request_id.in_(ids)).values(body=None))
    outbox.forget_for_requests(session, ids)
    cache_generation.bump(session)


def _forget_shift_leftovers(session: Session, cutoff: datetime, now: datetime) -> None:
    """Handover notes and ended staff sessions are gone after retention, and a typed
    call kept for the next sign-in is dropped once nobody came back for it."""
    session.execute(delete(HandoverNote).where(HandoverNote.written_at < cutoff))
    session.execute(delete(StaffSession).where(StaffSession.ended_at < cutoff))
    sign_in_guesses.forget_old_throttles(session, now)
    session.execute(
        update(StaffSession)
        .where(StaffSession.ended_at < now - DRAFT_KEPT_FOR, StaffSession.draft.is_not(None))
        .values(draft=None)
    )
    session.commit()


def leave_no_copies(session: Session) -> bool:
    """On SQLite, write every change into the database file and empty the WAL.

    With secure_delete on, the file then holds no copy of what was removed. False
    (and a warning) if a reader kept the WAL busy: the next purge empties it.
    PostgreSQL keeps old row versions until VACUUM instead (docs/deploy.md).
    """
    if session.get_bind().dialect.name != "sqlite":
        return True
    busy = session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).scalar()
    session.commit()
    if busy:
        log.warning("SQLite could not empty its write-ahead log: a reader was busy.")
    return not busy
