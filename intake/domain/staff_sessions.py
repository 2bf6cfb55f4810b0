"""Staff sessions kept on the server, one per sign-in.

An idle session, or one older than its absolute lifetime, ends alone: the member's
other sessions go on. Signing out, being disabled and a second-factor reset still
end every session (staff_accounts bumps the member's session version). When a
session ends under a member who was typing (a call, a note, a handover), what they
typed is kept, sealed, and handed to their next session.

A draft is {"reference": the request it is about (None for the queue page), "forms":
{the endpoint each form is sent to: its typed fields}}: what one page held.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from intake.domain import audit
from intake.domain.crypto import Vault, token_digest
from intake.models import StaffMember, StaffSession

# A draft left by a session that ended is offered to the next sign-in for this long.
DRAFT_KEPT_FOR = timedelta(hours=2)
# Activity is written at most this often, and at most every tenth of the idle limit, so
# a short limit never ends the session of someone active between two writes.
SEEN_WRITTEN_EVERY = timedelta(minutes=1)
# "Active now": seen within a few minutes (activity is written at most once a minute).
ACTIVE_WITHIN = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    lifetime: timedelta


def start(session: Session, staff: StaffMember, now: datetime) -> str:
    """A new session for this sign-in; returns its token (only its digest is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_digest=token_digest(token), staff_id=staff.id, started_at=now, last_seen_at=now
        )
    )
    _hand_over_draft(session, staff, token_digest(token), now)
    session.commit()
    return token


# Asked on every staff page, so built once.
BY_TOKEN = select(StaffSession).where(StaffSession.token_digest == bindparam("digest"))


def find(session: Session, token: str | None) -> StaffSession | None:
    """The open session this token belongs to, its member loaded with it."""
    if not token:
        return None
    row = session.scalar(BY_TOKEN, {"digest": token_digest(token)})
    if row is None or row.ended_at is not None:
        return None
    return row


def active_staff(session: Session, now: datetime, within: timedelta = ACTIVE_WITHIN) -> int:
    """How many members have a session that did something in the last `within`."""
    query = select(func.count(func.distinct(StaffSession.staff_id))).where(
        StaffSession.ended_at.is_(None), StaffSession.last_seen_at >= now - within
    )
    return session.scalar(query) or 0


def has_live_session(staff_id, now: datetime, idle: timedelta):
    """A clause: the member `staff_id` (a column or a value) has a session that has
    neither ended nor been idle past `idle`."""
    return (
        select(StaffSession.id)
        .where(
            StaffSession.staff_id == staff_id,
            StaffSession.ended_at.is_(None),
            StaffSession.last_seen_at >= now - idle,
        )
        .exists()
    )


@dataclass(frozen=True)
class Presence:
    """Whether a member is signed in now, and when they last did anything."""

    signed_in: bool
    last_active: datetime | None


def presence(session: Session, now: datetime, idle: timedelta) -> dict[int, Presence]:
    """Each member who has ever signed in: signed in now (a session neither ended nor
    idle past `idle`), and their last activity. Nothing here but times."""
    live = and_(StaffSession.ended_at.is_(None), StaffSession.last_seen_at >= now - idle)
    query = select(
        StaffSession.staff_id,
        func.max(StaffSession.last_seen_at),
        func.max(case((live, 1), else_=0)),
    ).group_by(StaffSession.staff_id)
    return {
        staff_id: Presence(bool(signed_in), last_active)
        for staff_id, last_active, signed_in in session.execute(query)
    }


def why_ended(row: StaffSession, now: datetime, limits: SessionLimits) -> str | None:
    """'idle' or 'lifetime' if this session must end now, else None."""
    if now - row.last_seen_at > limits.idle:
        return "idle"
    if now - row.started_at > limits.lifetime:
        return "lifetime"
    return None


def time_left(row: StaffSession, now: datetime, limits: SessionLimits) -> tuple[timedelta, str]:
    """How long until this session ends if nothing more is done, and why it would:
    'idle' (doing something renews it) or 'lifetime' (nothing does)."""
    idle_left = limits.idle - (now - row.last_seen_at)
    lifetime_left = limits.lifetime - (now - row.started_at)
    if lifetime_left < idle_left:
        return max(lifetime_left, timedelta(0)), "lifetime"
    return max(idle_left, timedelta(0)), "idle"


def seen(session: Session, row: StaffSession, now: datetime, limits: SessionLimits) -> None:
    """The member did something: the idle clock starts again. Written at most once a
    minute (or every tenth of the idle limit, if that is shorter), so reading pages
    does not cost a write each."""
    if now - row.last_seen_at >= min(SEEN_WRITTEN_EVERY, limits.idle / 10):
        row.last_seen_at = now
        session.commit()


def end(
    session: Session,
    row: StaffSession,
    reason: str,
    now: datetime,
    vault: Vault | None = None,
    draft: dict | None = None,
) -> None:
    """End this one session (audited), keeping what was being typed, if anything."""
    row.ended_at = now
    if draft and vault is not None:
        row.draft = vault.seal(_merged(vault, row, draft))
    audit.record(
        session, audit.SESSION_EXPIRED, staff_id=row.staff_id, detail={"reason": reason}, now=now
    )
    session.commit()


def end_all(session: Session, staff_id: int, now: datetime, keep: int | None = None) -> None:
    """Every open session of a member ends (sign-out, disabling, a reset), but the one
    whose id is `keep` (a password change keeps the session it was made in)."""
    query = update(StaffSession).where(
        StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    session.execute(query.values(ended_at=now))


def keep_draft_after_end(
    session: Session, vault: Vault, token: str | None, draft: dict, now: datetime
) -> bool:
    """A form sent after its session ended (the page's session ran out while it was
    being typed, or the page's script sent what it held): kept, sealed, on that ended
    session, for the member's next sign-in to find, with what the same page sent
    before. Only for a session that ended lately; True if kept; commits."""
    if not token:
        return False
    row = session.scalar(BY_TOKEN, {"digest": token_digest(token)})
    if row is None or row.ended_at is None or now - row.ended_at > DRAFT_KEPT_FOR:
        return False
    row.draft = vault.seal(_merged(vault, row, draft))
    session.commit()
    return True


def _merged(vault: Vault, row: StaffSession, draft: dict) -> dict:
    """The draft, with the other forms this session kept from the same page."""
    if row.draft is None:
        return draft
    kept = _readable(vault.open(row.draft))
    if kept.get("reference") != draft.get("reference"):
        return draft
    return {**draft, "forms": {**kept["forms"], **draft["forms"]}}


def _readable(draft: dict) -> dict:
    """A draft in today's shape (one kept before forms were gathered by endpoint held
    one form, as "endpoint" and "fields")."""
    if "forms" in draft:
        return draft
    return {"reference": draft.get("reference"), "forms": {draft["endpoint"]: draft["fields"]}}


def take_draft(
    session: Session, vault: Vault, row: StaffSession, reference: str | None
) -> dict | None:
    """The draft this session holds for one request (None: for the queue page), given
    once; commits."""
    if row.draft is None:
        return None
    draft = _readable(vault.open(row.draft))
    if draft.get("reference") != reference:
        return None
    row.draft = None
    session.commit()
    return draft


def pending_draft_reference(vault: Vault, row: StaffSession) -> str | None:
    """The request a draft waits on, to return the member to it after signing in."""
    return vault.open(row.draft).get("reference") if row.draft else None


def _hand_over_draft(session: Session, staff: StaffMember, digest: str, now: datetime) -> None:
    """Move the newest draft left by an ended session of this member to the new one."""
    ended = session.scalar(
        select(StaffSession)
        .where(
            StaffSession.staff_id == staff.id,
            StaffSession.draft.is_not(None),
            StaffSession.ended_at >= now - DRAFT_KEPT_FOR,
        )
        .order_by(StaffSession.ended_at.desc())
        .limit(1)
    )
    if ended is None:
        return
    session.flush()
    new = session.scalar(select(StaffSession).where(StaffSession.token_digest == digest))
    new.draft, ended.draft = ended.draft, None


def drop_drafts_about(session: Session, vault: Vault, reference: str) -> None:
    """An erased request leaves no draft behind: what anyone typed about it and kept
    for their next sign-in goes, in the caller's transaction."""
    kept = session.scalars(select(StaffSession).where(StaffSession.draft.is_not(None)))
    for row in kept:
        if pending_draft_reference(vault, row) == reference:
            row.draft = None
