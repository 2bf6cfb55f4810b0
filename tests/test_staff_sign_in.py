"""Signing in with both factors, holding back guessers, rate limits, idle expiry and
signing out."""

from datetime import timedelta

import pytest
import time_machine
from itsdangerous import URLSafeSerializer
from sqlalchemy import event, func, select

from intake import create_app
from intake.domain import audit
from intake.domain.clock import utc_now
from intake.domain.crypto import token_digest
from intake.domain.sign_in_guesses import MAX_FAILED_SIGN_INS
from intake.extensions import db
from intake.models import AuditEvent, SignInThrottle
from intake.staff.auth import DEVICE_COOKIE, DEVICE_LIFETIME, DEVICE_SALT
from tests.conftest import StaffBrowser, page
from tests.factories import enrol, make_staff, submit_request

STRANGER = "198.51.100.7"
ANOTHER_STRANGER = "203.0.113.9"
WRONG = "not the password at all"


def guesser(app, email: str, address: str = "127.0.0.1", secret: str | None = None):
    """A browser at `address` that has never signed in as the member."""
    browser = StaffBrowser(app.test_client(), email, secret)
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser


def guess_wrong(browser: StaffBrowser, times: int = MAX_FAILED_SIGN_INS) -> None:
    for _ in range(times):
        assert browser.enter_password(WRONG).status_code == 200


def counted_failures(session, member) -> int:
    """Every failed guess counted against the member, from every client."""
    query = select(func.sum(SignInThrottle.failures)).where(SignInThrottle.staff_id == member.id)
    return session.scalar(query) or 0


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


def test_five_wrong_passwords_hold_back_their_address_even_from_the_right_password(
    make_member, db_session
):
    _, browser = make_member()
    guess_wrong(browser)
    response = browser.enter_password()
    assert response.status_code == 200
    refusal = page(response).select_one("#email-error").get_text()
    assert "from one device or network, it must wait a minute" in refusal
    (throttle,) = db_session.scalars(select(SignInThrottle))
    assert throttle.held_until > utc_now() and throttle.client_kind == "address"


def test_guesses_from_a_strangers_address_do_not_hold_back_the_member_signing_in_from_another(
    app, make_member
):
    member, browser = make_member()
    stranger = guesser(app, member.email, STRANGER)
    guess_wrong(stranger, MAX_FAILED_SIGN_INS + 1)
    assert stranger.enter_password().status_code == 200, "the stranger's address is held back"
    browser.sign_in()
    assert browser.client.get("/staff/").status_code == 200


def test_an_address_is_kept_only_as_a_keyed_digest_no_one_can_recompute_without_the_key(
    app, make_member, db_session
):
    member, _ = make_member()
    guess_wrong(guesser(app, member.email, STRANGER), 1)
    (throttle,) = db_session.scalars(select(SignInThrottle))
    unkeyed = token_digest(f"address:{STRANGER}")
    assert throttle.client_digest != unkeyed
    assert STRANGER.encode() not in repr(throttle.__dict__).encode()


def test_a_member_with_the_device_cookie_signs_in_while_strangers_at_their_address_are_held_back(
    app, make_member
):
    member, desk = make_member()
    desk.sign_in().post("/staff/sign-out", form_page="/staff/")
    guess_wrong(guesser(app, member.email))
    assert guesser(app, member.email).enter_password().status_code == 200, "address held back"
    desk.sign_in()
    assert desk.client.get("/staff/").status_code == 200


def test_the_members_own_wrong_guesses_hold_back_only_their_device(app, make_member):
    member, desk = make_member()
    desk.sign_in().post("/staff/sign-out", form_page="/staff/")
    guess_wrong(desk)
    assert desk.enter_password().status_code == 200, "the device is held back"
    phone = guesser(app, member.email, secret=desk.secret)
    phone.last_step = desk.last_step
    phone.sign_in()


def device_cookie(app, entries: list, key: str | None = None) -> str:
    return URLSafeSerializer(key or app.secret_key, salt=DEVICE_SALT).dumps(entries)


def a_moment(days: float = 0) -> int:
    return int((utc_now() - timedelta(days=days)).timestamp())


@pytest.mark.parametrize("cookie", ["forged", "altered", "expired", "another member's"])
def test_a_device_cookie_forged_altered_expired_or_of_another_member_counts_as_the_address(
    app, make_member, cookie
):
    member, desk = make_member()
    desk.sign_in().post("/staff/sign-out", form_page="/staff/")
    stranger = guesser(app, member.email)
    mine = [[member.id, "a nonce", a_moment()]]
    if cookie == "forged":
        value = device_cookie(app, mine, key="a key that is not the app's own secret key")
    elif cookie == "altered":
        genuine = device_cookie(app, [[member.id + 1, "a nonce", a_moment()]])
        signer = URLSafeSerializer(app.secret_key, salt=DEVICE_SALT)
        value = signer.dump_payload(mine).decode() + "." + genuine.rsplit(".", 1)[1]
    elif cookie == "expired":
        value = device_cookie(app, [[member.id, "a nonce", a_moment(DEVICE_LIFETIME.days + 1)]])
    else:
        _, colleague = make_member(name="Kim")
        colleague.client = stranger.client
        colleague.sign_in().post("/staff/sign-out", form_page="/staff/")
        value = stranger.client.get_cookie(DEVICE_COOKIE, path="/staff").value
    stranger.client.set_cookie(DEVICE_COOKIE, value, path="/staff")
    guess_wrong(stranger)
    assert guesser(app, member.email).enter_password().status_code == 200, "address held back"
    desk.sign_in()


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_signing_in_leaves_a_signed_device_cookie_for_the_staff_pages_only(
    app_config, db_session, secure
):
    app = create_app({**app_config, "SESSION_COOKIE_SECURE": secure})
    member = make_staff(db_session)
    secret = enrol(db_session, app.extensions["intake"].service.vault, member)
    browser = StaffBrowser(app.test_client(), member.email, secret)
    browser.enter_password()
    set_cookies = browser.enter_code().headers.getlist("Set-Cookie")
    (header,) = [cookie for cookie in set_cookies if cookie.startswith(f"{DEVICE_COOKIE}=")]
    assert f"Max-Age={180 * 24 * 60 * 60}" in header
    cookie = browser.client.get_cookie(DEVICE_COOKIE, path="/staff")
    assert (cookie.path, cookie.http_only, cookie.same_site, cookie.secure) == (
        "/staff",
        True,
        "Lax",
        secure,
    )
    ((named, nonce, _),) = URLSafeSerializer(app.secret_key, salt=DEVICE_SALT).loads(cookie.value)
    assert named == member.id and len(nonce) >= 20


def test_a_browser_shared_by_colleagues_remembers_each_of_them(app, make_member):
    member, desk = make_member()
    _, colleague = make_member(name="Kim")
    colleague.client = desk.client
    desk.sign_in().post("/staff/sign-out", form_page="/staff/")
    colleague.sign_in().post("/staff/sign-out", form_page="/staff/")
    guess_wrong(guesser(app, member.email))
    desk.sign_in()


def test_each_further_failure_doubles_the_wait_up_to_fifteen_minutes(make_member):
    _, browser = make_member()
    with time_machine.travel("2026-11-25T10:00:00Z", tick=False) as clock:
        guess_wrong(browser)
        for minutes in (1, 2, 4, 8, 15, 15):
            clock.shift(timedelta(minutes=minutes) - timedelta(seconds=1))
            assert browser.enter_password().status_code == 200, f"held back {minutes} min"
            clock.shift(timedelta(seconds=1))
            guess_wrong(browser, 1)
        clock.shift(timedelta(minutes=15))
        assert browser.enter_password().status_code == 303


def test_wrong_codes_hold_back_only_the_address_they_came_from(app, make_member):
    member, browser = make_member()
    stranger = guesser(app, member.email, STRANGER, secret=browser.secret)
    stranger.enter_password()
    for _ in range(MAX_FAILED_SIGN_INS):
        assert stranger.enter_code("000000").status_code == 200
    assert stranger.enter_code().status_code == 200, "even the right code is refused there"
    browser.last_step = stranger.last_step
    browser.sign_in()


def test_a_supervisor_sees_where_a_member_is_held_back_and_unlocking_lifts_every_hold(
    app, supervisor, make_member
):
    member, desk = make_member(name="Lou")
    desk.sign_in().post("/staff/sign-out", form_page="/staff/")
    guess_wrong(desk)
    strangers = [guesser(app, member.email, address) for address in (STRANGER, ANOTHER_STRANGER)]
    for stranger in strangers:
        guess_wrong(stranger)
    rows = {row.td.get_text(): row for row in supervisor.get_page("/staff/team").select("tbody tr")}
    assert "held back from 2 addresses and 1 device until" in rows["Lou"].get_text()
    done = supervisor.post(f"/staff/team/{member.id}/unlock", form_page="/staff/team")
    team = page(supervisor.client.get(done.headers["Location"])).get_text()
    assert "Lou may sign in again from every address and device." in team
    assert "held back" not in team
    for stranger in strangers:
        assert stranger.enter_password().status_code == 303
    desk.sign_in()


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
        assert "What you were typing is kept" in told
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
    assert counted_failures(db_session, member) == 1


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
