"""The reports' kept days: a kept day gives the figures its requests give, a change
since it was kept is seen at once because its writer marks the day, and the worker
keeps ended days only. A property test plays random histories against them."""

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from intake.domain import (
    audit,
    calls,
    closing,
    queue,
    report_days,
    reports,
    staff_accounts,
    states,
    subject_access,
    supervision,
)
from intake.domain.report_days import DaySummary
from intake.models import CallbackRequest, ReportChange, ReportDay, StaffMember
from tests.factories import (
    CALL_POLICY,
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
    report_days.work_out_and_keep(db_session, [date(2026, 10, 24)], LONDON, LATER)
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


def test_a_change_dated_before_the_day_was_kept_but_written_after_still_makes_it_stale(
    db_session, vault
):
    """A transaction in flight when the day was kept commits later, dated earlier: its
    mark, not its date, says the day has changed."""
    agent = make_staff(db_session, name="Alex")
    request = submit_request(db_session, vault, now=utc(2026, 10, 26, 9, 0))
    report_days.keep_some(db_session, LONDON, LATER)
    take_and_call(db_session, vault, request, agent, LATER - report_days.SETTLE + minutes(1))
    period = reports.Period(date(2026, 10, 26), date(2026, 10, 26))
    assert figures(db_session, period).first_calls.everyone.called == 1
    report_days.forget_changed_days(db_session, LONDON, LATER + minutes(1))
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


def marked_days(db_session) -> set[date]:
    return {at.astimezone(LONDON).date() for at in db_session.scalars(select(ReportChange.at))}


def test_each_change_marks_the_days_it_changes_and_only_those(db_session, vault):
    """Made on the 24th, held from the 25th, reached on the 26th: the call, the first
    call of a request of the 24th and the end of a hold of the 25th."""
    agent = make_staff(db_session, name="Alex")
    request = submit_request(db_session, vault, now=utc(2026, 10, 24, 22, 30))  # 23:30 UK
    queue.take(db_session, request, agent, now=utc(2026, 10, 24, 23, 10))  # 00:10 on the 25th
    db_session.execute(delete(ReportChange))
    db_session.commit()
    calls.record_attempt(
        db_session,
        vault,
        request,
        agent,
        outcome=calls.REACHED,
        result="information_given",
        policy=CALL_POLICY,
        now=utc(2026, 10, 26, 9, 0),
    )
    assert marked_days(db_session) == {date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)}


def kept_ids(db_session) -> dict[date, int]:
    return {day: row_id for day, row_id in db_session.execute(select(ReportDay.day, ReportDay.id))}


def test_an_audit_line_that_changes_no_figure_leaves_the_kept_day_alone(
    db_session, vault, busy_autumn
):
    boss = make_staff(db_session, role="supervisor", name="Sam", email="sam@intake.example")
    report_days.keep_some(db_session, LONDON, LATER)
    kept = kept_ids(db_session)
    calls.open_for_staff(db_session, vault, busy_autumn, boss, LATER)
    calls.add_note(db_session, vault, busy_autumn, boss, "Rang, no answer yet", now=LATER)
    assert report_days.keep_some(db_session, LONDON, LATER + minutes(1)) == (0, 0)
    assert kept_ids(db_session) == kept


def disabling(db_session, vault, agent, colleague) -> None:
    with time_machine.travel(LATER, tick=False):
        staff_accounts.disable(db_session, agent, by=colleague.id)


def handing_over(db_session, vault, agent, colleague) -> None:
    calls.give_to_colleague(
        db_session, vault, agent_request(db_session), colleague, agent, now=LATER
    )


def agent_request(db_session) -> CallbackRequest:
    return db_session.scalars(select(CallbackRequest)).one()


@pytest.mark.parametrize("ending", [disabling, handing_over])
def test_a_hold_ended_without_change_status_counts_for_the_day_it_began(db_session, vault, ending):
    """The bulk release and the hand-over of a held request mark the day the hold began,
    as change_status would."""
    agent = make_staff(db_session, name="Alex")
    colleague = make_staff(db_session, role="supervisor", name="Sam")
    request = submit_request(db_session, vault, now=utc(2026, 10, 26, 22, 0))
    queue.take(db_session, request, agent, now=utc(2026, 10, 26, 23, 50))
    report_days.keep_some(db_session, LONDON, LATER)
    ending(db_session, vault, agent, colleague)
    period = reports.Period(date(2026, 10, 26), date(2026, 10, 26))
    (alex,) = figures(db_session, period).agents
    assert alex.median_time_on_request == LATER - utc(2026, 10, 26, 23, 50)
    assert report_days.keep_some(db_session, LONDON, LATER + minutes(1)) == (1, 0)
    assert figures(db_session, period).agents == [alex]


def test_a_change_committed_while_the_keeper_works_is_worked_out_at_its_next_run(
    db_session, vault, monkeypatch
):
    """The keeper drops only the marks it read before its work: one committed during
    the work stays, so the day is worked out again rather than kept without it."""
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: nothing commits while the keeper writes")
    agent = make_staff(db_session, name="Alex")
    request = submit_request(db_session, vault, now=utc(2026, 10, 26, 9, 0))
    work_out = report_days.work_out

    def with_a_call_meanwhile(session, days, zone):
        found = work_out(session, days, zone)
        with Session(session.get_bind()) as writer:
            mine = writer.get(CallbackRequest, request.id)
            take_and_call(writer, vault, mine, writer.get(StaffMember, agent.id), LATER)
        return found

    monkeypatch.setattr(report_days, "work_out", with_a_call_meanwhile)
    assert report_days.keep_some(db_session, LONDON, LATER) == (1, 0)
    monkeypatch.undo()
    period = reports.Period(date(2026, 10, 26), date(2026, 10, 26))
    assert figures(db_session, period).first_calls.everyone.called == 1
    assert report_days.keep_some(db_session, LONDON, LATER + minutes(1)) == (1, 0)
    assert figures(db_session, period).first_calls.everyone.called == 1


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


# The property: whatever happens to requests, across days, midnights and clock changes,
# the figures a report takes from kept days equal those worked out afresh.

HISTORIES = 200
STEPS = 16
SEED = 30
# Minutes between two steps: mostly a call's length, sometimes the rest of a day.
WAITS = (1, 3, 7, 15, 30, 60, 60, 240, 600)


class Skip(Exception):
    """Nothing in the history to do this to."""


class History:
    """One random history of requests worked by a small team, a step at a time."""

    def __init__(self, session, vault, team, rng: random.Random, start: datetime) -> None:
        self.session, self.vault, self.rng = session, vault, rng
        self.agents, self.boss = team
        self.now = start
        self.first_day = start.astimezone(LONDON).date()
        self.request_ids: list[int] = []
        self.log: list[str] = []

    def play(self, steps: int) -> None:
        """A few requests arrive, then `steps` random things happen."""
        for _ in range(self.rng.randint(2, 5)):
            self.now += minutes(self.rng.choice(WAITS))
            self.submit()
        actions, weights = zip(*ACTIONS, strict=True)
        for _ in range(steps):
            self.now += minutes(self.rng.choice(WAITS))
            action = self.rng.choices(actions, weights)[0]
            self.log.append(f"{self.now:%Y-%m-%d %H:%M} {action.__name__}")
            try:
                action(self)
            except (Skip, queue.QueueRefused, states.TransitionRefused):
                self.session.rollback()
        # Past the last day's end, and SETTLE: the keeper keeps every day of it.
        self.now = (
            datetime.combine(
                self.now.astimezone(LONDON).date() + timedelta(days=1), datetime.min.time(), LONDON
            )
            + report_days.SETTLE
            + minutes(self.rng.randrange(60))
        )
        self.keep()

    def days(self) -> list[date]:
        last = self.now.astimezone(LONDON).date()
        return [self.first_day + timedelta(days=n) for n in range((last - self.first_day).days + 1)]

    def pick(self, wanted: Callable[[CallbackRequest], bool]) -> CallbackRequest:
        mine = CallbackRequest.id.in_(self.request_ids)  # read afresh, in one query
        fresh = self.session.scalars(select(CallbackRequest).where(mine))
        found = [request for request in fresh if wanted(request)]
        if not found:
            raise Skip
        return self.rng.choice(found)

    def anyone(self) -> StaffMember:
        return self.rng.choice([*self.agents, self.boss])

    def holder(self, request: CallbackRequest) -> StaffMember:
        return self.session.get(StaffMember, request.held_by_id)

    # What happens

    def submit(self) -> None:
        urgent = self.rng.random() < 0.4
        request = submit_request(self.session, self.vault, now=self.now, in_danger=urgent)
        self.request_ids.append(request.id)

    def take(self) -> None:
        request = self.pick(lambda r: r.status == states.NEW)
        queue.take(self.session, request, self.anyone(), self.now, "Asked to", self.vault)

    def call(self) -> None:
        request = self.pick(lambda r: r.status == states.IN_PROGRESS)
        self.record_call(request, self.holder(request))

    def call_late(self) -> None:
        """Someone who held a request once saves a call on it (late, or taking it back)."""
        request = self.pick(lambda r: r.personal_data is not None)
        former = [
            agent
            for agent in self.agents
            if agent.id != request.held_by_id
            and audit.last_held_from(self.session, request.id, agent.id) is not None
        ]
        if not former:
            raise Skip
        self.record_call(request, self.rng.choice(former))

    def record_call(self, request: CallbackRequest, staff: StaffMember) -> None:
        outcome = self.rng.choice(
            [calls.REACHED, calls.NO_ANSWER, calls.WRONG_NUMBER, calls.CALL_LATER]
        )
        calls.record_attempt(
            self.session,
            self.vault,
            request,
            staff,
            outcome=outcome,
            result="assessment_booked" if outcome == calls.REACHED else None,
            call_again_at=self.now + minutes(self.rng.choice([90, 300, 1500])),
            policy=CALL_POLICY,
            now=self.now,
        )

    def called_in(self) -> None:
        request = self.pick(lambda r: r.status in states.OPEN_STATUSES)
        calls.record_called_in(
            self.session,
            self.vault,
            request,
            self.anyone(),
            result="information_given",
            now=self.now,
        )

    def release(self) -> None:
        request = self.pick(lambda r: r.status == states.IN_PROGRESS)
        queue.release(self.session, request, self.holder(request), now=self.now)

    def hand_over(self) -> None:
        request = self.pick(lambda r: r.status in states.OPEN_STATUSES)
        by = self.holder(request) if request.held_by_id else self.boss
        colleague = self.rng.choice(self.agents)
        calls.give_to_colleague(self.session, self.vault, request, colleague, by, now=self.now)

    def close(self) -> None:
        request = self.pick(lambda r: r.status in states.OPEN_STATUSES)
        staff = self.holder(request) if request.held_by_id else self.boss
        closing.close_without_call(
            self.session, self.vault, request, staff, states.SPAM, "Not real", now=self.now
        )

    def reopen(self) -> None:
        request = self.pick(lambda r: r.status in states.REOPENABLE)
        closing.reopen(
            self.session, self.vault, request, self.boss, "Again", timedelta(days=90), self.now
        )

    def decide(self) -> None:
        request = self.pick(lambda r: r.needs_supervisor is not None)
        decision = self.rng.choice(list(supervision.DECISIONS))
        supervision.decide(self.session, self.vault, request, self.boss, decision, "Why", self.now)

    def restrict(self) -> None:
        request = self.pick(lambda r: r.status in states.OPEN_STATUSES)
        subject_access.restrict(self.session, request, self.boss, self.now)

    def lift(self) -> None:
        request = self.pick(lambda r: r.status == states.RESTRICTED)
        subject_access.lift_restriction(self.session, self.vault, request, self.boss, self.now)

    def expire_holds(self) -> None:
        queue.release_expired_holds(self.session, self.now, minutes(self.rng.choice([20, 240])))

    def sign_out(self) -> None:
        agent = self.rng.choice(self.agents)
        queue.release_all_held_by(self.session, agent.id, because="signed_out", now=self.now)
        self.session.commit()

    # What is checked

    def keep(self) -> None:
        """The keeper's run: then every ended day is kept and no mark is left, so the
        report reads every ended day from what is kept."""
        assert report_days.keep_some(self.session, LONDON, self.now)[1] == 0
        assert report_days.days_to_keep(self.session, LONDON, self.now) == []
        assert self.session.scalar(select(func.count()).select_from(ReportChange)) == 0
        self.check()

    def check(self) -> None:
        assert_kept_days_are_fresh(self.session, self.days(), self.log)


ACTIONS = [
    (History.submit, 2),
    (History.take, 4),
    (History.call, 4),
    (History.call_late, 1),
    (History.called_in, 0.5),
    (History.release, 1),
    (History.hand_over, 1),
    (History.close, 1),
    (History.reopen, 1),
    (History.decide, 1),
    (History.restrict, 0.5),
    (History.lift, 0.5),
    (History.expire_holds, 0.5),
    (History.sign_out, 0.5),
    (History.keep, 1),
    (History.check, 0.5),
]


def plain(summary: DaySummary) -> tuple:
    """A day's figures as plain values (kept ones unpack into arrays, not lists)."""
    agents = {staff: (a.calls, a.reached, list(a.held)) for staff, a in summary.agents.items()}
    counters = (summary.statuses, summary.sources, summary.call_outcomes)
    waits = (list(summary.waits), list(summary.urgent_waits))
    missed = (summary.not_called, summary.urgent_not_called)
    return (summary.day, list(summary.by_hour), *counters, agents, *waits, *missed)


def assert_kept_days_are_fresh(session, days: list[date], log: list[str]) -> None:
    afresh = report_days.work_out(session, days, LONDON)
    reported = report_days.summaries(session, days, LONDON)
    assert [plain(day) for day in reported] == [plain(afresh[day]) for day in days], log


def test_kept_days_always_equal_the_days_worked_out_afresh(db_session, vault):
    """Random histories, one after another from the autumn clock change on (so through
    the spring one too): submissions, takes, calls (late ones too), closes, reopens,
    releases one by one and in bulk, hand-overs, restrictions and supervisors'
    decisions, across midnights, with the keeper run at random moments."""
    rng = random.Random(SEED)
    agents = [make_staff(db_session, name=name) for name in ("Alex", "Blake", "Casey")]
    team = (agents, make_staff(db_session, role="supervisor", name="Sam"))
    start = utc(2026, 10, 23, 21, 0)
    for _ in range(HISTORIES):
        history = History(db_session, vault, team, rng, start)
        history.play(STEPS)
        start = history.now + minutes(rng.randrange(3 * 24 * 60))
    first = utc(2026, 10, 23, 21, 0).astimezone(LONDON).date()
    every_day = [first + timedelta(days=n) for n in range((history.days()[-1] - first).days + 1)]
    assert_kept_days_are_fresh(db_session, every_day, ["all histories"])
