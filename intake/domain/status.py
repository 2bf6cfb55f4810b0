"""Every change of a request's status, in one place.

`change_status` checks the change against the table in states.py, sets or clears
the hold, stamps the times and writes the audit event, in the caller's
transaction. The ORM's version column makes the UPDATE conditional: if someone
changed the request meanwhile, the commit fails (StaleDataError) and nothing of
the change is written. Putting many expired holds back at once is its one sibling,
`return_held_to_queue`, a single conditional UPDATE.
"""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from intake.domain import audit, states
from intake.models import CallbackRequest, StaffMember


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
    held = holder or by if target == states.IN_PROGRESS else None
    held_by_id = held.id if held else None
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


def return_held_to_queue(session: Session, *conditions) -> list[int]:
    """Put every held request matching `conditions` back in the queue in one UPDATE.

    Returns their ids; the caller audits each (an expired hold, a disabled member).
    """
    states.check_transition(states.IN_PROGRESS, states.NEW)
    released = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.status == states.IN_PROGRESS, *conditions)
        .values(
            status=states.NEW,
            held_by_id=None,
            held_at=None,
            version=CallbackRequest.version + 1,
        )
        .returning(CallbackRequest.id)
        .execution_options(synchronize_session=False)
    )
    return [request_id for (request_id,) in released]
