"""Supervisors' reports (/staff/reports): a period's figures, each a chart beside a
table of its numbers, and each downloadable as CSV, as is one row per request.

The figures and what they mean are intake.domain.reports's; the charts' geometry is
intake.staff.charts's. Here they are put into words. Every download is audited
(which one, and its period) and holds no personal data; a cell that a spreadsheet
would read as a formula is given a leading apostrophe.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Response, abort, render_template, request, stream_with_context
from flask_login import current_user

from intake.domain import calls, states
from intake.domain import reports as figures
from intake.domain.clock import utc_now
from intake.extensions import db
from intake.service import current_service
from intake.staff import charts
from intake.staff.auth import supervisor_required
from intake.staff.blueprint import bp
from intake.staff.forms import ActionForm, ReportPeriodForm
from intake.staff.spreadsheets import safe_cell

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOURS = [f"{hour:02d}" for hour in range(24)]
HOUR_SPANS = [f"{hour:02d}:00 to {(hour + 1) % 24:02d}:00" for hour in range(24)]
NO_PAGE = "None: came to the form directly"
CSV_ROWS_PER_CHUNK = 500
REQUEST_COLUMNS = [
    "reference",
    "created",
    "could first be called",
    "first call",
    "minutes to first call",
    "closed",
    "status",
    "outcome of the last call",
    "urgent",
    "guide page",
    "agent",
]


def _period_form() -> ReportPeriodForm:
    today = utc_now().astimezone(current_service().zone).date()
    return ReportPeriodForm(request.args, meta={"csrf": False}, today=today)


@bp.get("/reports")
@supervisor_required
def reports():
    form = _period_form()
    if not form.validate():
        return render_template("staff/reports.html", form=form, page=None), 400
    service = current_service()
    report = figures.report(db.session, form.fill_in(), service.zone, service.policy.target)
    return render_template(
        "staff/reports.html",
        form=form,
        page=ReportPage.of(report, service.pages.guide),
        exports=figures.EXPORTS,
        export_form=ActionForm(),
        weekdays=WEEKDAYS,
        duration=duration,
        percent=percent,
    )


@bp.post("/reports/<export>.csv")
@supervisor_required
def report_csv(export: str):
    """One figure (or one row per request) as CSV; the download is audited first."""
    if export not in figures.EXPORTS:
        abort(404)
    form = _period_form()
    if not form.validate() or not ActionForm().validate_on_submit():
        abort(400)
    period = form.period()
    figures.record_export(db.session, export, period, by=current_user.id)
    rows = CSV_TABLES[export](period)
    name = f"intake-{export}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    return Response(
        stream_with_context(csv_text(rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# Words


def long_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def duration(span: timedelta | None) -> str:
    """'less than 1 min', '7 min', '1 h 5 min'; a dash for none."""
    if span is None:
        return "—"
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "less than 1 min"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def minutes(span: timedelta | None) -> str:
    """Minutes to one decimal place, for a spreadsheet ('' for none)."""
    return "" if span is None else f"{span.total_seconds() / 60:.1f}"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


def _share(share: float | None) -> str:
    """A share as a percentage to one decimal place, for a spreadsheet."""
    return "" if share is None else f"{share * 100:.1f}"


def page_titles(guide) -> dict[str, str]:
    return {page.slug: page.title for page in guide}


def source_label(slug: str | None, titles: dict[str, str]) -> str:
    return NO_PAGE if slug is None else titles.get(slug, slug)


def _bar_desc(kind: str, items: Iterable[tuple[str, float, str]]) -> str:
    listed = "; ".join(f"{label}: {words}" for label, _, words in items)
    return f"Bar chart of {kind}. {listed or 'Nothing to show.'}"


# The page


@dataclass(frozen=True)
class Figure:
    chart: charts.Chart
    desc: str


@dataclass(frozen=True)
class ReportPage:
    report: figures.Report
    words: str  # the period in words
    per_day: Figure
    by_hour: Figure
    waits: Figure
    urgent_waits: Figure
    request_outcomes: Figure
    call_outcomes: Figure
    agent_calls: Figure
    sources: Figure
    source_rows: list[tuple[str, int]]

    @classmethod
    def of(cls, report: figures.Report, guide) -> "ReportPage":
        period, arrivals = report.period, report.arrivals
        titles = page_titles(guide)
        sources = [(source_label(slug, titles), count) for slug, count in report.sources]
        return cls(
            report=report,
            words=f"{long_day(period.start)} to {long_day(period.end)}",
            per_day=_per_day(arrivals, period),
            by_hour=_by_hour(arrivals),
            waits=_waits(report.first_calls.everyone, "all requests"),
            urgent_waits=_waits(report.first_calls.urgent, "urgent requests"),
            request_outcomes=_counts(report.outcomes.requests, "how requests ended"),
            call_outcomes=_counts(report.outcomes.calls, "the outcomes of calls"),
            agent_calls=_bars(
                "calls made per agent",
                [(agent.name, agent.calls, str(agent.calls)) for agent in report.agents],
            ),
            sources=_bars(
                "the guide pages that led to requests",
                [(label, count, str(count)) for label, count in sources],
            ),
            source_rows=sources,
        )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _bars(kind: str, items: list[tuple[str, float, str]]) -> Figure:
    return Figure(charts.bar_chart(items), _bar_desc(kind, items))


def _counts(counts: list[figures.Count], kind: str) -> Figure:
    return _bars(kind, [(count.label, count.count, str(count.count)) for count in counts])


def _per_day(arrivals: figures.Arrivals, period: figures.Period) -> Figure:
    short = "{:%a} {}" if period.length <= 14 else "{1} {0:%b}"
    items = [(short.format(day, day.day), long_day(day), count) for day, count in arrivals.per_day]
    chart = charts.column_chart(items, "requests")
    busiest_day, most = max(arrivals.per_day, key=lambda item: item[1])
    desc = f"Column chart of requests per day, {_plural(arrivals.total, 'request')} in all"
    if most:
        desc += f"; the most on {long_day(busiest_day)}: {most}"
    return Figure(chart, desc + ".")


def _by_hour(arrivals: figures.Arrivals) -> Figure:
    rows = [
        (name[:3], name, counts) for name, counts in zip(WEEKDAYS, arrivals.by_hour, strict=True)
    ]
    chart = charts.heat_map(rows, HOURS, HOUR_SPANS, "requests")
    cells = [
        (count, day, hour)
        for day, counts in enumerate(arrivals.by_hour)
        for hour, count in enumerate(counts)
    ]
    count, day, hour = max(cells)
    desc = "Heat map of requests by day of the week and hour: the darker, the more."
    if count:
        desc += f" The busiest hour: {WEEKDAYS[day]} {HOUR_SPANS[hour]}, with {count}."
    return Figure(chart, desc)


def _waits(waits: figures.Waits, kind: str) -> Figure:
    items = [(band.label, band.count, str(band.count)) for band in waits.bands]
    return _bars(f"time to first call, {kind}", items)


# The downloads


def csv_text(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The rows as CSV, a few hundred at a time (the per-request file can be long)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(value) for value in row])
        if number % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _days(period: figures.Period) -> list[figures.DaySummary]:
    return figures.summaries(db.session, period, current_service().zone)


def per_day_rows(period: figures.Period) -> Iterator[list]:
    yield ["date", "requests"]
    for day, count in figures.arrivals(_days(period)).per_day:
        yield [day.isoformat(), count]


def by_hour_rows(period: figures.Period) -> Iterator[list]:
    by_hour = figures.arrivals(_days(period)).by_hour
    yield ["day of the week", "hour", "requests"]
    for name, counts in zip(WEEKDAYS, by_hour, strict=True):
        for hour, count in enumerate(counts):
            yield [name, f"{hour:02d}:00", count]


def first_call_rows(period: figures.Period) -> Iterator[list]:
    target = current_service().policy.target
    found = figures.first_calls(_days(period), target)
    everyone, urgent = found.everyone, found.urgent
    yield ["time to first call", "all requests", "urgent requests"]
    for mine, theirs in zip(everyone.bands, urgent.bands, strict=True):
        yield [mine.label, mine.count, theirs.count]
    yield ["called", everyone.called, urgent.called]
    within = f"called within the target ({duration(target)})"
    yield [within, everyone.within_target, urgent.within_target]
    shares = (_share(everyone.share_within_target), _share(urgent.share_within_target))
    yield ["share called within target (%)", *shares]
    yield ["median (minutes)", minutes(everyone.median), minutes(urgent.median)]
    yield ["90th percentile (minutes)", minutes(everyone.p90), minutes(urgent.p90)]


def request_outcome_rows(period: figures.Period) -> Iterator[list]:
    yield ["how it ended", "requests"]
    for count in figures.outcomes(_days(period)).requests:
        yield [count.label, count.count]


def call_outcome_rows(period: figures.Period) -> Iterator[list]:
    yield ["outcome", "calls"]
    for count in figures.outcomes(_days(period)).calls:
        yield [count.label, count.count]


def agent_rows(period: figures.Period) -> Iterator[list]:
    yield [
        "agent",
        "calls made",
        "calls that reached the person",
        "requests held",
        "median minutes on a request",
    ]
    for agent in figures.agents(_days(period), figures.staff_names(db.session)):
        median = minutes(agent.median_time_on_request)
        yield [agent.name, agent.calls, agent.reached, agent.requests_held, median]


def source_rows(period: figures.Period) -> Iterator[list]:
    titles = page_titles(current_service().pages.guide)
    yield ["guide page", "page address", "requests"]
    for slug, count in figures.sources(_days(period)):
        yield [source_label(slug, titles), f"/guide/{slug}" if slug else "", count]


def request_rows(period: figures.Period) -> Iterator[list]:
    """One row per request: reference, times, status, outcome; no personal data."""
    session, zone = db.session, current_service().zone
    titles = page_titles(current_service().pages.guide)
    names = figures.staff_names(session)

    def local(moment) -> str:
        return "" if moment is None else moment.astimezone(zone).isoformat(timespec="seconds")

    yield REQUEST_COLUMNS
    for row in figures.request_rows(session, period, zone):
        yield [
            row.reference,
            local(row.created_at),
            local(row.first_callable_at),
            local(row.first_call_at),
            minutes(row.wait),
            local(row.closed_at),
            states.LABELS[row.status],
            calls.OUTCOMES.get(row.last_call_outcome or "", ""),
            "yes" if row.urgent else "no",
            "" if row.source_page is None else titles.get(row.source_page, row.source_page),
            names.get(row.agent_id, "") if row.agent_id else "",
        ]


CSV_TABLES = {
    "requests-per-day": per_day_rows,
    "requests-by-hour": by_hour_rows,
    "first-call": first_call_rows,
    "request-outcomes": request_outcome_rows,
    "call-outcomes": call_outcome_rows,
    "agents": agent_rows,
    "source-pages": source_rows,
    "requests": request_rows,
}
