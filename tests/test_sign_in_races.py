"""Guesses and password changes sent at the same moment, to the real app under gunicorn
with several workers, on the test's own database (SQLite, and PostgreSQL when
INTAKE_TEST_DATABASE_URL is set).

Every request waits at a barrier with its CSRF token in hand, then all are sent at once.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.domain import audit, second_factor, sign_in_guesses, staff_sessions
from intake.domain import staff_accounts as accounts
from intake.domain.clock import utc_now
from intake.domain.sign_in_guesses import MAX_FAILED_SIGN_INS
from intake.models import AuditEvent, SignInThrottle, StaffMember, StaffSession
from tests.browser.live_server import live_server
from tests.conftest import DATA_KEY
from tests.factories import STAFF_PASSWORD, enrol, make_staff
from tests.faults.http_visitor import Answer, HttpVisitor

WORKERS = 4
PATIENCE = 300  # seconds: a busy machine is slow, never a failure
REFUSED = "The email address or password is not right"
NEW_PASSWORDS = (
    "purple tractor singing under moonlight",
    "seven lanterns drifting past the harbour",
)
CHANGED_MEANWHILE = "Your password was changed in another window a moment ago"


def server_database_url(app_config: dict) -> str:
    """The test's own database, as the server's DATABASE_URL (a PostgreSQL schema is
    chosen by the connection's options)."""
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    options = app_config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {}).get("options")
    return f"{url}?options={quote(options)}" if options else url


@pytest.fixture
def server(app, app_config, tmp_path):
    """The app under gunicorn on the same database as `db_session`, stopped before the
    `app` fixture empties that database."""
    settings = {
        "DATABASE_URL": server_database_url(app_config),
        "INTAKE_DATA_KEYS": DATA_KEY,
        "INTAKE_SIGN_IN_ADDRESS_RATE_LIMIT": "1000 per minute",
    }
    with live_server(tmp_path, workers=WORKERS, **settings) as running:
        yield running


def all_at_once(path: str, senders: list[tuple[HttpVisitor, dict]]) -> list[Answer]:
    """POST each sender's form to `path` together, each with its own CSRF token."""
    forms = [
        (visitor, {"csrf_token": visitor.form_token(path), **data}) for visitor, data in senders
    ]
    ready = threading.Barrier(len(forms))

    def send(sender: tuple[HttpVisitor, dict]) -> Answer:
        visitor, form = sender
        ready.wait(timeout=PATIENCE)
        return visitor.post(path, form)

    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        return list(pool.map(send, forms))


def audited(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def sign_in(browser: HttpVisitor, member: StaffMember, secret: str, last_step: int = 0) -> int:
    """Both factors, in a browser of the member's own; the code's time step."""
    answer = browser.post_form(
        "/staff/sign-in", {"email": member.email, "password": STAFF_PASSWORD}
    )
    assert answer.url.endswith("/staff/sign-in/code"), answer.body[:300]
    step = max(int(time.time()) // second_factor.TOTP_STEP_SECONDS, last_step + 1)
    code = {"code": pyotp.TOTP(secret).generate_otp(step)}
    assert browser.post_form("/staff/sign-in/code", code).url.endswith("/staff/")
    return step


def test_ten_wrong_passwords_at_once_are_checked_at_most_five_times_and_hold_back_only_their_client(
    server, db_session, vault
):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    desk = HttpVisitor(server.url, timeout=PATIENCE)
    step = sign_in(desk, member, secret)
    desk.post_form("/staff/sign-out", {}, form_path="/staff/")
    wrong = {"email": member.email, "password": "not the password at all"}
    answers = all_at_once(
        "/staff/sign-in", [(HttpVisitor(server.url, timeout=PATIENCE), wrong) for _ in range(10)]
    )

    assert all(answer.status == 200 and REFUSED in answer.body for answer in answers)
    reasons = sorted(event.detail["reason"] for event in audited(db_session, audit.SIGN_IN_FAILED))
    assert reasons == ["held back"] * 5 + ["wrong password"] * MAX_FAILED_SIGN_INS
    assert len(audited(db_session, audit.ACCOUNT_LOCKED)) == 1
    (throttle,) = db_session.scalars(select(SignInThrottle))
    assert throttle.failures == MAX_FAILED_SIGN_INS and throttle.held_until > utc_now()
    right = HttpVisitor(server.url, timeout=PATIENCE).post_form(
        "/staff/sign-in", {"email": member.email, "password": STAFF_PASSWORD}
    )
    assert REFUSED in right.body and right.url.endswith("/staff/sign-in")
    sign_in(desk, member, secret, step)  # the member's own device is not held back


def test_one_code_sent_from_eight_sessions_at_once_signs_in_exactly_one(server, db_session, vault):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    sessions = [HttpVisitor(server.url, timeout=PATIENCE) for _ in range(8)]
    for browser in sessions:
        answer = browser.post_form(
            "/staff/sign-in", {"email": member.email, "password": STAFF_PASSWORD}
        )
        assert answer.url.endswith("/staff/sign-in/code"), "each session is at the code step"

    code = {"code": pyotp.TOTP(secret).now()}
    answers = all_at_once("/staff/sign-in/code", [(browser, code) for browser in sessions])

    signed_in = [answer for answer in answers if answer.url.endswith("/staff/")]
    assert len(signed_in) == 1
    assert [browser.get("/staff/").url.endswith("/staff/") for browser in sessions].count(True) == 1
    rows = db_session.scalars(select(StaffSession).where(StaffSession.staff_id == member.id))
    assert len(list(rows)) == 1
    failures = audited(db_session, audit.SECOND_FACTOR_FAILED)
    assert len(failures) == 7, "every other session's code counted as a failed guess"


WRONG_CURRENT = "Your current password is not right"


def test_two_password_changes_at_once_one_wins_and_the_winner_stays_signed_in(
    server, db_session, vault
):
    member = make_staff(db_session)
    secret = enrol(db_session, vault, member)
    windows = [HttpVisitor(server.url, timeout=PATIENCE) for _ in NEW_PASSWORDS]
    step = 0
    for window in windows:
        step = sign_in(window, member, secret, step)
    changes = [
        (window, {"current_password": STAFF_PASSWORD, "new_password": new, "confirm": new})
        for window, new in zip(windows, NEW_PASSWORDS, strict=True)
    ]
    answers = all_at_once("/staff/account/password", changes)

    (winner,) = [n for n, answer in enumerate(answers) if answer.url.endswith("/staff/")]
    loser = 1 - winner
    # How the loser is refused depends on when its request arrived: during the winner's
    # write (changed meanwhile), after the winner's session change reached its guard
    # (signed out), or after the write but before that (the current password it gave
    # is no longer the password). Never a second change.
    refused, signed_out = answers[loser].status == 400, answers[loser].url.endswith("/sign-in")
    told = CHANGED_MEANWHILE in answers[loser].body or WRONG_CURRENT in answers[loser].body
    assert (refused and told) or signed_out
    assert windows[winner].get("/staff/").url.endswith("/staff/"), "the winner stays signed in"
    assert windows[loser].get("/staff/").url.endswith("/staff/sign-in")
    assert len(audited(db_session, audit.PASSWORD_CHANGED)) == 1
    chosen = {"email": member.email, "password": NEW_PASSWORDS[winner]}
    answer = HttpVisitor(server.url, timeout=PATIENCE).post_form("/staff/sign-in", chosen)
    assert answer.url.endswith("/staff/sign-in/code")


def test_two_password_changes_checked_together_are_made_once(db_session, monkeypatch):
    """Both windows have checked the current password before either writes: exactly
    the moment two changes at once used to both get through."""
    member = make_staff(db_session)
    for _ in NEW_PASSWORDS:
        staff_sessions.start(db_session, member, utc_now())
    windows = list(
        db_session.scalars(select(StaffSession.id).where(StaffSession.staff_id == member.id))
    )
    both_checked = threading.Barrier(len(windows))
    check_strength = accounts._check_strength

    def check_then_wait_for_the_other(staff, password):
        check_strength(staff, password)
        both_checked.wait(timeout=PATIENCE)

    monkeypatch.setattr(accounts, "_check_strength", check_then_wait_for_the_other)

    def change(window: int) -> str:
        with Session(db_session.get_bind()) as session:
            staff = session.get(StaffMember, member.id)
            keep = session.get(StaffSession, windows[window])
            try:
                accounts.change_password(
                    session, staff, STAFF_PASSWORD, NEW_PASSWORDS[window], keep=keep
                )
            except accounts.PasswordChangedMeanwhile:
                return "refused"
            return "changed"

    with ThreadPoolExecutor(max_workers=len(windows)) as pool:
        results = list(pool.map(change, range(len(windows))))
    assert sorted(results) == ["changed", "refused"]
    winner = results.index("changed")
    still_open = select(StaffSession.id).where(StaffSession.ended_at.is_(None))
    assert list(db_session.scalars(still_open)) == [windows[winner]]
    here = sign_in_guesses.Origin("203.0.113.5")
    found = accounts.check_password(db_session, member.email, NEW_PASSWORDS[winner], here)
    assert found is not None and found.id == member.id
    assert len(audited(db_session, audit.PASSWORD_CHANGED)) == 1
    (refusal,) = audited(db_session, audit.PASSWORD_CHANGE_FAILED)
    assert refusal.detail == {"reason": "changed in another window"}
