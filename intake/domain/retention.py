"""Retention: personal data of closed requests is removed after the retention period.

The request row stays, anonymous (status, urgency, times, source page), so the
service can still be counted and timed.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from intake.domain import audit, states
from intake.domain.staff_sessions import DRAFT_KEPT_FOR
from intake.models import CallbackRequest, HandoverNote, RequestNote, StaffSession

CLOSED = tuple(status for status in states.STATUSES if status not in states.OPEN_STATUSES)
BATCH_SIZE = 500


def _due_for_purge(cutoff: datetime):
    return (
        CallbackRequest.status.in_(CLOSED),
        CallbackRequest.closed_at < cutoff,
        CallbackRequest.purged_at.is_(None),
    )


def count_due(session: Session, now: datetime, retention: timedelta) -> int:
    query = select(func.count()).select_from(CallbackRequest)
    return session.scalar(query.where(*_due_for_purge(now - retention))) or 0


def purge(
    session: Session, now: datetime, retention: timedelta, batch_size: int = BATCH_SIZE
) -> Iterator[int]:
    """Remove personal data batch by batch, committing each; yields each batch's size.

    Safe to run again and again: purged requests are never picked twice.
    """
    cutoff = now - retention
    while True:
        ids = list(
            session.scalars(
                select(CallbackRequest.id)
                .where(*_due_for_purge(cutoff))
                .order_by(CallbackRequest.id)
                .limit(batch_size)
            )
        )
        if not ids:
            _forget_shift_leftovers(session, cutoff, now)
            return
        session.execute(
            update(CallbackRequest)
            .where(CallbackRequest.id.in_(ids))
            .values(
                personal_data=None,
                phone_hash=None,
                withdraw_digest=None,
                purged_at=now,
                version=CallbackRequest.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(RequestNote).where(RequestNote.request_id.in_(ids)).values(body=None)
        )
        audit.record(session, audit.PERSONAL_DATA_PURGED, detail={"requests": len(ids)}, now=now)
        session.commit()
        yield len(ids)


def _forget_shift_leftovers(session: Session, cutoff: datetime, now: datetime) -> None:
    """Handover notes and ended staff sessions are gone after retention, and a typed
    call kept for the next sign-in is dropped once nobody came back for it."""
    session.execute(delete(HandoverNote).where(HandoverNote.written_at < cutoff))
    session.execute(delete(StaffSession).where(StaffSession.ended_at < cutoff))
    session.execute(
        update(StaffSession)
        .where(StaffSession.ended_at < now - DRAFT_KEPT_FOR, StaffSession.draft.is_not(None))
        .values(draft=None)
    )
    session.commit()
