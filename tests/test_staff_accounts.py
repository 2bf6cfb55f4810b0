"""Staff accounts in the domain: passwords, holding back guessers and the one-time
second factor."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pyotp
import pytest
import time_machine
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.domain import audit, passwords, second_factor, sign_in_guesses, states
from intake.domain import staff_accounts as accounts
from intake.domain.queue import take_next
from intake.models import AuditEvent, SignInThrottle, StaffMember
from tests.factories import STAFF_PASSWORD, enrol, make_staff, submit_request, utc

NOW = utc(2026, 11, 25, 12, 0)
SECOND = timedelta(seconds=1)
HERE = sign_in_guesses.Origin("203.0.113.5")
ELSEWHERE = sign_in_guesses.Origin("198.51.100.7")
AT_HERE = sign_in_guesses.Client.at_address("203.0.113.5")


def check(session, member, password, origin=HERE, now=NOW):
    return accounts.check_password(session, member.email, password, origin, now=now)


def failures(session, member, client=AT_HERE) -> int:
    """The failed guesses counted against the member from this client."""
    query = select(SignInThrottle.failures).where(
        SignInThrottle.staff_id == member.id, SignInThrottle.client_digest == client.digest
    )
    return session.scalar(query) or 0


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 12 characters"),
        ("x" * 257, "256 characters or fewer"),
        ("qwerty123456", "common passwords"),
        ("1q2w3e4r5t6y", "common passwords"),
        ("aaaaaaaaaaaa", "easy to guess"),
        ("alexalexalex", "easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, problem):
    assert problem in passwords.password_problem(password, name="Alex")


def test_a_passphrase_is_accepted():
    assert passwords.password_problem("correct horse battery staple") is None


def test_a_password_is_stored_only_as_an_argon2id_hash(db_session):
    member = make_staff(db_session)
    assert member.password_hash.startswith("$argon2id$")
    assert STAFF_PASSWORD not in member.password_hash
    assert PasswordHasher().verify(member.password_hash, STAFF_PASSWORD)


def test_passwords_hashed_at_cheaper_costs_are_hashed_again_at_the_recommended_ones(db_session):
    member = make_staff(db_session)  # the tests' app hashes at the cheapest costs
    assert "$m=8,t=1,p=1$" in member.password_hash
    passwords.use_password_costs("recommended")
    try:
        assert check(db_session, member, STAFF_PASSWORD) == member
        rehashed = make_staff(db_session, email="kim@intake.example").password_hash
    finally:
        passwords.use_password_costs("cheapest")
    # RFC 9106's recommendation for memory-constrained servers: 64 MiB, 3 passes, 4 lanes.
    assert "$m=65536,t=3,p=4$" in member.password_hash
    assert "$m=65536,t=3,p=4$" in rehashed
    assert PasswordHasher().verify(member.password_hash, STAFF_PASSWORD)


def test_an_email_is_used_once_whatever_its_case(db_session):
    make_staff(db_session, email="Kim@Intake.example")
    with pytest.raises(accounts.AccountError, match="already an account"):
        make_staff(db_session, email="kim@intake.example")


def test_an_unknown_role_is_refused(db_session):
    with pytest.raises(accounts.AccountError, match="Role"):
        make_staff(db_session, role="admin")


def test_the_right_password_finds_the_member(db_session):
    member = make_staff(db_session)
    found = accounts.check_password(db_session, member.email.upper(), STAFF_PASSWORD, HERE)
    assert found == member


def test_five_wrong_passwords_hold_back_that_address_for_a_minute_and_no_other(db_session):
    member = make_staff(db_session)
    for _ in range(sign_in_guesses.MAX_FAILED_SIGN_INS):
        assert check(db_session, member, "wrong") is None
    assert check(db_session, member, STAFF_PASSWORD) is None
    assert check(db_session, member, STAFF_PASSWORD, origin=ELSEWHERE) == member
    almost = NOW + timedelta(seconds=59)
    assert check(db_session, member, STAFF_PASSWORD, now=almost) is None
    later = NOW + timedelta(minutes=1)
    assert check(db_session, member, STAFF_PASSWORD, now=later) == member


def test_each_further_failure_doubles_the_hold_up_to_fifteen_minutes(db_session):
    member = make_staff(db_session)
    for _ in range(sign_in_guesses.MAX_FAILED_SIGN_INS - 1):
        check(db_session, member, "wrong")
    holds, now = [], NOW
    for _ in range(6):
        check(db_session, member, "wrong", now=now)
        (throttle,) = db_session.scalars(select(SignInThrottle))
        db_session.refresh(throttle)
        holds.append(throttle.held_until - now)
        assert check(db_session, member, STAFF_PASSWORD, now=throttle.held_until - SECOND) is None
        now = throttle.held_until
    assert [hold // timedelta(minutes=1) for hold in holds] == [1, 2, 4, 8, 15, 15]
    assert check(db_session, member, STAFF_PASSWORD, now=now) == member


def test_a_disabled_account_cannot_sign_in(db_session):
    member = make_staff(db_session)
    accounts.disable(db_session, member)
    assert check(db_session, member, STAFF_PASSWORD) is None


def test_the_totp_secret_is_stored_encrypted(db_session, vault):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    assert secret.encode() not in member.totp_secret
    assert vault.open(member.totp_secret)["totp"] == secret


def test_a_code_is_accepted_once(db_session, vault):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    code = pyotp.TOTP(secret).at(NOW)
    assert second_factor.check_code(db_session, vault, member, code, AT_HERE, now=NOW)
    assert not second_factor.check_code(db_session, vault, member, code, AT_HERE, now=NOW)


def test_a_code_from_the_previous_step_is_still_accepted(db_session, vault):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    code = pyotp.TOTP(secret).at(NOW - timedelta(seconds=30))
    assert second_factor.check_code(db_session, vault, member, code, AT_HERE, now=NOW)


def test_an_old_or_malformed_code_is_refused_and_counted(db_session, vault):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    old = pyotp.TOTP(secret).at(NOW - timedelta(minutes=5))
    for code in (old, "12345", "abcdef", ""):
        assert not second_factor.check_code(db_session, vault, member, code, AT_HERE, now=NOW)
    assert failures(db_session, member) == 4


def test_enrolment_keeps_the_same_secret_until_it_is_proven(db_session, vault):
    member = make_staff(db_session)
    first = second_factor.start_enrolment(db_session, vault, member, "Intake")
    again = second_factor.start_enrolment(db_session, vault, member, "Intake")
    assert first.secret == again.secret
    assert first.uri.startswith("otpauth://totp/Intake")


def test_disabling_ends_sessions_and_returns_held_requests(db_session, vault):
    member = make_staff(db_session)
    request = submit_request(db_session, vault)
    with time_machine.travel(request.created_at, tick=False):
        take_next(db_session, member)
    version = member.session_version
    boss = make_staff(db_session, role="supervisor", email="sam@example.org", name="Sam")
    accounts.disable(db_session, member, by=boss.id)
    db_session.refresh(request)
    assert request.status == states.NEW
    assert request.held_by_id is None
    assert member.session_version == version + 1
    released = released_lines(db_session, request)
    assert [(line.staff_id, line.detail["because"]) for line in released] == [(boss.id, "disabled")]


def released_lines(db_session, request) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.request_id == request.id, AuditEvent.action == audit.REQUEST_RELEASED
    )
    return list(db_session.scalars(query))


def test_signing_out_returns_what_the_member_held_to_the_queue_audited(db_session, vault):
    member = make_staff(db_session)
    requests = [submit_request(db_session, vault) for _ in range(2)]
    with time_machine.travel(requests[-1].created_at, tick=False):
        for _ in requests:
            take_next(db_session, member)
    assert accounts.sign_out(db_session, member) == 2
    for request in requests:
        db_session.refresh(request)
        assert (request.status, request.held_by_id) == (states.NEW, None)
        (line,) = released_lines(db_session, request)
        assert (line.staff_id, line.detail) == (
            member.id,
            {"from": "in_progress", "to": "new", "because": "signed_out"},
        )


def test_resetting_the_second_factor_means_enrolling_again(db_session, vault):
    member = make_staff(db_session)
    enrol(db_session, vault, member)
    accounts.reset_second_factor(db_session, member)
    assert member.totp_secret is None and member.totp_enrolled_at is None


def test_a_supervisor_lifts_every_hold_on_a_member_before_it_runs_out(db_session):
    member = make_staff(db_session)
    for origin in (HERE, ELSEWHERE):
        for _ in range(sign_in_guesses.MAX_FAILED_SIGN_INS):
            check(db_session, member, "wrong", origin=origin)
    held = sign_in_guesses.held_back(db_session, NOW)[member.id]
    assert (held.places, held.until) == ("2 addresses", NOW + sign_in_guesses.FIRST_HOLD)
    boss = make_staff(db_session, role="supervisor", name="Sam")
    accounts.unlock(db_session, member, by=boss.id, now=NOW)
    assert sign_in_guesses.held_back(db_session, NOW) == {}
    for origin in (HERE, ELSEWHERE):
        assert check(db_session, member, STAFF_PASSWORD, origin=origin) == member
    assert audit.ACCOUNT_UNLOCKED in [event.action for event in audited_by(db_session, boss)]
    with pytest.raises(accounts.AccountError, match="not held back"):
        accounts.unlock(db_session, member, by=boss.id, now=NOW)


def audited_by(session, member) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.staff_id == member.id)))


def test_a_disabled_member_is_enabled_again_and_can_sign_in(db_session):
    member = make_staff(db_session)
    accounts.disable(db_session, member)
    accounts.enable(db_session, member)
    assert check(db_session, member, STAFF_PASSWORD) == member
    with pytest.raises(accounts.AccountError, match="already active"):
        accounts.enable(db_session, member)


def audited(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_each_check_claims_a_guess_first_and_a_sixth_claim_is_refused(db_session):
    member = make_staff(db_session)
    claims = [sign_in_guesses.claim_guess(db_session, member, AT_HERE, NOW) for _ in range(6)]
    assert [claim and claim.number for claim in claims] == [1, 2, 3, 4, 5, None]
    assert failures(db_session, member) == sign_in_guesses.MAX_FAILED_SIGN_INS


def test_a_right_password_gives_its_guess_back(db_session):
    member = make_staff(db_session)
    for _ in range(2):
        check(db_session, member, "wrong")
    assert check(db_session, member, STAFF_PASSWORD) == member
    assert failures(db_session, member) == 2


def test_a_right_password_at_the_limit_lifts_the_hold_its_guess_started(db_session):
    member = make_staff(db_session)
    for _ in range(sign_in_guesses.MAX_FAILED_SIGN_INS - 1):
        check(db_session, member, "wrong")
    assert check(db_session, member, STAFF_PASSWORD) == member
    assert check(db_session, member, STAFF_PASSWORD) == member, "not held back"
    assert audited(db_session, audit.ACCOUNT_LOCKED) == []


def test_guesses_claimed_together_are_checked_at_most_five_times_and_hold_back_once(db_session):
    member = make_staff(db_session)
    in_flight = [sign_in_guesses.claim_guess(db_session, member, AT_HERE, NOW) for _ in range(10)]
    claimed = [guess for guess in in_flight if guess is not None]
    assert len(claimed) == sign_in_guesses.MAX_FAILED_SIGN_INS
    for guess in claimed:
        reason = "wrong password"
        sign_in_guesses.register_failure(
            db_session, member, guess, audit.SIGN_IN_FAILED, reason, NOW
        )
    (locked,) = audited(db_session, audit.ACCOUNT_LOCKED)
    assert locked.detail == {"client": "address", "minutes": 1}
    assert check(db_session, member, STAFF_PASSWORD) is None
    assert check(db_session, member, STAFF_PASSWORD, origin=ELSEWHERE) == member


def test_after_a_hold_one_more_guess_is_checked_before_the_next_hold(db_session):
    member = make_staff(db_session)
    for _ in range(sign_in_guesses.MAX_FAILED_SIGN_INS):
        check(db_session, member, "wrong")
    later = NOW + sign_in_guesses.FIRST_HOLD
    claims = [sign_in_guesses.claim_guess(db_session, member, AT_HERE, later) for _ in range(3)]
    assert [claim and claim.number for claim in claims] == [6, None, None]


def test_guesses_that_never_finished_hold_their_client_back_no_longer_than_wrong_ones(
    db_session,
):
    member = make_staff(db_session)
    for _ in range(sign_in_guesses.MAX_FAILED_SIGN_INS):
        sign_in_guesses.claim_guess(db_session, member, AT_HERE, NOW)
    assert check(db_session, member, STAFF_PASSWORD) is None
    later = NOW + sign_in_guesses.FIRST_HOLD
    assert check(db_session, member, STAFF_PASSWORD, now=later) == member


def test_a_held_back_client_is_refused_even_the_right_code_but_another_is_not(db_session, vault):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    for _ in range(sign_in_guesses.MAX_FAILED_SIGN_INS):
        check(db_session, member, "wrong")
    code = pyotp.TOTP(secret).at(NOW)
    assert not second_factor.check_code(db_session, vault, member, code, AT_HERE, now=NOW)
    assert member.totp_last_step is None
    device = sign_in_guesses.Client.on_device("the member's own browser")
    assert second_factor.check_code(db_session, vault, member, code, device, now=NOW)


def test_wrong_codes_hold_back_their_client_like_wrong_passwords(db_session, vault):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    for _ in range(sign_in_guesses.MAX_FAILED_SIGN_INS):
        assert not second_factor.check_code(db_session, vault, member, "000000", AT_HERE, now=NOW)
    code = pyotp.TOTP(secret).at(NOW)
    assert not second_factor.check_code(db_session, vault, member, code, AT_HERE, now=NOW)
    assert check(db_session, member, STAFF_PASSWORD) is None
    assert check(db_session, member, STAFF_PASSWORD, origin=ELSEWHERE) == member


def test_a_device_cookie_makes_its_browser_a_client_of_its_own_for_its_member_only(db_session):
    member = make_staff(db_session)
    colleague = make_staff(db_session, name="Kim")
    on_device = sign_in_guesses.Origin(HERE.address, {member.id: "nonce"})
    assert on_device.client_for(member) == sign_in_guesses.Client.on_device("nonce")
    assert on_device.client_for(colleague) == AT_HERE
    assert AT_HERE.digest != sign_in_guesses.Client.on_device("nonce").digest
    assert "203.0.113.5" not in AT_HERE.digest


def test_old_counts_are_forgotten_a_day_after_their_last_guess(db_session):
    member = make_staff(db_session)
    check(db_session, member, "wrong", origin=HERE, now=NOW)
    check(db_session, member, "wrong", origin=ELSEWHERE, now=NOW + timedelta(hours=2))
    sign_in_guesses.forget_old_throttles(
        db_session, NOW + sign_in_guesses.THROTTLES_KEPT_FOR + SECOND
    )
    db_session.commit()
    assert failures(db_session, member) == 0
    assert failures(db_session, member, sign_in_guesses.Client.at_address(ELSEWHERE.address)) == 1


def test_two_sessions_matching_the_same_code_at_once_sign_in_only_one(
    db_session, vault, monkeypatch
):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    code = pyotp.TOTP(secret).at(NOW)
    both_matched = threading.Barrier(2)
    matching_step = second_factor._matching_step

    def match_then_wait_for_the_other(*args):
        step = matching_step(*args)
        both_matched.wait(timeout=60)
        return step

    monkeypatch.setattr(second_factor, "_matching_step", match_then_wait_for_the_other)

    def send_the_code(_) -> bool:
        with Session(db_session.get_bind()) as session:
            staff = session.get(StaffMember, member.id)
            return second_factor.check_code(session, vault, staff, code, AT_HERE, now=NOW)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(send_the_code, range(2)))
    assert sorted(results) == [False, True]
    failures = audited(db_session, audit.SECOND_FACTOR_FAILED)
    assert [event.detail["reason"] for event in failures] == ["code used already"]


# Where each script's zero is: str.isdigit() is true for all of these digits.
OTHER_ZEROS = {"arabic-indic": 0x0660, "persian": 0x06F0, "devanagari": 0x0966, "fullwidth": 0xFF10}


def in_other_digits(code: str, zero: int) -> str:
    return "".join(chr(zero + int(digit)) for digit in code)


@pytest.mark.parametrize("zero", OTHER_ZEROS.values(), ids=OTHER_ZEROS.keys())
def test_the_right_code_in_other_digits_is_refused_and_counted(db_session, vault, zero):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    right = pyotp.TOTP(secret).at(NOW)
    lookalike = in_other_digits(right, zero)
    assert not second_factor.check_code(db_session, vault, member, lookalike, AT_HERE, now=NOW)
    assert failures(db_session, member) == 1
    assert second_factor.check_code(db_session, vault, member, right, AT_HERE, now=NOW)


def test_signing_in_clears_the_failed_guesses_of_its_client_only(db_session, vault):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    check(db_session, member, "wrong", origin=ELSEWHERE)
    check(db_session, member, "wrong")
    code = pyotp.TOTP(secret).at(NOW)
    second_factor.check_code(db_session, vault, member, code, AT_HERE, now=NOW)
    accounts.complete_sign_in(db_session, member, now=NOW, client=AT_HERE)
    assert failures(db_session, member) == 0
    assert failures(db_session, member, sign_in_guesses.Client.at_address(ELSEWHERE.address)) == 1
