"""What a queue row shows of a request's sealed answers, and how long a worker keeps it."""

from dataclasses import replace
from datetime import timedelta

import time_machine

from intake.caching import Kept
from intake.domain.crypto import Vault, new_key
from intake.models import CallbackRequest
from intake.staff.presenters import ROW_ANSWERS, RowAnswers, row_answers, shown_answers
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


def kept(size: int = ROW_ANSWERS.size) -> Kept:
    """A store as the dashboard declares it, but for its size."""
    if size == ROW_ANSWERS.size:
        return Kept(ROW_ANSWERS)
    return Kept(replace(ROW_ANSWERS, name=f"test.row_answers_{size}", size=size))


def test_a_rows_answers_are_opened_once_while_they_are_kept():
    vault, store = CountingVault([new_key()]), kept()
    request = sealed_request(vault, topics=("alcohol",))
    with time_machine.travel(NOW, tick=False) as clock:
        first = shown_answers(request, vault, store)
        clock.shift(timedelta(seconds=59))
        again = shown_answers(request, vault, store)
    assert again == first and first.topics == "Alcohol"
    assert vault.opened == 1


def test_answers_that_change_are_read_afresh_not_from_what_was_kept():
    vault, store = CountingVault([new_key()]), kept()
    request = sealed_request(vault, topics=("alcohol",))
    shown_answers(request, vault, store)
    request.personal_data = vault.seal(make_answers(topics=("cocaine",)).personal())
    assert shown_answers(request, vault, store).topics == "Cocaine"
    assert vault.opened == 2


def test_erased_answers_show_as_not_given_without_opening_anything():
    vault, store = CountingVault([new_key()]), kept()
    erased = CallbackRequest(personal_data=None)
    assert shown_answers(erased, vault, store) == RowAnswers()
    assert vault.opened == 0 and len(store) == 0


def test_kept_answers_are_dropped_once_older_than_a_minute_not_just_ignored():
    vault, store = CountingVault([new_key()]), kept()
    first, second = sealed_request(vault), sealed_request(vault)
    with time_machine.travel(NOW, tick=False) as clock:
        shown_answers(first, vault, store)
        clock.shift(timedelta(seconds=61))
        shown_answers(second, vault, store)
        assert len(store) == 1, "the first request's answers are gone from memory"
        clock.shift(timedelta(seconds=64))
        shown_answers(second, vault, store)
    assert vault.opened == 3, "an answer older than its age is opened again"


def test_the_store_never_holds_more_than_its_size():
    vault, store = CountingVault([new_key()]), kept(size=2)
    for _ in range(5):
        shown_answers(sealed_request(vault), vault, store)
        assert len(store) <= 2
