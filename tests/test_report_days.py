"""The reports' kept days: a kept day gives the figures its requests give, a change
since it was kept is seen at once, and the worker keeps ended days only."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import delete, func, select, update

from intake.domain import calls, queue, report_days, reports
from intake.models import ReportDay
from tests.factories import (
    LONDON,
    make_staff,
    submit_request,
    take_and_call,
    utc,
)

TARGET = timedelta(minutes=15)
# The UK's clocks went back at 02:00 on Sunday 25 October 2026: a 25-hour day.
AUTUMN = reports.Period(date(2026, 10, 24), date(2026, 10, 26))
LATER = utc(2026, 10, 27, 9, 0)  # the 26th ended 9 hours ago


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


def figures(db_session, period: reports.Period = AUTUMN) -> reports.Report:
    return reports.report(db_session, period, LONDON, TARGET)


def open_requests(report: reports.Report) -> int:
    return next(count.count for count in report.outcomes.requests if count.key == reports.OPEN)


def kept_days(db_session) -> list[date]:
    return list(db_session.scalars(select(ReportDay.day).order_by(ReportDay.day)))


@pytest.fixture
def busy_autumn(db_session, vault):
    """Three days around the clock change: arrivals at all hours, calls, holds, one
    request left uncalled, an urgent one, a release and a hand-over."""
    alex = make_staff(db_session, name="Alex")
    blake = make_staff(db_session, name="Blake")
    boss = make_staff(db_session, role="supervisor", name="Sam")
    arrivals = [(24, 23, 30), (25, 0, 30), (25, 1, 30), (25, 8, 5), (26, 16, 45)]
    for number, (day, hour, minute) in enumerate(arrivals):
        start = utc(2026, 10, day, hour, minute)
        request = submit_request(
            db_session, vault, now=start, in_danger=number == 1, source_page="side-effects"
        )
        take_and_call(db_session, vault, request, alex, start + minutes(3 + number * 4))
    waiting = submit_request(db_session, vault, now=utc(2026, 10, 26, 10, 0))
    released = submit_request(db_session, vault, now=utc(2026, 10, 24, 9, 0))
    queue.take(db_session, released, blake, now=utc(2026, 10, 24, 9, 30))
    queue.release(db_session, released, blake, now=utc(2026, 10, 24, 9, 41))
    given = submit_request(db_session, vault, now=utc(2026, 10, 26, 11, 0))
    calls.give_to_colleague(db_session, vault, given, blake, boss, now=utc(2026, 10, 26, 11, 2))
    take_and_call(db_session, vault, given, blake, utc(2026, 10, 26, 11, 9), calls.NO_ANSWER)
    return waiting


def test_a_kept_day_gives_the_same_figures_as_its_requests(db_session, busy_autumn):
    worked_out = figures(db_session)
    kept, left = report_days.keep_some(db_session, LONDON, LATER)
    assert kept_days(db_session) == AUTUMN.days
    assert (kept, left) == (3, 0)
    assert figures(db_session) == worked_out
    assert worked_out.arrivals.total == 8
    # Sunday the 25th had 25 hours: 01:00 to 02:00 came twice, once in summer time.
    assert worked_out.arrivals.by_hour[6][:3] == [1, 2, 0]


def test_the_same_figures_come_from_kept_days_and_todays_together(db_session, busy_autumn):
    report_days.keep(db_session, [date(2026, 10, 24)], LONDON, LATER)
    db_session.commit()
    partly_kept = figures(db_session)
    db_session.execute(delete(ReportDay))
    db_session.commit()
    assert partly_kept == figures(db_session)


def test_a_first_call_after_the_day_was_kept_is_counted_at_once(db_session, vault, busy_autumn):
    report_days.keep_some(db_session, LONDON, LATER)
    period = reports.Period(date(2026, 10, 26), date(2026, 10, 26))
    before = figures(db_session, period)
    agent = make_staff(db_session, name="Casey", email="casey@intake.example")
    take_and_call(db_session, vault, busy_autumn, agent, LATER + minutes(10))
    after = figures(db_session, period)
    assert (before.first_calls.everyone.not_called, after.first_calls.everyone.not_called) == (
        1,
        0,
    )
    assert after.first_calls.everyone.called == before.first_calls.everyone.called + 1
    assert open_requests(after) == open_requests(before) - 1
    assert [agent.name for agent in after.agents] == ["Alex", "Blake"]  # Casey called on the 27th


def test_a_hold_begun_on_a_kept_day_and_ended_later_counts_for_that_day(db_session, vault):
    agent = make_staff(db_session, name="Alex")
    request = submit_request(db_session, vault, now=utc(2026, 10, 26, 22, 0))
    queue.take(db_session, request, agent, now=utc(2026, 10, 26, 23, 50))
    report_days.keep_some(db_session, LONDON, LATER)
    period = reports.Period(date(2026, 10, 26), date(2026, 10, 26))
    assert figures(db_session, period).agents == []  # the hold has not ended
    queue.release(db_session, request, agent, now=LATER)
    (alex,) = figures(db_session, period).agents
    assert alex.requests_held == 1
    assert alex.median_time_on_request == LATER - utc(2026, 10, 26, 23, 50)


def test_a_change_written_just_before_the_day_was_kept_still_makes_it_stale(db_session, vault):
    """A transaction in flight when the day was kept commits later: an audit line
    dated up to SETTLE before the keeping still counts as news."""
    agent = make_staff(db_session, name="Alex")
    request = submit_request(db_session, vault, now=utc(2026, 10, 26, 9, 0))
    report_days.keep_some(db_session, LONDON, LATER)
    take_and_call(db_session, vault, request, agent, LATER - report_days.SETTLE + minutes(1))
    period = reports.Period(date(2026, 10, 26), date(2026, 10, 26))
    assert figures(db_session, period).first_calls.everyone.called == 1
    report_days.check(db_session, LONDON, LATER + minutes(1))
    db_session.commit()
    assert date(2026, 10, 26) not in kept_days(db_session)


def test_the_worker_forgets_stale_days_and_keeps_them_again(db_session, vault, busy_autumn):
    report_days.keep_some(db_session, LONDON, LATER)
    agent = make_staff(db_session, name="Casey", email="casey@intake.example")
    take_and_call(db_session, vault, busy_autumn, agent, LATER + minutes(10))
    assert report_days.keep_some(db_session, LONDON, LATER + minutes(11)) == (1, 0)
    assert kept_days(db_session) == AUTUMN.days
    kept = figures(db_session)
    db_session.execute(delete(ReportDay))
    db_session.commit()
    assert kept == figures(db_session)
    assert kept.first_calls.everyone.called == 7  # all but the one released uncalled


def test_the_worker_keeps_only_days_ended_a_while_ago_the_newest_first(db_session, vault):
    first = utc(2026, 9, 1, 12, 0)
    for day in range(40):
        submit_request(db_session, vault, now=first + timedelta(days=day))
    just_after_midnight = utc(2026, 10, 10, 23, 0) + report_days.SETTLE / 2  # UK: 00:02
    kept, left = report_days.keep_some(db_session, LONDON, just_after_midnight)
    assert (kept, left) == (report_days.DAYS_PER_RUN, 39 - report_days.DAYS_PER_RUN)
    assert kept_days(db_session)[-1] == date(2026, 10, 9)  # the 10th ended 2 minutes ago
    assert kept_days(db_session)[0] == date(2026, 10, 9) - timedelta(days=30)
    report_days.keep_some(db_session, LONDON, just_after_midnight + report_days.SETTLE)
    assert kept_days(db_session) == [first.date() + timedelta(days=n) for n in range(40)]


def test_days_kept_by_another_version_are_ignored_and_replaced(db_session, busy_autumn):
    report_days.keep_some(db_session, LONDON, LATER)
    db_session.execute(update(ReportDay).values(version=0, counts={"by_hour": [9] * 24}))
    db_session.commit()
    assert figures(db_session).arrivals.total == 8
    report_days.keep_some(db_session, LONDON, LATER)
    versions = db_session.scalars(select(func.distinct(ReportDay.version))).all()
    assert versions == [report_days.VERSION]


def test_days_are_kept_for_each_zone_apart(db_session, busy_autumn):
    tokyo = ZoneInfo("Asia/Tokyo")
    report_days.keep_some(db_session, LONDON, LATER)
    in_tokyo = reports.report(db_session, AUTUMN, tokyo, TARGET)
    report_days.keep_some(db_session, tokyo, LATER)
    assert reports.report(db_session, AUTUMN, tokyo, TARGET) == in_tokyo
    assert in_tokyo.arrivals.per_day != figures(db_session).arrivals.per_day


def test_flask_reports_summarise_keeps_every_ended_day(app, db_session, busy_autumn):
    with time_machine.travel(LATER, tick=False):
        result = app.test_cli_runner().invoke(args=["reports", "summarise"])
    assert result.exit_code == 0, result.output
    assert "days added" in result.output
    assert kept_days(db_session) == AUTUMN.days


def test_flask_reports_keep_keeps_the_ended_days_for_the_timer(app, db_session, busy_autumn):
    with time_machine.travel(LATER, tick=False):
        result = app.test_cli_runner().invoke(args=["reports", "keep"])
    assert result.exit_code == 0, result.output
    assert "Kept the reports' figures of" in result.output
    assert kept_days(db_session) == AUTUMN.days
