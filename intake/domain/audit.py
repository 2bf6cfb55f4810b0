"""The audit trail: who did what, when, to which request. Append-only.

Entries join the caller's unit of work, so an action and its audit line are
committed together or not at all. Details never hold personal data, nor anything a
member of staff typed: a reason given for an action is sealed in its own erasable
record (a RequestNote of kind "reason", removed with the request's personal data),
and the line keeps only the fact that a reason was given.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.domain.clock import utc_now
from intake.domain.crypto import Vault
from intake.models import AuditEvent, RequestNote

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"
SESSION_EXPIRED = "session_expired"
ACCOUNT_LOCKED = "account_locked"
SECOND_FACTOR_ENROLLED = "second_factor_enrolled"
SECOND_FACTOR_FAILED = "second_factor_failed"
SECOND_FACTOR_RESET = "second_factor_reset"
PASSWORD_CHANGED = "password_changed"  # noqa: S105  (an action's name, not a password)
PASSWORD_CHANGE_FAILED = "password_change_failed"  # noqa: S105  (likewise)
SIGN_IN_RESET = "sign_in_reset"
STAFF_CREATED = "staff_created"
STAFF_DISABLED = "staff_disabled"
STAFF_ENABLED = "staff_enabled"
ACCOUNT_UNLOCKED = "account_unlocked"
REQUEST_VIEWED = "request_viewed"
REQUEST_TAKEN = "request_taken"
REQUEST_RELEASED = "request_released"
REQUEST_REASSIGNED = "request_reassigned"
HOLD_EXPIRED = "hold_expired"
ATTEMPT_RECORDED = "attempt_recorded"
NOTE_ADDED = "note_added"
STATUS_CHANGED = "status_changed"
REQUEST_WITHDRAWN = "request_withdrawn"
REQUEST_REOPENED = "request_reopened"
PERSONAL_DATA_PURGED = "personal_data_purged"
REQUEST_EXPIRED = "request_expired"
SEARCHED_BY_PHONE = "searched_by_phone"
HANDOVER_WRITTEN = "handover_written"
TRAIL_EXPORTED = "trail_exported"
EMAIL_RETRIED = "email_retried"
REPORT_EXPORTED = "report_exported"
WALLBOARD_CREATED = "wallboard_created"
WALLBOARD_REVOKED = "wallboard_revoked"
WALLBOARD_VIEWED = "wallboard_viewed"
NEEDS_SUPERVISOR = "needs_supervisor"
SUPERVISOR_DECIDED = "supervisor_decided"
PERSON_LOOKED_UP = "person_looked_up"
PERSON_EXPORTED = "person_exported"
PERSONAL_DATA_CORRECTED = "personal_data_corrected"
PERSONAL_DATA_ERASED = "personal_data_erased"
REQUEST_RESTRICTED = "request_restricted"
RESTRICTION_LIFTED = "restriction_lifted"

EXPORT_LIMIT = 50_000
# The kind of a RequestNote that holds the words of a reason given for an audited action.
REASON_NOTE = "reason"
# What the audit line keeps instead: the fact that a reason was given.
REASON_GIVEN = "reason_given"

DESCRIPTIONS = {
    SIGN_IN: "Signed in",
    SIGN_IN_FAILED: "Sign-in failed",
    SIGN_OUT: "Signed out",
    SESSION_EXPIRED: "Signed out after inactivity",
    ACCOUNT_LOCKED: "Sign-in held back at one address or device after failed attempts",
    SECOND_FACTOR_ENROLLED: "Set up the second factor",
    SECOND_FACTOR_FAILED: "Second factor code refused",
    SECOND_FACTOR_RESET: "Second factor reset",
    PASSWORD_CHANGED: "Changed their password",
    PASSWORD_CHANGE_FAILED: "Password change refused",
    SIGN_IN_RESET: "Password and second factor reset by a supervisor",
    STAFF_CREATED: "Staff account created",
    STAFF_DISABLED: "Staff account disabled",
    STAFF_ENABLED: "Staff account enabled again",
    ACCOUNT_UNLOCKED: "Account unlocked by a supervisor",
    REQUEST_VIEWED: "Viewed the request's personal details",
    REQUEST_TAKEN: "Took the request",
    REQUEST_RELEASED: "Released the request",
    REQUEST_REASSIGNED: "Reassigned the request",
    HOLD_EXPIRED: "Hold expired: back in the queue",
    ATTEMPT_RECORDED: "Recorded a call attempt",
    NOTE_ADDED: "Added a note",
    STATUS_CHANGED: "Changed the status",
    REQUEST_WITHDRAWN: "Withdrawn by the visitor",
    REQUEST_REOPENED: "Reopened the request",
    PERSONAL_DATA_PURGED: "Personal data removed (retention)",
    REQUEST_EXPIRED: "Closed as expired: still open past retention",
    SEARCHED_BY_PHONE: "Searched requests by phone number",
    HANDOVER_WRITTEN: "Left a shift handover note",
    TRAIL_EXPORTED: "Downloaded the audit trail",
    EMAIL_RETRIED: "Sent a failed email again",
    REPORT_EXPORTED: "Downloaded a report",
    WALLBOARD_CREATED: "Made a browser a wallboard (and signed out on it)",
    WALLBOARD_REVOKED: "Revoked a wallboard",
    WALLBOARD_VIEWED: "Wallboard shown on its screen (one entry an hour at most)",
    NEEDS_SUPERVISOR: "Left open for a supervisor: someone is in danger",
    SUPERVISOR_DECIDED: "Decided, as a supervisor, on a request left open for them",
    PERSON_LOOKED_UP: "Looked for one person's requests (their rights)",
    PERSON_EXPORTED: "Exported everything kept about the request (subject access)",
    PERSONAL_DATA_CORRECTED: "Corrected the person's details",
    PERSONAL_DATA_ERASED: "Erased the person's details on request",
    REQUEST_RESTRICTED: "Restricted: do not contact until lifted",
    RESTRICTION_LIFTED: "Lifted the restriction: back in the queue",
}


def record(
    session: Session,
    action: str,
    *,
    staff_id: int | None = None,
    request_id: int | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
    words: bytes | None = None,
) -> AuditEvent:
    """Add one line to the trail, in the caller's transaction.

    `words` (from `seal_words`) are what the member typed as the reason: kept in a
    sealed record on the request that points to this line, never in the line itself.
    """
    if action not in DESCRIPTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    detail = dict(detail or {})
    if words is not None:
        if staff_id is None or request_id is None:
            raise ValueError("a reason belongs to a member and a request")
        detail[REASON_GIVEN] = True
    event = AuditEvent(
        occurred_at=now or utc_now(),
        action=action,
        staff_id=staff_id,
        request_id=request_id,
        detail=detail,
    )
    session.add(event)
    if words is not None:
        reason = RequestNote(
            kind=REASON_NOTE,
            request_id=request_id,
            staff_id=staff_id,
            written_at=event.occurred_at,
            body=words,
            audit_event=event,
        )
        session.add(reason)
    return event


def seal_words(vault: Vault, text: str | None) -> bytes | None:
    """A reason as typed, sealed for `record` (None when nothing was typed)."""
    text = (text or "").strip()
    return vault.seal({"text": text}) if text else None


@dataclass(frozen=True)
class TrailFilter:
    """Which entries to read: one request, one member, one kind, between two times."""

    request_id: int | None = None
    staff_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class TrailPage:
    events: list[AuditEvent]
    older_than: int | None


def trail(
    session: Session,
    filters: TrailFilter = TrailFilter(),
    *,
    older_than: int | None = None,
    limit: int = 100,
) -> TrailPage:
    """The newest entries first, a page at a time (`older_than` is the last id shown)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    conditions = {
        AuditEvent.request_id: filters.request_id,
        AuditEvent.staff_id: filters.staff_id,
        AuditEvent.action: filters.action,
    }
    for column, value in conditions.items():
        if value is not None:
            query = query.where(column == value)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < filters.until)
    if older_than is not None:
        query = query.where(AuditEvent.id < older_than)
    events = list(session.scalars(query.limit(limit + 1)))
    more = len(events) > limit
    events = events[:limit]
    return TrailPage(events, events[-1].id if more else None)


def export(
    session: Session, filters: TrailFilter, by: int, now: datetime | None = None
) -> list[AuditEvent]:
    """The entries the filters match (the newest EXPORT_LIMIT), for a supervisor's
    download; the export itself is audited."""
    events = trail(session, filters, limit=EXPORT_LIMIT).events
    record(session, TRAIL_EXPORTED, staff_id=by, detail={"entries": len(events)}, now=now)
    session.commit()
    return events


def has_held(session: Session, request_id: int, staff_id: int) -> bool:
    """Whether the trail shows `staff_id` taking the request, or being given it."""
    return last_held_from(session, request_id, staff_id) is not None


def last_held_from(session: Session, request_id: int, staff_id: int) -> datetime | None:
    """When `staff_id` last took the request or was given it (None: never)."""
    query = select(
        AuditEvent.action, AuditEvent.staff_id, AuditEvent.detail, AuditEvent.occurred_at
    ).where(
        AuditEvent.request_id == request_id,
        AuditEvent.action.in_((REQUEST_TAKEN, REQUEST_REASSIGNED)),
    )
    starts = [
        at
        for action, by, detail, at in session.execute(query)
        if (action == REQUEST_TAKEN and by == staff_id) or detail.get("given_to") == staff_id
    ]
    return max(starts, default=None)
