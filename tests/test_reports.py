"""Supervisors' reports: each figure from a small known set of requests, the period
form, the charts and their tables, and the CSV downloads (audited, nothing personal)."""

import csv
import io
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from intake.domain import audit, calls, closing, queue, reports, states, subject_access
from intake.domain.status import change_status
from intake.models import AuditEvent
from intake.staff.charts import bar_chart, column_chart, heat_level
from intake.staff.spreadsheets import safe_cell
from tests.conftest import page
from tests.factories import (
    CALL_POLICY,
    LONDON,
    make_staff,
    submit_request,
    take_and_call,
    utc,
)

NOW = utc(2026, 11, 25, 12, 0)  # a Wednesday, in winter (UK time is UTC)
TODAY = date(2026, 11, 25)
TARGET = timedelta(minutes=15)
SECRET_NAME, SECRET_PHONE, SECRET_EMAIL = "Zebedee Quillfeather", "+447700900461", "zq@example.net"
PERIOD = "start=2026-11-19&end=2026-11-25"


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


def called_after(db_session, vault, staff, arrived, waited, outcome=calls.REACHED, **answers):
    request = submit_request(db_session, vault, now=arrived, **answers)
    take_and_call(db_session, vault, request, staff, arrived + minutes(waited), outcome)
    return request


@pytest.fixture
def boss(make_member):
    """A supervisor signed in, with the clock stopped at NOW."""
    _, browser = make_member("supervisor", "Sam Supervisor")
    with time_machine.travel(NOW, tick=False):
        yield browser.sign_in()


def week(db_session) -> list[reports.DaySummary]:
    """The figures of the seven days to TODAY, day by day."""
    return reports.summaries(db_session, reports.Period(date(2026, 11, 19), TODAY), LONDON)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def download(boss, name: str, query: str = PERIOD):
    return boss.post(f"/staff/reports/{name}.csv?{query}", form_page=f"/staff/reports?{query}")


# Who may see them


@pytest.mark.pages_only
def test_agents_are_refused_the_reports_and_their_downloads(agent):
    assert agent.client.get("/staff/reports").status_code == 403
    assert agent.post("/staff/reports/requests.csv", form_page="/staff/").status_code == 403
    assert not page(agent.client.get("/staff/")).select("a[href='/staff/reports']")


@pytest.mark.pages_only
def test_signed_out_visitors_are_sent_to_sign_in(client):
    for response in (client.get("/staff/reports"), client.post("/staff/reports/agents.csv")):
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/staff/sign-in")


@pytest.mark.pages_only
def test_supervisors_find_reports_in_the_staff_menu(boss):
    link = boss.get_page("/staff/").select_one("nav a[href='/staff/reports']")
    assert link.get_text() == "Reports"


# The period


def test_the_report_covers_the_last_seven_days_ending_today_by_default(boss):
    html = boss.get_page("/staff/reports")
    assert (
        "Thursday 19 November 2026 to Wednesday 25 November 2026" in html.select_one(".lead").text
    )
    days = [cell["datetime"] for cell in html.select("#per-day-caption ~ tbody time")]
    assert days == [(date(2026, 11, 19) + timedelta(days=n)).isoformat() for n in range(7)]
    fields = [html.select_one(f"input[name={name}]")["value"] for name in ("start", "end")]
    assert fields == ["2026-11-19", "2026-11-25"]


def test_one_date_alone_gives_a_sensible_period():
    assert reports.Period.ending(TODAY) == reports.Period(date(2026, 11, 19), TODAY)


@pytest.mark.pages_only
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-11-20&end=2026-11-19", "The end date must be the same as or after the start"),
        ("start=2025-11-01&end=2026-11-25", "The period must be 366 days or fewer"),
        ("start=2025-11-01", "The period must be 366 days or fewer"),
        ("start=2026-11-20&end=2026-11-26", "The end date must be today or in the past"),
        ("start=2026-11-26", "The start date must be today or in the past"),
        ("start=2026-02-30&end=2026-11-25", "The start date must be a real date"),
        ("end=yesterday", "The end date must be a real date"),
    ],
)
def test_a_period_that_cannot_be_reported_gives_the_error_summary(boss, query, message):
    response = boss.client.get(f"/staff/reports?{query}")
    assert response.status_code == 400
    html = page(response)
    assert html.title.text.startswith("Error: ")
    assert message in html.select_one(".error-summary").text
    assert not html.select("svg")


def test_a_year_of_366_days_may_be_reported(boss):
    boss.get_page("/staff/reports?start=2025-11-25&end=2026-11-25")


# Requests per day and by hour, in UK time


def test_requests_per_day_are_counted_in_uk_time_across_the_clock_change(db_session, vault):
    # The clocks went back at 02:00 BST on Sunday 25 October 2026: a day of 25 hours.
    for moment in (
        utc(2026, 10, 23, 22, 59),  # 23:59 BST on the 23rd: before the period
        utc(2026, 10, 24, 22, 59),  # 23:59 BST on the 24th
        utc(2026, 10, 24, 23, 0),  # 00:00 BST on the 25th
        utc(2026, 10, 25, 23, 30),  # 23:30 GMT on the 25th
        utc(2026, 10, 26, 0, 0),  # 00:00 GMT on the 26th
        utc(2026, 10, 26, 23, 59, 59),
        utc(2026, 10, 27, 0, 0),  # after the period
    ):
        submit_request(db_session, vault, now=moment)
    period = reports.Period(date(2026, 10, 24), date(2026, 10, 26))
    found = reports.arrivals(reports.summaries(db_session, period, LONDON))
    assert found.per_day == [
        (date(2026, 10, 24), 1),
        (date(2026, 10, 25), 2),
        (date(2026, 10, 26), 2),
    ]
    assert found.total == 5


def test_hours_of_the_week_are_local_hours_on_both_sides_of_the_clock_change(db_session, vault):
    for moment in (
        utc(2026, 10, 21, 13, 15),  # Wednesday 14:15 BST
        utc(2026, 10, 28, 14, 15),  # Wednesday 14:15 GMT
        utc(2026, 10, 25, 0, 30),  # Sunday 01:30 BST
        utc(2026, 10, 25, 1, 30),  # Sunday 01:30 GMT, the same hour again
        utc(2026, 10, 24, 23, 30),  # Sunday 00:30 BST
    ):
        submit_request(db_session, vault, now=moment)
    period = reports.Period(date(2026, 10, 19), date(2026, 10, 30))
    by_hour = reports.arrivals(reports.summaries(db_session, period, LONDON)).by_hour
    assert by_hour[2][14] == 2
    assert by_hour[6][1] == 2
    assert by_hour[6][0] == 1
    assert sum(map(sum, by_hour)) == 5


# Time to first call


def test_time_to_first_call_gives_bands_share_within_target_median_and_90th_percentile(
    db_session, vault
):
    agent = make_staff(db_session)
    arrived = utc(2026, 11, 20, 9, 0)
    # Some calls go unanswered, which moves the request's times on: measured from arrival.
    for waited, outcome in (
        (3, calls.NO_ANSWER),
        (8, calls.REACHED),
        (15, calls.NO_ANSWER),
        (20, calls.REACHED),
        (45, calls.WRONG_NUMBER),
        (150, calls.NO_ANSWER),
    ):
        called_after(db_session, vault, agent, arrived, waited, outcome)
    called_after(db_session, vault, agent, arrived, 4, in_danger=True)
    called_after(db_session, vault, agent, arrived, 30, calls.NO_ANSWER, in_danger=True)
    submit_request(db_session, vault, now=arrived)  # never called
    period = reports.Period(date(2026, 11, 19), TODAY)
    found = reports.first_calls(reports.summaries(db_session, period, LONDON), TARGET)
    everyone, urgent = found.everyone, found.urgent
    assert [(band.label, band.count) for band in everyone.bands] == [
        ("5 min or less", 2),
        ("5 to 10 min", 1),
        ("10 to 15 min", 1),
        ("15 to 30 min", 2),
        ("30 min to 1 h", 1),
        ("1 to 2 h", 0),
        ("Over 2 h", 1),
        ("Not called", 1),
    ]
    assert (everyone.called, everyone.within_target, everyone.not_called) == (8, 4, 1)
    assert everyone.share_within_target == 0.5
    assert everyone.median == minutes(17.5)  # between 15 and 20
    assert everyone.p90 == minutes(150)  # the 8th of 8, by nearest rank
    assert [band.count for band in urgent.bands] == [1, 0, 0, 1, 0, 0, 0, 0]
    assert (urgent.called, urgent.within_target, urgent.share_within_target) == (2, 1, 0.5)
    assert urgent.median == minutes(17)
    assert urgent.p90 == minutes(30)


def test_a_request_booked_for_later_is_timed_from_the_start_of_its_window(db_session, vault):
    agent = make_staff(db_session)
    arrived = utc(2026, 11, 20, 9, 0)
    booked = submit_request(
        db_session, vault, now=arrived, when="later", day=date(2026, 11, 20), window="14-16"
    )
    assert booked.callable_from == utc(2026, 11, 20, 14, 0)
    take_and_call(db_session, vault, booked, agent, utc(2026, 11, 20, 14, 10))
    period = reports.Period(date(2026, 11, 20), date(2026, 11, 20))
    waits = reports.first_calls(reports.summaries(db_session, period, LONDON), TARGET).everyone
    assert waits.median == minutes(10)


def test_a_booked_request_keeps_its_window_as_the_start_after_an_unanswered_call(db_session, vault):
    agent = make_staff(db_session)
    booked = submit_request(
        db_session,
        vault,
        now=utc(2026, 11, 20, 9, 0),
        when="later",
        day=date(2026, 11, 20),
        window="14-16",
    )
    take_and_call(db_session, vault, booked, agent, utc(2026, 11, 20, 14, 20), calls.NO_ANSWER)
    assert booked.callable_from > utc(2026, 11, 20, 14, 20)  # the retry moved it on
    period = reports.Period(date(2026, 11, 20), date(2026, 11, 20))
    waits = reports.first_calls(reports.summaries(db_session, period, LONDON), TARGET).everyone
    assert waits.median == minutes(20)  # from 2pm, not from 9am when it was made


def test_a_target_between_the_usual_bands_gets_a_band_of_its_own():
    labels = [band.label for band in reports.waits([60 * 20.0], 0, minutes(20)).bands]
    assert labels[:5] == [
        "5 min or less",
        "5 to 10 min",
        "10 to 15 min",
        "15 to 20 min",
        "20 to 30 min",
    ]


def test_with_nobody_called_there_is_no_median_or_share(db_session):
    waits = reports.waits([], 2, TARGET)
    assert (waits.median, waits.p90, waits.share_within_target) == (None, None, None)
    assert waits.bands[-1].count == 2


# Outcomes


def test_outcomes_count_how_requests_ended_and_what_came_of_each_call(db_session, vault):
    agent = make_staff(db_session)
    supervisor = make_staff(db_session, role="supervisor")
    day = utc(2026, 11, 23, 10, 0)
    completed = called_after(db_session, vault, agent, day, 5)
    assert completed.status == states.COMPLETED
    called_after(db_session, vault, agent, day, 5, calls.WRONG_NUMBER)
    retried = called_after(db_session, vault, agent, day, 5, calls.NO_ANSWER)
    take_and_call(db_session, vault, retried, agent, day + minutes(40))  # reached at the second try
    spam = submit_request(db_session, vault, now=day)
    closing.close_without_call(
        db_session, vault, spam, supervisor, states.SPAM, now=day + minutes(1)
    )
    withdrawn = submit_request(db_session, vault, now=day)
    closing.close_without_call(db_session, vault, withdrawn, supervisor, states.WITHDRAWN, now=day)
    expired = submit_request(db_session, vault, now=day)
    change_status(
        db_session, expired, states.EXPIRED, by=None, now=day, event=audit.REQUEST_EXPIRED
    )
    db_session.commit()
    submit_request(db_session, vault, now=day)  # waiting
    queue.take(db_session, submit_request(db_session, vault, now=day), agent, now=day)
    restricted = submit_request(db_session, vault, now=day)
    subject_access.restrict(db_session, restricted, supervisor, now=day)
    found = reports.outcomes(week(db_session))
    assert [(count.label, count.count) for count in found.requests] == [
        ("Completed", 2),
        ("Unreachable", 1),
        ("Withdrawn", 1),
        ("Spam", 1),
        ("Expired", 1),
        ("Restricted (do not contact)", 1),
        ("Still open", 2),
    ]
    assert {count.key: count.count for count in found.calls} == {
        calls.REACHED: 2,
        calls.NO_ANSWER: 1,
        calls.VOICEMAIL_LEFT: 0,
        calls.WRONG_NUMBER: 1,
        calls.CALL_LATER: 0,
        calls.CALLED_US: 0,
    }


# Per agent


def test_per_agent_counts_calls_reached_and_the_median_time_holding_a_request(db_session, vault):
    alex = make_staff(db_session, name="Alex")
    blake = make_staff(db_session, name="Blake")
    supervisor = make_staff(db_session, role="supervisor", name="Sam")
    start = utc(2026, 11, 24, 9, 0)
    twice = submit_request(db_session, vault, now=start)
    queue.take(db_session, twice, alex, now=start)
    calls.record_attempt(
        db_session,
        vault,
        twice,
        alex,
        outcome=calls.NO_ANSWER,
        policy=CALL_POLICY,
        now=start + minutes(4),
    )
    queue.take(db_session, twice, alex, now=start + minutes(40))
    calls.record_attempt(
        db_session,
        vault,
        twice,
        alex,
        outcome=calls.REACHED,
        policy=CALL_POLICY,
        result="information_given",
        now=start + minutes(46),
    )
    quick = submit_request(db_session, vault, now=start)
    queue.take(db_session, quick, alex, now=start)
    calls.record_attempt(
        db_session,
        vault,
        quick,
        alex,
        outcome=calls.REACHED,
        policy=CALL_POLICY,
        result="not_ready_now",
        now=start + minutes(2),
    )
    released = submit_request(db_session, vault, now=start)
    queue.take(db_session, released, alex, now=start + minutes(60))
    queue.release(db_session, released, alex, now=start + minutes(63))
    given = submit_request(db_session, vault, now=start)
    calls.give_to_colleague(db_session, vault, given, blake, supervisor, now=start)
    calls.record_attempt(
        db_session,
        vault,
        given,
        blake,
        outcome=calls.WRONG_NUMBER,
        policy=CALL_POLICY,
        now=start + minutes(7),
    )
    still_held = submit_request(db_session, vault, now=start)
    queue.take(db_session, still_held, blake, now=start)  # not ended: not counted yet
    found = reports.agents(week(db_session), reports.staff_names(db_session))
    assert [(a.name, a.calls, a.reached, a.requests_held) for a in found] == [
        ("Alex", 3, 2, 3),
        ("Blake", 1, 0, 1),
    ]
    assert found[0].median_time_on_request == minutes(3)  # of 10 (4 + 6), 2 and 3
    assert found[1].median_time_on_request == minutes(7)


# Guide pages


def test_guide_pages_that_led_to_requests_are_counted_and_named(boss, db_session, vault):
    for source in ("side-effects", "side-effects", "addiction", None):
        submit_request(db_session, vault, now=NOW - timedelta(days=1), source_page=source)
    found = reports.sources(week(db_session))
    assert found == [("side-effects", 2), ("addiction", 1), (None, 1)]
    rows = boss.get_page("/staff/reports").select("#sources-caption ~ tbody tr")
    assert [[cell.text for cell in row.select("th, td")] for row in rows] == [
        ["Side effects of baclofen", "2"],
        ["Baclofen for alcohol and cocaine addiction", "1"],
        ["None: came to the form directly", "1"],
    ]


# The page: charts beside tables


@pytest.mark.pages_only
def test_every_chart_is_an_image_with_a_title_and_a_description(boss, db_session, vault):
    called_after(db_session, vault, make_staff(db_session), NOW - timedelta(days=2), 9)
    html = boss.get_page("/staff/reports")
    svgs = html.select("svg")
    assert len(svgs) == 8
    for svg in svgs:
        assert svg["role"] == "img"
        title_id, desc_id = svg["aria-labelledby"].split()
        assert svg.select_one(f"title#{title_id}").text
        assert svg.select_one(f"desc#{desc_id}").text
    assert not html.select("[style], style, main script")


def test_the_tables_hold_the_same_numbers_as_the_charts(boss, db_session, vault):
    agent = make_staff(db_session)
    for waited, outcome in ((4, calls.REACHED), (12, calls.REACHED), (12, calls.WRONG_NUMBER)):
        called_after(db_session, vault, agent, NOW - timedelta(days=1), waited, outcome)
    html = boss.get_page("/staff/reports")
    for name in ("request-outcomes", "call-outcomes", "sources"):
        drawn = [text.text for text in html.select(f"#{name}-chart .chart__value")]
        table = html.select_one(f"#{name}-caption").find_parent("table")
        assert drawn == [cell.text for cell in table.select("tbody td")], name
    bands = html.select_one("#bands-caption").find_parent("table")
    drawn = [text.text for text in html.select("#waits-chart .chart__value")]
    assert drawn == [row.select("td")[0].text for row in bands.select("tbody tr")]
    assert "Requests per day" in html.select_one("#per-day-chart title").text
    tips = [tip.text for tip in html.select("#per-day-chart rect title")]
    assert tips[-2] == "Tuesday 24 November 2026: 3 requests"


@pytest.mark.pages_only
def test_the_first_call_summary_reads_as_shares_and_durations(boss, db_session, vault):
    agent = make_staff(db_session)
    for waited in (4, 12, 25):
        called_after(db_session, vault, agent, NOW - timedelta(days=1), waited)
    table = boss.get_page("/staff/reports").select_one("#first-call-caption").find_parent("table")
    cells = [[cell.text for cell in row.select("th, td")] for row in table.select("tbody tr")]
    assert cells == [
        ["Called within the target", "67% (2 of 3)", "— (0 of 0)"],
        ["Median", "12 min", "—"],
        ["90th percentile", "25 min", "—"],
    ]


def test_charts_are_drawn_to_scale_from_their_numbers():
    chart = bar_chart([("A", 10, "10"), ("B", 5, "5"), ("C", 0, "0")])
    widths = [box.width for box in chart.boxes]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    columns = column_chart([("Mon", "Monday", 2), ("Tue", "Tuesday", 4)], "requests")
    heights = [box.height for box in columns.boxes]
    assert heights[1] == 2 * heights[0]
    assert [heat_level(value, 8) for value in (0, 1, 2, 3, 8)] == [0, 1, 1, 2, 4]


# The downloads


EXPECTED_HEADERS = {
    "requests-per-day": ["date", "requests"],
    "requests-by-hour": ["day of the week", "hour", "requests"],
    "first-call": ["time to first call", "all requests", "urgent requests"],
    "request-outcomes": ["how it ended", "requests"],
    "call-outcomes": ["outcome", "calls"],
    "agents": [
        "agent",
        "calls made",
        "calls that reached the person",
        "requests held",
        "median minutes on a request",
    ],
    "source-pages": ["guide page", "page address", "requests"],
    "requests": [
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
    ],
}


@pytest.fixture
def known_requests(db_session, vault):
    """Two requests on Tuesday 24 November: one from the side-effects page (with a name,
    number and email we can look for), taken by Alex a minute after it came and called
    and completed 6 minutes after it came; one urgent, still waiting."""
    alex = make_staff(db_session, name="Alex")
    arrived = utc(2026, 11, 24, 9, 0)
    done = submit_request(
        db_session,
        vault,
        now=arrived,
        name=SECRET_NAME,
        phone=SECRET_PHONE,
        email=SECRET_EMAIL,
        source_page="side-effects",
    )
    queue.take(db_session, done, alex, now=arrived + minutes(1))
    calls.record_attempt(
        db_session,
        vault,
        done,
        alex,
        outcome=calls.REACHED,
        result="assessment_booked",
        policy=CALL_POLICY,
        now=arrived + minutes(6),
    )
    waiting = submit_request(db_session, vault, now=arrived + minutes(1), in_danger=True)
    return done, waiting


@pytest.mark.pages_only
@pytest.mark.parametrize("name", list(EXPECTED_HEADERS))
def test_each_download_is_csv_named_for_its_period_audited_and_holds_nothing_personal(
    boss, db_session, known_requests, name
):
    response = download(boss, name)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="intake-{name}-2026-11-19-to-2026-11-25.csv"'
    text = response.get_data(as_text=True)
    for secret in (SECRET_NAME, "Zebedee", SECRET_PHONE, "7700", "900461", SECRET_EMAIL):
        assert secret not in text
    assert csv_rows(response)[0] == EXPECTED_HEADERS[name]
    exported = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == audit.REPORT_EXPORTED)
    ).one()
    assert exported.detail == {"export": name, "start": "2026-11-19", "end": "2026-11-25"}
    trail = boss.get_page("/staff/audit?action=report_exported").select_one("tbody tr").text
    assert f"{reports.EXPORTS[name]}, 2026-11-19 to 2026-11-25" in trail


def test_the_per_request_download_says_beside_its_link_that_it_is_still_personal_data(boss):
    html = boss.get_page(f"/staff/reports?{PERIOD}")
    section = html.select_one("#every-request").find_parent("section")
    assert section.select_one("form[action^='/staff/reports/requests.csv']")
    words = section.get_text(" ", strip=True)
    assert "No names, phone numbers or messages." in words
    assert "This file is still personal data." in words
    assert "delete it within 30 days" in words


def test_the_per_request_download_has_one_row_per_request_in_uk_time(boss, known_requests):
    done, waiting = known_requests
    rows = csv_rows(download(boss, "requests"))[1:]
    assert rows == [
        [
            done.reference,
            "2026-11-24T09:00:00+00:00",
            "2026-11-24T09:00:00+00:00",
            "2026-11-24T09:06:00+00:00",
            "6.0",
            "2026-11-24T09:06:00+00:00",
            "Completed",
            "Reached",
            "no",
            "Side effects of baclofen",
            "Alex",
        ],
        [
            waiting.reference,
            "2026-11-24T09:01:00+00:00",
            "2026-11-24T09:01:00+00:00",
            "",
            "",
            "",
            "Waiting",
            "",
            "yes",
            "",
            "",
        ],
    ]


def test_summer_times_in_the_download_carry_the_uk_offset(boss, db_session, vault):
    submit_request(db_session, vault, now=utc(2026, 7, 1, 11, 30))
    rows = csv_rows(download(boss, "requests", "start=2026-07-01&end=2026-07-01"))
    assert rows[1][1] == "2026-07-01T12:30:00+01:00"


def test_the_figure_downloads_hold_the_figures(boss, known_requests):
    per_day = csv_rows(download(boss, "requests-per-day"))
    assert per_day[1:] == [[f"2026-11-{day}", "2" if day == 24 else "0"] for day in range(19, 26)]
    by_hour = csv_rows(download(boss, "requests-by-hour"))
    assert len(by_hour) == 1 + 7 * 24
    assert ["Tuesday", "09:00", "2"] in by_hour
    first_call = csv_rows(download(boss, "first-call"))
    assert ["5 to 10 min", "1", "0"] in first_call
    assert ["Not called", "1", "1"] in first_call
    assert ["share called within target (%)", "100.0", ""] in first_call
    assert ["median (minutes)", "6.0", ""] in first_call
    assert csv_rows(download(boss, "agents"))[1] == ["Alex", "1", "1", "1", "5.0"]
    assert csv_rows(download(boss, "source-pages"))[1:] == [
        ["Side effects of baclofen", "/guide/side-effects", "1"],
        ["None: came to the form directly", "", "1"],
    ]
    assert ["Completed", "1"] in csv_rows(download(boss, "request-outcomes"))
    assert ["Reached", "1"] in csv_rows(download(boss, "call-outcomes"))


@pytest.mark.pages_only
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_made_text(boss, db_session, vault):
    sly = make_staff(db_session, name='=HYPERLINK("http://x")')
    called_after(db_session, vault, sly, NOW - timedelta(days=1), 5)
    assert csv_rows(download(boss, "agents"))[1][0] == '\'=HYPERLINK("http://x")'
    assert csv_rows(download(boss, "requests"))[1][-1] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1"])
def test_every_formula_start_is_neutralised(value):
    assert safe_cell(value) == "'" + value


def test_plain_cells_are_left_alone():
    assert [safe_cell(value) for value in ("Alex", 3, None, "2026-11-24")] == [
        "Alex",
        3,
        "",
        "2026-11-24",
    ]


@pytest.mark.pages_only
def test_a_download_needs_the_form_token_and_a_known_figure(boss):
    assert boss.client.post(f"/staff/reports/agents.csv?{PERIOD}").status_code == 400
    assert download(boss, "names-and-numbers").status_code == 404
    assert download(boss, "agents", "start=2026-11-26").status_code == 400
