"""Changing one's own password, and a supervisor's reset of a member's password and
authenticator, which the member replaces with their own at their next sign-in."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.domain import audit, passwords, sign_in_guesses, staff_sessions
from intake.domain import staff_accounts as accounts
from intake.domain.clock import utc_now
from intake.models import AuditEvent, SignInThrottle, StaffMember, StaffSession
from tests.conftest import StaffBrowser, page
from tests.factories import STAFF_PASSWORD, enrol, make_staff

pytestmark = pytest.mark.pages_only

NEW_PASSWORD = "purple tractor singing under moonlight"
OTHER_NEW_PASSWORD = "seven lanterns drifting past the harbour"
HERE = sign_in_guesses.Origin("203.0.113.5")
THIS_WINDOW = sign_in_guesses.Client.on_device("this window")


def check(session, member, password):
    return accounts.check_password(session, member.email, password, HERE)


def counted_failures(session, member) -> int:
    query = select(func.sum(SignInThrottle.failures)).where(SignInThrottle.staff_id == member.id)
    return session.scalar(query) or 0


def actions(session, member_id: int) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.staff_id == member_id)
    return list(session.scalars(query.order_by(AuditEvent.id)))


def open_sessions(session, member_id: int) -> list[StaffSession]:
    query = select(StaffSession).where(
        StaffSession.staff_id == member_id, StaffSession.ended_at.is_(None)
    )
    return list(session.scalars(query))


# The domain


def change(session, member, current, new, **options):
    options.setdefault("client", THIS_WINDOW)
    accounts.change_password(session, member, current, new, **options)


def test_a_member_changes_their_password_with_the_current_one(db_session):
    member = make_staff(db_session)
    change(db_session, member, STAFF_PASSWORD, NEW_PASSWORD)
    assert check(db_session, member, NEW_PASSWORD) == member
    assert check(db_session, member, STAFF_PASSWORD) is None
    assert audit.PASSWORD_CHANGED in actions(db_session, member.id)


def test_a_wrong_current_password_is_refused_and_counts_like_a_sign_in_guess(db_session):
    member = make_staff(db_session)
    with pytest.raises(accounts.WrongPassword, match="current password is not right"):
        change(db_session, member, "not my password", NEW_PASSWORD)
    assert counted_failures(db_session, member) == 1
    assert audit.PASSWORD_CHANGE_FAILED in actions(db_session, member.id)


def test_five_wrong_current_passwords_hold_back_that_window_only(db_session):
    member = make_staff(db_session)
    for _ in range(sign_in_guesses.MAX_FAILED_SIGN_INS):
        with pytest.raises(accounts.WrongPassword):
            change(db_session, member, "not my password", NEW_PASSWORD)
    with pytest.raises(accounts.WrongPassword, match="too many wrong passwords"):
        change(db_session, member, STAFF_PASSWORD, NEW_PASSWORD)
    assert check(db_session, member, STAFF_PASSWORD) == member, "signing in is not held back"


def test_a_change_counts_its_guesses_against_the_session_it_is_made_in(db_session):
    member = make_staff(db_session)
    staff_sessions.start(db_session, member, utc_now())
    here = open_sessions(db_session, member.id)[0]
    with pytest.raises(accounts.WrongPassword):
        accounts.change_password(db_session, member, "not my password", NEW_PASSWORD, keep=here)
    (throttle,) = db_session.scalars(select(SignInThrottle))
    assert throttle.client_digest == sign_in_guesses.Client.in_session(here).digest


def test_a_change_whose_password_another_window_changed_meanwhile_is_refused(
    db_session, monkeypatch
):
    member = make_staff(db_session)
    now = utc_now()
    for _ in range(2):
        staff_sessions.start(db_session, member, now)
    here, there = open_sessions(db_session, member.id)
    check_strength = accounts._check_strength

    def the_other_window_wins_meanwhile(staff, password):
        """While this window checks its new password, the other changes it."""
        monkeypatch.setattr(accounts, "_check_strength", check_strength)
        with Session(db_session.get_bind()) as other:
            them = other.get(StaffMember, member.id)
            accounts.change_password(other, them, STAFF_PASSWORD, OTHER_NEW_PASSWORD, keep=there)
        check_strength(staff, password)

    monkeypatch.setattr(accounts, "_check_strength", the_other_window_wins_meanwhile)
    with pytest.raises(accounts.PasswordChangedMeanwhile, match="changed in another window"):
        accounts.change_password(db_session, member, STAFF_PASSWORD, NEW_PASSWORD, keep=here)
    assert check(db_session, member, OTHER_NEW_PASSWORD) == member
    assert check(db_session, member, NEW_PASSWORD) is None
    assert [row.id for row in open_sessions(db_session, member.id)] == [there.id]
    assert actions(db_session, member.id).count(audit.PASSWORD_CHANGED) == 1


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        (STAFF_PASSWORD, "not the one you have now"),
        ("short", "at least 12 characters"),
        ("qwerty123456", "common passwords"),
    ],
)
def test_a_new_password_that_is_weak_or_unchanged_is_refused_with_a_reason(
    db_session, new, problem
):
    member = make_staff(db_session)
    with pytest.raises(accounts.AccountError, match=problem):
        change(db_session, member, STAFF_PASSWORD, new)
    assert counted_failures(db_session, member) == 0, "the right password gave its guess back"
    assert check(db_session, member, STAFF_PASSWORD) == member


def test_changing_the_password_ends_every_session_but_the_one_it_was_made_in(db_session):
    member = make_staff(db_session)
    now = utc_now()
    for _ in range(3):
        staff_sessions.start(db_session, member, now)
    here = open_sessions(db_session, member.id)[0]
    version = member.session_version
    accounts.change_password(db_session, member, STAFF_PASSWORD, NEW_PASSWORD, keep=here)
    assert [row.id for row in open_sessions(db_session, member.id)] == [here.id]
    assert member.session_version == version + 1


def test_a_reset_gives_a_temporary_password_kept_only_as_a_hash(db_session, vault):
    member = make_staff(db_session)
    enrol(db_session, vault, member)
    staff_sessions.start(db_session, member, utc_now())
    boss = make_staff(db_session, role="supervisor", name="Sam")
    temporary = accounts.reset_sign_in(db_session, member, by=boss.id)
    assert len(temporary) >= 16
    assert temporary not in member.password_hash
    assert PasswordHasher().verify(member.password_hash, temporary)
    assert member.password_change_required
    assert member.totp_secret is None and member.totp_enrolled_at is None
    assert open_sessions(db_session, member.id) == []
    assert check(db_session, member, STAFF_PASSWORD) is None
    assert audit.SIGN_IN_RESET in actions(db_session, boss.id)


def test_a_temporary_password_stops_working_after_a_day(db_session):
    member = make_staff(db_session)
    reset_at = utc_now()
    temporary = accounts.reset_sign_in(db_session, member, now=reset_at)
    a_day_later = reset_at + passwords.TEMPORARY_PASSWORD_LIFETIME
    almost = a_day_later - timedelta(minutes=1)
    assert accounts.check_password(db_session, member.email, temporary, HERE, almost) == member
    assert accounts.check_password(db_session, member.email, temporary, HERE, a_day_later) is None
    reasons = [event.detail.get("reason") for event in db_session.query(AuditEvent)]
    assert "temporary password expired" in reasons


def test_every_reset_gives_a_different_temporary_password(db_session):
    member = make_staff(db_session)
    assert accounts.reset_sign_in(db_session, member) != accounts.reset_sign_in(db_session, member)


def test_a_supervisor_cannot_reset_their_own_sign_in(db_session):
    boss = make_staff(db_session, role="supervisor")
    with pytest.raises(accounts.AccountError, match="your own"):
        accounts.reset_sign_in(db_session, boss, by=boss.id)
    assert not boss.password_change_required


def test_after_a_reset_the_member_chooses_their_own_password_once(db_session):
    member = make_staff(db_session)
    temporary = accounts.reset_sign_in(db_session, member)
    with pytest.raises(accounts.AccountError, match="not the temporary one"):
        accounts.choose_new_password(db_session, member, temporary)
    with pytest.raises(accounts.AccountError, match="at least 12"):
        accounts.choose_new_password(db_session, member, "short")
    accounts.choose_new_password(db_session, member, NEW_PASSWORD)
    assert not member.password_change_required
    assert check(db_session, member, NEW_PASSWORD) == member
    with pytest.raises(accounts.AccountError, match="already chosen"):
        accounts.choose_new_password(db_session, member, "another long phrase nobody guesses")


# The pages


def change_password(browser: StaffBrowser, current: str, new: str, again: str | None = None):
    return browser.post(
        "/staff/account/password",
        {"current_password": current, "new_password": new, "confirm": again or new},
    )


def test_every_staff_page_links_to_changing_the_password(agent):
    links = agent.get_page("/staff/").select("nav a[href='/staff/account/password']")
    assert links


def test_a_member_changes_their_password_and_stays_signed_in_only_here(app, make_member):
    _, desk = make_member()
    desk.sign_in()
    phone = StaffBrowser(app.test_client(), desk.email, desk.secret)
    phone.last_step = desk.last_step
    phone.sign_in()
    desk.last_step = phone.last_step
    response = change_password(desk, STAFF_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303
    assert "Your password is changed" in desk.get_page("/staff/").get_text()
    assert phone.client.get("/staff/").status_code == 302, "the other session ended"
    desk.post("/staff/sign-out", form_page="/staff/")
    assert desk.enter_password(STAFF_PASSWORD).status_code == 200, "the old one is refused"
    assert desk.enter_password(NEW_PASSWORD).status_code == 303


def test_a_wrong_current_password_is_shown_on_its_field_and_counted(agent, db_session):
    response = change_password(agent, "not my password", NEW_PASSWORD)
    assert response.status_code == 400
    html = page(response)
    assert html.title.get_text().startswith("Error: ")
    assert "not right" in html.select_one("#current_password-error").get_text()
    member = accounts.find_by_email(db_session, agent.email)
    assert counted_failures(db_session, member) == 1


@pytest.mark.parametrize(
    ("new", "again", "field", "message"),
    [
        (NEW_PASSWORD, "something else entirely", "confirm", "not the same"),
        ("password1234", "password1234", "new_password", "common passwords"),
    ],
)
def test_a_new_password_is_refused_on_its_field(agent, new, again, field, message):
    response = change_password(agent, STAFF_PASSWORD, new, again)
    assert response.status_code == 400
    assert message in page(response).select_one(f"#{field}-error").get_text()
    assert agent.client.get("/staff/").status_code == 200, "still signed in"


def reset(browser: StaffBrowser, member_id: int, form_page: str = "/staff/team"):
    return browser.post(f"/staff/team/{member_id}/reset-sign-in", form_page=form_page)


def test_a_reset_member_chooses_a_password_then_enrols_a_new_authenticator_alone(
    make_member, supervisor, db_session
):
    member, browser = make_member()
    browser.sign_in()
    old_secret = browser.secret
    shown = page(reset(supervisor, member.id))
    temporary = shown.select_one("[data-temporary-password]").get_text(strip=True)
    assert browser.client.get("/staff/").status_code == 302, "signed out everywhere"
    assert browser.enter_password().status_code == 200, "the old password stops working"

    step = browser.enter_password(temporary)
    assert step.headers["Location"].endswith("/staff/sign-in/new-password")
    for path in ("/staff/sign-in/set-up-code", "/staff/sign-in/code"):
        assert browser.client.get(path).headers["Location"].endswith("/new-password")
    assert browser.client.get("/staff/").headers["Location"].endswith("/staff/sign-in")

    chosen = browser.post(
        "/staff/sign-in/new-password", {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert chosen.headers["Location"].endswith("/staff/sign-in/set-up-code")
    setup = browser.get_page("/staff/sign-in/set-up-code")
    browser.secret = setup.select_one("[data-totp-secret]").get_text(strip=True)
    assert browser.secret != old_secret
    assert browser.secret not in str(shown)
    done = browser.enter_code(path="/staff/sign-in/set-up-code")
    assert done.headers["Location"].endswith("/staff/")
    assert browser.get_page("/staff/").h1.get_text() == "Callback queue"
    assert actions(db_session, member.id)[-3:] == [
        audit.PASSWORD_CHANGED,
        audit.SECOND_FACTOR_ENROLLED,
        audit.SIGN_IN,
    ]


def test_the_temporary_password_cannot_skip_choosing_a_new_one(make_member, supervisor):
    member, browser = make_member()
    shown = page(reset(supervisor, member.id))
    temporary = shown.select_one("[data-temporary-password]").get_text(strip=True)
    browser.enter_password(temporary)
    refused = browser.post(
        "/staff/sign-in/new-password", {"new_password": temporary, "confirm": temporary}
    )
    assert "not the temporary one" in page(refused).select_one("#new_password-error").get_text()
    assert browser.client.get("/staff/sign-in/set-up-code").status_code == 302


def test_a_supervisor_is_told_they_cannot_reset_themselves(make_member, db_session):
    boss, browser = make_member("supervisor", "Sam Supervisor")
    browser.sign_in()
    response = reset(browser, boss.id)
    assert response.status_code == 303
    assert "cannot reset your own" in browser.get_page("/staff/team").get_text()
    db_session.refresh(boss)
    assert not boss.password_change_required


def test_an_agent_cannot_reset_a_colleague(make_member, agent, db_session):
    colleague, _ = make_member(name="Kim")
    assert reset(agent, colleague.id, form_page="/staff/").status_code == 403
    db_session.refresh(colleague)
    assert not colleague.password_change_required


def test_the_team_page_shows_who_must_choose_a_new_password(make_member, supervisor):
    member, _ = make_member(name="Kim")
    reset(supervisor, member.id)
    assert "must choose a new password" in supervisor.get_page("/staff/team").get_text()


def test_a_colleague_added_by_a_supervisor_starts_with_a_temporary_password(db_session):
    boss = make_staff(db_session, role="supervisor", name="Sam")
    member, temporary = accounts.invite_staff(
        db_session, email="noor@intake.example", name="Noor", role="agent", created_by=boss.id
    )
    assert member.password_change_required and member.totp_secret is None
    assert temporary not in member.password_hash
    assert member.temporary_password_expires_at is not None
    assert accounts.check_password(db_session, "noor@intake.example", temporary, HERE) == member
    assert audit.STAFF_CREATED in actions(db_session, boss.id)


def test_a_new_colleague_chooses_a_password_and_sets_up_their_code_alone(
    app, supervisor, db_session
):
    colleague = {"name": "Noor", "email": "n@intake.example", "role": "agent"}
    shown = page(supervisor.post("/staff/team", colleague))
    temporary = shown.select_one("[data-temporary-password]").get_text(strip=True)
    assert "Noor is added to the team" in shown.h1.get_text()
    newcomer = StaffBrowser(app.test_client(), "n@intake.example", None)
    step = newcomer.enter_password(temporary)
    assert step.headers["Location"].endswith("/staff/sign-in/new-password")
    chosen = newcomer.post(
        "/staff/sign-in/new-password", {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert chosen.headers["Location"].endswith("/staff/sign-in/set-up-code")
    setup = newcomer.get_page("/staff/sign-in/set-up-code")
    newcomer.secret = setup.select_one("[data-totp-secret]").get_text(strip=True)
    assert newcomer.secret not in str(shown)
    done = newcomer.enter_code(path="/staff/sign-in/set-up-code")
    assert done.headers["Location"].endswith("/staff/")
