"""Every change of a request's status, in one place.

`change_status` checks the change against the table in states.py, sets or clears
the hold, stamps the times, writes the audit event and marks the report days the
change alters, in the caller's transaction. The ORM's version column makes the
UPDATE conditional: if someone changed the request meanwhile, the commit fails
(StaleDataError) and nothing of the change is written. Putting many held requests
back at once is its one sibling, `return_held_to_queue`, a single conditional UPDATE
that writes each request's audit line and marks its days itself.

Nothing else may write a status: the ORM refuses it (intake.models.StatusWriteRefused),
so no writer can forget the audit line or the report days.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from intake.domain import audit, states
from intake.models import (
    CHANGE_STATUS,
    RETURN_HELD_TO_QUEUE,
    STATUS_WRITER,
    AuditEvent,
    CallbackRequest,
    ReportChange,
    StaffMember,
)

# The audit lines that begin a hold: the reports count a hold to the day it began, and
# any later change of status or holder ends it (intake.domain.report_days).
HOLD_STARTS = (audit.REQUEST_TAKEN, audit.REQUEST_REASSIGNED)


@contextmanager
def _writing_status(writer: str) -> Iterator[None]:
    """The ORM lets `writer` (one of the two of intake.models) write statuses meanwhile."""
    token = STATUS_WRITER.set(writer)
    try:
        yield
    finally:
        STATUS_WRITER.reset(token)


def change_status(
    session: Session,
    request: CallbackRequest,
    target: str,
    *,
    by: StaffMember | None,
    now: datetime,
    holder: StaffMember | None = None,
    event: str = audit.STATUS_CHANGED,
    words: bytes | None = None,
    detail: dict | None = None,
) -> None:
    """Move `request` to `target` (raises TransitionRefused if the table forbids it).

    In progress means held: by `holder`, or else by `by`. Any other status has no
    hold. A closed request gets its closing time and can no longer be withdrawn by
    the visitor's link; a reopened one loses its closing time. `words` are the
    reason typed for the change, sealed (audit.seal_words).
    """
    states.check_transition(request.status, target)
    detail = {"from": request.status, "to": target, **(detail or {})}
    # Read every id before changing anything: reading an expired attribute after a
    # change would flush it early, outside the caller's commit.
    staff_id, request_id = (by.id if by else None), request.id
    counted_at = counted_moments(session, request)
    held = holder or by if target == states.IN_PROGRESS else None
    held_by_id = held.id if held else None
    with _writing_status(CHANGE_STATUS):
        request.status = target
    request.held_by_id = held_by_id
    request.held_at = now if held_by_id else None
    request.handed_over_by_id = None
    if target in states.OPEN_STATUSES:
        request.closed_at = None
    else:
        request.closed_at = now
        request.withdraw_digest = None
        # Closed, nothing is left for a supervisor to decide (intake.domain.supervision).
        request.needs_supervisor = request.needs_supervisor_at = None
    audit.record(
        session,
        event,
        staff_id=staff_id,
        request_id=request_id,
        detail=detail,
        now=now,
        words=words,
    )
    mark_report_days(session, *counted_at)


def commit_unless_changed_meanwhile(session: Session) -> bool:
    """Commit a change; False (and nothing written) if someone changed the request first."""
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        return False
    return True


def hand_over(
    session: Session, request: CallbackRequest, to: StaffMember, *, by: StaffMember, now: datetime
) -> None:
    """Give a request to a colleague: held by them from now (taken for them if waiting),
    a fresh hold, marked as handed over by `by` until they open it."""
    detail = {"given_to": to.id}
    if request.status == states.IN_PROGRESS:
        mark_report_days(session, *counted_moments(session, request))  # the hold ends
        request.held_by_id = to.id
        request.held_at = now
        request.handed_over_by_id = by.id
        audit.record(
            session,
            audit.REQUEST_REASSIGNED,
            staff_id=by.id,
            request_id=request.id,
            detail=detail,
            now=now,
        )
        return
    change_status(
        session,
        request,
        states.IN_PROGRESS,
        by=by,
        holder=to,
        now=now,
        event=audit.REQUEST_REASSIGNED,
        detail=detail,
    )
    request.handed_over_by_id = by.id


def return_held_to_queue(
    session: Session,
    *conditions,
    event: str,
    now: datetime,
    by_id: int | None = None,
    detail: dict | None = None,
) -> list[int]:
    """Put every held request matching `conditions` back in the queue in one UPDATE,
    and write each its audit line (`event`: an expired hold, a release because its
    holder signed out or was disabled; `by_id`: who, if anyone) and its report days'
    marks, here, so no caller can leave a request without them. Returns their ids."""
    states.check_transition(states.IN_PROGRESS, states.NEW)
    with _writing_status(RETURN_HELD_TO_QUEUE):
        released = session.execute(
            update(CallbackRequest)
            .where(CallbackRequest.status == states.IN_PROGRESS, *conditions)
            .values(
                status=states.NEW,
                held_by_id=None,
                held_at=None,
                version=CallbackRequest.version + 1,
            )
            .returning(CallbackRequest.id, CallbackRequest.created_at)
            .execution_options(synchronize_session=False)
        ).all()
    ids = [request_id for request_id, _ in released]
    mark_report_days(session, *(made for _, made in released), *_hold_starts(session, ids))
    detail = {"from": states.IN_PROGRESS, "to": states.NEW, **(detail or {})}
    for request_id in ids:
        audit.record(session, event, staff_id=by_id, request_id=request_id, detail=detail, now=now)
    return ids


# The reports' kept days: the writers say which days they change


def mark_report_days(session: Session, *moments: datetime | None) -> None:
    """The figures of the days holding `moments` have changed: each kept day (of any
    zone) holding one is worked out again (intake.domain.report_days). Written in the
    caller's transaction, so the mark and the change are committed together."""
    session.add_all([ReportChange(at=moment) for moment in set(moments) if moment])


def counted_moments(session: Session, request: CallbackRequest) -> list[datetime]:
    """When the reports count this request: the day it was made (how it stands, its
    first call) and the day its latest hold began (a change of status ends that hold).

    Read without flushing: a change the caller has made already is written at its
    commit, where a change made meanwhile by someone else is caught, not here."""
    with session.no_autoflush:
        return [request.created_at, *_hold_starts(session, [request.id])]


def _hold_starts(session: Session, request_ids: list[int]) -> list[datetime]:
    """When each request's latest hold began (requests never held: none)."""
    if not request_ids:
        return []
    query = (
        select(func.max(AuditEvent.occurred_at))
        .where(AuditEvent.request_id.in_(request_ids), AuditEvent.action.in_(HOLD_STARTS))
        .group_by(AuditEvent.request_id)
    )
    with session.no_autoflush:
        return list(session.scalars(query))
