"""The callback domain, called directly: stored once, due on time, withdrawn once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intake.domain import states
from intake.domain.callbacks import (
    call_times,
    show_confirmation,
    submit_callback,
    withdraw_callback,
)
from intake.domain.status import change_status
from intake.extensions import db
from intake.models import CallbackRequest
from tests.factories import POLICY, make_answers, utc

NOW = utc(2026, 11, 25, 14, 0)


def count_requests(session) -> int:
    return session.scalar(select(func.count()).select_from(CallbackRequest))


def withdraw_secret(session, vault, receipt) -> str:
    """The secret behind the withdraw button, as the confirmation page shows it."""
    return show_confirmation(session, vault, receipt.token).withdraw_secret


def test_a_request_is_stored_new_with_its_due_time_and_sealed_answers(db_session, vault):
    receipt = submit_callback(db_session, vault, make_answers(), "token-1", POLICY, now=NOW)
    stored = db_session.get(CallbackRequest, receipt.request_id)
    assert stored.status == states.NEW
    assert stored.reference == receipt.reference
    assert stored.created_at == NOW
    assert stored.due_at == NOW + timedelta(minutes=15)
    assert stored.urgent is False
    assert vault.open(stored.personal_data)["name"] == "Sam"
    assert stored.phone_hash == vault.phone_hash("+447400123456")


def test_someone_in_danger_makes_the_request_urgent(db_session, vault):
    receipt = submit_callback(
        db_session, vault, make_answers(in_danger=True), "token-1", POLICY, now=NOW
    )
    assert db_session.get(CallbackRequest, receipt.request_id).urgent is True


def test_a_request_for_someone_in_danger_is_never_booked_for_later(db_session, vault):
    answers = make_answers(in_danger=True, when="later", day=date(2026, 12, 1), window="20-22")
    target = NOW + timedelta(minutes=15)
    assert call_times(answers, NOW, POLICY) == (NOW, target, target)
    receipt = submit_callback(db_session, vault, answers, "token-1", POLICY, now=NOW)
    stored = db_session.get(CallbackRequest, receipt.request_id)
    assert (stored.urgent, stored.callable_from, stored.due_at) == (True, NOW, target)
    sealed = vault.open(stored.personal_data)
    assert (sealed["when"], sealed["day"], sealed["window"]) == ("asap", None, None)
    assert show_confirmation(db_session, vault, receipt.token).chosen_time_set_aside


def test_a_time_chosen_without_danger_is_kept_as_chosen():
    answers = make_answers(when="later", day=date(2026, 12, 1), window="20-22")
    assert answers.as_queued() is answers


def test_an_asap_request_may_be_called_at_once_and_is_due_within_the_target():
    target = NOW + timedelta(minutes=15)
    assert call_times(make_answers(), NOW, POLICY) == (NOW, target, target)


def test_a_chosen_window_is_due_at_its_start_and_overdue_only_after_its_end():
    answers = make_answers(when="later", day=date(2026, 11, 27), window="18-20")
    start, end = utc(2026, 11, 27, 18, 0), utc(2026, 11, 27, 20, 0)
    assert call_times(answers, NOW, POLICY) == (start, start, end)
    summer = make_answers(when="later", day=date(2026, 7, 1), window="18-20")
    assert call_times(summer, utc(2026, 6, 30, 9, 0), POLICY)[0] == utc(2026, 7, 1, 17, 0)


def test_a_window_already_under_way_is_due_now():
    answers = make_answers(when="later", day=date(2026, 11, 25), window="14-16")
    now = utc(2026, 11, 25, 14, 30)
    assert call_times(answers, now, POLICY) == (now, now, utc(2026, 11, 25, 16, 0))


def test_the_same_submission_token_never_stores_a_second_request(db_session, vault):
    first = submit_callback(db_session, vault, make_answers(), "same", POLICY, now=NOW)
    again = submit_callback(db_session, vault, make_answers(), "same", POLICY, now=NOW)
    assert again.request_id == first.request_id
    assert again.repeated and not first.repeated
    assert count_requests(db_session) == 1


def test_a_repeat_hands_out_a_new_receipt_and_spends_the_old(db_session, vault):
    first = submit_callback(db_session, vault, make_answers(), "same", POLICY, now=NOW)
    again = submit_callback(db_session, vault, make_answers(), "same", POLICY, now=NOW)
    assert again.token != first.token
    assert show_confirmation(db_session, vault, first.token) is None
    secret = withdraw_secret(db_session, vault, again)
    assert withdraw_callback(db_session, secret) == first.reference


def test_a_repeat_after_the_confirmation_was_shown_hands_out_no_receipt(db_session, vault):
    first = submit_callback(db_session, vault, make_answers(), "same", POLICY, now=NOW)
    assert show_confirmation(db_session, vault, first.token).reference == first.reference
    again = submit_callback(db_session, vault, make_answers(), "same", POLICY, now=NOW)
    assert again.repeated and again.reference == first.reference
    assert again.token is None
    assert db_session.get(CallbackRequest, first.request_id).receipt_digest is None


def test_the_confirmation_is_shown_once_per_receipt(db_session, vault):
    receipt = submit_callback(db_session, vault, make_answers(), "token", POLICY, now=NOW)
    assert show_confirmation(db_session, vault, receipt.token).reference == receipt.reference
    assert show_confirmation(db_session, vault, receipt.token) is None
    assert db_session.get(CallbackRequest, receipt.request_id).receipt_digest is None


def test_only_a_digest_of_the_receipt_is_stored(db_session, vault):
    receipt = submit_callback(db_session, vault, make_answers(), "token", POLICY, now=NOW)
    stored = db_session.get(CallbackRequest, receipt.request_id)
    assert stored.receipt_digest and receipt.token not in stored.receipt_digest
    assert stored.withdraw_digest is None, "no withdrawal secret exists until it is shown"


def test_two_looks_at_one_receipt_at_once_show_it_once(app):
    """A copied session cookie replayed at the same moment as the visitor's own look."""
    with app.app_context():
        vault = app.extensions["intake"].service.vault
        receipt = submit_callback(db.session, vault, make_answers(), "racing", POLICY)

    def look(_):
        with app.app_context():
            return show_confirmation(db.session, vault, receipt.token)

    with ThreadPoolExecutor(max_workers=6) as pool:
        shown = [details for details in pool.map(look, range(6)) if details is not None]
    assert len(shown) == 1


def test_simultaneous_resubmissions_store_one_request(app):
    """Eight threads send the same form at once, as a frantic double-click might."""

    def send(_):
        with app.app_context():
            vault = app.extensions["intake"].service.vault
            return submit_callback(db.session, vault, make_answers(), "racing", POLICY).request_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(send, range(8)))
    with app.app_context():
        assert count_requests(db.session) == 1
    assert len(ids) == 1


def test_a_taken_reference_is_replaced_by_a_fresh_one(db_session, vault, monkeypatch):
    references = iter(["AAAA-AAAA", "AAAA-AAAA", "BBBB-BBBB"])
    monkeypatch.setattr("intake.domain.callbacks.new_reference", lambda: next(references))
    first = submit_callback(db_session, vault, make_answers(), "one", POLICY, now=NOW)
    second = submit_callback(db_session, vault, make_answers(), "two", POLICY, now=NOW)
    assert (first.reference, second.reference) == ("AAAA-AAAA", "BBBB-BBBB")
    assert count_requests(db_session) == 2


def test_the_confirmation_masks_the_phone(db_session, vault):
    receipt = submit_callback(db_session, vault, make_answers(), "token", POLICY, now=NOW)
    details = show_confirmation(db_session, vault, receipt.token)
    assert details.phone_ending == "3456"
    assert details.reference == receipt.reference
    assert details.due_at == NOW + timedelta(minutes=15)


def test_withdrawal_works_once(db_session, vault):
    receipt = submit_callback(db_session, vault, make_answers(), "token", POLICY, now=NOW)
    secret = withdraw_secret(db_session, vault, receipt)
    assert withdraw_callback(db_session, secret, now=NOW) == receipt.reference
    assert withdraw_callback(db_session, secret, now=NOW) is None
    stored = db_session.get(CallbackRequest, receipt.request_id)
    assert stored.status == states.WITHDRAWN
    assert stored.closed_at == NOW
    assert stored.withdraw_digest is None


@pytest.mark.parametrize("closed", [states.COMPLETED, states.SPAM, states.UNREACHABLE])
def test_a_closed_request_cannot_be_withdrawn(db_session, vault, closed):
    receipt = submit_callback(db_session, vault, make_answers(), "token", POLICY, now=NOW)
    secret = withdraw_secret(db_session, vault, receipt)
    stored = db_session.get(CallbackRequest, receipt.request_id)
    change_status(db_session, stored, closed, by=None, now=NOW)
    db_session.commit()
    assert withdraw_callback(db_session, secret) is None
    assert db_session.get(CallbackRequest, receipt.request_id).status == closed


def test_an_unknown_withdrawal_secret_changes_nothing(db_session, vault):
    submit_callback(db_session, vault, make_answers(), "token", POLICY, now=NOW)
    assert withdraw_callback(db_session, "made-up") is None
    assert db_session.scalar(select(CallbackRequest.status)) == states.NEW
