"""How requests read on the dashboard: ages, due times and answers in words."""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from intake.caching import Kept, declare
from intake.domain import audit, calls, states
from intake.domain.callback_times import WINDOWS_BY_CODE
from intake.domain.callbacks import TOPICS as TOPIC_LABELS
from intake.domain.crypto import Vault
from intake.domain.phones import display_phone
from intake.models import AuditEvent, CallbackRequest
from intake.templating import local_time

FOR_WHOM = {"me": "Themselves", "someone_else": "Someone else"}
PERSON_KNOWS = {
    "yes": "they know we will call",
    "no": "they do not know we will call",
    "not_sure": "the caller is not sure they know we will call",
}
# Communication needs as tags: short enough for a queue row.
NEED_TAGS = {"bsl": "BSL video relay", "relay_uk": "Relay UK"}


def duration_words(span: timedelta, round_up: bool = False) -> str:
    """'4 min', '2 h 5 min', '3 days'. A time still to come is rounded up, as the retry
    wait is (intake.domain.queue.minutes_until), so the row and the page agree."""
    seconds = abs(span).total_seconds()
    minutes = math.ceil(seconds / 60) if round_up else int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def due_words(due_at: datetime, overdue_at: datetime, now: datetime) -> tuple[str, bool]:
    """('due in 4 min', False), ('due now', False) inside a chosen window, or
    ('overdue by 12 min', True) once past `overdue_at`."""
    if overdue_at < now:
        return f"overdue by {duration_words(now - overdue_at)}", True
    if due_at <= now:
        return "due now", False
    return f"due in {duration_words(due_at - now, round_up=True)}", False


@dataclass(frozen=True)
class QueueRow:
    reference: str
    urgent: bool
    age: str
    due: str
    overdue: bool
    for_whom: str
    topics: str
    attempts: int
    holder: str
    state: str
    # Flags the row shows loudly: a call about someone else, and communication needs.
    for_someone_else: bool = False
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowAnswers:
    """What a queue row shows of the visitor's sealed answers: never a name, a phone
    number or anything else that says who they are."""

    for_whom: str = "Not given"
    topics: str = "Not given"
    for_someone_else: bool = False
    needs: tuple[str, ...] = ()
    # The time they chose, in words, or None for "as soon as possible".
    chosen_time: str | None = None


def row_answers(personal: dict) -> RowAnswers:
    topics = [TOPIC_LABELS.get(topic, topic) for topic in personal.get("topics", [])]
    return RowAnswers(
        for_whom=FOR_WHOM.get(personal.get("for_whom"), "Not given"),
        topics=", ".join(topics) or "Not given",
        for_someone_else=personal.get("for_whom") == "someone_else",
        needs=need_tags(personal, other_needs="Other needs: see request"),
        chosen_time=when_words(personal) if personal.get("when") == "later" else None,
    )


# Each queue row's answers, by their sealed bytes (see `shown_answers`).
ROW_ANSWERS = declare(
    "staff.row_answers",
    holds="what each queue row shows of a request's answers, by its sealed bytes",
    size=2000,
    lifetime=timedelta(minutes=1),
    cleared_by="time; and every worker's copy at once when personal data is erased, "
    "corrected, purged or re-sealed (cache_generation)",
    earns="a miss opens one row's sealed answers, fifty a page every few seconds for each agent: "
    "43 to 34 million instructions a queue page (bench/RESULTS.md)",
    personal=True,
)


def shown_answers(request: CallbackRequest | Row, vault: Vault, kept: Kept) -> RowAnswers:
    """What a row shows of a request's answers, from `kept` when it can be. Every agent's
    dashboard asks for the same fifty rows every few seconds. The key is the sealed bytes
    themselves, so answers that change, are re-sealed under a new key or are erased are
    never shown from it."""
    sealed = request.personal_data
    if not sealed:
        return RowAnswers()
    return kept.get(sealed, lambda: row_answers(vault.open(sealed)))


def queue_row(request: CallbackRequest | Row, answers: RowAnswers, now: datetime) -> QueueRow:
    """A row of the list (from a request, or a row of the list's query): no phone
    numbers, only what orders and explains the queue."""
    due, overdue = due_words(request.due_at, request.overdue_at or request.due_at, now)
    if request.status not in states.OPEN_STATUSES:
        closed = request.closed_at or now
        due, overdue = f"closed {duration_words(now - closed)} ago", False
    elif request.attempt_count == 0 and answers.chosen_time:
        due = f"{answers.chosen_time} ({due})"
    return QueueRow(
        reference=request.reference,
        urgent=request.urgent,
        age=duration_words(now - request.created_at),
        due=due,
        overdue=overdue,
        for_whom=answers.for_whom,
        topics=answers.topics,
        attempts=request.attempt_count,
        holder=holder_name(request),
        state=states.LABELS[request.status],
        for_someone_else=answers.for_someone_else,
        needs=answers.needs,
    )


def need_tags(personal: dict, other_needs: str | None = None) -> tuple[str, ...]:
    """'Interpreter: Polish', 'BSL video relay', 'Relay UK' and, for anything else the
    visitor wrote, `other_needs` (the row names it; the request page shows it)."""
    needs = personal.get("needs") or []
    tags = []
    if "interpreter" in needs:
        tags.append(f"Interpreter: {personal.get('interpreter_language') or 'language not given'}")
    tags.extend(label for code, label in NEED_TAGS.items() if code in needs)
    if personal.get("other_needs"):
        tags.append(other_needs or f"Other needs: {personal['other_needs']}")
    return tuple(tags)


def third_party_words(personal: dict) -> str | None:
    """'Calling for someone else: their partner; they do not know we will call; ask
    for Sam', or None when the call is about the visitor."""
    if personal.get("for_whom") != "someone_else":
        return None
    parts = [
        f"their {relationship_words(personal.get('relationship'))}",
        PERSON_KNOWS.get(personal.get("person_knows") or "", "not said if they know we will call"),
        f"ask for {personal.get('ask_for') or 'the name to use (not given)'}",
    ]
    return "Calling for someone else: " + "; ".join(parts)


def relationship_words(relationship: str | None) -> str:
    """'partner' from 'partner', 'My partner' or 'their partner'."""
    if not relationship:
        return "relationship not given"
    first, _, rest = relationship.partition(" ")
    return rest if rest and first.lower() in {"my", "their", "his", "her"} else relationship


@dataclass(frozen=True)
class Flags:
    """What the request page puts first, so it cannot be missed."""

    third_party: str | None
    needs: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.third_party or self.needs)


def request_flags(personal: dict) -> Flags:
    return Flags(third_party=third_party_words(personal), needs=need_tags(personal))


# What others do to a request that tells its former holder why their hold ended.
HOLD_ENDERS = (
    audit.ATTEMPT_RECORDED,
    audit.STATUS_CHANGED,
    audit.REQUEST_WITHDRAWN,
    audit.REQUEST_REASSIGNED,
    audit.REQUEST_RELEASED,
    audit.HOLD_EXPIRED,
    audit.NEEDS_SUPERVISOR,
    audit.SUPERVISOR_DECIDED,
)


def hold_ended_words(session: Session, request: CallbackRequest, me) -> str | None:
    """Why `me` no longer holds `request`, from the newest thing someone else did to it:
    'Cal reached this person at 2:14am: assessment booked.' (None if nothing says)."""
    query = (
        select(AuditEvent)
        .where(
            AuditEvent.request_id == request.id,
            AuditEvent.action.in_(HOLD_ENDERS),
            or_(AuditEvent.staff_id.is_(None), AuditEvent.staff_id != me.id),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    event = session.scalar(query)
    if event is None:
        return None
    who = event.staff.name if event.staff else "The system"
    at = local_time(event.occurred_at)
    detail = event.detail or {}
    if event.action == audit.ATTEMPT_RECORDED and detail.get("outcome") in calls.SPOKE_TO_THEM:
        result = calls.RESULTS.get(detail.get("result") or "", "").lower()
        how = (
            "spoke to this person when they called us"
            if detail["outcome"] == calls.CALLED_US
            else "reached this person"
        )
        return f"{who} {how} at {at}" + (f": {result}." if result else ".")
    if event.action == audit.REQUEST_WITHDRAWN:
        return f"The visitor withdrew this request at {at}."
    if event.action == audit.HOLD_EXPIRED:
        return f"Your hold ran out at {at}, and the request went back in the queue."
    if event.action == audit.REQUEST_REASSIGNED:
        return f"{who} gave this request to a colleague at {at}."
    if "to" in detail and detail["to"] not in states.OPEN_STATUSES:
        return f"{who} closed this request as {states.LABELS[detail['to']].lower()} at {at}."
    return f"{who} changed this request at {at}: {audit.DESCRIPTIONS[event.action].lower()}."


def holder_name(request: CallbackRequest | Row) -> str:
    if request.status == states.IN_PROGRESS and request.holder_name:
        return request.holder_name
    return ""


# (answer, what the caller may do on "yes", what they must not do otherwise)
DISCREET_CHOICES = (
    ("voicemail_ok", "You may leave a voicemail", "Do NOT leave a voicemail"),
    ("say_who_we_are", "You may say who we are", "Do not say who we are"),
    ("text_first", "Send a text before you call", "Do not send a text first"),
)


@dataclass(frozen=True)
class Instruction:
    text: str
    caution: bool


def contact_instructions(personal: dict) -> list[Instruction]:
    """The discreet-contact choices as orders to the caller; unanswered means the discreet one."""
    instructions = []
    for answer, allowed, refused in DISCREET_CHOICES:
        given = personal.get(answer)
        if given:
            instructions.append(Instruction(allowed, caution=answer == "text_first"))
        else:
            unanswered = " (not answered, so be discreet)" if given is None else ""
            instructions.append(Instruction(refused + unanswered, caution=answer != "text_first"))
    return instructions


def when_words(personal: dict) -> str:
    """When the visitor asked to be called, in words (the window is in the service zone)."""
    if personal.get("chosen_time_set_aside"):
        return "As soon as possible (they chose a later time; set aside: someone is in danger)"
    if personal.get("when") != "later" or not personal.get("day"):
        return "As soon as possible"
    day = date.fromisoformat(personal["day"])
    window = WINDOWS_BY_CODE.get(personal.get("window") or "")
    return f"{day:%A} {day.day} {day:%B}, {window.label if window else 'any time'}"


def answer_rows(personal: dict, region: str) -> list[tuple[str, str]]:
    """Everything the visitor told us, labelled for the request page."""
    topics = [TOPIC_LABELS.get(topic, topic) for topic in personal.get("topics", [])]
    in_danger = "YES: someone is in immediate danger" if personal.get("in_danger") else "No"
    return [
        ("Name to use", personal["name"]),
        ("Phone", display_phone(personal["phone"], region)),
        ("Email", personal.get("email") or "Not given"),
        ("When to call", when_words(personal)),
        (
            "The call is about",
            third_party_words(personal) or FOR_WHOM.get(personal.get("for_whom"), "Not given"),
        ),
        ("Topics", ", ".join(topics) or "Not given"),
        ("Anyone in immediate danger?", in_danger),
        ("Message", personal.get("message") or "None"),
        ("Communication needs", "\n".join(need_tags(personal)) or "None given"),
    ]
