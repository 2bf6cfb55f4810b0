"""The form's "usually within N minutes": the median wait for a first call in the last
two hours when five or more were called, otherwise the target; rounded up to 5."""

from datetime import timedelta

import pytest
import time_machine

from intake.domain import calls, estimate
from tests.factories import make_staff, submit_request, take_and_call, utc

NOW = utc(2026, 11, 25, 12, 0)
TARGET = timedelta(minutes=15)


@pytest.fixture
def agent(db_session):
    return make_staff(db_session)


def called(db_session, vault, agent, *, arrived_ago: int, waited: int, **answers) -> None:
    """A request that arrived `arrived_ago` minutes before NOW and had its first call
    `waited` minutes after it arrived."""
    arrived = NOW - timedelta(minutes=arrived_ago)
    request = submit_request(db_session, vault, now=arrived, **answers)
    first_call = arrived + timedelta(minutes=waited)
    take_and_call(db_session, vault, request, agent, first_call, outcome=calls.NO_ANSWER)


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
    for called_at in (NOW - timedelta(minutes=98), NOW - timedelta(minutes=60)):
        take_and_call(db_session, vault, request, agent, called_at, outcome=calls.NO_ANSWER)
    assert minutes(db_session) == 5


def test_the_cache_reuses_a_figure_for_a_minute_then_asks_again():
    cache = estimate.CachedEstimate()
    answers = iter([10, 20, 30])
    assert cache.minutes_at(NOW, lambda: next(answers)) == 10
    assert cache.minutes_at(NOW + timedelta(seconds=59), lambda: next(answers)) == 10
    assert cache.minutes_at(NOW + timedelta(seconds=60), lambda: next(answers)) == 20
    assert cache.minutes_at(NOW - timedelta(hours=1), lambda: next(answers)) == 30


def test_the_form_offers_the_live_figure(db_session, vault, agent, visitor):
    for waited in (3, 8, 21, 30, 50):
        called(db_session, vault, agent, arrived_ago=100, waited=waited)
    with time_machine.travel(NOW, tick=False):
        label = visitor.open_form().select_one("label[for=when-0]").get_text()
    assert label == "As soon as possible (usually within 25 minutes, day or night)"
