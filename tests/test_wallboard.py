"""Wallboards (issue 14): a screen a supervisor pairs by a cookie, showing the queue's
counts and the longest wait to a room, nothing personal, never timing out, revocable,
its views audited at most once an hour."""

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from flask import Response
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake import create_app
from intake.domain import audit, closing, queue, states, wallboards
from intake.domain.clock import utc_now
from intake.extensions import db
from intake.models import AuditEvent, Wallboard
from intake.wallboard import cookie
from intake.wallboard.views import wait_words
from tests.conftest import StaffBrowser, page
from tests.factories import make_staff, submit_request

NAME, PHONE, NATIONAL = "Philippa Quince", "+447700900123", "07700 900123"
NUMBERS = (
    "ready",
    "booked",
    "due_again",
    "in_progress",
    "overdue",
    "urgent",
    "completed_today",
    "staff_active",
    "needs_supervisor",
)
WAITS = [
    (0, "None"),
    (30, "Under 1 min"),
    (60, "1 min"),
    (59 * 60 + 59, "59 min"),
    (3600, "1 h 0 min"),
    (3900, "1 h 5 min"),
]


@dataclass
class Screen:
    """The office TV's browser, after its supervisor made it a wallboard."""

    client: FlaskClient
    token: str
    wallboard_id: int


@pytest.fixture
def screen(make_member, db_session) -> Screen:
    _, browser = make_member("supervisor", "Robin Lead")
    response = make_wallboard(browser.sign_in())
    assert response.status_code == 303
    token = browser.client.get_cookie(cookie.NAME, path="/wallboard").value
    wallboard_id = db_session.scalar(select(Wallboard.id).where(Wallboard.name == "Office TV"))
    return Screen(browser.client, token, wallboard_id)


def make_wallboard(browser: StaffBrowser, name: str = "Office TV"):
    return browser.post("/staff/team/wallboards", {"screen_name": name}, form_page="/staff/team")


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(session.scalars(query))


def last_seen(session: Session, wallboard_id: int):
    session.expire_all()
    return session.get(Wallboard, wallboard_id).last_seen_at


def about(moment, expected) -> bool:
    """The same instant, give or take the database's rounding."""
    return abs(moment - expected) < timedelta(milliseconds=1)


def shown_numbers(html_page) -> dict[str, str]:
    return {
        cell["data-wallboard"]: cell.get_text(strip=True)
        for cell in html_page.select("[data-wallboard]")
    }


def test_a_supervisor_makes_this_browser_a_wallboard_and_is_signed_out_on_it(
    app, make_member, db_session
):
    member, browser = make_member("supervisor", "Robin Lead")
    browser.sign_in()
    desk = StaffBrowser(app.test_client(), member.email, browser.secret)
    desk.last_step = browser.last_step
    desk.sign_in()

    response = make_wallboard(browser)

    assert response.status_code == 303
    assert response.headers["Location"] == "/wallboard"
    assert browser.client.get_cookie("intake_session") is None
    signed_out = browser.client.get("/staff/")
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].endswith("/staff/sign-in")
    assert page(browser.client.get("/wallboard")).h1.get_text(strip=True) == "Callback queue"
    assert desk.client.get("/staff/").status_code == 200, "their other sign-ins go on"
    [created] = events(db_session, audit.WALLBOARD_CREATED)
    wallboard = db_session.scalar(select(Wallboard))
    assert created.staff_id == member.id
    assert created.detail == {"wallboard": wallboard.id, "name": "Office TV"}
    assert wallboard.created_by_id == member.id


def test_the_screen_shows_the_counts_and_the_oldest_wait_and_nothing_personal(
    screen, db_session, vault
):
    now = utc_now()
    waiting = submit_request(
        db_session, vault, name=NAME, phone=PHONE, now=now - timedelta(minutes=20)
    )
    submit_request(db_session, vault, in_danger=True, now=now - timedelta(minutes=3))
    with time_machine.travel(now, tick=False):
        response = screen.client.get("/wallboard")
        data = screen.client.get("/wallboard/data.json")

    assert response.status_code == 200 and data.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert data.headers["Cache-Control"] == "no-store"
    shown = shown_numbers(page(response))
    assert shown["ready"] == "2"
    assert shown["overdue"] == "1"
    assert shown["urgent"] == "1"
    assert shown["in_progress"] == "0"
    assert shown["oldest_wait"] == "20 min"
    assert data.get_json()["oldest_wait"] == {"seconds": 20 * 60, "text": "20 min"}
    for text in (response.get_data(as_text=True), data.get_data(as_text=True)):
        for personal in ("Philippa", "Quince", PHONE, NATIONAL, "900123", waiting.reference):
            assert personal not in text


def test_the_screen_counts_the_staff_active(screen, supervisor):
    shown = shown_numbers(page(screen.client.get("/wallboard")))
    assert shown["staff_active"] == "1", "the supervisor signed in; the screen's own sign-in ended"


def test_the_json_has_the_same_numbers_as_the_page(screen, db_session, vault):
    now = utc_now()
    for minutes in (40, 5):
        submit_request(db_session, vault, now=now - timedelta(minutes=minutes))
    with time_machine.travel(now, tick=False):
        shown = shown_numbers(page(screen.client.get("/wallboard")))
        data = screen.client.get("/wallboard/data.json").get_json()

    assert {name: shown[name] for name in data["numbers"]} == {
        name: str(value) for name, value in data["numbers"].items()
    }
    assert shown["oldest_wait"] == data["oldest_wait"]["text"] == "40 min"
    assert shown["updated"] == data["updated"]["text"]
    assert set(data["numbers"]) == set(NUMBERS)


def test_without_the_cookie_or_with_a_made_up_one_the_screen_shows_nothing(client, supervisor):
    for visitor in (client, supervisor.client):
        response = visitor.get("/wallboard")
        assert response.status_code == 403
        html = response.get_data(as_text=True)
        assert "This screen is not a wallboard" in html
        assert "data-wallboard" not in html and "Ready to call" not in html
        data = visitor.get("/wallboard/data.json")
        assert data.status_code == 403
        assert "numbers" not in data.get_json()

    client.set_cookie(cookie.NAME, "made-up-token", path="/wallboard")
    response = client.get("/wallboard")
    assert response.status_code == 403
    assert "Ready to call" not in response.get_data(as_text=True)
    assert client.get_cookie(cookie.NAME, path="/wallboard") is None


def test_a_revoked_wallboard_shows_nothing_and_its_cookie_is_cleared(
    screen, supervisor, db_session
):
    assert screen.client.get("/wallboard").status_code == 200
    revoke = f"/staff/team/wallboards/{screen.wallboard_id}/revoke"

    response = supervisor.post(revoke, form_page="/staff/team")

    assert response.status_code == 303
    data = screen.client.get("/wallboard/data.json")
    assert data.status_code == 403
    assert screen.client.get_cookie(cookie.NAME, path="/wallboard") is None
    screen.client.set_cookie(cookie.NAME, screen.token, path="/wallboard")
    again = screen.client.get("/wallboard")
    assert again.status_code == 403
    assert "Ready to call" not in again.get_data(as_text=True)
    assert screen.client.get_cookie(cookie.NAME, path="/wallboard") is None
    [revoked] = events(db_session, audit.WALLBOARD_REVOKED)
    assert revoked.detail == {"wallboard": screen.wallboard_id, "name": "Office TV"}
    team = supervisor.get_page("/staff/team")
    assert team.select_one("#wallboards-caption") is None
    assert "No screen is a wallboard now." in team.get_text(" ")
    assert supervisor.post(revoke, form_page="/staff/team").status_code == 303
    assert len(events(db_session, audit.WALLBOARD_REVOKED)) == 1, "revoked once"


def test_agents_cannot_make_or_revoke_a_wallboard(screen, agent, db_session):
    made = agent.post("/staff/team/wallboards", {"screen_name": "Mine"}, form_page="/staff/")
    revoked = agent.post(
        f"/staff/team/wallboards/{screen.wallboard_id}/revoke", form_page="/staff/"
    )
    assert made.status_code == 403 and revoked.status_code == 403
    assert agent.client.get_cookie(cookie.NAME, path="/wallboard") is None
    assert db_session.scalar(select(func.count()).select_from(Wallboard)) == 1
    assert screen.client.get("/wallboard").status_code == 200


def test_a_wallboard_needs_a_name_and_its_supervisor_stays_signed_in(supervisor, db_session):
    response = make_wallboard(supervisor, name="   ")
    assert response.status_code == 400
    html = page(response)
    assert html.title.get_text().startswith("Error: ")
    assert html.select_one(".error-summary a")["href"] == "#screen_name"
    assert supervisor.client.get_cookie(cookie.NAME, path="/wallboard") is None
    assert supervisor.client.get("/staff/").status_code == 200
    assert db_session.scalar(select(func.count()).select_from(Wallboard)) == 0


def test_viewing_is_audited_at_most_once_an_hour_and_last_seen_once_a_minute(screen, db_session):
    start = utc_now() + timedelta(minutes=1)

    def view_at(moment, path="/wallboard"):
        with time_machine.travel(moment, tick=False):
            assert screen.client.get(path).status_code == 200

    view_at(start)
    view_at(start + timedelta(seconds=15), "/wallboard/data.json")
    view_at(start + timedelta(seconds=30))
    assert len(events(db_session, audit.WALLBOARD_VIEWED)) == 1
    assert about(last_seen(db_session, screen.wallboard_id), start)
    view_at(start + timedelta(seconds=75), "/wallboard/data.json")
    assert about(last_seen(db_session, screen.wallboard_id), start + timedelta(seconds=75))
    view_at(start + timedelta(minutes=59))
    assert len(events(db_session, audit.WALLBOARD_VIEWED)) == 1
    view_at(start + timedelta(minutes=61), "/wallboard/data.json")
    viewed = events(db_session, audit.WALLBOARD_VIEWED)
    assert len(viewed) == 2
    assert {event.staff_id for event in viewed} == {None}
    assert viewed[0].detail == {"wallboard": screen.wallboard_id, "name": "Office TV"}


def test_two_views_in_one_instant_audit_once(app, screen, db_session):
    """Two workers each read the wallboard before either claims the hour."""
    now = utc_now()
    with app.app_context():
        engine = db.engine
    with Session(engine) as first, Session(engine) as second:
        one = wallboards.find(first, screen.token)
        other = wallboards.find(second, screen.token)
        assert wallboards.viewed(first, one, now) is True
        assert wallboards.viewed(second, other, now) is False
    assert len(events(db_session, audit.WALLBOARD_VIEWED)) == 1


def test_views_racing_in_threads_audit_once(app, screen, db_session):
    now = utc_now()

    def look(_):
        with app.app_context():
            return wallboards.viewed(db.session, wallboards.find(db.session, screen.token), now)

    with ThreadPoolExecutor(max_workers=6) as pool:
        audited = list(pool.map(look, range(6)))
    assert audited.count(True) == 1
    assert len(events(db_session, audit.WALLBOARD_VIEWED)) == 1


def test_the_wallboard_never_times_out_and_refreshing_is_never_turned_away(screen):
    later = utc_now() + timedelta(hours=13)  # past a staff session's idle and lifetime limits
    with time_machine.travel(later, tick=False):
        answers = {screen.client.get("/wallboard/data.json").status_code for _ in range(30)}
        assert screen.client.get("/wallboard").status_code == 200
    assert answers == {200}


def test_the_screen_asks_for_new_figures_every_15_seconds_unless_configured(app_config, screen):
    config = page(screen.client.get("/wallboard")).select_one("[data-wallboard-config]")
    assert config["data-poll-seconds"] == "15"
    faster = create_app({**app_config, "INTAKE_WALLBOARD_POLL_SECONDS": 2}).test_client()
    faster.set_cookie(cookie.NAME, screen.token, path="/wallboard")
    config = page(faster.get("/wallboard")).select_one("[data-wallboard-config]")
    assert config["data-poll-seconds"] == "2"


def test_the_cookie_is_http_only_strict_scoped_and_long_lived(app, make_member):
    _, browser = make_member("supervisor", "Robin Lead")
    set_cookie = make_wallboard(browser.sign_in()).headers.getlist("Set-Cookie")
    [paired] = [line for line in set_cookie if line.startswith(f"{cookie.NAME}=")]
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in paired.split(";")[1:]}
    assert flags["path"] == "Path=/wallboard"
    assert flags["samesite"] == "SameSite=Strict"
    assert "httponly" in flags
    assert flags["max-age"] == f"Max-Age={400 * 24 * 3600}"
    assert "secure" not in flags, "plain http in development, like the session cookie"
    app.config["SESSION_COOKIE_SECURE"] = True  # as in production
    with app.test_request_context():
        in_production = cookie.pair(Response(), "token").headers["Set-Cookie"]
    assert "; Secure" in in_production


def test_only_the_tokens_digest_is_stored(screen, db_session):
    wallboard = db_session.get(Wallboard, screen.wallboard_id)
    assert len(screen.token) >= 40
    assert wallboard.token_digest == hashlib.sha256(screen.token.encode()).hexdigest()
    stored = db_session.execute(select(Wallboard.__table__)).one()
    assert not [value for value in stored if isinstance(value, str) and screen.token in value]
    assert screen.token not in str(events(db_session, audit.WALLBOARD_CREATED)[0].detail)


def test_the_team_page_lists_wallboards_and_the_trail_names_them(screen, supervisor):
    def row_cells() -> list[str]:
        team = supervisor.get_page("/staff/team")
        return [cell.get_text(strip=True) for cell in team.select("#wallboards-caption ~ tbody td")]

    before = row_cells()
    assert before[:2] == ["Office TV", "Robin Lead"]
    assert before[3] == "Not yet"
    screen.client.get("/wallboard")
    assert row_cells()[3].startswith("today at ")
    trail = supervisor.get_page("/staff/audit?action=wallboard_created").get_text(" ")
    assert f"“Office TV” (wallboard {screen.wallboard_id})" in trail


def test_a_revoked_or_unknown_token_finds_no_wallboard_and_names_are_tidied(db_session):
    member = make_staff(db_session, role="supervisor")
    now = utc_now()
    wallboard, token = wallboards.create(
        db_session, "  Office   TV ", created_by=member.id, now=now
    )
    assert wallboard.name == "Office TV"
    assert wallboards.find(db_session, token).id == wallboard.id
    assert wallboards.find(db_session, token + "x") is None
    assert wallboards.find(db_session, "x" * 5000) is None
    assert wallboards.revoke(db_session, wallboard, by=member.id, now=now) is True
    assert wallboards.find(db_session, token) is None
    assert wallboards.in_use(db_session) == []
    with pytest.raises(wallboards.WallboardRefused):
        wallboards.create(db_session, "x" * 61, created_by=member.id, now=now)


@pytest.mark.parametrize(("seconds", "words"), WAITS)
def test_the_longest_wait_is_short_enough_to_read_across_a_room(seconds, words):
    assert wait_words(timedelta(seconds=seconds)) == words


def test_an_urgent_request_left_for_a_supervisor_shows_as_an_alert(screen, db_session, vault):
    agent = make_staff(db_session, email="kit@example.org", name="Kit")
    request = submit_request(db_session, vault, in_danger=True)
    queue.take(db_session, request, agent, now=utc_now())
    closing.close_without_call(db_session, vault, request, agent, states.SPAM)
    html = page(screen.client.get("/wallboard"))
    assert shown_numbers(html)["needs_supervisor"] == "1"
    tile = html.select_one("[data-wallboard='needs_supervisor']").parent
    assert "wallboard__tile--alert" in tile["class"]
    assert screen.client.get("/wallboard/data.json").get_json()["numbers"]["needs_supervisor"] == 1
