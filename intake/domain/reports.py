"""Supervisors' reports: what came in, how soon it was called, how it ended, who did
what and which guide pages led to it, over a period of whole days in the service's zone.

Figures only: nothing here reads a request's sealed answers, and a report holds no
name, number or message (the per-request rows carry the reference and times).

Counting is done by the database (GROUP BY). Two figures need every value, not only
a count, and fetch one number per item for it: the wait for a first call (one per
request of the period: its bands, median and 90th percentile come from that one
list) and the time on a request (one per hold that began in the period).

Days and hours are the service's. The database groups arrivals by quarter-hour of
UTC (the same integer on SQLite and PostgreSQL), and Python puts each of those at
most 96 a day into its local day and hour, so a day when the clocks change has its
23 or 25 hours, and a zone half or three quarters of an hour off UTC stays right.

Definitions (the report page says them in words too):

- **Time to first call**: from when the request could first be called to its first
  call (any outcome, a call saved late included). "Could first be called" is the
  request's `callable_from` as it arrived (`first_callable_at`, kept since the
  request was made): at once for "as soon as possible", the start of the chosen
  window otherwise. Rows older than that column had it filled in where it was still
  known (no call made, never reopened). For the others (a call that goes unanswered,
  a "call at another time" and a reopening move `callable_from` on, to a time after
  that call) the wait is measured from when the request arrived: exact for an "as
  soon as possible" request, and only ever longer for one booked for later, so the
  figure flatters nobody.
  The median and the 90th percentile are of the requests called; the 90th
  percentile is the nearest-rank one (a wait that really happened). "Within
  target" includes the target itself (15 minutes is within 15 minutes), and so
  does each band its upper limit.
- **Time on a request** (per agent): the time the agent held it. A hold begins when
  they take the request (REQUEST_TAKEN) or are given it (REQUEST_REASSIGNED, to
  them), and ends at the next change of the request's status or holder in the
  audit trail: the call that ends it (every recorded call moves the request out of
  their hands), a release, an expired hold, a hand-over, a close. An agent's holds
  of one request are added up (a request called three times is one request), and
  the median is over the requests whose holds began in the period and have ended.
  Measured this way, and not from taking to closing, an agent is never charged for
  the time a request waited in the queue for a colleague. (A hold returned when its
  member is disabled leaves no line on the request, so it ends at the next one.)
- **Calls** and their outcomes are those made in the period; requests, their
  outcomes and their guide pages are those made in the period.
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Float, and_, case, exists, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from intake.domain import audit, calls, states
from intake.domain.clock import utc_now
from intake.models import AuditEvent, CallAttempt, CallbackRequest, StaffMember

MAX_DAYS = 366
DEFAULT_DAYS = 7
SLOT_SECONDS = 15 * 60
# Band edges for the wait for a first call, in minutes; the callback target joins them.
BAND_EDGES = (5, 10, 15, 30, 60, 120)
NOT_CALLED = "Not called"
OPEN = "open"
# How requests ended, in the order a report lists them; open ones last.
REQUEST_OUTCOMES = {
    states.COMPLETED: states.LABELS[states.COMPLETED],
    states.UNREACHABLE: states.LABELS[states.UNREACHABLE],
    states.WITHDRAWN: states.LABELS[states.WITHDRAWN],
    states.SPAM: states.LABELS[states.SPAM],
    states.EXPIRED: states.LABELS[states.EXPIRED],
    OPEN: "Still open",
}
# Audit entries that start or end a hold (see "time on a request" above).
HOLD_STARTS = (audit.REQUEST_TAKEN, audit.REQUEST_REASSIGNED)
HOLD_EVENTS = (
    *HOLD_STARTS,
    audit.STATUS_CHANGED,
    audit.REQUEST_RELEASED,
    audit.HOLD_EXPIRED,
    audit.REQUEST_WITHDRAWN,
    audit.REQUEST_EXPIRED,
    audit.REQUEST_REOPENED,
)
# The entry that closes a request names who closed it (no one: the visitor, the purge).
CLOSING_EVENTS = (audit.STATUS_CHANGED, audit.REQUEST_WITHDRAWN, audit.REQUEST_EXPIRED)
ROWS_AT_A_TIME = 2000

# What can be downloaded, by the name in its address; the audit trail names it too.
EXPORTS = {
    "requests-per-day": "Requests per day",
    "requests-by-hour": "Requests by hour of the week",
    "first-call": "Time to first call",
    "request-outcomes": "How requests ended",
    "call-outcomes": "Outcomes of calls",
    "agents": "Per agent",
    "source-pages": "Guide pages that led to requests",
    "requests": "One row per request",
}


class seconds_between(FunctionElement):
    """`later - earlier` in seconds (a float; NULL if either is), on both databases."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    # julianday is a double of days: rounded to the millisecond, 15 minutes is 900.0.
    return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


class utc_slot(FunctionElement):
    """The quarter-hour of UTC a moment falls in, counted from 1970 (an integer)."""

    type = BigInteger()
    name = "utc_slot"
    inherit_cache = True


@compiles(utc_slot, "sqlite")
def _slot_sqlite(element, compiler, **kw) -> str:
    (moment,) = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CAST(strftime('%s', {moment}) AS INTEGER) / {SLOT_SECONDS})"


@compiles(utc_slot, "postgresql")
def _slot_postgresql(element, compiler, **kw) -> str:
    (moment,) = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {moment}) / {SLOT_SECONDS}) AS BIGINT)"


@dataclass(frozen=True)
class Period:
    """Whole days in the service's zone, `end` included."""

    start: date
    end: date

    @classmethod
    def ending(cls, end: date, days: int = DEFAULT_DAYS) -> "Period":
        return cls(end - timedelta(days=days - 1), end)

    @property
    def length(self) -> int:
        """How many days the period holds."""
        return (self.end - self.start).days + 1

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.length)]

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """From local midnight at the start to local midnight after the end, in UTC."""
        since = datetime.combine(self.start, time(0), tzinfo=zone)
        until = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone)
        return since.astimezone(UTC), until.astimezone(UTC)


def _made_in(period: Period, zone: ZoneInfo):
    since, until = period.bounds(zone)
    return and_(CallbackRequest.created_at >= since, CallbackRequest.created_at < until)


# Requests per day and by hour of the week


@dataclass(frozen=True)
class Arrivals:
    per_day: list[tuple[date, int]]
    # by_hour[weekday][hour]: Monday is 0, as date.weekday() counts.
    by_hour: list[list[int]]

    @property
    def total(self) -> int:
        return sum(count for _, count in self.per_day)


def arrivals(session: Session, period: Period, zone: ZoneInfo) -> Arrivals:
    slot = utc_slot(CallbackRequest.created_at)
    query = select(slot, func.count()).where(_made_in(period, zone)).group_by(slot)
    per_day = dict.fromkeys(period.days, 0)
    by_hour = [[0] * 24 for _ in range(7)]
    for number, count in session.execute(query):
        local = datetime.fromtimestamp(int(number) * SLOT_SECONDS, UTC).astimezone(zone)
        per_day[local.date()] += count
        by_hour[local.weekday()][local.hour] += count
    return Arrivals(list(per_day.items()), by_hour)


# Time to first call


@dataclass(frozen=True)
class Band:
    label: str
    count: int
    # The band's upper limit (included); None for the last timed band and "not called".
    up_to: timedelta | None = None


@dataclass(frozen=True)
class Waits:
    bands: list[Band]  # the timed bands, then "not called"
    called: int
    not_called: int
    within_target: int
    median: timedelta | None
    p90: timedelta | None

    @property
    def share_within_target(self) -> float | None:
        """Of the requests called, the share first called within the target (0 to 1)."""
        return self.within_target / self.called if self.called else None


@dataclass(frozen=True)
class FirstCalls:
    target: timedelta
    everyone: Waits
    urgent: Waits


def _minutes_words(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def band_edges(target: timedelta) -> list[int]:
    """The bands' upper limits in minutes: the usual ones and the target's own."""
    target_minutes = math.ceil(target.total_seconds() / 60)
    return sorted({*BAND_EDGES, target_minutes} - {0})


def band_labels(edges: Sequence[int]) -> list[str]:
    """'5 min or less', '5 to 10 min', '30 min to 1 h', '1 to 2 h', 'Over 2 h'."""
    labels, lower = [], 0
    for upper in edges:
        if lower == 0:
            labels.append(f"{_minutes_words(upper)} or less")
        elif upper < 60:
            labels.append(f"{lower} to {upper} min")
        elif lower % 60 == 0 and upper % 60 == 0:
            labels.append(f"{lower // 60} to {upper // 60} h")
        else:
            labels.append(f"{_minutes_words(lower)} to {_minutes_words(upper)}")
        lower = upper
    return [*labels, f"Over {_minutes_words(edges[-1])}"]


def nearest_rank(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of sorted `values`: a value that really occurred."""
    return values[max(0, math.ceil(share * len(values)) - 1)]


def waits(seconds: Sequence[float | None], target: timedelta) -> Waits:
    """The figures for one set of requests, from each one's wait in seconds (None: not
    called). A wait below zero, which the rule above never gives, would count as 0."""
    edges = band_edges(target)
    counts = [0] * (len(edges) + 1)
    called = sorted(max(0.0, value) for value in seconds if value is not None)
    for value in called:
        index = next((i for i, edge in enumerate(edges) if value <= edge * 60), len(edges))
        counts[index] += 1
    limits = [timedelta(minutes=edge) for edge in edges] + [None]
    bands = [
        Band(label, count, limit)
        for label, count, limit in zip(band_labels(edges), counts, limits, strict=True)
    ]
    not_called = len(seconds) - len(called)
    bands.append(Band(NOT_CALLED, not_called))
    return Waits(
        bands=bands,
        called=len(called),
        not_called=not_called,
        within_target=sum(1 for value in called if value <= target.total_seconds()),
        median=timedelta(seconds=statistics.median(called)) if called else None,
        p90=timedelta(seconds=nearest_rank(called, 0.9)) if called else None,
    )


def _first_call_times(where):
    """Per request matching `where`: its first call and when it could first be called
    (see the module's docstring), as a select with the request's own columns."""
    first_call = (
        select(func.min(CallAttempt.made_at))
        .where(CallAttempt.request_id == CallbackRequest.id)
        .correlate(CallbackRequest)
        .scalar_subquery()
    )
    reopened = exists().where(
        AuditEvent.request_id == CallbackRequest.id,
        AuditEvent.action == audit.REQUEST_REOPENED,
    )
    # Kept since the request arrived; for older rows, `callable_from` while it is still
    # the one it arrived with, else arrival. The audit trail is read only for those.
    first_callable = case(
        (CallbackRequest.first_callable_at.is_not(None), CallbackRequest.first_callable_at),
        (reopened, CallbackRequest.created_at),
        (
            or_(first_call.is_(None), CallbackRequest.callable_from <= first_call),
            CallbackRequest.callable_from,
        ),
        else_=CallbackRequest.created_at,
    )
    return select(
        CallbackRequest.id,
        CallbackRequest.urgent,
        CallbackRequest.created_at,
        first_call.label("first_call"),
        first_callable.label("first_callable"),
    ).where(where)


def first_calls(session: Session, period: Period, zone: ZoneInfo, target: timedelta) -> FirstCalls:
    times = _first_call_times(_made_in(period, zone)).subquery()
    query = select(times.c.urgent, seconds_between(times.c.first_call, times.c.first_callable))
    rows = session.execute(query).all()
    return FirstCalls(
        target=target,
        everyone=waits([wait for _, wait in rows], target),
        urgent=waits([wait for urgent, wait in rows if urgent], target),
    )


# Outcomes


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Outcomes:
    requests: list[Count]  # how the requests made in the period ended
    calls: list[Count]  # what came of the calls made in the period


def outcomes(session: Session, period: Period, zone: ZoneInfo) -> Outcomes:
    by_status = session.execute(
        select(CallbackRequest.status, func.count())
        .where(_made_in(period, zone))
        .group_by(CallbackRequest.status)
    )
    ended = dict.fromkeys(REQUEST_OUTCOMES, 0)
    for status, count in by_status:
        ended[OPEN if status in states.OPEN_STATUSES else status] += count
    since, until = period.bounds(zone)
    by_outcome = dict(
        session.execute(
            select(CallAttempt.outcome, func.count())
            .where(CallAttempt.made_at >= since, CallAttempt.made_at < until)
            .group_by(CallAttempt.outcome)
        ).all()
    )
    return Outcomes(
        requests=[Count(key, label, ended[key]) for key, label in REQUEST_OUTCOMES.items()],
        calls=[Count(key, label, by_outcome.get(key, 0)) for key, label in calls.OUTCOMES.items()],
    )


# Per agent


@dataclass(frozen=True)
class AgentFigures:
    staff_id: int
    name: str
    calls: int
    reached: int
    requests_held: int
    median_time_on_request: timedelta | None


def _holds(session: Session, since: datetime, until: datetime) -> dict[tuple[int, int], float]:
    """Seconds each member held each request, over the holds that began in the period
    and have ended (see the module's docstring)."""
    given_to = AuditEvent.detail["given_to"].as_integer()
    events = (
        select(
            AuditEvent.request_id,
            AuditEvent.action,
            AuditEvent.occurred_at,
            case(
                (AuditEvent.action == audit.REQUEST_TAKEN, AuditEvent.staff_id), else_=given_to
            ).label("holder"),
            func.lead(AuditEvent.occurred_at)
            .over(
                partition_by=AuditEvent.request_id,
                order_by=(AuditEvent.occurred_at, AuditEvent.id),
            )
            .label("ended_at"),
        )
        .where(
            AuditEvent.action.in_(HOLD_EVENTS),
            AuditEvent.request_id.is_not(None),
            AuditEvent.occurred_at >= since,
        )
        .subquery()
    )
    query = select(
        events.c.holder,
        events.c.request_id,
        seconds_between(events.c.ended_at, events.c.occurred_at),
    ).where(
        events.c.action.in_(HOLD_STARTS),
        events.c.occurred_at < until,
        events.c.ended_at.is_not(None),
        events.c.holder.is_not(None),
    )
    held: dict[tuple[int, int], float] = defaultdict(float)
    for holder, request_id, seconds in session.execute(query):
        held[holder, request_id] += max(0.0, seconds)
    return held


def agents(session: Session, period: Period, zone: ZoneInfo) -> list[AgentFigures]:
    """Everyone who made a call or held a request in the period, by name."""
    since, until = period.bounds(zone)
    reached = func.sum(case((CallAttempt.outcome == calls.REACHED, 1), else_=0))
    made = {
        staff_id: (count, int(reached_count or 0))
        for staff_id, count, reached_count in session.execute(
            select(CallAttempt.staff_id, func.count(), reached)
            .where(CallAttempt.made_at >= since, CallAttempt.made_at < until)
            .group_by(CallAttempt.staff_id)
        )
    }
    per_member: dict[int, list[float]] = defaultdict(list)
    for (holder, _), seconds in _holds(session, since, until).items():
        per_member[holder].append(seconds)
    ids = set(made) | set(per_member)
    named = select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(ids))
    names = {staff_id: name for staff_id, name in session.execute(named)}
    figures = []
    for staff_id in ids:
        count, reached_count = made.get(staff_id, (0, 0))
        held = per_member.get(staff_id, [])
        median = timedelta(seconds=statistics.median(held)) if held else None
        name = names.get(staff_id, "A former colleague")
        figures.append(AgentFigures(staff_id, name, count, reached_count, len(held), median))
    return sorted(figures, key=lambda figure: (figure.name.casefold(), figure.staff_id))


# Guide pages


def sources(session: Session, period: Period, zone: ZoneInfo) -> list[tuple[str | None, int]]:
    """(guide page slug, or None for none, requests), the most first."""
    rows = session.execute(
        select(CallbackRequest.source_page, func.count())
        .where(_made_in(period, zone))
        .group_by(CallbackRequest.source_page)
    )
    counted = [(slug, count) for slug, count in rows]
    return sorted(counted, key=lambda row: (-row[1], row[0] is None, row[0] or ""))


# Everything together


@dataclass(frozen=True)
class Report:
    period: Period
    arrivals: Arrivals
    first_calls: FirstCalls
    outcomes: Outcomes
    agents: list[AgentFigures]
    sources: list[tuple[str | None, int]]


def report(session: Session, period: Period, zone: ZoneInfo, target: timedelta) -> Report:
    return Report(
        period=period,
        arrivals=arrivals(session, period, zone),
        first_calls=first_calls(session, period, zone, target),
        outcomes=outcomes(session, period, zone),
        agents=agents(session, period, zone),
        sources=sources(session, period, zone),
    )


# One row per request


@dataclass(frozen=True)
class RequestRow:
    """A request of the period without anything personal: no name, number or words."""

    reference: str
    created_at: datetime
    first_callable_at: datetime
    first_call_at: datetime | None
    closed_at: datetime | None
    status: str
    last_call_outcome: str | None
    urgent: bool
    source_page: str | None
    # Who closed it, or holds it now (None: nobody, the visitor, the purge).
    agent_id: int | None

    @property
    def wait(self) -> timedelta | None:
        if self.first_call_at is None:
            return None
        return max(timedelta(0), self.first_call_at - self.first_callable_at)


def request_rows(session: Session, period: Period, zone: ZoneInfo) -> Iterator[RequestRow]:
    """Every request made in the period, oldest first, read a few thousand at a time."""
    made = _made_in(period, zone)
    after = 0
    while True:
        times = (
            _first_call_times(and_(made, CallbackRequest.id > after))
            .add_columns(
                CallbackRequest.reference,
                CallbackRequest.status,
                CallbackRequest.source_page,
                CallbackRequest.closed_at,
                CallbackRequest.held_by_id,
            )
            .order_by(CallbackRequest.id)
            .limit(ROWS_AT_A_TIME)
            .subquery()
        )
        rows = session.execute(select(times).order_by(times.c.id)).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        last_outcomes = _last_outcomes(session, ids)
        closers = _closers(session, [row.id for row in rows if row.closed_at is not None])
        for row in rows:
            agent = closers.get(row.id) if row.closed_at is not None else row.held_by_id
            yield RequestRow(
                reference=row.reference,
                created_at=row.created_at,
                first_callable_at=row.first_callable,
                first_call_at=row.first_call,
                closed_at=row.closed_at,
                status=row.status,
                last_call_outcome=last_outcomes.get(row.id),
                urgent=bool(row.urgent),
                source_page=row.source_page,
                agent_id=agent,
            )
        after = ids[-1]


def _last_outcomes(session: Session, ids: list[int]) -> dict[int, str]:
    """Each request's last call outcome (read oldest first, so the last one read stays)."""
    query = (
        select(CallAttempt.request_id, CallAttempt.outcome)
        .where(CallAttempt.request_id.in_(ids))
        .order_by(CallAttempt.made_at, CallAttempt.id)
    )
    return {request_id: outcome for request_id, outcome in session.execute(query)}


def _closers(session: Session, ids: list[int]) -> dict[int, int | None]:
    """Who closed each closed request: the member on its last closing entry (None when
    the visitor withdrew it or the purge expired it)."""
    if not ids:
        return {}
    query = (
        select(AuditEvent.request_id, AuditEvent.staff_id)
        .where(AuditEvent.request_id.in_(ids), AuditEvent.action.in_(CLOSING_EVENTS))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return {request_id: staff_id for request_id, staff_id in session.execute(query)}


def staff_names(session: Session) -> dict[int, str]:
    return {
        staff_id: name
        for staff_id, name in session.execute(select(StaffMember.id, StaffMember.name))
    }


def record_export(
    session: Session, export: str, period: Period, by: int, now: datetime | None = None
) -> None:
    """A supervisor downloads a report: which one and its period go in the trail; commit."""
    if export not in EXPORTS:
        raise ValueError(f"unknown export {export!r}")
    detail = {"export": export, "start": period.start.isoformat(), "end": period.end.isoformat()}
    audit.record(session, audit.REPORT_EXPORTED, staff_id=by, detail=detail, now=now or utc_now())
    session.commit()
