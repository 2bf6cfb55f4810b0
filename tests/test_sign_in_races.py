"""Guesses sent at the same moment, to the real app under gunicorn with several workers,
on the test's own database (SQLite, and PostgreSQL when INTAKE_TEST_DATABASE_URL is set).

Every request waits at a barrier with its CSRF token in hand, then all are sent at once.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pyotp
import pytest
from sqlalchemy import select

from intake.domain import audit
from intake.domain.staff_accounts import MAX_FAILED_SIGN_INS
from intake.models import AuditEvent, StaffSession
from tests.browser.live_server import live_server
from tests.conftest import DATA_KEY
from tests.factories import STAFF_PASSWORD, enrol, make_staff
from tests.faults.http_visitor import Answer, HttpVisitor

WORKERS = 4
PATIENCE = 300  # seconds: a busy machine is slow, never a failure
REFUSED = "The email address or password is not right"


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


def test_ten_wrong_passwords_at_once_are_checked_at_most_five_times_and_lock_the_account(
    server, db_session
):
    member = make_staff(db_session)
    wrong = {"email": member.email, "password": "not the password at all"}
    answers = all_at_once(
        "/staff/sign-in", [(HttpVisitor(server.url, timeout=PATIENCE), wrong) for _ in range(10)]
    )

    assert all(answer.status == 200 and REFUSED in answer.body for answer in answers)
    reasons = sorted(event.detail["reason"] for event in audited(db_session, audit.SIGN_IN_FAILED))
    assert reasons == ["locked"] * 5 + ["wrong password"] * MAX_FAILED_SIGN_INS
    assert len(audited(db_session, audit.ACCOUNT_LOCKED)) == 1
    db_session.refresh(member)
    assert member.locked_until is not None
    right = HttpVisitor(server.url, timeout=PATIENCE).post_form(
        "/staff/sign-in", {"email": member.email, "password": STAFF_PASSWORD}
    )
    assert REFUSED in right.body and right.url.endswith("/staff/sign-in")


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
