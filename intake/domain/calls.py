"""Working a request: recording calls and notes, handing it over, and its history.

Closing it without a call, and reopening it, are intake.domain.closing's."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.domain import alerts, audit, queue, staff_sessions, states, supervision
from intake.domain.clock import utc_now
from intake.domain.crypto import Vault
from intake.domain.status import change_status, hand_over, mark_report_days
from intake.models import AuditEvent, CallAttempt, CallbackRequest, RequestNote, StaffMember

REACHED = "reached"
NO_ANSWER = "no_answer"
VOICEMAIL_LEFT = "voicemail_left"
WRONG_NUMBER = "wrong_number"
CALL_LATER = "call_later"
# The visitor rang the line with their reference: reached, whoever holds the request.
CALLED_US = "called_us"

OUTCOMES = {
    REACHED: "Reached",
    NO_ANSWER: "No answer",
    VOICEMAIL_LEFT: "Voicemail left",
    WRONG_NUMBER: "Wrong number",
    CALL_LATER: "Asked us to call at another time",
    CALLED_US: "They called us",
}
# Outcomes that mean we spoke to the person.
SPOKE_TO_THEM = frozenset({REACHED, CALLED_US})
RESULTS = {
    "assessment_booked": "Assessment booked",
    "information_given": "Information given",
    "referred_elsewhere": "Referred elsewhere",
    "not_ready_now": "Not ready now",
}
UNANSWERED = frozenset({NO_ANSWER, VOICEMAIL_LEFT})
# Closing by hand, with no call: spam, or the visitor withdrew by phone.
NOTE_MAX = 2000
REMOVED_NOTE = "(removed after the retention period)"


@dataclass(frozen=True)
class CallPolicy:
    retry_delay: timedelta
    max_unanswered: int
    # "Call at another time" at most this far ahead (the booking horizon, never past
    # the retention period), and for an urgent request at most `urgent_max_defer`
    # unless a supervisor decides (intake.domain.supervision).
    booking_horizon: timedelta = timedelta(days=7)
    urgent_max_defer: timedelta = timedelta(hours=2)


def _where_next(
    session: Session,
    request: CallbackRequest,
    outcome: str,
    call_again_at: datetime | None,
    policy: CallPolicy,
    now: datetime,
) -> tuple[str, datetime | None]:
    """The status a call outcome leads to, and when the request is due again."""
    if outcome == REACHED:
        return states.COMPLETED, None
    if outcome == WRONG_NUMBER:
        return states.UNREACHABLE, None
    if outcome == CALL_LATER:
        return states.NEW, call_again_at
    earlier = session.scalar(
        select(func.count()).where(
            CallAttempt.request_id == request.id, CallAttempt.outcome.in_(UNANSWERED)
        )
    )
    if earlier + 1 >= policy.max_unanswered:
        return states.UNREACHABLE, None
    return states.NEW, now + policy.retry_delay


def _why_a_supervisor_decides(
    request: CallbackRequest,
    outcome: str,
    target: str,
    due_again: datetime | None,
    policy: CallPolicy,
    now: datetime,
) -> str | None:
    """For an urgent request: why this call may not close it or put it far off."""
    if not request.urgent:
        return None
    if outcome == WRONG_NUMBER:
        return supervision.WRONG_NUMBER
    if target == states.UNREACHABLE:
        return supervision.UNREACHABLE
    if outcome == CALL_LATER and due_again and due_again - now > policy.urgent_max_defer:
        return supervision.CALL_LATER
    return None


def _check_call_again_at(call_again_at: datetime | None, policy: CallPolicy, now: datetime):
    if call_again_at is None or call_again_at <= now:
        raise queue.QueueRefused("Choose a time in the future to call again.")
    if call_again_at > now + policy.booking_horizon:
        raise queue.QueueRefused(
            f"Choose a time within the next {policy.booking_horizon.days} days to call again."
        )


def allows_voicemail(personal: dict) -> bool:
    """Only a visitor who said yes gets a voicemail; unanswered means no."""
    return personal.get("voicemail_ok") is True


def outcomes_for(personal: dict) -> dict[str, str]:
    """The call outcomes an agent may record for this visitor, on a call they make."""
    return {
        outcome: label
        for outcome, label in OUTCOMES.items()
        if outcome != CALLED_US and (outcome != VOICEMAIL_LEFT or allows_voicemail(personal))
    }


def record_attempt(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    staff: StaffMember,
    *,
    outcome: str,
    policy: CallPolicy,
    result: str | None = None,
    call_again_at: datetime | None = None,
    note: str | None = None,
    override_reason: str | None = None,
    channels: alerts.AlertSettings | None = None,
    now: datetime | None = None,
) -> CallAttempt:
    """Record one call and move the request on, as the state machine allows; commit.

    A call saved by someone whose hold has moved on (it expired and a colleague
    took the request, say) is never lost: it is kept in the history, marked late,
    and moves the request nowhere. On an urgent request, a call that would close it
    unreached or put it far off leaves it in the queue for a supervisor instead
    (intake.domain.supervision; `channels` are the alert channels told at once).
    """
    now = now or utc_now()
    late = _saved_late(session, request, staff, now)
    if not late:
        queue.ensure_holder(request, staff)
    if outcome not in OUTCOMES:
        raise queue.QueueRefused("Choose what happened on the call.")
    personal = vault.open(request.personal_data) if request.personal_data else {}
    if outcome not in outcomes_for(personal):
        raise queue.QueueRefused(
            'The visitor asked us not to leave a voicemail. If nobody answered, record "No answer".'
        )
    if outcome == REACHED and result not in RESULTS:
        raise queue.QueueRefused("Choose the result of the call.")
    if late:
        late_call = LateCall(outcome, result, note)
        return _record_late(session, vault, request, staff, late_call, channels, now)
    overridden = queue.check_retry_wait(request, staff, override_reason, now)
    if outcome == CALL_LATER:
        _check_call_again_at(call_again_at, policy, now)
    target, due_again = _where_next(session, request, outcome, call_again_at, policy, now)
    why = _why_a_supervisor_decides(request, outcome, target, due_again, policy, now)
    if why:
        target, due_again = states.NEW, now + policy.retry_delay
    change_status(session, request, target, by=staff, now=now)
    if due_again is not None:
        request.due_at = request.callable_from = request.overdue_at = due_again
    request.attempt_count += 1
    attempt = _keep_attempt(
        session,
        vault,
        request,
        staff,
        outcome,
        result,
        note,
        now,
        next_due_at=due_again,
        override_words=audit.seal_words(vault, override_reason) if overridden else None,
    )
    if why:
        asked = {"asked_for": call_again_at.isoformat()} if why == supervision.CALL_LATER else {}
        supervision.mark(
            session,
            vault,
            request,
            why,
            by=staff,
            channels=channels,
            now=now,
            detail=asked,
        )
    session.commit()
    return attempt


def _keep_attempt(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    staff: StaffMember,
    outcome: str,
    result: str | None,
    note: str | None,
    now: datetime,
    *,
    late: bool = False,
    next_due_at: datetime | None = None,
    override_words: bytes | None = None,
) -> CallAttempt:
    """The call in the history and the audit trail, with its note if one was written
    (and, for a call before the retry time, the supervisor's sealed reason). The
    reports count it on the day it is made, and as the first call, perhaps, of the
    request on the day the request was made: both days are marked changed."""
    mark_report_days(session, now, request.created_at)
    attempt = CallAttempt(
        request_id=request.id,
        staff_id=staff.id,
        made_at=now,
        outcome=outcome,
        result=result if outcome in SPOKE_TO_THEM else None,
        next_due_at=next_due_at,
        late=late,
    )
    session.add(attempt)
    detail = {"outcome": outcome, "result": attempt.result}
    if override_words:
        detail.update(queue.OVERRIDDEN)
    if late:
        detail["late"] = True
    audit.record(
        session,
        audit.ATTEMPT_RECORDED,
        staff_id=staff.id,
        request_id=request.id,
        detail=detail,
        now=now,
        words=override_words,
    )
    if note:
        _add_note(session, vault, request, staff, note, now)
    return attempt


def _saved_late(
    session: Session, request: CallbackRequest, staff: StaffMember, now: datetime
) -> bool:
    """True when `staff` held this request once but its hold has moved on.

    If their hold expired and nothing has happened to the request since (nobody holds
    it, nobody else has called it, it may still be called), they simply take it back
    and the call counts as usual. Otherwise it is late: a colleague's call since then
    has put the request in its retry wait, and taking it back would refuse the call
    and lose what it says.
    """
    if request.held_by_id == staff.id and request.status == states.IN_PROGRESS:
        return False
    if request.personal_data is None:
        return False
    started = audit.last_held_from(session, request.id, staff.id)
    if started is None:
        return False
    untouched = (
        request.status == states.NEW
        and request.held_by_id is None
        and request.callable_from <= now
        and not _called_by_others_since(session, request, staff, started)
    )
    if untouched:
        queue.take(session, request, staff, now)
        return False
    return True


@dataclass(frozen=True)
class LateCall:
    outcome: str
    result: str | None
    note: str | None


def _record_late(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    staff: StaffMember,
    call: LateCall,
    channels: alerts.AlertSettings | None,
    now: datetime,
) -> CallAttempt:
    """A call saved after its agent's hold moved on: kept, and counted. One that reached
    the person completes the request if nobody has called it since the agent last held
    it; if someone has, the two calls disagree and a supervisor decides."""
    started = audit.last_held_from(session, request.id, staff.id)
    request.attempt_count += 1
    if call.outcome == REACHED and request.status in states.OPEN_STATUSES:
        if _called_by_others_since(session, request, staff, started):
            supervision.mark(
                session,
                vault,
                request,
                supervision.LATE_REACHED,
                by=staff,
                channels=channels,
                now=now,
            )
        else:
            change_status(session, request, states.COMPLETED, by=staff, now=now)
    # Written last, so the former holder's page says who reached the person.
    attempt = _keep_attempt(
        session, vault, request, staff, call.outcome, call.result, call.note, now, late=True
    )
    session.commit()
    return attempt


def _called_by_others_since(
    session: Session, request: CallbackRequest, staff: StaffMember, since: datetime | None
) -> bool:
    query = select(CallAttempt.id).where(
        CallAttempt.request_id == request.id, CallAttempt.staff_id != staff.id
    )
    if since is not None:
        query = query.where(CallAttempt.made_at >= since)
    return session.scalar(query.limit(1)) is not None


def record_called_in(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    staff: StaffMember,
    *,
    result: str | None,
    note: str | None = None,
    now: datetime | None = None,
) -> CallAttempt:
    """The visitor rang the line and gave their reference: any member of staff records
    it, at any time (no hold, no retry wait), and the request is complete. Whoever held
    it is told why their hold ended (intake.staff.presenters.hold_ended_words); commits."""
    now = now or utc_now()
    if request.status not in states.OPEN_STATUSES:
        raise queue.QueueRefused(f"This request is {states.LABELS[request.status].lower()}.")
    if result not in RESULTS:
        raise queue.QueueRefused("Choose the result of the call.")
    change_status(session, request, states.COMPLETED, by=staff, now=now)
    request.attempt_count += 1
    attempt = _keep_attempt(session, vault, request, staff, CALLED_US, result, note, now)
    session.commit()
    return attempt


def open_for_staff(
    session: Session, vault: Vault, request: CallbackRequest, staff: StaffMember, now: datetime
) -> dict | None:
    """A member of staff opens a request: its answers decrypted (None once purged),
    the look audited, and the holder's hold renewed; commits."""
    personal = vault.open(request.personal_data) if request.personal_data else None
    if personal is not None:
        audit.record(
            session, audit.REQUEST_VIEWED, staff_id=staff.id, request_id=request.id, now=now
        )
    if request.held_by_id == staff.id and request.handed_over_by_id is not None:
        request.handed_over_by_id = None  # seen: their banner goes
    queue.touch(request, staff, now)
    session.commit()
    return personal


def add_note(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    staff: StaffMember,
    text: str,
    now: datetime | None = None,
) -> None:
    """Keep an encrypted note on a request (its holder, or a supervisor); commit."""
    now = now or utc_now()
    if not staff.is_supervisor:
        queue.ensure_holder(request, staff)
    if not text.strip():
        raise queue.QueueRefused("Write the note before you save it.")
    if len(text) > NOTE_MAX:
        raise queue.QueueRefused(f"A note must be {NOTE_MAX} characters or fewer.")
    _add_note(session, vault, request, staff, text, now)
    queue.touch(request, staff, now)
    session.commit()


def _add_note(session, vault, request, staff, text, now) -> None:
    session.add(
        RequestNote(
            request_id=request.id,
            staff_id=staff.id,
            written_at=now,
            body=vault.seal({"text": text}),
        )
    )
    audit.record(session, audit.NOTE_ADDED, staff_id=staff.id, request_id=request.id, now=now)


def give_to_colleague(
    session: Session,
    vault: Vault,
    request: CallbackRequest,
    to: StaffMember,
    by: StaffMember,
    note: str | None = None,
    now: datetime | None = None,
    idle_limit: timedelta | None = None,
) -> None:
    """Its holder (or a supervisor) hands a request to a named colleague, with a note.
    With `idle_limit`, only to a colleague signed in now: a request handed to someone
    who has gone home waits on nobody."""
    now = now or utc_now()
    if not by.is_supervisor:
        queue.ensure_holder(request, by)
    if not to.active:
        raise queue.QueueRefused("That colleague's account is disabled.")
    if idle_limit is not None and not session.scalar(
        select(staff_sessions.has_live_session(to.id, now, idle_limit))
    ):
        raise queue.QueueRefused(f"{to.name} is not signed in now. Choose someone who is.")
    if request.status not in states.OPEN_STATUSES:
        raise queue.QueueRefused(f"This request is {states.LABELS[request.status].lower()}.")
    if note and len(note) > NOTE_MAX:
        raise queue.QueueRefused(f"A note must be {NOTE_MAX} characters or fewer.")
    hand_over(session, request, to, by=by, now=now)
    if note:
        _add_note(session, vault, request, by, f"For {to.name}: {note}", now)
    session.commit()


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    kind: str
    text: str


# Audit lines whose reasons the next person to open the request needs: a reopening, a
# close with a reason, a call or take before the retry time, a supervisor's decision.
REASONED_ACTIONS = (
    audit.REQUEST_REOPENED,
    audit.STATUS_CHANGED,
    audit.REQUEST_TAKEN,
    audit.ATTEMPT_RECORDED,
    audit.NEEDS_SUPERVISOR,
    audit.SUPERVISOR_DECIDED,
)


def reason_words(event: AuditEvent, typed: str | None) -> str | None:
    """What a reasoned audit line says to the next person, with the reason as `typed`
    (kept apart from the line), or None if it gives no reason."""
    detail = event.detail or {}
    if event.action == audit.NEEDS_SUPERVISOR:
        return f"Left open for a supervisor: {supervision.WHY.get(detail.get('why'), '')}"
    if typed is None:
        return None
    if event.action == audit.SUPERVISOR_DECIDED:
        decision = supervision.DECISIONS.get(detail.get("decision"), "")
        return f"Supervisor's decision, {decision.lower()}: {typed}"
    if "override" in detail:
        doing = "Taken" if event.action == audit.REQUEST_TAKEN else "Called"
        return f"{doing} before the retry time: {typed}"
    if event.action == audit.REQUEST_REOPENED:
        return f"Reopened: {typed}"
    label = states.LABELS.get(detail.get("to", ""), "").lower()
    return f"Closed as {label}: {typed}"


def history(session: Session, vault: Vault, request: CallbackRequest) -> list[HistoryEntry]:
    """Attempts, notes and the reasons given for what was done, oldest first, notes
    and reasons decrypted for the request page."""
    entries = []
    reasoned = session.execute(
        select(AuditEvent, RequestNote.body)
        .outerjoin(RequestNote, RequestNote.audit_event_id == AuditEvent.id)
        .where(AuditEvent.request_id == request.id, AuditEvent.action.in_(REASONED_ACTIONS))
    )
    for event, sealed in reasoned:
        typed = _typed_reason(vault, event, sealed)
        words = reason_words(event, typed)
        if words:
            who = event.staff.name if event.staff else "The system"
            entries.append(HistoryEntry(event.occurred_at, who, "reason", words))
    attempts = session.scalars(select(CallAttempt).where(CallAttempt.request_id == request.id))
    for attempt in attempts:
        text = OUTCOMES[attempt.outcome]
        if attempt.result:
            text += f": {RESULTS[attempt.result]}"
        if attempt.late:
            text += " (saved late, after their hold had ended)"
        entries.append(HistoryEntry(attempt.made_at, attempt.staff.name, "call", text))
    notes = session.scalars(
        select(RequestNote).where(
            RequestNote.request_id == request.id, RequestNote.kind != audit.REASON_NOTE
        )
    )
    for note in notes:
        body = vault.open(note.body)["text"] if note.body else REMOVED_NOTE
        entries.append(HistoryEntry(note.written_at, note.staff.name, "note", body))
    return sorted(entries, key=lambda entry: entry.at)


def _typed_reason(vault: Vault, event: AuditEvent, sealed: bytes | None) -> str | None:
    if sealed:
        return vault.open(sealed)["text"]
    return REMOVED_NOTE if (event.detail or {}).get(audit.REASON_GIVEN) else None
