"""The "we aim to call within N minutes" of the form, confirmation and email: the median
wait for a first call in the last two hours, counting requests still waiting by how long
they have waited so far (the target with fewer than five), never less than the longest
wait of anyone waiting now; rounded up to 5."""

from datetime import timedelta

import pytest
import time_machine

from intake.domain import calls, estimate
from intake.public import views as public_views
from tests.factories import make_staff, submit_request, take_and_call, utc

NOW = utc(2026, 11, 25, 12, 0)
TARGET = timedelta(minutes=15)


@pytest.fixture
def agent(db_session):
    return make_staff(db_session)


def called(db_session, vault, agent, *, arrived_ago: int, waited: int, **answers) -> None:
    """A request that arrived `arrived_ago` minutes before NOW and whose first call,
    `waited` minutes after it arrived, reached the visitor."""
    arrived = NOW - timedelta(minutes=arrived_ago)
    request = submit_request(db_session, vault, now=arrived, **answers)
    first_call = arrived + timedelta(minutes=waited)
    take_and_call(db_session, vault, request, agent, first_call)


def waiting(db_session, vault, *, arrived_ago: int) -> None:
    """A request that arrived `arrived_ago` minutes before NOW and has had no call."""
    submit_request(db_session, vault, now=NOW - timedelta(minutes=arrived_ago))


def minutes(db_session) -> int:
    return estimate.asap_minutes(db_session, NOW, TARGET)


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (timedelta(0), 5),
        (timedelta(minutes=4), 5),
        (timedelta(minutes=5), 5),
        (timedelta(minutes=5, seconds=1), 10),
        (timedelta(minutes=21), 25),
        (timedelta(minutes=45), 45),
    ],
)
def test_figures_round_up_to_five_minutes_and_never_below_five(span, expected):
    assert estimate.rounded_minutes(span) == expected


def test_with_nobody_called_yet_the_target_is_given(db_session):
    assert minutes(db_session) == 15


def test_five_first_calls_in_two_hours_give_their_median(db_session, vault, agent):
    for waited in (3, 8, 21, 30, 50):
        called(db_session, vault, agent, arrived_ago=100, waited=waited)
    assert minutes(db_session) == 25  # the median, 21, rounded up


def test_four_first_calls_are_too_few_and_the_target_is_given(db_session, vault, agent):
    for waited in (40, 40, 40, 40):
        called(db_session, vault, agent, arrived_ago=90, waited=waited)
    assert minutes(db_session) == 15


def test_a_quick_median_is_never_promised_below_five_minutes(db_session, vault, agent):
    for _ in range(6):
        called(db_session, vault, agent, arrived_ago=30, waited=1)
    assert minutes(db_session) == 5


def test_requests_older_than_two_hours_do_not_count(db_session, vault, agent):
    for _ in range(5):
        called(db_session, vault, agent, arrived_ago=121, waited=1)
    for _ in range(4):
        called(db_session, vault, agent, arrived_ago=60, waited=1)
    assert minutes(db_session) == 15


def test_only_the_first_call_of_a_request_counts(db_session, vault, agent):
    for _ in range(5):
        called(db_session, vault, agent, arrived_ago=100, waited=2)
    request = submit_request(db_session, vault, now=NOW - timedelta(minutes=100))
    for called_at in (NOW - timedelta(minutes=98), NOW - timedelta(minutes=10)):
        take_and_call(db_session, vault, request, agent, called_at, outcome=calls.NO_ANSWER)
    assert minutes(db_session) == 5


def test_the_form_reuses_a_figure_within_its_minute_then_asks_again(app, monkeypatch):
    answers = iter([10, 20, 30])
    monkeypatch.setattr(estimate, "asap_minutes", lambda *args: next(answers))
    minute = NOW.replace(second=0, microsecond=0)
    with app.app_context(), time_machine.travel(minute, tick=False):
        assert public_views.asap_minutes(minute) == 10
        assert public_views.asap_minutes(minute + timedelta(seconds=59)) == 10
        assert public_views.asap_minutes(minute + timedelta(seconds=60)) == 20
        assert public_views.asap_minutes(minute - timedelta(hours=1)) == 30


def test_the_form_offers_the_live_figure(db_session, vault, agent, visitor):
    for waited in (3, 8, 21, 30, 50):
        called(db_session, vault, agent, arrived_ago=100, waited=waited)
    with time_machine.travel(NOW, tick=False):
        label = visitor.open_form().select_one("label[for=when-0]").get_text()
    assert label == "As soon as possible (we aim to call within 25 minutes, day or night)"


def test_a_stuck_queue_makes_the_figure_longer_not_shorter(db_session, vault, agent):
    for _ in range(5):
        called(db_session, vault, agent, arrived_ago=110, waited=2)
    before = minutes(db_session)
    for arrived_ago in (50, 40, 30, 20, 10, 5):
        waiting(db_session, vault, arrived_ago=arrived_ago)
    assert before == 5
    # Eleven waits: five of 2 minutes, six still waiting from 5 to 50 minutes so far;
    # the median is 5, but nobody joins the queue ahead of the one waiting 50 minutes.
    assert minutes(db_session) == 50


def test_requests_still_waiting_count_even_before_anyone_is_called(db_session, vault):
    for arrived_ago in (12, 14, 16, 18, 40):
        waiting(db_session, vault, arrived_ago=arrived_ago)
    assert minutes(db_session) == 40


def test_overnight_one_long_wait_is_never_hidden_behind_the_target(db_session, vault):
    waiting(db_session, vault, arrived_ago=95)
    assert minutes(db_session) == 95


def test_a_request_booked_for_later_does_not_count_until_its_time_comes(db_session, vault):
    tomorrow = (NOW + timedelta(days=1)).date()
    submit_request(
        db_session,
        vault,
        now=NOW - timedelta(minutes=90),
        when="later",
        day=tomorrow,
        window="10-12",
    )
    assert minutes(db_session) == 15


@pytest.mark.parametrize(
    ("minutes_", "words"),
    [(5, "5 minutes"), (60, "1 hour"), (95, "1 hour 35 minutes"), (120, "2 hours")],
)
def test_long_waits_are_said_in_hours_and_minutes(minutes_, words):
    assert estimate.wait_words(minutes_) == words
