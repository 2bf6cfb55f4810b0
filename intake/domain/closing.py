"""Closing a request without a call (spam, or withdrawn at the visitor's word), and a
supervisor reopening a closed one: each through change_status, with its reason sealed."""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from intake.domain import alerts, audit, queue, states, supervision
from intake.domain.clock import utc_now
from intake.domain.crypto import Vault
from intake.domain.status import change_status
from intake.models import CallbackRequest, StaffMember

MANUAL_CLOSES = {states.SPAM: "Spam", states.WITHDRAWN: "Withdrawn (asked by the visitor)"}


def close_without_call(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    staff: StaffMember,
    target: str,
    reason: str | None = None,
    channels: alerts.AlertSettings | None = None,
    now: datetime | None = None,
) -> bool:
    """Close as spam, or withdrawn at the visitor's word (its holder, or a supervisor);
    commits. True when closed.

    A request that says someone is in immediate danger is never dismissed as spam
    in one click: a supervisor may, with a reason; an agent's "spam" leaves it in the
    queue for a supervisor to decide (intake.domain.supervision), and returns False.
    """
    now = now or utc_now()
    if target not in MANUAL_CLOSES:
        raise queue.QueueRefused("Choose how to close the request.")
    if not staff.is_supervisor:
        queue.ensure_holder(request, staff)
    if target == states.SPAM and request.urgent:
        if not staff.is_supervisor:
            if request.status == states.IN_PROGRESS:
                change_status(session, request, states.NEW, by=staff, now=now)
            supervision.mark(
                session,
                vault,
                request,
                supervision.SPAM,
                by=staff,
                channels=channels,
                now=now,
            )
            session.commit()
            return False
        if not reason:
            raise queue.QueueRefused("Give the reason for closing an urgent request as spam.")
    try:
        words = audit.seal_words(vault, reason)
        change_status(session, request, target, by=staff, now=now, words=words)
    except states.TransitionRefused as refused:
        raise queue.QueueRefused(str(refused)) from None
    session.commit()
    return True


def reopen(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    staff: StaffMember,
    reason: str,
    retention: timedelta,
    now: datetime | None = None,
) -> None:
    """A supervisor puts a completed, unreachable or spam request back in the queue,
    due now, with a reason; only while its personal details are still kept."""
    now = now or utc_now()
    if not staff.is_supervisor:
        raise queue.QueueRefused("Only a supervisor can reopen a request.")
    if request.status not in states.REOPENABLE:
        raise queue.QueueRefused(
            f"A request that is {states.LABELS[request.status].lower()} cannot be reopened."
        )
    expired = request.closed_at is not None and request.closed_at + retention <= now
    if request.personal_data is None or expired:
        raise queue.QueueRefused(
            "This request is past the retention period, so it cannot be reopened."
        )
    if not (reason or "").strip():
        raise queue.QueueRefused("Give the reason for reopening the request.")
    change_status(
        session,
        request,
        states.NEW,
        by=staff,
        now=now,
        event=audit.REQUEST_REOPENED,
        words=audit.seal_words(vault, reason),
    )
    request.due_at = request.callable_from = request.overdue_at = now
    session.commit()
