"""The callback queue: its order, who may take what, and taking without collisions.

Queue order: urgent first, then by due time (so the most overdue comes first),
then the oldest, then by id so the order is total and pagination is stable.
"""

import base64
import json
import math
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, and_, bindparam, func, or_, select, text
from sqlalchemy.orm import Session

from intake.domain import audit, states
from intake.domain.clock import utc_now
from intake.domain.crypto import Vault
from intake.domain.status import (
    change_status,
    commit_unless_changed_meanwhile,
    return_held_to_queue,
)
from intake.models import MAX_DATABASE_ID, CallbackRequest, StaffMember

QUEUE_ORDER = (
    CallbackRequest.urgent.desc(),
    CallbackRequest.due_at,
    CallbackRequest.created_at,
    CallbackRequest.id,
)
# Overdue once past this: a chosen window's end (rows older than the column: their due time).
OVERDUE_AT = func.coalesce(CallbackRequest.overdue_at, CallbackRequest.due_at)
TAKE_TRIES = 10
PAGE_SIZE = 50
OPEN = tuple(states.OPEN_STATUSES)
IS_OPEN = CallbackRequest.status.in_(OPEN)
# What a page of the list reads: the columns a row shows or orders by, and its holder's
# name, as plain rows: building ORM objects for fifty requests was a tenth of the page.
LISTED = (
    CallbackRequest.id,
    CallbackRequest.reference,
    CallbackRequest.status,
    CallbackRequest.urgent,
    CallbackRequest.created_at,
    CallbackRequest.due_at,
    CallbackRequest.overdue_at,
    CallbackRequest.closed_at,
    CallbackRequest.attempt_count,
    CallbackRequest.personal_data,
    StaffMember.name.label("holder_name"),
)
LISTED_FROM = select(*LISTED).outerjoin(CallbackRequest.held_by)


class QueueRefused(ValueError):
    """An action on the queue that the rules do not allow; the message says why."""


@dataclass(frozen=True)
class QueueFilter:
    """What the list shows: open requests, narrowed down."""

    state: str | None = None
    urgent_only: bool = False
    mine: bool = False
    unassigned: bool = False
    reference: str | None = None
    phone_hashes: tuple[str, ...] = ()
    include_closed: bool = False
    # One of SHOWS: a part of the open queue, as the counts split it, or the closed ones.
    show: str | None = None
    closed_as: str | None = None
    closed_since: datetime | None = None
    closed_until: datetime | None = None


SHOWS = {
    "ready": "Ready to call now",
    "booked": "Booked for later",
    "due_again": "Due again later",
    "in_progress": "In progress",
    "overdue": "Overdue",
    "closed": "Closed",
}


@dataclass(frozen=True)
class Cursor:
    """Where a page of the queue ends, in queue order (keyset pagination)."""

    urgent: bool
    due_at: datetime
    created_at: datetime
    id: int

    @classmethod
    def after(cls, request: CallbackRequest | Row) -> "Cursor":
        return cls(request.urgent, request.due_at, request.created_at, request.id)

    def encode(self) -> str:
        data = [self.urgent, self.due_at.isoformat(), self.created_at.isoformat(), self.id]
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor | None":
        """The cursor a page link carries, or None if it is not one we could have made:
        aware times and an id a database column can hold."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            urgent, due_at, created_at, request_id = json.loads(raw)
            cursor = cls(
                bool(urgent),
                datetime.fromisoformat(due_at),
                datetime.fromisoformat(created_at),
                int(request_id),
            )
        except (ValueError, TypeError):
            return None
        times_aware = cursor.due_at.tzinfo is not None and cursor.created_at.tzinfo is not None
        return cursor if times_aware and 0 < cursor.id <= MAX_DATABASE_ID else None


@dataclass(frozen=True)
class QueuePage:
    # Rows of LISTED's columns, not CallbackRequest objects.
    requests: list[Row]
    next_cursor: Cursor | None


@dataclass(frozen=True)
class TeamCounts:
    """The open requests, each in exactly one of the first four, plus two cross-counts.

    ready: may be called now; booked: the visitor chose a time that has not come;
    due_again: called before, waiting out the retry time or a time asked for on the
    call; in_progress: held. Overdue and urgent count across all four.
    """

    OPEN_PARTS: ClassVar = ("ready", "booked", "due_again", "in_progress", "overdue")

    ready: int
    booked: int
    due_again: int
    in_progress: int
    overdue: int
    urgent: int
    completed_today: int

    @property
    def waiting(self) -> int:
        """Everything not yet taken, whether or not it may be called now."""
        return self.ready + self.booked + self.due_again


@dataclass(frozen=True)
class QueueCounts(TeamCounts):
    held_by_me: int


def search_by_phone(
    session: Session, vault: Vault, staff: StaffMember, e164: str, now: datetime | None = None
) -> QueueFilter:
    """The filter for every request from this number, under every key in the ring.

    A search by phone is a look for someone's personal data: it is audited (the
    number is not written down) and committed.
    """
    audit.record(session, audit.SEARCHED_BY_PHONE, staff_id=staff.id, now=now or utc_now())
    session.commit()
    return QueueFilter(phone_hashes=tuple(vault.phone_hashes(e164)), include_closed=True)


def find_by_reference(session: Session, reference: str) -> CallbackRequest | None:
    return session.scalar(select(CallbackRequest).where(CallbackRequest.reference == reference))


def same_number(session: Session, request: CallbackRequest, limit: int = 20) -> list:
    """Other requests from the same phone number (by its keyed hash), newest first."""
    if request.phone_hash is None:
        return []
    query = (
        select(CallbackRequest)
        .where(CallbackRequest.phone_hash == request.phone_hash, CallbackRequest.id != request.id)
        .order_by(CallbackRequest.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def open_parts(now: datetime) -> dict[str, tuple]:
    """The conditions for each part of the open queue, written once for the counts and
    the list: ready, booked and due again split the waiting requests between them."""
    waiting = CallbackRequest.status == states.NEW
    later = CallbackRequest.callable_from > now
    return {
        "ready": (waiting, ~later),
        "booked": (waiting, later, CallbackRequest.attempt_count == 0),
        "due_again": (waiting, later, CallbackRequest.attempt_count > 0),
        "in_progress": (CallbackRequest.status == states.IN_PROGRESS,),
        "overdue": (IS_OPEN, now > OVERDUE_AT),
    }


def _filtered(query: Select, filters: QueueFilter, staff_id: int, now: datetime) -> Select:
    if filters.show == "closed":
        query = query.where(CallbackRequest.status.not_in(OPEN))
        if filters.closed_as:
            query = query.where(CallbackRequest.status == filters.closed_as)
        if filters.closed_since:
            query = query.where(CallbackRequest.closed_at >= filters.closed_since)
        if filters.closed_until:
            query = query.where(CallbackRequest.closed_at < filters.closed_until)
    elif filters.show in SHOWS:
        query = query.where(*open_parts(now)[filters.show])
    elif filters.state in states.STATUSES:
        query = query.where(CallbackRequest.status == filters.state)
    elif not filters.include_closed:
        query = query.where(IS_OPEN)
    if filters.urgent_only:
        query = query.where(CallbackRequest.urgent.is_(True))
    if filters.mine:
        query = query.where(CallbackRequest.held_by_id == staff_id)
    if filters.unassigned:
        query = query.where(CallbackRequest.held_by_id.is_(None))
    if filters.reference:
        query = query.where(CallbackRequest.reference == filters.reference)
    if filters.phone_hashes:
        query = query.where(CallbackRequest.phone_hash.in_(filters.phone_hashes))
    return query


def _after(cursor: Cursor):
    """Rows that come after `cursor` in queue order (urgent descending, the rest ascending)."""
    same_urgency_later = and_(
        CallbackRequest.urgent == cursor.urgent,
        or_(
            CallbackRequest.due_at > cursor.due_at,
            and_(
                CallbackRequest.due_at == cursor.due_at,
                or_(
                    CallbackRequest.created_at > cursor.created_at,
                    and_(
                        CallbackRequest.created_at == cursor.created_at,
                        CallbackRequest.id > cursor.id,
                    ),
                ),
            ),
        ),
    )
    if cursor.urgent:
        return or_(CallbackRequest.urgent.is_(False), same_urgency_later)
    return same_urgency_later


def queue_page(
    session: Session,
    filters: QueueFilter,
    staff_id: int,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
    now: datetime | None = None,
) -> QueuePage:
    query = page_query(filters, staff_id, now or utc_now(), after, limit + 1)
    rows = list(session.execute(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(rows, Cursor.after(rows[-1]) if more else None)


def page_query(
    filters: QueueFilter, staff_id: int, now: datetime, after: Cursor | None, limit: int
) -> Select:
    """Up to `limit` rows of the list, in queue order, after `after`."""
    query = _filtered(LISTED_FROM, filters, staff_id, now)
    if after is not None:
        query = query.where(_after(after))
    return query.order_by(*QUEUE_ORDER).limit(limit)


def team_counts(session: Session, now: datetime, zone: ZoneInfo) -> TeamCounts:
    """The team's numbers.

    Two queries, each answerable from its own partial or composite index: the open
    requests, and today's completed ones.
    """
    _in_one_process(session)
    parts = open_parts(now)
    open_counts = session.execute(
        select(
            *(func.count().filter(*parts[name]) for name in TeamCounts.OPEN_PARTS),
            func.count().filter(CallbackRequest.urgent.is_(True)),
        ).where(IS_OPEN)
    ).one()
    local_midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    completed = session.scalar(
        select(func.count()).where(
            CallbackRequest.status == states.COMPLETED, CallbackRequest.closed_at >= local_midnight
        )
    )
    return TeamCounts(*open_counts, completed_today=completed or 0)


def _in_one_process(session: Session) -> None:
    """Counting reads every open request. PostgreSQL would share that among parallel
    workers, taking every core for the count's 60 ms and stalling every page meanwhile
    (the queue page's p99 was 140 ms with recounts and 89 ms without); one process
    counts about as fast and leaves the other cores to the pages. For this transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def next_callable_at(session: Session) -> datetime | None:
    """When the earliest waiting request that may not be called yet becomes callable."""
    query = select(func.min(CallbackRequest.callable_from)).where(
        CallbackRequest.status == states.NEW, CallbackRequest.held_by_id.is_(None)
    )
    return session.scalar(query)


def oldest_wait(session: Session, now: datetime) -> timedelta:
    """How long the longest-waiting request that may be called now has waited since it
    could first be called (zero when none waits): booked requests count from their
    window, and one due again after an unanswered call from its retry time."""
    query = select(func.min(CallbackRequest.callable_from)).where(
        CallbackRequest.status == states.NEW, CallbackRequest.callable_from <= now
    )
    since = session.scalar(query)
    return max(now - since, timedelta(0)) if since else timedelta(0)


# Asked on every dashboard page, so built once.
HELD_BY = select(func.count()).where(
    CallbackRequest.status == states.IN_PROGRESS,
    CallbackRequest.held_by_id == bindparam("staff_id"),
)


def held_by(session: Session, staff_id: int) -> int:
    return session.scalar(HELD_BY, {"staff_id": staff_id}) or 0


@dataclass(frozen=True)
class Holding:
    count: int
    since: datetime


def holdings(session: Session) -> dict[int, Holding]:
    """What each member holds now: how many requests, and since when (the oldest hold)."""
    query = (
        select(CallbackRequest.held_by_id, func.count(), func.min(CallbackRequest.held_at))
        .where(CallbackRequest.status == states.IN_PROGRESS)
        .group_by(CallbackRequest.held_by_id)
    )
    return {member: Holding(count, since) for member, count, since in session.execute(query)}


def queue_counts(session: Session, staff_id: int, now: datetime, zone: ZoneInfo) -> QueueCounts:
    """The numbers at the top of the dashboard."""
    return with_my_holds(team_counts(session, now, zone), held_by(session, staff_id))


def with_my_holds(team: TeamCounts, held_by_me: int) -> QueueCounts:
    return QueueCounts(**asdict(team), held_by_me=held_by_me)


def release_expired_holds(session: Session, now: datetime, hold_limit: timedelta) -> int:
    """Put requests held but untouched for too long back in the queue, and commit.

    Called by take-next and every minute by `flask --app intake release-holds`, so
    it reads first and writes only when a hold has really expired.
    """
    stale = CallbackRequest.held_at < now - hold_limit
    any_stale = select(CallbackRequest.id).where(
        CallbackRequest.status == states.IN_PROGRESS, stale
    )
    if session.scalar(any_stale.limit(1)) is None:
        return 0
    expired = return_held_to_queue(session, stale, event=audit.HOLD_EXPIRED, now=now)
    session.commit()
    return len(expired)


def _claim(
    session: Session,
    request_id: int,
    staff: StaffMember,
    now: datetime,
    words: bytes | None = None,
) -> bool:
    """Hold a waiting request and commit; False if someone else changed it first.
    `words`: a supervisor's sealed reason for taking it before its retry time.

    The version check makes the UPDATE conditional: of any racing claimants,
    exactly one commits.
    """
    request = session.get(CallbackRequest, request_id)
    if request is None or request.status != states.NEW or request.held_by_id is not None:
        session.rollback()
        return False
    change_status(
        session,
        request,
        states.IN_PROGRESS,
        by=staff,
        now=now,
        event=audit.REQUEST_TAKEN,
        detail=OVERRIDDEN if words else None,
        words=words,
    )
    return commit_unless_changed_meanwhile(session)


def take_next(
    session: Session,
    staff: StaffMember,
    now: datetime | None = None,
    hold_limit: timedelta | None = None,
) -> str | None:
    """Hold the first request in queue order that may be called now; its reference, or None.

    Holds older than `hold_limit` go back to the queue first. On PostgreSQL the
    candidate row is locked with SKIP LOCKED, so racing agents pass over each
    other's rows; everywhere, the claim itself is conditional on the version, so a
    row can only ever be won once.
    """
    now = now or utc_now()
    if hold_limit is not None:
        release_expired_holds(session, now, hold_limit)
    candidates = next_candidate(now, session.get_bind().dialect.name)
    for _ in range(TAKE_TRIES):
        candidate = session.execute(candidates).first()
        if candidate is None:
            session.rollback()
            return None
        if _claim(session, candidate.id, staff, now):
            return candidate.reference
    return None


def next_candidate(now: datetime, dialect: str) -> Select:
    """The first request in queue order that may be called now (read from the open-queue
    index in order, so it stops at the first match)."""
    query = (
        select(CallbackRequest.id, CallbackRequest.version, CallbackRequest.reference)
        .where(
            IS_OPEN,
            CallbackRequest.status == states.NEW,
            CallbackRequest.held_by_id.is_(None),
            CallbackRequest.callable_from <= now,
        )
        .order_by(*QUEUE_ORDER)
        .limit(1)
    )
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def check_retry_wait(
    request: CallbackRequest, staff: StaffMember, override_reason: str | None, now: datetime
) -> bool:
    """A request is neither taken nor called before it may be (a retry wait, a chosen
    time), unless a supervisor overrides with a reason; True when they do (the audit
    line says so, and the reason is sealed with the request)."""
    if request.callable_from <= now:
        return False
    wait = f"This request may not be called for another {minutes_until(request.callable_from, now)}"
    if not staff.is_supervisor:
        raise QueueRefused(f"{wait}. A supervisor can override this, with a reason.")
    if not (override_reason or "").strip():
        raise QueueRefused(f"{wait}. To call now, give the reason for overriding.")
    return True


# What an audit line says of a call or take before the retry time (the reason is sealed).
OVERRIDDEN = {"override": True}


def minutes_until(moment: datetime, now: datetime) -> str:
    """'2 min': whole minutes, rounded up, as every page counts down (see queue_row)."""
    return f"{math.ceil((moment - now).total_seconds() / 60)} min"


def take(
    session: Session,
    request: CallbackRequest,
    staff: StaffMember,
    now: datetime | None = None,
    override_reason: str | None = None,
    vault: Vault | None = None,
) -> None:
    """Hold a given request, if nobody holds it and it may be called now: during a retry
    wait or before a chosen time, only a supervisor takes it, with a reason (the
    request may then be called at once; `vault` seals the reason)."""
    now = now or utc_now()
    if request.held_by_id == staff.id:
        return
    if request.status != states.NEW:
        raise QueueRefused(_why_not_takeable(request))
    words = None
    if check_retry_wait(request, staff, override_reason, now):
        if vault is None:
            raise ValueError("a reason to override is sealed: pass the vault")
        request.callable_from = now
        words = audit.seal_words(vault, override_reason)
    if not _claim(session, request.id, staff, now, words):
        raise QueueRefused("Someone else took this request a moment ago.")


def _why_not_takeable(request: CallbackRequest) -> str:
    if request.status == states.IN_PROGRESS:
        holder = request.held_by.name if request.held_by else "someone else"
        return f"{holder} is working on this request."
    return f"This request is {states.LABELS[request.status].lower()}, so it cannot be taken."


def ensure_holder(request: CallbackRequest, staff: StaffMember) -> None:
    """Only the person holding a request records calls on it or changes it."""
    if request.status not in OPEN:
        raise QueueRefused(f"This request is {states.LABELS[request.status].lower()}.")
    if request.held_by_id != staff.id:
        raise QueueRefused("Take this request before you record anything on it.")


def release(
    session: Session, request: CallbackRequest, staff: StaffMember, now: datetime | None = None
) -> None:
    """Give a held request back to the queue (its holder, or a supervisor)."""
    now = now or utc_now()
    if not staff.is_supervisor:
        ensure_holder(request, staff)
    if request.status != states.IN_PROGRESS:
        raise QueueRefused("Nobody is holding this request.")
    change_status(session, request, states.NEW, by=staff, now=now, event=audit.REQUEST_RELEASED)
    session.commit()


def touch(request: CallbackRequest, staff: StaffMember, now: datetime) -> None:
    """The holder is active on the request: their hold does not expire yet."""
    if request.held_by_id == staff.id and request.status == states.IN_PROGRESS:
        request.held_at = now


def renew_hold(
    session: Session, request: CallbackRequest, staff: StaffMember, now: datetime | None = None
) -> bool:
    """The holder's request page is still open: renew the hold and commit.

    False if `staff` no longer holds it.
    """
    now = now or utc_now()
    if request.held_by_id != staff.id or request.status != states.IN_PROGRESS:
        session.rollback()
        return False
    touch(request, staff, now)
    session.commit()
    return True


def release_all_held_by(
    session: Session, staff_id: int, *, because: str, by_id: int | None = None, now: datetime
) -> list[int]:
    """Everything a member holds goes back to the queue (they signed out, or their
    account is being disabled), one audit line per request, in the caller's unit of work."""
    return return_held_to_queue(
        session,
        CallbackRequest.held_by_id == staff_id,
        event=audit.REQUEST_RELEASED,
        now=now,
        by_id=by_id or staff_id,
        detail={"because": because},
    )
