"""The shift handover log: what one shift leaves the next. Each note is kept with its
author and time; the dashboard shows the last 24 hours, and older notes have a page."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.domain import audit
from intake.domain.clock import utc_now
from intake.domain.crypto import Vault
from intake.models import HandoverNote, StaffMember

HANDOVER_MAX = 2000
# The dashboard shows the notes written this long ago or less; the rest are a page away.
RECENT_FOR = timedelta(hours=24)
PAGE_SIZE = 50


class HandoverRefused(ValueError):
    """A handover note that cannot be kept; the message says why."""


@dataclass(frozen=True)
class Handover:
    text: str
    author: str
    written_at: datetime


def leave_note(
    session: Session, vault: Vault, staff: StaffMember, text: str, now: datetime | None = None
) -> None:
    """Keep a new handover note (encrypted) for the next shift; commit."""
    text = text.strip()
    if not text:
        raise HandoverRefused("Write the handover note before you save it.")
    if len(text) > HANDOVER_MAX:
        raise HandoverRefused(f"Keep the handover note to {HANDOVER_MAX} characters.")
    now = now or utc_now()
    session.add(HandoverNote(staff_id=staff.id, written_at=now, body=vault.seal({"text": text})))
    audit.record(session, audit.HANDOVER_WRITTEN, staff_id=staff.id, now=now)
    session.commit()


# Asked on every dashboard page, so built once, for plain rows, newest first.
NOTES = (
    select(HandoverNote.body, HandoverNote.written_at, StaffMember.name.label("author"))
    .join(HandoverNote.staff)
    .order_by(HandoverNote.written_at.desc(), HandoverNote.id.desc())
)


def recent(session: Session, vault: Vault, now: datetime) -> list[Handover]:
    """The notes of the last 24 hours, newest first, each with its author and time."""
    query = NOTES.where(HandoverNote.written_at >= now - RECENT_FOR).limit(PAGE_SIZE)
    return [_opened(vault, note) for note in session.execute(query)]


def older(
    session: Session, vault: Vault, now: datetime, page: int = 1
) -> tuple[list[Handover], bool]:
    """A page of the notes older than 24 hours, newest first, and whether more follow."""
    query = (
        NOTES.where(HandoverNote.written_at < now - RECENT_FOR)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    notes = [_opened(vault, note) for note in session.execute(query)]
    return notes[:PAGE_SIZE], len(notes) > PAGE_SIZE


def _opened(vault: Vault, note) -> Handover:
    return Handover(vault.open(note.body)["text"], note.author, note.written_at)
