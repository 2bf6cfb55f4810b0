"""Signing in with both factors, lockout, rate limits, idle expiry and signing out."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event

from intake import create_app
from intake.domain import audit
from intake.extensions import db
from intake.models import AuditEvent
from tests.conftest import StaffBrowser, page
from tests.factories import make_staff, submit_request


@pytest.mark.pages_only
def test_a_first_sign_in_sets_up_the_second_factor_with_a_qr_code(app, db_session):
    member = make_staff(db_session)
    browser = StaffBrowser(app.test_client(), member.email, None)
    response = browser.enter_password()
    assert response.headers["Location"].endswith("/staff/sign-in/set-up-code")
    setup = browser.get_page("/staff/sign-in/set-up-code")
    assert setup.select_one(".qr-code svg")
    browser.secret = setup.select_one("[data-totp-secret]").get_text(strip=True)
    assert len(browser.secret) >= 16
    done = browser.enter_code(path="/staff/sign-in/set-up-code")
    assert done.headers["Location"].endswith("/staff/")
    assert browser.get_page("/staff/").h1.get_text() == "Callback queue"
    db_session.refresh(member)
    assert member.totp_enrolled_at is not None


@pytest.mark.pages_only
def test_the_password_alone_does_not_sign_in(make_member):
    _, browser = make_member()
    browser.enter_password()
    response = browser.client.get("/staff/")
    assert response.headers["Location"].endswith("/staff/sign-in")


def test_a_wrong_code_keeps_the_member_out(make_member):
    _, browser = make_member()
    browser.enter_password()
    response = browser.enter_code("000000")
    assert response.status_code == 200
    assert "That code is not right" in page(response).get_text()
    assert browser.client.get("/staff/").status_code == 302


def test_a_code_cannot_be_used_twice(make_member):
    _, browser = make_member()
    browser.sign_in()
    used = pyotp_code_for(browser, browser.last_step)
    browser.post("/staff/sign-out", form_page="/staff/")
    browser.enter_password()
    assert browser.enter_code(used).status_code == 200


def pyotp_code_for(browser: StaffBrowser, step: int) -> str:
    import pyotp

    return pyotp.TOTP(browser.secret).generate_otp(step)


@pytest.mark.pages_only
def test_unknown_email_and_wrong_password_get_the_same_message(make_member, app):
    _, browser = make_member()
    wrong = page(browser.enter_password("not the password at all")).select_one("#email-error")
    stranger = StaffBrowser(app.test_client(), "nobody@intake.example", None)
    unknown = page(stranger.enter_password()).select_one("#email-error")
    assert wrong.get_text() == unknown.get_text()


def test_a_locked_account_is_refused_even_with_the_right_password(make_member, db_session):
    member, browser = make_member()
    for _ in range(5):
        browser.enter_password("not the password at all")
    response = browser.enter_password()
    assert response.status_code == 200
    db_session.refresh(member)
    assert member.locked_until is not None


@pytest.mark.pages_only
def test_sign_in_attempts_are_rate_limited_per_account_at_an_address(app_config):
    app = create_app({**app_config, "INTAKE_SIGN_IN_RATE_LIMIT": "3 per minute"})
    browser = StaffBrowser(app.test_client(), "someone@intake.example", None)
    statuses = [browser.enter_password("guess").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.pages_only
def test_a_whole_shift_signs_in_behind_one_office_address(app_config):
    app = create_app({**app_config, "INTAKE_SIGN_IN_RATE_LIMIT": "3 per minute"})
    client = app.test_client()
    statuses = [
        StaffBrowser(client, f"agent{n}@intake.example", None).enter_password("x").status_code
        for n in range(12)
    ]
    assert statuses == [200] * 12, "each account has its own count"


@pytest.mark.pages_only
def test_one_address_trying_many_accounts_meets_its_own_wider_limit(app_config):
    app = create_app({**app_config, "INTAKE_SIGN_IN_ADDRESS_RATE_LIMIT": "5 per minute"})
    client = app.test_client()
    statuses = [
        StaffBrowser(client, f"agent{n}@intake.example", None).enter_password("x").status_code
        for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_a_session_ends_after_thirty_idle_minutes(make_member, db_session):
    member, browser = make_member()
    with time_machine.travel(0, tick=False) as traveller:
        traveller.move_to("2026-11-25T10:00:00Z")
        browser.sign_in()
        traveller.shift(timedelta(minutes=29))
        assert browser.client.get("/staff/").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = browser.client.get("/staff/")
    assert response.headers["Location"].endswith("/staff/sign-in")
    actions = [event.action for event in db_session.query(AuditEvent).filter_by(staff_id=member.id)]
    assert audit.SESSION_EXPIRED in actions


def test_polling_the_queue_does_not_keep_a_session_alive(make_member):
    _, browser = make_member()
    with time_machine.travel(0, tick=False) as traveller:
        traveller.move_to("2026-11-25T10:00:00Z")
        browser.sign_in()
        for _ in range(7):
            traveller.shift(timedelta(minutes=5))
            browser.client.get("/staff/queue.json")
        response = browser.client.get("/staff/queue.json")
    assert response.status_code == 401


def test_signing_out_ends_the_session_even_for_a_copied_cookie(make_member):
    _, browser = make_member()
    browser.sign_in()
    stolen = browser.client.get_cookie("intake_session").value
    browser.post("/staff/sign-out", form_page="/staff/")
    assert browser.client.get("/staff/").status_code == 302
    browser.client.set_cookie("intake_session", stolen)
    assert browser.client.get("/staff/").status_code == 302


def test_the_session_is_renewed_at_sign_in(make_member):
    _, browser = make_member()
    browser.client.get("/staff/sign-in")
    before = browser.client.get_cookie("intake_session").value
    browser.sign_in()
    after = browser.client.get_cookie("intake_session").value
    assert before != after


@pytest.mark.pages_only
def test_staff_cookies_are_http_only_and_same_site(agent):
    cookie = agent.client.get_cookie("intake_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_sign_in_and_failures_are_audited(make_member, db_session):
    member, browser = make_member()
    browser.enter_password("not the password at all")
    browser.sign_in()
    actions = [event.action for event in db_session.query(AuditEvent).filter_by(staff_id=member.id)]
    assert audit.SIGN_IN_FAILED in actions
    assert audit.SIGN_IN in actions


def second_browser(app, browser: StaffBrowser) -> StaffBrowser:
    """The same member signing in again from another device (its own cookie jar)."""
    other = StaffBrowser(app.test_client(), browser.email, browser.secret)
    other.last_step = browser.last_step
    return other


def test_an_idle_session_ends_alone_while_the_members_other_session_goes_on(app, make_member):
    _, desk = make_member()
    with time_machine.travel("2026-11-25T10:00:00Z", tick=False) as clock:
        desk.sign_in()
        phone = second_browser(app, desk).sign_in()
        for _ in range(4):
            clock.shift(timedelta(minutes=10))
            assert desk.client.get("/staff/").status_code == 200
        assert phone.client.get("/staff/").status_code == 302, "idle 40 minutes"
        assert desk.client.get("/staff/").status_code == 200, "the busy one goes on"


def test_signing_out_still_ends_every_session_of_the_member(app, make_member):
    _, desk = make_member()
    desk.sign_in()
    phone = second_browser(app, desk).sign_in()
    phone.post("/staff/sign-out", form_page="/staff/")
    assert desk.client.get("/staff/").status_code == 302


def test_a_session_ends_after_twelve_hours_however_busy(make_member):
    _, browser = make_member()
    with time_machine.travel("2026-11-25T08:00:00Z", tick=False) as clock:
        browser.sign_in()
        for _ in range(35):
            clock.shift(timedelta(minutes=20))
            assert browser.client.get("/staff/").status_code == 200
        clock.shift(timedelta(minutes=21))
        response = browser.client.get("/staff/")
    assert response.status_code == 302
    assert "signed in for a long time" in page(browser.client.get("/staff/sign-in")).get_text()


def test_signed_out_mid_call_the_agent_returns_to_what_they_typed(make_member, db_session, vault):
    _, agent = make_member()
    note = "Booked for Monday; she asked us to use her middle name"
    with time_machine.travel("2026-11-25T10:00:00Z", tick=False) as clock:
        request = submit_request(db_session, vault)
        path = f"/staff/requests/{request.reference}"
        agent.sign_in()
        token = agent.csrf(path)
        agent.post(f"{path}/take", form_page=path)
        clock.shift(timedelta(minutes=31))
        response = agent.client.post(
            f"{path}/attempts",
            data={
                "csrf_token": token,
                "outcome": "reached",
                "result": "assessment_booked",
                "note": note,
            },
        )
        assert response.headers["Location"].endswith("/staff/sign-in")
        told = page(agent.client.get("/staff/sign-in")).get_text()
        assert "What you were saving is kept" in told
        assert agent.enter_password().status_code == 303
        back = agent.enter_code()
        assert back.headers["Location"] == path
        html = page(agent.client.get(path))
    assert html.select_one("textarea[name=note]").get_text() == note
    assert html.select_one("input[name=outcome][value=reached]").has_attr("checked")
    assert "What you typed before you were signed out is back" in html.get_text()


@pytest.mark.pages_only
@pytest.mark.parametrize("zero", [0x0660, 0xFF10], ids=["arabic-indic", "fullwidth"])
def test_a_code_in_other_digits_is_refused_and_counted_not_an_error(make_member, db_session, zero):
    member, browser = make_member()
    browser.enter_password()
    lookalike = "".join(chr(zero + int(digit)) for digit in browser.next_code())
    response = browser.enter_code(lookalike)
    assert response.status_code == 200
    assert "That code is not right" in page(response).get_text()
    db_session.refresh(member)
    assert member.failed_sign_ins == 1


def test_a_signed_in_page_checks_the_member_and_their_session_in_one_query(app, agent):
    reads = []

    def note(_connection, _cursor, statement, *_):
        if "staff_members" in statement or "staff_sessions" in statement:
            reads.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        agent.get_page("/staff/team", status=403)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(reads) == 1, reads
    assert "JOIN staff_members" in reads[0]
