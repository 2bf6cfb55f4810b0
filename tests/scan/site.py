"""The site the scanners attack: the real app under gunicorn on its own PostgreSQL schema,
with a few requests in the queue, an agent, and supervisors who sign in over HTTP."""

import json
import re
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pyotp
from bs4 import BeautifulSoup
from sqlalchemy import select

from intake.domain import handover, queue
from intake.domain.clock import utc_now
from intake.domain.queue import Cursor
from intake.domain.second_factor import start_enrolment
from intake.domain.staff_accounts import complete_sign_in, create_staff
from intake.extensions import db
from intake.models import CallbackRequest, StaffMember
from tests.browser.live_server import STAFF_PASSWORD, LiveServer, live_server
from tests.factories import take_and_call
from tests.faults.http_visitor import Answer, HttpVisitor

SESSION_COOKIE = "intake_session"
# Every limit far above what a scan sends: the scanners must reach the code, not the 429.
UNLIMITED = "100000 per minute"
# The callback form as a visitor fills it in, every question answered (those another
# answer reveals included), so every field the server reads is there to attack.
EVERY_ANSWER = {
    "in_danger": "no",
    "for_whom": "someone_else",
    "relationship": "Brother",
    "person_knows": "yes",
    "ask_for": "Robin",
    "name": "Sam Visitor",
    "phone": "07400 123456",
    "voicemail_ok": "yes",
    "say_who_we_are": "yes",
    "text_first": "no",
    "email": "sam@example.org",
    "when": "later",
    "topics": "alcohol",
    "message": "Please call after six",
    "needs": "interpreter",
    "interpreter_language": "Polish",
    "other_needs": "Speak slowly, please",
    "website": "",
    "consent": "y",
}
# A few requests as visitors make them: plain, urgent, and for someone else with every
# question answered (a fourth, made by `seed`, is there to be withdrawn).
QUEUE = [
    {"name": "Ali", "phone": "07400 100001"},
    {"name": "Bea", "phone": "07400 100002", "in_danger": "yes"},
    {**EVERY_ANSWER, "name": "Cal", "topics": ["cocaine", "alcohol"]},
]
PLAIN = {"in_danger": "no", "for_whom": "me", "when": "asap", "consent": "y", "topics": "alcohol"}


@dataclass
class Supervisor:
    email: str
    secret: str


@dataclass
class ScanSite:
    server: LiveServer
    access_log: Path
    references: list[str] = field(default_factory=list)
    withdraw_secret: str = ""
    agent_email: str = ""
    audit_member: int = 0
    queue_cursor: str = ""
    supervisors: dict[str, Supervisor] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    # The visitor's side, over HTTP through the real form.

    def callback_form(self, visitor: HttpVisitor, source: str = "about") -> dict[str, str]:
        """The form's hidden fields and a day that may be chosen, as a browser sees them."""
        form = visitor.get(f"/callback?from={source}")
        assert form.status == 200, form.status
        html = BeautifulSoup(form.body, "lxml")
        hidden = {
            tag["name"]: tag.get("value", "")
            for tag in html.select("form[action='/callback'] input[type=hidden]")
        }
        days = [tag["value"] for tag in html.select("input[name=day]")]
        windows = [tag["value"] for tag in html.select("input[name=window]")]
        # Tomorrow, early: a day and time the form offers whatever the hour now.
        return {**hidden, "day": days[1], "window": windows[0]}

    def ask_for_callback(self, answers: dict) -> Answer:
        visitor = HttpVisitor(self.url)
        form = self.callback_form(visitor)
        answer = visitor.post("/callback", {**PLAIN, **form, **answers})
        assert answer.status == 200 and answer.reference, page_text(answer)
        return answer

    # What staff have done before the scan starts, and signing in.

    def seed(self) -> None:
        for answers in QUEUE:
            self.ask_for_callback(answers)
        confirmation = self.ask_for_callback({"name": "Eve", "phone": "07400 100005"})
        secret = BeautifulSoup(confirmation.body, "lxml").select_one("input[name=secret]")
        self.withdraw_secret = secret["value"]
        app = self.server.app()
        vault = app.extensions["intake"].service.vault
        with app.app_context():
            session = db.session
            agent = create_staff(
                session,
                email="agent@intake.example",
                name="Alex Agent",
                role="agent",
                password=STAFF_PASSWORD,
            )
            start_enrolment(session, vault, agent, "scan")
            complete_sign_in(session, agent)
            requests = session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)).all()
            take_and_call(session, vault, requests[0], agent, utc_now(), outcome="no_answer")
            handover.leave_note(session, vault, agent, "Bea's request is urgent: call first.")
            self.references = [item.reference for item in requests]
            self.queue_cursor = Cursor.after(requests[1]).encode()
            self.agent_email, self.audit_member = agent.email, agent.id
            db.engine.dispose()

    def add_supervisor(self, name: str) -> Supervisor:
        """A supervisor of their own for each scanner: a TOTP code signs in once."""
        app = self.server.app()
        vault = app.extensions["intake"].service.vault
        with app.app_context():
            member = create_staff(
                db.session,
                email=f"{name}@intake.example",
                name=f"{name.title()} Supervisor",
                role="supervisor",
                password=STAFF_PASSWORD,
            )
            secret = start_enrolment(db.session, vault, member, "scan").secret
            complete_sign_in(db.session, member)
            supervisor = Supervisor(member.email, secret)
            db.engine.dispose()
        self.supervisors[name] = supervisor
        return supervisor

    def signed_in_cookie(self, name: str) -> str:
        """A new supervisor signs in with password and code; their session cookie's value."""
        supervisor = self.add_supervisor(name)
        browser = HttpVisitor(self.url)
        password = {"email": supervisor.email, "password": STAFF_PASSWORD}
        browser.post_form("/staff/sign-in", password)
        code = pyotp.TOTP(supervisor.secret).now()
        answer = browser.post_form("/staff/sign-in/code", {"code": code})
        assert "Callback queue" in answer.body, page_text(answer)
        return session_cookie(browser)

    def still_signed_in(self, cookie: str) -> bool:
        browser = HttpVisitor(self.url)
        browser.opener.addheaders = [("Cookie", f"{SESSION_COOKIE}={cookie}")]
        answer = browser.get("/staff/team")
        return answer.status == 200 and "/staff/sign-in" not in answer.url

    def token_fields(self, cookie: str, paths: list[str]) -> set[str]:
        """The names of the CSRF tokens in the forms of these pages, prefixed ones
        (WTForms: `take-csrf_token`) included."""
        browser = HttpVisitor(self.url)
        browser.opener.addheaders = [("Cookie", f"{SESSION_COOKIE}={cookie}")]
        names = set()
        for path in paths:
            html = BeautifulSoup(browser.get(path).body, "lxml")
            names |= {tag["name"] for tag in html.select("input[name$=csrf_token]")}
        return names

    def references_now(self) -> list[str]:
        """Every request's reference, those other scans made included."""
        app = self.server.app()
        with app.app_context():
            references = list(db.session.scalars(select(CallbackRequest.reference)))
            db.engine.dispose()
        return references

    def hold(self, reference: str, name: str) -> None:
        """The supervisor `name` takes the request, as "Take" on its page does."""
        app = self.server.app()
        with app.app_context():
            session = db.session
            item = session.scalars(
                select(CallbackRequest).where(CallbackRequest.reference == reference)
            ).one()
            member = session.scalars(
                select(StaffMember).where(StaffMember.email == self.supervisors[name].email)
            ).one()
            queue.take(session, item, member)
            db.engine.dispose()

    def post_as(self, cookie: str, path: str, fields: list[tuple[str, str]]) -> Answer:
        """POST exactly `fields` (none at all, if so) in the session `cookie`, following
        no redirect."""
        request = urllib.request.Request(  # noqa: S310  (our own server, over http)
            self.url + path,
            data=urlencode(fields).encode(),
            headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
            method="POST",
        )
        opener = urllib.request.build_opener(NoRedirects)
        try:
            with opener.open(request, timeout=60) as response:
                return Answer(response.status, response.read().decode(), response.geturl())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), error.geturl())

    # What the server answered.

    def log_position(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def answers_since(self, position: int) -> Counter:
        """How often the server gave each answer since `position` in its access log
        (gunicorn's JSON lines: method, path without the query, status)."""
        with self.access_log.open("rb") as log:
            log.seek(position)
            lines = log.read().decode(errors="replace").splitlines()
        answers = Counter()
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if "status" not in entry:  # not an access line (gunicorn's own, the app's)
                continue
            # A request gunicorn could not read has no method or path to name.
            method, path = entry.get("method") or "-", entry.get("path") or "-"
            answers[(method, path, int(entry["status"]))] += 1
        return answers

    def server_errors_since(self, position: int) -> list[str]:
        """Every 5xx answer since `position`, with how often."""
        return [
            f"{method} {path} -> {status} ({count} times)"
            for (method, path, status), count in sorted(self.answers_since(position).items())
            if status >= 500
        ]


@contextmanager
def scan_site(folder: Path, database_url: str, redis_url: str | None) -> Iterator[ScanSite]:
    access_log = folder / "access.log"
    settings = {
        "DATABASE_URL": database_url,
        "INTAKE_CALLBACK_RATE_LIMIT": UNLIMITED,
        "INTAKE_SIGN_IN_RATE_LIMIT": UNLIMITED,
        "INTAKE_SIGN_IN_ADDRESS_RATE_LIMIT": UNLIMITED,
        # The access log to a file: every 5xx a scanner provoked is found there, with its
        # path; thousands of lines would otherwise fill the captured output.
        "GUNICORN_CMD_ARGS": f"--access-logfile {access_log}",
    }
    if redis_url:
        settings["REDIS_URL"] = redis_url
    with live_server(folder, workers=2, **settings) as server:
        site = ScanSite(server, access_log)
        site.seed()
        yield site


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def session_cookie(browser: HttpVisitor) -> str:
    return next(cookie.value for cookie in browser.cookies if cookie.name == SESSION_COOKIE)


def visitor_on(site: ScanSite, path: str) -> str:
    """A new visitor's session cookie, once they have opened `path` (a form's page)."""
    browser = HttpVisitor(site.url)
    assert browser.get(path).status == 200
    return session_cookie(browser)


def page_text(answer: Answer) -> str:
    text = re.sub(r"\s+", " ", BeautifulSoup(answer.body, "lxml").get_text(" ", strip=True))
    return f"{answer.status} {answer.url}: {text[:400]}"
