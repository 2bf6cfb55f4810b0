"""A person's rights over what the service keeps about them (UK GDPR Articles 15 to 18),
carried out by a supervisor from the dashboard.

- find: every request from one phone number or email address, through the keyed
  hashes stored beside each request (the number or address is never written down);
- export: everything about those requests, for a subject-access request;
- correct: a name, number or email address, re-sealed (the old value is not kept);
- erase: on demand, before retention ends. The request stays as an anonymous row, so
  the reports still count it, exactly as the retention purge leaves it;
- restrict: "do not contact" takes an open request out of the queue until lifted.

Every one of these is audited, and none writes a name, number or address anywhere
but the sealed answers.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from intake.domain import audit, cache_generation, calls, queue, retention, staff_sessions, states
from intake.domain.crypto import Vault
from intake.domain.status import change_status
from intake.models import AuditEvent, CallAttempt, CallbackRequest, RequestNote, StaffMember

# Why a supervisor erases a request before its retention ends: codes in the audit
# trail, so the trail keeps no words typed about a person.
ERASE_BECAUSE = {
    "asked": "The person asked us to erase their details",
    "not_theirs": "Someone else sent it in their name",
    "mistake": "It was sent or recorded by mistake",
}
# What may be corrected, and how the answers call it.
CORRECTABLE = {"name": "Name", "phone": "Phone number", "email": "Email address"}
# A person's requests, newest first; more than this is not one person.
FIND_LIMIT = 100
ERASED = "(erased)"


class RightsRefused(queue.QueueRefused):
    """A request the rights cannot be carried out on now, with the reason in words."""


@dataclass(frozen=True)
class Lookup:
    """Whom to look for: one phone number (E.164) or one email address."""

    phone: str | None = None
    email: str | None = None

    @property
    def kind(self) -> str:
        return "phone" if self.phone else "email"


def find(
    session: Session, vault: Vault, lookup: Lookup, by: StaffMember, now: datetime
) -> list[CallbackRequest]:
    """Every request from this number or address, newest first; the look is audited
    (how the person was looked for and how many were found, never the number)."""
    conditions = []
    if lookup.phone:
        conditions.append(CallbackRequest.phone_hash.in_(vault.phone_hashes(lookup.phone)))
    if lookup.email:
        conditions.append(CallbackRequest.email_hash.in_(vault.email_hashes(lookup.email)))
    if not conditions:
        raise RightsRefused("Enter the person's phone number or email address.")
    found = list(
        session.scalars(
            select(CallbackRequest)
            .where(or_(*conditions))
            .order_by(CallbackRequest.created_at.desc(), CallbackRequest.id.desc())
            .limit(FIND_LIMIT)
        )
    )
    detail = {"by": lookup.kind, "found": len(found)}
    audit.record(session, audit.PERSON_LOOKED_UP, staff_id=by.id, detail=detail, now=now)
    session.commit()
    return found


def export(
    session: Session,
    vault: Vault,
    requests: list[CallbackRequest],
    by: StaffMember,
    now: datetime,
) -> dict[str, Any]:
    """Everything kept about these requests, as plain data (for the printable page
    and the JSON download): answers, calls, notes, reasons and the audit trail about
    them. Each request's export is audited. Staff appear by role, not by name."""
    exported = {
        "exported_at": now.isoformat(),
        "requests": [_everything_about(session, vault, request) for request in requests],
    }
    for request in requests:
        audit.record(session, audit.PERSON_EXPORTED, staff_id=by.id, request_id=request.id, now=now)
    session.commit()
    return exported


def _everything_about(session: Session, vault: Vault, request: CallbackRequest) -> dict:
    answers = vault.open(request.personal_data) if request.personal_data else None
    return {
        "reference": request.reference,
        "status": states.LABELS[request.status],
        "urgent": request.urgent,
        "sent_at": request.created_at.isoformat(),
        "due_at": request.due_at.isoformat(),
        "closed_at": request.closed_at.isoformat() if request.closed_at else None,
        "personal_details_removed_at": (
            request.purged_at.isoformat() if request.purged_at else None
        ),
        "from_page": request.source_page,
        "answers": answers,
        "calls": [_call(attempt) for attempt in _rows(session, CallAttempt, request)],
        "notes": [_note(vault, note) for note in _rows(session, RequestNote, request)],
        "history": [_event(event) for event in _rows(session, AuditEvent, request)],
    }


def _rows(session: Session, model, request: CallbackRequest) -> list:
    return list(session.scalars(select(model).where(model.request_id == request.id)))


def _call(attempt: CallAttempt) -> dict:
    return {
        "at": attempt.made_at.isoformat(),
        "by": _role(attempt.staff),
        "outcome": calls.OUTCOMES[attempt.outcome],
        "result": calls.RESULTS.get(attempt.result or ""),
    }


def _note(vault: Vault, note: RequestNote) -> dict:
    return {
        "at": note.written_at.isoformat(),
        "by": _role(note.staff),
        "kind": "reason given" if note.kind == audit.REASON_NOTE else "note",
        "text": vault.open(note.body)["text"] if note.body else ERASED,
    }


def _event(event: AuditEvent) -> dict:
    return {
        "at": event.occurred_at.isoformat(),
        "by": _role(event.staff) if event.staff else "the service",
        "what": audit.DESCRIPTIONS[event.action],
    }


def _role(staff: StaffMember) -> str:
    return "a supervisor" if staff.is_supervisor else "an admissions agent"


def correct(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    changes: dict[str, str | None],
    by: StaffMember,
    now: datetime,
) -> list[str]:
    """Put right the name, number or email address; returns the fields changed.

    The answers are sealed again with the new values and the lookup hashes follow;
    the audit line names the fields, never a value, and every worker forgets the
    answers it kept.
    """
    answers = _answers_kept(vault, request)
    changed = [
        field
        for field, value in changes.items()
        if field in CORRECTABLE and (value or None) != answers.get(field)
    ]
    if not changed:
        raise RightsRefused("Nothing was changed: the details are as they were.")
    if "name" in changed and not changes["name"]:
        raise RightsRefused("Enter the person's name.")
    if "phone" in changed and not changes["phone"]:
        raise RightsRefused("Enter the phone number to call.")
    answers.update({field: changes[field] or None for field in changed})
    request.personal_data = vault.seal(answers)
    request.phone_hash = vault.phone_hash(answers["phone"])
    request.email_hash = vault.email_hash(answers["email"]) if answers.get("email") else None
    detail = {"fields": changed}
    audit.record(
        session,
        audit.PERSONAL_DATA_CORRECTED,
        staff_id=by.id,
        request_id=request.id,
        detail=detail,
        now=now,
    )
    cache_generation.bump(session)
    _commit(session)
    return changed


def erase(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    because: str,
    by: StaffMember,
    now: datetime,
) -> None:
    """Erase the person's details now. A request still open or restricted is closed as
    withdrawn first (nobody may call it); then its answers, notes, reasons, emails
    and any draft about it go, as the retention purge removes them."""
    if because not in ERASE_BECAUSE:
        raise RightsRefused("Choose why the details are being erased.")
    _answers_kept(vault, request)
    if request.status in states.statuses_that_may_become(states.WITHDRAWN):
        change_status(session, request, states.WITHDRAWN, by=by, now=now)
    staff_sessions.drop_drafts_about(session, vault, request.reference)
    audit.record(
        session,
        audit.PERSONAL_DATA_ERASED,
        staff_id=by.id,
        request_id=request.id,
        detail={"because": because},
        now=now,
    )
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise RightsRefused("Someone changed this request a moment ago. Try again.") from None
    retention.remove_personal_data(session, [request.id], now)
    session.commit()
    session.refresh(request)
    retention.leave_no_copies(session)


def restrict(session: Session, request: CallbackRequest, by: StaffMember, now: datetime) -> None:
    """ "Do not contact": an open request leaves the queue (and any hold) until lifted."""
    if request.status not in states.statuses_that_may_become(states.RESTRICTED):
        raise RightsRefused(
            f"A request that is {states.LABELS[request.status].lower()} is not in the "
            "queue, so there is nothing to restrict."
        )
    change_status(
        session, request, states.RESTRICTED, by=by, now=now, event=audit.REQUEST_RESTRICTED
    )
    _commit(session)


def lift_restriction(
    session: Session, vault: Vault, request: CallbackRequest, by: StaffMember, now: datetime
) -> None:
    """Back in the queue where it was, once the person agrees to be contacted."""
    if request.status != states.RESTRICTED:
        raise RightsRefused("This request is not restricted.")
    _answers_kept(vault, request)
    change_status(session, request, states.NEW, by=by, now=now, event=audit.RESTRICTION_LIFTED)
    _commit(session)


def _answers_kept(vault: Vault, request: CallbackRequest) -> dict:
    if request.personal_data is None:
        raise RightsRefused("This request's personal details have already been removed.")
    return vault.open(request.personal_data)


def _commit(session: Session) -> None:
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise RightsRefused("Someone changed this request a moment ago. Try again.") from None
