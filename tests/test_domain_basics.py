"""References, phone numbers, encryption, the state machine and callback times."""

import base64
import itertools
from datetime import date, timedelta

import pytest

from intake.domain import states
from intake.domain.callback_times import (
    WINDOWS,
    WINDOWS_BY_CODE,
    bookable_days,
    is_bookable,
    open_windows,
    window_bounds,
)
from intake.domain.crypto import UnreadableData, Vault, new_key
from intake.domain.phones import InvalidPhone, display_phone, parse_phone, phone_ending
from intake.domain.references import ALPHABET, PATTERN, new_reference, normalise_reference
from tests.factories import LONDON, utc


def test_references_use_only_unambiguous_characters():
    for _ in range(500):
        reference = new_reference()
        assert PATTERN.match(reference)
        assert not set(reference.replace("-", "")) & set("01ILOU")


def test_references_do_not_repeat():
    assert len({new_reference() for _ in range(5000)}) == 5000


def test_alphabet_has_no_lookalikes():
    misread = {"0", "O", "1", "I", "L", "U"}  # 0/O, 1/I/L, and U heard as "you"
    assert misread.isdisjoint(ALPHABET)
    assert len(ALPHABET) == len(set(ALPHABET)) == 30
    assert all(new_reference().replace("-", "").isalnum() for _ in range(100))
    assert not misread & set("".join(new_reference() for _ in range(2000)))


@pytest.mark.parametrize("typed", ["k7qm-4z2p", "K7QM4Z2P", " k7qm 4z2p ", "K7QM-4Z2P"])
def test_a_reference_is_read_however_it_is_typed(typed):
    assert normalise_reference(typed) == "K7QM-4Z2P"


@pytest.mark.parametrize("typed", ["K7QM-4Z2", "K7QM-4Z2PP", "O7QM-4Z2P", "", "K7QM_4Z2P"])
def test_a_malformed_reference_is_refused(typed):
    assert normalise_reference(typed) is None


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("07400 123 456", "+447400123456"),
        ("07400123456", "+447400123456"),
        ("+44 7400 123456", "+447400123456"),
        ("0044 7400 123456", "+447400123456"),
        ("(020) 7946 0018", "+442079460018"),
        ("020-7946-0018", "+442079460018"),
        ("+1 415 555 2671", "+14155552671"),
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_phone_numbers_are_read_in_common_formats_and_stored_in_e164(typed, e164):
    assert parse_phone(typed, "GB") == e164


@pytest.mark.parametrize(
    "typed", ["", "12", "07700", "not a number", "0770090048299999", "+999 1234", "0" * 50]
)
def test_impossible_phone_numbers_are_refused(typed):
    with pytest.raises(InvalidPhone):
        parse_phone(typed, "GB")


def test_national_numbers_follow_the_configured_country():
    assert parse_phone("(415) 555-2671", "US") == "+14155552671"


def test_a_phone_is_shown_by_its_last_four_digits():
    assert phone_ending("+447400123456") == "3456"


def test_numbers_are_displayed_nationally_at_home_and_internationally_abroad():
    assert display_phone("+448081570192", "GB") == "0808 157 0192"
    assert display_phone("+14155552671", "GB") == "+1 415-555-2671"


def test_sealed_data_opens_to_what_went_in():
    vault = Vault([new_key()])
    data = {"name": "Zoë 李", "topics": ["alcohol"], "voicemail_ok": None}
    token = vault.seal(data)
    raw = base64.urlsafe_b64decode(token)
    assert "Zoë 李".encode() not in raw and b"alcohol" not in raw, "the bytes are ciphertext"
    assert vault.open(token) == data


def test_data_sealed_under_an_old_key_still_opens_after_a_new_key_is_added():
    old, new = new_key(), new_key()
    token = Vault([old]).seal({"name": "Sam"})
    assert Vault([new, old]).open(token) == {"name": "Sam"}


def test_data_cannot_be_opened_without_its_key():
    token = Vault([new_key()]).seal({"name": "Sam"})
    with pytest.raises(UnreadableData):
        Vault([new_key()]).open(token)


def test_phone_hashes_are_keyed_and_stable():
    key = new_key()
    assert Vault([key]).phone_hash("+447400123456") == Vault([key]).phone_hash("+447400123456")
    assert Vault([key]).phone_hash("+447400123456") != Vault([new_key()]).phone_hash(
        "+447400123456"
    )


def test_email_hashes_ignore_case_and_never_match_a_phone_hash():
    vault = Vault([new_key()])
    assert vault.email_hash("Priya@Example.org ") == vault.email_hash("priya@example.org")
    assert vault.email_hash("+447400123456") != vault.phone_hash("+447400123456")


def test_a_phone_search_covers_every_key_in_the_ring():
    old, new = new_key(), new_key()
    stored = Vault([old]).phone_hash("+447400123456")
    assert stored in Vault([new, old]).phone_hashes("+447400123456")


@pytest.mark.parametrize(("current", "targets"), states.TRANSITIONS.items())
def test_every_status_change_follows_the_table(current, targets):
    for target in states.STATUSES:
        if target in targets:
            states.check_transition(current, target)
        else:
            with pytest.raises(states.TransitionRefused, match=f"{current} cannot become"):
                states.check_transition(current, target)


def test_only_new_and_in_progress_requests_are_open():
    assert {states.NEW, states.IN_PROGRESS} == states.OPEN_STATUSES


def test_open_and_restricted_requests_can_be_withdrawn():
    withdrawable = states.statuses_that_may_become(states.WITHDRAWN)
    assert withdrawable == states.OPEN_STATUSES | {states.RESTRICTED}


def test_only_open_requests_can_be_restricted_and_a_restriction_is_never_reopened():
    assert states.statuses_that_may_become(states.RESTRICTED) == states.OPEN_STATUSES
    assert states.RESTRICTED not in states.REOPENABLE


def test_windows_cover_the_day_from_8am_to_midnight_without_gaps():
    assert WINDOWS[0].label == "8am to 10am"
    assert WINDOWS[-1].label == "10pm to midnight"
    for earlier, later in itertools.pairwise(WINDOWS):
        assert earlier.end == later.start


def test_the_last_window_ends_at_midnight_the_next_day():
    start, end = window_bounds(date(2026, 11, 25), WINDOWS_BY_CODE["22-00"], LONDON)
    assert end - start == timedelta(hours=2)


def test_windows_keep_local_time_across_the_clock_change():
    start, _ = window_bounds(date(2026, 3, 29), WINDOWS_BY_CODE["10-12"], LONDON)
    assert start.astimezone(LONDON).hour == 10
    assert start.utcoffset() == timedelta(hours=1)


def test_bookable_days_are_the_next_seven_with_time_left():
    morning = utc(2026, 11, 25, 9, 0)
    days = bookable_days(morning, LONDON)
    assert days[0] == date(2026, 11, 25)
    assert len(days) == 7
    late_evening = utc(2026, 11, 25, 23, 30)
    assert bookable_days(late_evening, LONDON)[0] == date(2026, 11, 25)
    assert open_windows(date(2026, 11, 25), late_evening, LONDON) == [WINDOWS_BY_CODE["22-00"]]
    after_midnight = utc(2026, 11, 26, 0, 5)
    assert bookable_days(after_midnight, LONDON)[0] == date(2026, 11, 26)


def test_a_window_that_has_ended_cannot_be_booked():
    now = utc(2026, 11, 25, 13, 0)
    today = date(2026, 11, 25)
    assert not is_bookable(today, WINDOWS_BY_CODE["08-10"], now, LONDON)
    assert is_bookable(today, WINDOWS_BY_CODE["12-14"], now, LONDON)
    assert not is_bookable(today + timedelta(days=7), WINDOWS_BY_CODE["12-14"], now, LONDON)
