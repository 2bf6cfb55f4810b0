"""Queue alerts: nobody waits unseen at 3 a.m.

The rule (intake.domain.alerts) as plain domain tests, then end to end: the outbox
worker sends the alerts through a real SMTP server (aiosmtpd, tests/smtp.py) and
posts them to a real HTTP receiver started here, which checks their signature.
"""

import hashlib
import hmac
import json
import re
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import emails, webhooks
from intake.domain import alerts, outbox, queue, staff_sessions
from intake.extensions import db
from intake.mail import SmtpSettings
from intake.models import OutboxMessage, QueueAlert
from tests.factories import make_staff, submit_request, utc
from tests.smtp import READY_SECONDS, SmtpServer, free_port

# 3am in London (winter: UTC), later than the machine's clock, so no session a test
# signs in with the real clock counts as active then.
NOW = utc(2027, 1, 15, 3, 0)
ON_CALL = ("on-call@intake.example", "manager@intake.example")
SETTINGS = alerts.AlertSettings(emails=ON_CALL, webhook=True)
SECRET = "webhook-secret-shared-with-the-receiver"
PERSONAL = {"name": "Zebedee Quill", "phone": "+447400987654", "message": "Worried about Dad"}
# The name and the number, however they might be written.
IDENTIFYING = ("Zebedee", "Quill", "987654", "987 654", "Worried")
# Words a neutral subject never says.
REVEALING = re.compile(r"addict|alcohol|drink|cocaine|drug|baclofen|medicine|rehab", re.I)


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


def check(session: Session, vault, at, settings=SETTINGS) -> alerts.CheckReport:
    return alerts.raise_escalate_or_close(session, vault, settings, at)


def urgent_request(session, vault, now=NOW, **answers):
    return submit_request(session, vault, now=now, in_danger=True, **answers)


def written(session: Session, vault) -> list[tuple[str, dict]]:
    """Every outbox message so far: its kind and what its sealed payload says."""
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    session.rollback()
    return [(row.kind, vault.open(row.payload)) for row in rows if row.payload]


def alert_rows(session: Session) -> list[QueueAlert]:
    session.expire_all()
    rows = session.scalars(select(QueueAlert).order_by(QueueAlert.id)).all()
    session.rollback()
    return list(rows)


def recipients(messages: list[tuple[str, dict]]) -> list[str]:
    return sorted(facts["to"] for kind, facts in messages if kind == outbox.ALERT_EMAIL)


def webhook_posts(messages: list[tuple[str, dict]]) -> list[dict]:
    return [facts for kind, facts in messages if kind == outbox.ALERT_WEBHOOK]


def active_member(session: Session, at) -> None:
    """A member of staff signed in and doing something at `at`."""
    on_shift(session, at)


def on_shift(session: Session, at):
    """A member of staff signed in at `at` (so working on whatever they take)."""
    member = make_staff(session)
    staff_sessions.start(session, member, at)
    return member


# The rule


def test_an_urgent_request_waiting_over_5_minutes_with_nobody_active_is_alerted_once(
    db_session, vault
):
    request = urgent_request(db_session, vault)
    assert not check(db_session, vault, NOW + minutes(5)).anything  # not more than 5 yet
    report = check(db_session, vault, NOW + minutes(6))
    assert report.alerted == [request.id]
    messages = written(db_session, vault)
    assert recipients(messages) == sorted(ON_CALL)
    (posted,) = webhook_posts(messages)
    assert posted["kind"] == alerts.ALERT
    assert posted["references"] == [request.reference]
    assert posted["urgent_references"] == [request.reference]
    assert posted["overdue_references"] == []
    assert posted["counts"] == {"references": 1, "urgent": 1, "overdue": 0, "unseen": 1, "ready": 1}
    assert posted["oldest_wait_seconds"] == 6 * 60
    (row,) = alert_rows(db_session)
    assert (row.request_id, row.reason, row.raised_at) == (
        request.id,
        alerts.URGENT,
        NOW + minutes(6),
    )


def test_an_overdue_request_is_not_alerted_while_someone_has_been_active_in_the_last_5_minutes(
    db_session, vault
):
    submit_request(db_session, vault, now=NOW)  # due by 3:15, alerted after 3:30
    active_member(db_session, NOW + minutes(28))
    assert not check(db_session, vault, NOW + minutes(31)).anything
    assert not check(db_session, vault, NOW + minutes(33)).anything
    assert check(db_session, vault, NOW + minutes(34)).alerted  # last seen six minutes ago
    assert len(alert_rows(db_session)) == 1


def test_an_urgent_request_nobody_holds_is_alerted_whoever_else_is_active(db_session, vault):
    request = urgent_request(db_session, vault)
    active_member(db_session, NOW + minutes(5))  # a supervisor reading the reports
    assert check(db_session, vault, NOW + minutes(6)).alerted == [request.id]
    (posted,) = webhook_posts(written(db_session, vault))
    _, text = alerts.describe(posted, NOW.tzinfo, "UK time")
    assert "1 callback request is waiting unseen, and nobody is working on it." in text


def test_an_urgent_request_whose_holder_has_gone_is_alerted(db_session, vault):
    request = urgent_request(db_session, vault)
    holder = on_shift(db_session, NOW + minutes(1))
    queue.take_next(db_session, holder, now=NOW + minutes(1))
    assert not check(db_session, vault, NOW + minutes(20)).anything, "working on it"
    assert check(db_session, vault, NOW + minutes(32)).alerted == [request.id], "idle 31 minutes"


def test_a_signed_out_holder_leaves_nobody_working_on_an_urgent_request(db_session, vault):
    request = urgent_request(db_session, vault)
    holder = on_shift(db_session, NOW + minutes(1))
    queue.take_next(db_session, holder, now=NOW + minutes(1))
    staff_sessions.end_all(db_session, holder.id, NOW + minutes(2))
    db_session.commit()
    assert check(db_session, vault, NOW + minutes(6)).alerted == [request.id]


def test_a_request_that_is_not_urgent_is_alerted_once_overdue_by_over_15_minutes(db_session, vault):
    request = submit_request(db_session, vault, now=NOW)  # due by 3:15
    assert not check(db_session, vault, NOW + minutes(30)).anything
    report = check(db_session, vault, NOW + minutes(31))
    assert report.alerted == [request.id]
    (posted,) = webhook_posts(written(db_session, vault))
    assert (posted["urgent_references"], posted["overdue_references"]) == ([], [request.reference])
    assert alert_rows(db_session)[0].reason == alerts.OVERDUE


def test_a_booked_request_is_overdue_only_after_its_window_has_ended(db_session, vault):
    booked = {"when": "later", "day": date(2027, 1, 15), "window": "10-12"}
    request = submit_request(db_session, vault, now=NOW, **booked)
    assert not check(db_session, vault, utc(2027, 1, 15, 12, 15)).anything
    assert check(db_session, vault, utc(2027, 1, 15, 12, 16)).alerted == [request.id]


def test_the_thresholds_come_from_the_settings(db_session, vault):
    urgent_request(db_session, vault)
    patient = alerts.AlertSettings(emails=ON_CALL, urgent_after=minutes(10))
    assert not check(db_session, vault, NOW + minutes(10), patient).anything
    assert check(db_session, vault, NOW + minutes(11), patient).alerted


def test_a_request_someone_holds_is_not_waiting_unseen(db_session, vault):
    urgent_request(db_session, vault)
    assert queue.take_next(db_session, on_shift(db_session, NOW + minutes(1)), now=NOW + minutes(1))
    assert not check(db_session, vault, NOW + minutes(20)).anything


def test_an_alert_is_never_repeated_for_the_same_request(db_session, vault):
    first = urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6))
    for later in (7, 8, 9):
        assert not check(db_session, vault, NOW + minutes(later)).alerted
    assert len(written(db_session, vault)) == 3  # two addresses and the webhook, once
    second = urgent_request(db_session, vault, now=NOW + minutes(4))
    assert check(db_session, vault, NOW + minutes(9.5)).alerted == [second.id]
    (_, newest) = webhook_posts(written(db_session, vault))
    assert newest["references"] == [second.reference]
    assert first.reference not in json.dumps(newest)
    assert newest["counts"]["unseen"] == 2


def test_an_alert_still_unseen_escalates_to_enabled_supervisors_only_and_again_each_period(
    db_session, vault
):
    supervisors = [make_staff(db_session, role="supervisor") for _ in range(3)]
    supervisors[2].active = False
    db_session.commit()
    make_staff(db_session, role="agent")
    request = urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6))  # the alert: escalates at 3:11
    before = len(written(db_session, vault))
    assert not check(db_session, vault, NOW + minutes(10)).escalated
    assert check(db_session, vault, NOW + minutes(11)).escalated == [request.id]
    escalation = written(db_session, vault)[before:]
    assert recipients(escalation) == sorted(member.email for member in supervisors[:2])
    assert webhook_posts(escalation) == []
    assert {facts["kind"] for _, facts in escalation} == {alerts.ESCALATION}
    assert escalation[0][1]["references"] == [request.reference]
    for later in (12, 20, 25):
        assert not check(db_session, vault, NOW + minutes(later)).anything
    assert len(written(db_session, vault)) == before + 2
    assert check(db_session, vault, NOW + minutes(26)).escalated == [request.id], "15 min on"
    assert len(written(db_session, vault)) == before + 4
    assert alert_rows(db_session)[0].escalated_at == NOW + minutes(26)
    queue.take_next(db_session, on_shift(db_session, NOW + minutes(30)), now=NOW + minutes(30))
    assert not check(db_session, vault, NOW + minutes(41)).escalated, "taken: no more"


def test_an_overdue_alert_does_not_escalate_while_someone_is_active(db_session, vault):
    make_staff(db_session, role="supervisor")
    submit_request(db_session, vault, now=NOW)
    check(db_session, vault, NOW + minutes(31))
    active_member(db_session, NOW + minutes(45))
    assert not check(db_session, vault, NOW + minutes(46)).escalated
    assert alert_rows(db_session)[0].escalated_at is None


def test_an_urgent_alert_escalates_whoever_else_is_active(db_session, vault):
    make_staff(db_session, role="supervisor")
    request = urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6))
    active_member(db_session, NOW + minutes(10))
    assert check(db_session, vault, NOW + minutes(11)).escalated == [request.id]


def test_an_alert_links_to_the_requests_page_when_the_sites_address_is_known(db_session, vault):
    request = urgent_request(db_session, vault)
    linked = alerts.AlertSettings(emails=ON_CALL, public_url="https://help.example.org")
    check(db_session, vault, NOW + minutes(6), linked)
    page = f"https://help.example.org/staff/requests/{request.reference}"
    facts = written(db_session, vault)[0][1]
    assert facts["request_pages"] == {request.reference: page}
    _, text = alerts.describe(facts, NOW.tzinfo, "UK time")
    assert f"Open {request.reference} on the dashboard: {page}" in text


def test_the_alerts_request_page_is_the_dashboards(app):
    with app.test_request_context():
        assert alerts.REQUEST_PAGE.format(reference="K7QM-4Z2P") == url_for(
            "staff.request_page", reference="K7QM-4Z2P"
        )


def test_back_within_target_is_said_once_through_the_same_channels(db_session, vault):
    request = urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6))
    before = len(written(db_session, vault))
    assert queue.take_next(db_session, on_shift(db_session, NOW + minutes(7)), now=NOW + minutes(7))
    report = check(db_session, vault, NOW + minutes(8))
    assert report.closed == [request.id]
    notice = written(db_session, vault)[before:]
    assert recipients(notice) == sorted(ON_CALL)
    (posted,) = webhook_posts(notice)
    assert (posted["kind"], posted["references"]) == (alerts.BACK_TO_NORMAL, [request.reference])
    for later in (9, 10, 30):
        assert not check(db_session, vault, NOW + minutes(later)).anything
    assert len(written(db_session, vault)) == before + 3
    assert alert_rows(db_session)[0].closed_at == NOW + minutes(8)


def test_supervisors_told_of_an_escalation_are_told_when_it_is_over(db_session, vault):
    supervisor = make_staff(db_session, role="supervisor")
    urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6))
    check(db_session, vault, NOW + minutes(11))
    before = len(written(db_session, vault))
    queue.take_next(db_session, on_shift(db_session, NOW + minutes(12)), now=NOW + minutes(12))
    assert check(db_session, vault, NOW + minutes(13)).closed
    assert recipients(written(db_session, vault)[before:]) == sorted([*ON_CALL, supervisor.email])


def test_a_request_waiting_unseen_again_after_the_notice_is_alerted_again(db_session, vault):
    request = urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6))
    agent = on_shift(db_session, NOW + minutes(7))
    queue.take_next(db_session, agent, now=NOW + minutes(7))
    assert check(db_session, vault, NOW + minutes(8)).closed
    queue.release(db_session, request, agent, now=NOW + minutes(9))
    assert check(db_session, vault, NOW + minutes(10)).alerted == [request.id]
    assert [row.closed_at is None for row in alert_rows(db_session)] == [False, True]


def test_without_alert_addresses_or_a_webhook_no_alert_is_made(db_session, vault):
    urgent_request(db_session, vault)
    assert not alerts.AlertSettings().enabled
    assert not check(db_session, vault, NOW + minutes(60), alerts.AlertSettings()).anything
    assert alert_rows(db_session) == []
    assert written(db_session, vault) == []


def test_with_a_webhook_alone_the_alert_is_posted_and_emailed_to_nobody(db_session, vault):
    urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6), alerts.AlertSettings(webhook=True))
    assert [kind for kind, _ in written(db_session, vault)] == [outbox.ALERT_WEBHOOK]


@pytest.mark.pages_only
def test_what_is_written_names_references_and_counts_only(db_session, vault):
    urgent_request(db_session, vault, email="quill.visitor@example.net", **PERSONAL)
    check(db_session, vault, NOW + minutes(6))
    messages = [m for m in written(db_session, vault) if m[0] != outbox.CALLBACK_CONFIRMATION]
    for _kind, facts in messages:
        assert set(facts) - {"to"} == {
            "kind",
            "references",
            "urgent_references",
            "overdue_references",
            "counts",
            "oldest_wait_seconds",
            "urgent_minutes",
            "overdue_minutes",
            "active_within_minutes",
            "checked_at",
            "request_pages",
            "nobody_active",
        }
        words = json.dumps(facts)
        assert not [secret for secret in IDENTIFYING if secret in words]
        assert "quill.visitor" not in words


@pytest.mark.parametrize("kind", [alerts.ALERT, alerts.ESCALATION, alerts.BACK_TO_NORMAL])
def test_every_subject_is_neutral_and_says_how_many(kind):
    facts = {
        "kind": kind,
        "references": ["K7QM-4Z2P", "B3XR-9T2M"],
        "urgent_references": ["K7QM-4Z2P"],
        "overdue_references": ["B3XR-9T2M"],
        "counts": {"references": 2, "urgent": 1, "overdue": 1, "unseen": 3, "ready": 4},
        "oldest_wait_seconds": 22 * 60 + 30,
        "urgent_minutes": 5,
        "overdue_minutes": 15,
        "active_within_minutes": 5,
        "checked_at": NOW.isoformat(),
    }
    subject, text = alerts.describe(facts, NOW.tzinfo, "UK time")
    assert not REVEALING.search(subject + text)
    assert "K7QM-4Z2P" in text and "B3XR-9T2M" in text
    assert "Ready to call now: 4; the longest has waited 22 minutes." in text
    assert "Checked at 03:00 on Friday 15 January (UK time)." in text
    expected = {
        alerts.ALERT: "Callback queue: 2 requests waiting unseen",
        alerts.ESCALATION: "Callback queue: 2 requests still waiting unseen",
        alerts.BACK_TO_NORMAL: "Callback queue: back within target",
    }
    assert subject == expected[kind]


# Two workers at once


def checks_at_once(app, monkeypatch, at, meet_in: str) -> list[alerts.CheckReport]:
    """Two checks in two sessions that both call `alerts.<meet_in>` before either goes
    on: both have read the queue, and neither has written."""
    both_there = threading.Barrier(2, timeout=READY_SECONDS)
    original = getattr(alerts, meet_in)

    def meet_then_go_on(*args, **kwargs):
        both_there.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(alerts, meet_in, meet_then_go_on)
    with app.app_context():
        engine = db.engine
        vault = app.extensions["intake"].service.vault
    reports, errors = [], []

    def one_check() -> None:
        try:
            with Session(engine) as session:
                reports.append(alerts.raise_escalate_or_close(session, vault, SETTINGS, at))
        except Exception as error:  # reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=one_check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=READY_SECONDS * 5)
    monkeypatch.undo()
    assert not errors, errors
    assert len(reports) == 2
    return reports


def test_two_checks_at_once_raise_one_alert(app, db_session, vault, monkeypatch):
    request = urgent_request(db_session, vault)
    # Both have found no open alert for it; one insert goes in, the other does nothing.
    reports = checks_at_once(app, monkeypatch, NOW + minutes(6), meet_in="_insert")
    assert sorted(report.alerted for report in reports) == [[], [request.id]]
    assert len(alert_rows(db_session)) == 1
    assert len(written(db_session, vault)) == 3


def test_two_checks_at_once_say_back_within_target_once(app, db_session, vault, monkeypatch):
    request = urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6))
    queue.take_next(db_session, on_shift(db_session, NOW + minutes(7)), now=NOW + minutes(7))
    before = len(written(db_session, vault))
    # Both have found nobody waiting unseen; one UPDATE closes the alert, the other none.
    reports = checks_at_once(app, monkeypatch, NOW + minutes(8), meet_in="waiting_unseen")
    assert sorted(report.closed for report in reports) == [[], [request.id]]
    assert len(written(db_session, vault)) == before + 3


# End to end: a real SMTP server and a real HTTP receiver


class WebhookReceiver:
    """An HTTP server that takes alerts as a real receiver would: it checks each
    signature (401 when it is wrong) and answers `status` to the signed ones."""

    def __init__(self, port: int, status: int = 200) -> None:
        self.port = port
        self.status = status
        self.received: list[tuple[dict, bytes]] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/intake"

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append((dict(self.headers), body))
                signed = signed_by_us(self.headers.get(webhooks.SIGNATURE_HEADER, ""), body)
                self.send_response(receiver.status if signed else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=READY_SECONDS)
            self.server = None

    @property
    def bodies(self) -> list[dict]:
        with self.lock:
            return [json.loads(body) for _headers, body in self.received]


def signed_by_us(header: str, body: bytes) -> bool:
    """What a receiver does: compute the signature again, compare in constant time."""
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header, expected)


@pytest.fixture
def receiver():
    """A receiver not yet started: `receiver.start()` brings it up."""
    server = WebhookReceiver(free_port())
    yield server
    server.stop()


def sender_for(smtp: SmtpServer, receiver: WebhookReceiver) -> emails.Sender:
    return emails.Sender(
        address="callbacks@example.org",
        name="Callback service",
        smtp=SmtpSettings("127.0.0.1", smtp.port, "none"),
        webhook=webhooks.Webhook(receiver.url, SECRET),
    )


def send_round(app, smtp: SmtpServer, receiver: WebhookReceiver, now) -> emails.RoundReport:
    with app.app_context():
        service = app.extensions["intake"].service
        try:
            return emails.send_due(db.session, service, sender_for(smtp, receiver), now)
        finally:
            db.session.remove()


def configure_alerts(app, smtp: SmtpServer, receiver: WebhookReceiver) -> None:
    app.config.update(
        INTAKE_SMTP_URL=smtp.url,
        INTAKE_MAIL_FROM="callbacks@example.org",
        INTAKE_ALERT_EMAILS=ON_CALL,
        INTAKE_ALERT_WEBHOOK_URL=receiver.url,
        INTAKE_ALERT_WEBHOOK_SECRET=SECRET,
    )


def test_the_worker_emails_the_list_and_posts_a_signed_alert_that_names_no_one(
    app, db_session, vault, running_smtp, receiver, caplog
):
    request = urgent_request(db_session, vault, **PERSONAL)
    configure_alerts(app, running_smtp, receiver.start())
    caplog.set_level("DEBUG")
    with time_machine.travel(NOW + minutes(6), tick=False):
        result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert f"Queue alerts: alert for request {request.id} (3 to send)." in result.output
    assert "Sent 3, 0 to try again later, 0 failed after the last try." in result.output

    messages = running_smtp.inbox.messages
    assert sorted(message["To"] for message in messages) == sorted(ON_CALL)
    for message in messages:
        assert message["Subject"] == "Callback queue: 1 request waiting unseen"
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert f"Urgent, waiting over 5 minutes: {request.reference}." in text
        assert "Checked at 03:06 on Friday 15 January (UK time)." in text
        whole = message.as_string() + text
        assert not [secret for secret in IDENTIFYING if secret in whole]
        assert not REVEALING.search(whole)

    ((headers, body),) = receiver.received
    assert signed_by_us(headers[webhooks.SIGNATURE_HEADER], body)
    assert headers["Content-Type"] == "application/json"
    posted = json.loads(body)
    assert posted["text"].startswith("1 callback request is waiting unseen")
    assert (posted["kind"], posted["references"]) == ("alert", [request.reference])
    assert posted["counts"]["urgent"] == 1 and posted["oldest_wait_seconds"] == 360
    assert posted["sent_at"] == (NOW + minutes(6)).isoformat()
    assert not [secret for secret in IDENTIFYING if secret in body.decode()]
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))
    assert "Queue alerts" in ours
    assert request.reference not in ours and "Zebedee" not in ours


def test_a_receiver_that_is_down_gets_the_alert_once_it_is_up(
    app, db_session, vault, running_smtp, receiver
):
    urgent_request(db_session, vault)
    at = NOW + minutes(6)
    check(db_session, vault, at)
    report = send_round(app, running_smtp, receiver, at)
    assert (report.sent, report.retrying) == (2, 1)  # the emails went; the post waits
    (waiting,) = [m for m in messages_of(db_session) if m.status == outbox.WAITING]
    assert waiting.kind == outbox.ALERT_WEBHOOK
    assert waiting.last_error == "Could not reach the webhook (ConnectionRefusedError)."
    assert waiting.next_attempt_at == at + minutes(1)

    receiver.start()
    assert send_round(app, running_smtp, receiver, at + timedelta(seconds=30)).sent == 0
    assert send_round(app, running_smtp, receiver, at + minutes(1)).sent == 1
    assert send_round(app, running_smtp, receiver, at + minutes(120)).sent == 0
    assert len(receiver.received) == 1
    assert {m.status for m in messages_of(db_session)} == {outbox.SENT}


def messages_of(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    session.rollback()
    return list(rows)


@pytest.mark.pages_only
@pytest.mark.parametrize(
    ("status", "after"),
    [
        (400, outbox.FAILED),
        (404, outbox.FAILED),
        (410, outbox.FAILED),
        (408, outbox.WAITING),
        (429, outbox.WAITING),
        (500, outbox.WAITING),
        (503, outbox.WAITING),
        (302, outbox.WAITING),
    ],
)
def test_an_answer_other_than_2xx_is_a_failure_and_a_4xx_but_408_and_429_is_permanent(
    app, db_session, vault, running_smtp, receiver, status, after
):
    receiver.status = status
    receiver.start()
    urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6), alerts.AlertSettings(webhook=True))
    send_round(app, running_smtp, receiver, NOW + minutes(6))
    (message,) = messages_of(db_session)
    assert (message.status, message.last_error) == (after, f"The webhook answered {status}.")


@pytest.mark.pages_only
def test_a_post_with_a_wrong_secret_is_refused_by_the_receiver_and_fails(
    app, db_session, vault, running_smtp, receiver
):
    receiver.start()
    urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6), alerts.AlertSettings(webhook=True))
    with app.app_context():
        sender = emails.Sender(
            "callbacks@example.org",
            "Callback service",
            SmtpSettings("127.0.0.1", running_smtp.port, "none"),
            webhooks.Webhook(receiver.url, "not-the-shared-secret"),
        )
        emails.send_due(db.session, app.extensions["intake"].service, sender, NOW + minutes(6))
        db.session.remove()
    (message,) = messages_of(db_session)
    assert (message.status, message.last_error) == (outbox.FAILED, "The webhook answered 401.")


def test_a_failed_alert_is_shown_to_supervisors_by_its_kind_and_counted(
    app, client, db_session, vault, running_smtp, receiver, make_member
):
    receiver.status = 400
    receiver.start()
    urgent_request(db_session, vault)
    check(db_session, vault, NOW + minutes(6), alerts.AlertSettings(webhook=True))
    send_round(app, running_smtp, receiver, NOW + minutes(6))
    supervisor = make_member("supervisor", "Sam Supervisor")[1].sign_in()
    team = supervisor.get_page("/staff/team")
    failed = team.select_one("#failed-emails-caption").find_parent("table").get_text(" ")
    assert outbox.KIND_LABELS[outbox.ALERT_WEBHOOK] in failed
    assert "The webhook answered 400." in failed
    assert "intake_outbox_failed 1.0" in client.get("/metrics").get_data(as_text=True)


def test_without_alert_settings_the_worker_says_so_once_and_makes_no_alert(
    app, db_session, vault, running_smtp
):
    urgent_request(db_session, vault)
    app.config["INTAKE_SMTP_URL"] = running_smtp.url
    with time_machine.travel(NOW + minutes(60), tick=False):
        result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.count("No queue alerts:") == 1
    assert alert_rows(db_session) == []
    assert running_smtp.inbox.envelopes == []
