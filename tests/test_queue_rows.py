"""What a queue row shows of a request's sealed answers, and how long a worker keeps it."""

from datetime import timedelta

from intake.domain.crypto import Vault, new_key
from intake.models import CallbackRequest
from intake.staff.presenters import RowAnswers, RowAnswersCache, row_answers
from tests.factories import make_answers, utc

NOW = utc(2027, 1, 15, 10, 0)


class CountingVault(Vault):
    """A vault that counts how often it opens sealed data."""

    opened = 0

    def open(self, token: bytes) -> dict:
        self.opened += 1
        return super().open(token)


def sealed_request(vault: Vault, **answers) -> CallbackRequest:
    return CallbackRequest(personal_data=vault.seal(make_answers(**answers).personal()))


def test_a_row_shows_what_orders_the_queue_and_nothing_that_says_who_called():
    personal = make_answers(
        name="Sam Smith", phone="+447400123456", topics=("cocaine",), needs=("bsl",)
    ).personal()
    answers = row_answers(personal)
    assert answers == RowAnswers(
        for_whom="Themselves", topics="Cocaine", needs=("BSL video relay",), chosen_time=None
    )
    assert "Sam" not in repr(answers) and "7400" not in repr(answers)


def test_a_rows_answers_are_opened_once_while_they_are_kept():
    vault, cache = CountingVault([new_key()]), RowAnswersCache()
    request = sealed_request(vault, topics=("alcohol",))
    first = cache.answers(request, vault, NOW)
    again = cache.answers(request, vault, NOW + timedelta(seconds=59))
    assert again == first and first.topics == "Alcohol"
    assert vault.opened == 1


def test_answers_that_change_are_read_afresh_not_from_what_was_kept():
    vault, cache = CountingVault([new_key()]), RowAnswersCache()
    request = sealed_request(vault, topics=("alcohol",))
    cache.answers(request, vault, NOW)
    request.personal_data = vault.seal(make_answers(topics=("cocaine",)).personal())
    assert cache.answers(request, vault, NOW).topics == "Cocaine"
    assert vault.opened == 2


def test_erased_answers_show_as_not_given_without_opening_anything():
    vault, cache = CountingVault([new_key()]), RowAnswersCache()
    erased = CallbackRequest(personal_data=None)
    assert cache.answers(erased, vault, NOW) == RowAnswers()
    assert vault.opened == 0 and len(cache) == 0


def test_kept_answers_are_dropped_once_older_than_their_age_not_just_ignored():
    vault, cache = CountingVault([new_key()]), RowAnswersCache(max_age=timedelta(seconds=60))
    first, second = sealed_request(vault), sealed_request(vault)
    cache.answers(first, vault, NOW)
    cache.answers(second, vault, NOW + timedelta(seconds=61))
    assert len(cache) == 1, "the first request's answers are gone from memory"
    cache.answers(second, vault, NOW + timedelta(seconds=125))
    assert vault.opened == 3, "an answer older than its age is opened again"


def test_the_cache_never_holds_more_than_its_size():
    vault, cache = CountingVault([new_key()]), RowAnswersCache(size=2)
    for _ in range(5):
        cache.answers(sealed_request(vault), vault, NOW)
        assert len(cache) <= 2
