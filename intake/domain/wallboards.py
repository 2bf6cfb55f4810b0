"""Wallboards: read-only screens of the queue's numbers for a room (issue 14).

A supervisor pairs a screen (the office TV) from that screen's own browser. The pairing
is a random token in a cookie, never a token in a URL: access logs record paths, and an
address leaks through history, bookmarks and a photo of the screen. Only the token's
SHA-256 digest is stored, as for staff sessions and receipts, so a copy of the database
pairs no screen.

What a wallboard shows is counts and times only (the queue's parts, the longest wait,
how many staff are active), never a reference, a name or a number; that is why it may
stay on all day without timing out, as a staff session must not. It ends only when a
supervisor revokes it, and its next refresh then shows nothing.

Its views are audited, but not each refresh (every 15 seconds around the clock would
bury the trail): the first view in each hour is, claimed by one conditional UPDATE of
`last_audited_at`, so refreshes arriving together (two workers, two tabs) audit once.
`last_seen_at` is written at most once a minute in the same way, so supervisors see
which screens are alive without a write per refresh. Each function commits once.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from intake.domain import audit, queue, staff_sessions, supervision
from intake.domain.crypto import token_digest
from intake.models import StaffSession, Wallboard

NAME_MAX = 60
# A token we made is 43 characters; anything much longer is not worth hashing.
TOKEN_MAX = 100
AUDIT_VIEWS_EVERY = timedelta(hours=1)
SEEN_WRITTEN_EVERY = timedelta(minutes=1)


class WallboardRefused(ValueError):
    """A wallboard that cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Numbers:
    """Everything a wallboard shows: counts and times, nothing about anyone."""

    counts: queue.TeamCounts
    oldest_wait: timedelta
    staff_active: int
    at: datetime
    needs_supervisor: int = 0  # urgent requests left open for a supervisor's decision


def create(
    session: Session,
    name: str,
    *,
    created_by: int,
    now: datetime,
    staff_session: StaffSession | None = None,
) -> tuple[Wallboard, str]:
    """A new wallboard, made on the screen's own browser; returns it and its token (only
    the digest is kept). `staff_session`, the supervisor's sign-in on that browser, ends
    in the same unit of work: a wallboard's browser must hold no staff session, or
    anyone passing the screen could use the dashboard. Audited; commits once."""
    name = " ".join(name.split())
    if not name:
        raise WallboardRefused("Enter a name for the screen")
    if len(name) > NAME_MAX:
        raise WallboardRefused(f"Keep the screen's name to {NAME_MAX} characters")
    token = secrets.token_urlsafe(32)
    wallboard = Wallboard(
        name=name, token_digest=token_digest(token), created_by_id=created_by, created_at=now
    )
    session.add(wallboard)
    if staff_session is not None and staff_session.ended_at is None:
        staff_session.ended_at = now
    session.flush()
    audit.record(
        session,
        audit.WALLBOARD_CREATED,
        staff_id=created_by,
        detail={"wallboard": wallboard.id, "name": name},
        now=now,
    )
    session.commit()
    return wallboard, token


def find(session: Session, token: str | None) -> Wallboard | None:
    """The wallboard this token pairs, unless it was revoked (or never existed)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    query = select(Wallboard).where(Wallboard.token_digest == token_digest(token))
    wallboard = session.scalar(query)
    if wallboard is None or wallboard.revoked_at is not None:
        return None
    return wallboard


def numbers(session: Session, counts: queue.TeamCounts, now: datetime) -> Numbers:
    """What the screen shows now: the dashboard's team `counts`, the longest wait of a
    request that may be called now, and the staff active in the last few minutes."""
    return Numbers(
        counts=counts,
        oldest_wait=queue.oldest_wait(session, now),
        staff_active=staff_sessions.active_staff(session, now),
        at=now,
        needs_supervisor=supervision.count_waiting(session),
    )


def viewed(session: Session, wallboard: Wallboard, now: datetime) -> bool:
    """The screen was shown now. Audited if no view was in the last hour, and its last
    sighting written if none was in the last minute; a refresh that needs neither
    writes nothing. Returns whether this view was the one audited."""
    audit_due = _due(wallboard.last_audited_at, now, AUDIT_VIEWS_EVERY)
    seen_due = _due(wallboard.last_seen_at, now, SEEN_WRITTEN_EVERY)
    if not (audit_due or seen_due):
        return False
    wallboard_id, name = wallboard.id, wallboard.name
    audited = audit_due and _claim(
        session, wallboard_id, Wallboard.last_audited_at, now, AUDIT_VIEWS_EVERY
    )
    if audited:
        detail = {"wallboard": wallboard_id, "name": name}
        audit.record(session, audit.WALLBOARD_VIEWED, detail=detail, now=now)
    if seen_due:
        _claim(session, wallboard_id, Wallboard.last_seen_at, now, SEEN_WRITTEN_EVERY)
    session.commit()
    return audited


def revoke(session: Session, wallboard: Wallboard, *, by: int, now: datetime) -> bool:
    """Unpair the screen for good, by one conditional UPDATE (two supervisors pressing
    Revoke together audit it once). False if it was revoked already. Commits."""
    wallboard_id, name = wallboard.id, wallboard.name
    result = session.execute(
        update(Wallboard)
        .where(Wallboard.id == wallboard_id, Wallboard.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        return False
    detail = {"wallboard": wallboard_id, "name": name}
    audit.record(session, audit.WALLBOARD_REVOKED, staff_id=by, detail=detail, now=now)
    session.commit()
    return True


def in_use(session: Session) -> list[Wallboard]:
    """The wallboards not revoked, oldest first, for the Team page."""
    query = select(Wallboard).where(Wallboard.revoked_at.is_(None)).order_by(Wallboard.id)
    return list(session.scalars(query))


def _due(last: datetime | None, now: datetime, every: timedelta) -> bool:
    return last is None or now - last >= every


def _claim(
    session: Session,
    wallboard_id: int,
    column: InstrumentedAttribute,
    now: datetime,
    every: timedelta,
) -> bool:
    """Set `column` to now if it is older than `every` (or unset) and the wallboard is
    not revoked, in one conditional UPDATE: of refreshes racing, one wins."""
    result = session.execute(
        update(Wallboard)
        .where(
            Wallboard.id == wallboard_id,
            Wallboard.revoked_at.is_(None),
            or_(column.is_(None), column <= now - every),
        )
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
