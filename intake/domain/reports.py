"""Supervisors' reports: what came in, how soon it was called, how it ended, who did
what and which guide pages led to it, over a period of whole days in the service's zone.

Figures only: nothing here reads a request's sealed answers, and a report holds no
name, number or message (the per-request rows carry the reference and times).

A report adds up its days: each day's figures come from intake.domain.report_days,
kept once the day has ended (a year is 366 rows) and worked out from the tables for
today. Two figures need every value, not only a count, and each day keeps them
sorted: the waits for a first call (their bands, median and 90th percentile) and
the times on a request; the period's values are merged before they are read.

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
  of one request begun on one day are added up (a request called three times
  that morning is one request), and the median is over the requests whose holds
  began in the period and have ended.
  Measured this way, and not from taking to closing, an agent is never charged for
  the time a request waited in the queue for a colleague. (A hold returned when its
  member is disabled leaves no line on the request, so it ends at the next one.)
- **Calls** and their outcomes are those made in the period; requests, their
  outcomes and their guide pages are those made in the period.
"""

import math
import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from intake.domain import audit, calls, report_days, states
from intake.domain.clock import utc_now
from intake.domain.report_days import AgentDay, DaySummary
from intake.models import AuditEvent, CallAttempt, CallbackRequest, StaffMember

MAX_DAYS = 366
DEFAULT_DAYS = 7
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
    states.RESTRICTED: "Restricted (do not contact)",
    OPEN: "Still open",
}
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
        return report_days.day_bounds(self.start, self.end, zone)


def summaries(session: Session, period: Period, zone: ZoneInfo) -> list[DaySummary]:
    """The period's days, each with its figures (see intake.domain.report_days)."""
    return report_days.summaries(session, period.days, zone)


# Requests per day and by hour of the week


@dataclass(frozen=True)
class Arrivals:
    per_day: list[tuple[date, int]]
    # by_hour[weekday][hour]: Monday is 0, as date.weekday() counts.
    by_hour: list[list[int]]

    @property
    def total(self) -> int:
        return sum(count for _, count in self.per_day)


def arrivals(days: Sequence[DaySummary]) -> Arrivals:
    by_hour = [[0] * 24 for _ in range(7)]
    for summary in days:
        week_row = by_hour[summary.day.weekday()]
        for hour, count in enumerate(summary.by_hour):
            week_row[hour] += count
    return Arrivals([(summary.day, sum(summary.by_hour)) for summary in days], by_hour)


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


def waits(called: Sequence[float], not_called: int, target: timedelta) -> Waits:
    """The figures for one set of requests: the waits of those called, in seconds and
    sorted, and how many were not called."""
    edges = band_edges(target)
    up_to = [bisect_right(called, edge * 60) for edge in edges] + [len(called)]
    counts = [upper - lower for lower, upper in zip([0, *up_to], up_to, strict=False)]
    limits = [timedelta(minutes=edge) for edge in edges] + [None]
    bands = [
        Band(label, count, limit)
        for label, count, limit in zip(band_labels(edges), counts, limits, strict=True)
    ]
    bands.append(Band(NOT_CALLED, not_called))
    return Waits(
        bands=bands,
        called=len(called),
        not_called=not_called,
        within_target=bisect_right(called, target.total_seconds()),
        median=timedelta(seconds=statistics.median(called)) if called else None,
        p90=timedelta(seconds=nearest_rank(called, 0.9)) if called else None,
    )


def merged(sorted_runs: Iterable[Sequence[float]]) -> list[float]:
    """Sorted runs (a day's values each) as one sorted list; the sort finds the runs."""
    return sorted(chain.from_iterable(sorted_runs))


def first_calls(days: Sequence[DaySummary], target: timedelta) -> FirstCalls:
    urgent_not_called = sum(summary.urgent_not_called for summary in days)
    not_called = sum(summary.not_called for summary in days) + urgent_not_called
    urgent = merged(summary.urgent_waits for summary in days)
    everyone = merged([urgent, *(summary.waits for summary in days)])
    return FirstCalls(
        target=target,
        everyone=waits(everyone, not_called, target),
        urgent=waits(urgent, urgent_not_called, target),
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


def outcomes(days: Sequence[DaySummary]) -> Outcomes:
    ended = dict.fromkeys(REQUEST_OUTCOMES, 0)
    by_outcome: Counter[str] = Counter()
    for summary in days:
        for status, count in summary.statuses.items():
            ended[OPEN if status in states.OPEN_STATUSES else status] += count
        by_outcome.update(summary.call_outcomes)
    return Outcomes(
        requests=[Count(key, label, ended[key]) for key, label in REQUEST_OUTCOMES.items()],
        calls=[Count(key, label, by_outcome[key]) for key, label in calls.OUTCOMES.items()],
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


def agents(days: Sequence[DaySummary], names: dict[int, str]) -> list[AgentFigures]:
    """Everyone who made a call or held a request in the period, by name."""
    per_member: dict[int, list[AgentDay]] = defaultdict(list)
    for summary in days:
        for staff_id, agent_day in summary.agents.items():
            per_member[staff_id].append(agent_day)
    figures = []
    for staff_id, agent_days in per_member.items():
        held = merged(agent_day.held for agent_day in agent_days)
        figures.append(
            AgentFigures(
                staff_id=staff_id,
                name=names.get(staff_id, "A former colleague"),
                calls=sum(agent_day.calls for agent_day in agent_days),
                reached=sum(agent_day.reached for agent_day in agent_days),
                requests_held=len(held),
                median_time_on_request=(
                    timedelta(seconds=statistics.median(held)) if held else None
                ),
            )
        )
    return sorted(figures, key=lambda figure: (figure.name.casefold(), figure.staff_id))


# Guide pages


def sources(days: Sequence[DaySummary]) -> list[tuple[str | None, int]]:
    """(guide page slug, or None for none, requests), the most first."""
    counted: Counter[str] = Counter()
    for summary in days:
        counted.update(summary.sources)
    rows = [(slug or None, count) for slug, count in counted.items()]
    return sorted(rows, key=lambda row: (-row[1], row[0] is None, row[0] or ""))


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
    days = summaries(session, period, zone)
    return Report(
        period=period,
        arrivals=arrivals(days),
        first_calls=first_calls(days, target),
        outcomes=outcomes(days),
        agents=agents(days, staff_names(session)),
        sources=sources(days),
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
    made = report_days.made_between(*period.bounds(zone))
    after = 0
    while True:
        times = (
            report_days.first_call_times(and_(made, CallbackRequest.id > after))
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
