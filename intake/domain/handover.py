"""The shift handover note: what one shift leaves the next, shown on the dashboard."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.domain import audit
from intake.domain.clock import utc_now
from intake.domain.crypto import Vault
from intake.models import HandoverNote, StaffMember

HANDOVER_MAX = 2000


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


# Asked on every dashboard page, so built once, for plain rows.
LATEST = (
    select(HandoverNote.body, HandoverNote.written_at, StaffMember.name.label("author"))
    .join(HandoverNote.staff)
    .order_by(HandoverNote.written_at.desc(), HandoverNote.id.desc())
    .limit(1)
)


def latest(session: Session, vault: Vault) -> Handover | None:
    """The newest handover note, with its author and time."""
    note = session.execute(LATEST).first()
    if note is None:
        return None
    return Handover(vault.open(note.body)["text"], note.author, note.written_at)
