"""Each day's figures for the supervisors' reports, kept once the day has ended, so that
a report over a long period reads one row a day instead of every request.

A day's summary holds what intake.domain.reports needs to add days together and still
give exact figures: counts (arrivals by local hour, how the day's requests stand now,
their guide pages, the day's calls by outcome and by agent) and, for the two figures
that need every value (a median is not the sum of medians), the values themselves:
the day's waits for a first call, and each agent's times on a request, each sorted.
Stored, they are packed as 8-byte floats (little-endian), not as text.

What belongs to a day, in the service's zone:
- a request, to the day it was made: its arrival, how it stands, its guide page and
  its wait for a first call;
- a call, to the day it was made;
- a hold, to the day it began (an agent's holds of one request begun on one day are
  added together: one "time on a request").

This module knows nothing of HTTP, and reads no request's sealed answers.

Kept days, and when they go stale
---------------------------------
A day is kept once it has ended, and SETTLE more (nothing begun before midnight is
still being written by then), by `flask --app intake reports keep` each minute (a
systemd timer, apart from the outbox worker) or by `flask --app intake reports
summarise`. Afterwards its figures change only when a request it counts changes
status or is called, a hold it counts ends, or a call saved late is dated on it. The
writers of those say so, in the same transaction: `change_status` and its bulk
sibling (intake.domain.status) and every call kept (intake.domain.calls) write a
ReportChange, a moment whose day has changed (the day the request was made, the day
its latest hold began, the day of the call). Nothing reads the audit trail to guess.

A report uses the kept days no mark falls on, and works the rest out from the tables
with the same code (today, days not kept yet, marked days), so its figures are the
same whether a day was kept or not. Each minute `reports keep` reads the marks,
forgets the kept days they fall on (in every zone), keeps what is missing, a month at
a time, the newest first, and deletes the marks it has dealt with: those of the days
it has just worked out, and those of days not ended yet (nobody keeps those before
they end). A mark committed after it read them is not among those, so a change
written while it works is worked out at its next run, never lost.
"""

import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Float,
    and_,
    case,
    delete,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from intake.domain import audit, calls
from intake.domain.status import HOLD_STARTS
from intake.models import AuditEvent, CallAttempt, CallbackRequest, ReportChange, ReportDay

# Raised whenever what a summary holds, or how it is worked out, changes: kept days of
# another version are ignored, and replaced by the worker. 2: the writers mark the days
# they change (kept days of 1 were judged fresh from the audit trail: all worked out again).
VERSION = 2
SETTLE = timedelta(minutes=5)
# How many days `reports keep` summarises in one go (the oldest days it lacks wait for
# the next minute), so that a first run on a big database stays short.
DAYS_PER_RUN = 31
SLOT_SECONDS = 15 * 60
NO_PAGE = ""  # a request that came to the form directly, as a key of `sources`

# Audit entries that start or end a hold (see intake.domain.reports: time on a request).
HOLD_EVENTS = (
    *HOLD_STARTS,
    audit.STATUS_CHANGED,
    audit.REQUEST_RELEASED,
    audit.HOLD_EXPIRED,
    audit.REQUEST_WITHDRAWN,
    audit.REQUEST_EXPIRED,
    audit.REQUEST_REOPENED,
)


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
    """The quarter-hour of UTC a moment falls in, counted from 1970 (an integer).

    Grouping by it, and putting each quarter-hour into its local day and hour in
    Python, gives a day when the clocks change its 23 or 25 hours, and keeps a zone
    half or three quarters of an hour off UTC right."""

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


def slot_start(slot: int, zone: ZoneInfo) -> datetime:
    """When a quarter-hour (utc_slot) begins, in `zone`."""
    return datetime.fromtimestamp(int(slot) * SLOT_SECONDS, UTC).astimezone(zone)


def day_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From local midnight at `first` to local midnight after `last`, in UTC."""
    since = datetime.combine(first, time(0), tzinfo=zone)
    until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return since.astimezone(UTC), until.astimezone(UTC)


@dataclass
class AgentDay:
    calls: int = 0
    reached: int = 0
    held: Sequence[float] = field(default_factory=list)  # seconds, one per request, sorted


@dataclass
class DaySummary:
    day: date
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)  # by local hour
    statuses: Counter[str] = field(default_factory=Counter)  # the day's requests, as now
    sources: Counter[str] = field(default_factory=Counter)  # guide page slug, or NO_PAGE
    call_outcomes: Counter[str] = field(default_factory=Counter)
    agents: dict[int, AgentDay] = field(default_factory=dict)
    # Seconds from "could first be called" to the first call, of the requests called.
    waits: Sequence[float] = field(default_factory=list)
    urgent_waits: Sequence[float] = field(default_factory=list)
    not_called: int = 0
    urgent_not_called: int = 0

    def agent(self, staff_id: int) -> AgentDay:
        return self.agents.setdefault(staff_id, AgentDay())


# Reading: kept where fresh, worked out otherwise


def summaries(session: Session, days: Sequence[date], zone: ZoneInfo) -> list[DaySummary]:
    """The days' figures, in the order given (consecutive days, oldest first)."""
    kept = _kept(session, zone, days) if days else {}
    stale = _marked_days(session, zone, days[0], days[-1]) if kept else set()
    found = {day: _unpacked(row) for day, row in kept.items() if day not in stale}
    for run in _runs([day for day in days if day not in found]):
        found.update(work_out(session, run, zone))
    return [found[day] for day in days]


def _kept(session: Session, zone: ZoneInfo, days: Sequence[date]) -> dict[date, ReportDay]:
    """The kept days of this version among `days` (consecutive)."""
    query = select(ReportDay).where(
        ReportDay.zone == zone.key,
        ReportDay.version == VERSION,
        ReportDay.day >= days[0],
        ReportDay.day <= days[-1],
    )
    return {row.day: row for row in session.scalars(query)}


def _marked_days(session: Session, zone: ZoneInfo, first: date, last: date) -> set[date]:
    """The days from `first` to `last` that a writer has marked changed (read by
    quarter-hour, which never straddles two local days)."""
    since, until = day_bounds(first, last, zone)
    slots = select(utc_slot(ReportChange.at)).where(
        ReportChange.at >= since, ReportChange.at < until
    )
    return {slot_start(slot, zone).date() for slot in session.scalars(slots.distinct())}


def _runs(days: list[date]) -> Iterator[list[date]]:
    """Consecutive days in runs, each worked out with one set of queries."""
    run: list[date] = []
    for day in days:
        if run and day != run[-1] + timedelta(days=1):
            yield run
            run = []
        run.append(day)
    if run:
        yield run


# Working days out from the requests, calls and audit trail


class _ConsecutiveDays:
    """Consecutive days being worked out: each one's summary, found by quarter-hour."""

    def __init__(self, days: list[date], zone: ZoneInfo) -> None:
        self.zone = zone
        self.found = {day: DaySummary(day) for day in days}
        self.since, self.until = day_bounds(days[0], days[-1], zone)

    def at(self, slot: int) -> tuple[DaySummary, int]:
        """The summary of the local day a quarter-hour falls in, and its local hour."""
        moment = slot_start(slot, self.zone)
        return self.found[moment.date()], moment.hour


def work_out(session: Session, days: list[date], zone: ZoneInfo) -> dict[date, DaySummary]:
    """The figures of consecutive `days`, from the tables themselves."""
    run = _ConsecutiveDays(days, zone)
    _count_requests(session, run)
    _gather_waits(session, run)
    _count_calls(session, run)
    _gather_holds(session, run)
    return run.found


def made_between(since: datetime, until: datetime):
    return and_(CallbackRequest.created_at >= since, CallbackRequest.created_at < until)


def _count_requests(session: Session, run: _ConsecutiveDays) -> None:
    slot = utc_slot(CallbackRequest.created_at)
    columns = (slot, CallbackRequest.status, CallbackRequest.source_page)
    made = made_between(run.since, run.until)
    for number, status, source, count in session.execute(
        select(*columns, func.count()).where(made).group_by(*columns)
    ):
        summary, hour = run.at(number)
        summary.by_hour[hour] += count
        summary.statuses[status] += count
        summary.sources[source or NO_PAGE] += count


def first_call_times(where):
    """Per request matching `where`: its first call and when it could first be called
    (see intake.domain.reports), as a select with the request's own columns."""
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


def _gather_waits(session: Session, run: _ConsecutiveDays) -> None:
    times = first_call_times(made_between(run.since, run.until)).subquery()
    wait = seconds_between(times.c.first_call, times.c.first_callable)
    gathered: dict[tuple[date, bool], list[float]] = defaultdict(list)
    for number, urgent, seconds in session.execute(
        select(utc_slot(times.c.created_at), times.c.urgent, wait)
    ):
        summary, _ = run.at(number)
        if seconds is None:
            summary.not_called += not urgent
            summary.urgent_not_called += bool(urgent)
        else:
            # A wait below zero, which the rule for "could first be called" never
            # gives, would count as no wait at all.
            gathered[summary.day, bool(urgent)].append(max(0.0, seconds))
    for (day, urgent), values in gathered.items():
        if urgent:
            run.found[day].urgent_waits = sorted(values)
        else:
            run.found[day].waits = sorted(values)


def _count_calls(session: Session, run: _ConsecutiveDays) -> None:
    slot = utc_slot(CallAttempt.made_at)
    columns = (slot, CallAttempt.staff_id, CallAttempt.outcome)
    made = and_(CallAttempt.made_at >= run.since, CallAttempt.made_at < run.until)
    for number, staff_id, outcome, count in session.execute(
        select(*columns, func.count()).where(made).group_by(*columns)
    ):
        summary, _ = run.at(number)
        summary.call_outcomes[outcome] += count
        agent = summary.agent(staff_id)
        agent.calls += count
        agent.reached += count if outcome == calls.REACHED else 0


def _gather_holds(session: Session, run: _ConsecutiveDays) -> None:
    """Each agent's time on each request, over the holds begun in the run that have
    ended: a hold ends at the request's next change of status or holder."""
    begun_in_run = select(AuditEvent.request_id).where(
        AuditEvent.action.in_(HOLD_STARTS),
        AuditEvent.occurred_at >= run.since,
        AuditEvent.occurred_at < run.until,
    )
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
            AuditEvent.request_id.in_(begun_in_run),
            AuditEvent.occurred_at >= run.since,
        )
        .subquery()
    )
    query = select(
        events.c.holder,
        events.c.request_id,
        utc_slot(events.c.occurred_at),
        seconds_between(events.c.ended_at, events.c.occurred_at),
    ).where(
        events.c.action.in_(HOLD_STARTS),
        events.c.occurred_at < run.until,
        events.c.ended_at.is_not(None),
        events.c.holder.is_not(None),
    )
    held: dict[tuple[date, int, int], float] = defaultdict(float)
    for holder, request_id, number, seconds in session.execute(query):
        summary, _ = run.at(number)
        held[summary.day, holder, request_id] += max(0.0, seconds)
    per_agent: dict[tuple[date, int], list[float]] = defaultdict(list)
    for (day, holder, _), seconds in held.items():
        per_agent[day, holder].append(seconds)
    for (day, holder), values in per_agent.items():
        run.found[day].agent(holder).held = sorted(values)


# Keeping them


def forget_changed_days(session: Session, zone: ZoneInfo, now: datetime) -> None:
    """Forget the kept days (of every zone) a writer has marked changed, and this
    zone's days of another version; drop the marks of days not ended yet, which nobody
    keeps before they end. The caller commits."""
    changes = _changes(session)
    _forget(session, [at for _, at in changes])
    session.execute(
        delete(ReportDay).where(ReportDay.zone == zone.key, ReportDay.version != VERSION)
    )
    last = _last_ended(zone, now)
    _drop(session, [mark for mark, at in changes if at.astimezone(zone).date() > last])


def days_to_keep(session: Session, zone: ZoneInfo, now: datetime) -> list[date]:
    """The days since the first request, ended SETTLE ago, not kept: the newest first."""
    first_made = session.scalar(select(func.min(CallbackRequest.created_at)))
    if first_made is None:
        return []
    first = first_made.astimezone(zone).date()
    last = _last_ended(zone, now)
    days = [last - timedelta(days=n) for n in range((last - first).days + 1)]
    kept = set(session.scalars(select(ReportDay.day).where(ReportDay.zone == zone.key)))
    return [day for day in days if day not in kept]


def _last_ended(zone: ZoneInfo, now: datetime) -> date:
    """The last day that ended SETTLE ago or more: no writer is still writing it."""
    return (now - SETTLE).astimezone(zone).date() - timedelta(days=1)


def work_out_and_keep(
    session: Session, days: Iterable[date], zone: ZoneInfo, now: datetime
) -> None:
    """Work out `days` (not kept yet) and keep them, and drop the marks on them (their
    other zones' kept days forgotten first). The caller commits.

    The marks are read before the work: one committed while it runs is not dropped,
    so its change is worked out next time rather than missed. Two workers keeping the
    same day at once: the second one's insert fails on the unique (zone, day), and
    what it did is rolled back, its marks kept.
    """
    days = sorted(days)
    chosen = set(days)
    changes = [(mark, at) for mark, at in _changes(session) if at.astimezone(zone).date() in chosen]
    for run in _runs(days):
        for summary in work_out(session, run, zone).values():
            session.add(_packed(summary, zone, now))
    _forget(session, [at for _, at in changes], except_zone=zone)
    _drop(session, [mark for mark, _ in changes])


def keep_some(session: Session, zone: ZoneInfo, now: datetime) -> tuple[int, int]:
    """`reports keep`, each minute: forget the days marked changed, keep up to
    DAYS_PER_RUN of those wanted (the newest first); commit. How many it kept, how
    many are left."""
    forget_changed_days(session, zone, now)
    days = days_to_keep(session, zone, now)
    work_out_and_keep(session, days[:DAYS_PER_RUN], zone, now)
    session.commit()
    return min(len(days), DAYS_PER_RUN), max(0, len(days) - DAYS_PER_RUN)


def _changes(session: Session) -> list[tuple[int, datetime]]:
    """Every mark the writers have left (intake.domain.status.mark_report_days)."""
    return [(mark, at) for mark, at in session.execute(select(ReportChange.id, ReportChange.at))]


def _forget(session: Session, moments: list[datetime], except_zone: ZoneInfo | None = None) -> None:
    """Delete the kept days holding `moments`, in every zone kept (but `except_zone`)."""
    if not moments:
        return
    zones = session.scalars(select(ReportDay.zone).distinct()).all()
    for name in zones:
        if except_zone is None or name != except_zone.key:
            days = {moment.astimezone(ZoneInfo(name)).date() for moment in moments}
            session.execute(
                delete(ReportDay).where(ReportDay.zone == name, ReportDay.day.in_(days))
            )


def _drop(session: Session, marks: list[int]) -> None:
    """Delete marks dealt with (by id: never one written since they were read)."""
    if marks:
        session.execute(delete(ReportChange).where(ReportChange.id.in_(marks)))


def _pack(values: Sequence[float]) -> bytes:
    packed = array("d", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _unpack(data: bytes) -> array:
    values = array("d")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _packed(summary: DaySummary, zone: ZoneInfo, now: datetime) -> ReportDay:
    agents = sorted(summary.agents.items())
    counts = {
        "by_hour": summary.by_hour,
        "statuses": summary.statuses,
        "sources": summary.sources,
        "call_outcomes": summary.call_outcomes,
        "agents": [[staff_id, a.calls, a.reached, len(a.held)] for staff_id, a in agents],
        "not_called": summary.not_called,
        "urgent_not_called": summary.urgent_not_called,
    }
    return ReportDay(
        zone=zone.key,
        day=summary.day,
        version=VERSION,
        fresh_at=now,
        counts=counts,
        waits=_pack(summary.waits),
        urgent_waits=_pack(summary.urgent_waits),
        held=_pack([seconds for _, agent in agents for seconds in agent.held]),
    )


def _unpacked(row: ReportDay) -> DaySummary:
    counts, held = row.counts, _unpack(row.held)
    agents, offset = {}, 0
    for staff_id, made, reached, held_count in counts["agents"]:
        agents[staff_id] = AgentDay(made, reached, held[offset : offset + held_count])
        offset += held_count
    return DaySummary(
        day=row.day,
        by_hour=counts["by_hour"],
        statuses=Counter(counts["statuses"]),
        sources=Counter(counts["sources"]),
        call_outcomes=Counter(counts["call_outcomes"]),
        agents=agents,
        waits=_unpack(row.waits),
        urgent_waits=_unpack(row.urgent_waits),
        not_called=counts["not_called"],
        urgent_not_called=counts["urgent_not_called"],
    )
