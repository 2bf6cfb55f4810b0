"""Urgent requests no single agent may close or put off: a supervisor decides.

For a request that says someone is in immediate danger, a call outcome that would
close it without the person being reached (a wrong number; the last unanswered call
allowed), closing it as spam, or a call booked more than the policy's `urgent_max_defer`
ahead does not take effect. The request stays open, back in the queue after the usual
retry wait, and is marked as needing a supervisor: why, and since when. The alert
list, the alert webhook and every supervisor are told at once, through the outbox, in
the same transaction as the mark; the mark shows at the top of the queue and on the
wallboard. A supervisor then decides, with a reason: keep it in the queue, or close it
as unreachable or spam. Any change that closes the request (reached, withdrawn,
expired) clears the mark with it (intake.domain.status.change_status).
"""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.domain import alerts, audit, queue, states
from intake.domain.crypto import Vault
from intake.domain.status import change_status
from intake.models import CallbackRequest, StaffMember

WRONG_NUMBER = "wrong_number"
UNREACHABLE = "unreachable"
SPAM = "spam"
CALL_LATER = "call_later"
LATE_REACHED = "late_reached"
# Why a request waits for a supervisor, as the queue, the request page and alerts say it.
WHY = {
    WRONG_NUMBER: "An agent recorded a wrong number",
    UNREACHABLE: "Nobody answered the last call allowed",
    SPAM: "An agent asked to close it as spam",
    CALL_LATER: "An agent was asked to call much later",
    LATE_REACHED: "A late call reached the person after a colleague had called too",
}
KEEP = "keep"
# What a supervisor may decide, with a reason.
DECISIONS = {
    KEEP: "Keep it in the queue and go on calling",
    states.UNREACHABLE: "Close it as unreachable",
    states.SPAM: "Close it as spam",
}
IS_MARKED = CallbackRequest.needs_supervisor.is_not(None)


def mark(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    why: str,
    *,
    by: StaffMember,
    channels: alerts.AlertSettings | None,
    now: datetime,
    detail: dict | None = None,
) -> None:
    """Mark `request` for a supervisor and tell them (the alert `channels`, if any, and
    every supervisor), in the caller's transaction. A request already marked keeps its
    first reason and time, and nobody is told twice."""
    audit.record(
        session,
        audit.NEEDS_SUPERVISOR,
        staff_id=by.id,
        request_id=request.id,
        detail={"why": why, **(detail or {})},
        now=now,
    )
    if request.needs_supervisor is not None:
        return
    request.needs_supervisor, request.needs_supervisor_at = why, now
    channels = channels or alerts.AlertSettings()
    alerts.tell_supervisors_now(session, vault, channels, request.reference, WHY[why], now)


def decide(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    staff: StaffMember,
    decision: str,
    reason: str,
    now: datetime,
) -> None:
    """A supervisor's decision on a marked request, with a reason; commits."""
    if not staff.is_supervisor:
        raise queue.QueueRefused("Only a supervisor can decide on this request.")
    if request.needs_supervisor is None:
        raise queue.QueueRefused("This request does not need a supervisor's decision now.")
    if decision not in DECISIONS:
        raise queue.QueueRefused("Choose what happens to the request.")
    if not (reason or "").strip():
        raise queue.QueueRefused("Give the reason for your decision.")
    detail = {"decision": decision, "why": request.needs_supervisor}
    audit.record(
        session,
        audit.SUPERVISOR_DECIDED,
        staff_id=staff.id,
        request_id=request.id,
        detail=detail,
        now=now,
        words=audit.seal_words(vault, reason),
    )
    if decision == KEEP:
        request.needs_supervisor = request.needs_supervisor_at = None
    else:
        change_status(session, request, decision, by=staff, now=now)
    session.commit()


def waiting_for_a_supervisor(session: Session, limit: int = 20) -> list:
    """The marked requests, longest marked first: reference, why and since when."""
    query = (
        select(
            CallbackRequest.reference,
            CallbackRequest.needs_supervisor,
            CallbackRequest.needs_supervisor_at,
        )
        .where(IS_MARKED)
        .order_by(CallbackRequest.needs_supervisor_at, CallbackRequest.id)
        .limit(limit)
    )
    return list(session.execute(query))


def count_waiting(session: Session) -> int:
    return session.scalar(select(func.count()).where(IS_MARKED)) or 0
