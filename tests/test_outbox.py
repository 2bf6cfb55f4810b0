"""The outbox: the visitor's email is stored with the request, and a worker sends it
through a real SMTP server (aiosmtpd, tests/smtp.py) exactly once."""

import json
import re
import signal
import subprocess
import sys
import threading
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import time_machine
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from intake import emails, jobs
from intake.config import ConfigError, load_config
from intake.domain import alerts, job_runs, outbox, report_days, retention
from intake.domain.callbacks import show_confirmation, submit_callback, withdraw_callback
from intake.domain.clock import utc_now
from intake.extensions import db
from intake.mail import SmtpSettings, parse_smtp_url
from intake.models import AuditEvent, OutboxMessage
from tests.conftest import command_environ, page
from tests.factories import POLICY, make_answers, submit_request, utc
from tests.smtp import READY_SECONDS, SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[1]
ADDRESS = "quill.visitor@example.net"
NOW = utc(2026, 7, 1, 12, 0)  # 1pm in London (summer time)
PERSONAL = {
    "name": "Zebedee Quill",
    "phone": "+447400987654",
    "topics": ("cocaine", "prescription"),
    "message": "Worried about my brother's drinking",
}
# Words a neutral email never says, wherever it is read.
REVEALING = re.compile(r"addict|alcohol|drink|cocaine|drug|baclofen|medicine|rehab", re.I)


def sender_for(server: SmtpServer) -> emails.Sender:
    return emails.Sender(
        address="callbacks@example.org",
        name="Callback service",
        smtp=SmtpSettings("127.0.0.1", server.port, "none"),
    )


def send_round(app, server: SmtpServer, now=NOW) -> emails.RoundReport:
    with app.app_context():
        service = app.extensions["intake"].service
        try:
            return emails.send_due(db.session, service, sender_for(server), now)
        finally:
            db.session.remove()


def messages(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    session.rollback()
    return list(rows)


def only_message(session: Session) -> OutboxMessage:
    rows = messages(session)
    assert len(rows) == 1, f"expected one message, found {len(rows)}"
    return rows[0]


def our_log(caplog) -> str:
    """What the app logged (the test's SMTP server logs what it receives: not ours)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    """The plain text part, and the HTML part as a reader sees it."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return " ".join(text.split()), " ".join(BeautifulSoup(html, "html.parser").get_text().split())


# Stored with the request


def test_a_request_with_an_email_address_is_stored_with_one_waiting_message_sealed(
    db_session, vault
):
    request = submit_request(db_session, vault, email=ADDRESS, now=NOW)
    message = only_message(db_session)
    assert (message.kind, message.status, message.request_id) == (
        outbox.CALLBACK_CONFIRMATION,
        outbox.WAITING,
        request.id,
    )
    assert ADDRESS.encode() not in message.payload
    assert vault.open(message.payload)["to"] == ADDRESS
    assert message.next_attempt_at == NOW


def test_the_sealed_message_holds_no_name_phone_topics_or_words_of_the_visitor(db_session, vault):
    submit_request(db_session, vault, email=ADDRESS, now=NOW, **PERSONAL)
    facts = vault.open(only_message(db_session).payload)
    assert set(facts) == {
        "to",
        "reference",
        "when",
        "due_at",
        "created_at",
        "aim_minutes",
        "chosen_time_set_aside",
        "urgent",
        "day",
        "window",
    }


def test_a_request_without_an_email_address_writes_no_message(db_session, vault):
    submit_request(db_session, vault, now=NOW)
    assert messages(db_session) == []


def test_a_repeated_submission_writes_its_email_once(db_session, vault):
    answers = make_answers(email=ADDRESS)
    first = submit_callback(db_session, vault, answers, "same-token", POLICY, now=NOW)
    again = submit_callback(db_session, vault, answers, "same-token", POLICY, now=NOW)
    assert again.repeated and again.request_id == first.request_id
    assert len(messages(db_session)) == 1


def test_a_rolled_back_submission_stores_no_message_and_sends_nothing(
    app, db_session, vault, running_smtp, monkeypatch
):
    def refused_commit():
        raise OperationalError("COMMIT", {}, Exception("the database went away"))

    monkeypatch.setattr(db_session, "commit", refused_commit)
    with pytest.raises(OperationalError):
        submit_request(db_session, vault, email=ADDRESS, now=NOW)
    db_session.rollback()
    monkeypatch.undo()
    assert messages(db_session) == []
    assert send_round(app, running_smtp).sent == 0
    assert running_smtp.inbox.messages == []


# Sent through a real SMTP server


def test_the_worker_sends_the_email_once_and_keeps_no_sealed_copy(
    app, db_session, vault, running_smtp, caplog
):
    request = submit_request(db_session, vault, email=ADDRESS, now=NOW, **PERSONAL)
    caplog.set_level("DEBUG")
    assert send_round(app, running_smtp).sent == 1
    assert send_round(app, running_smtp, NOW + timedelta(hours=2)).sent == 0
    (envelope,) = running_smtp.inbox.envelopes
    assert envelope.rcpt_tos == [ADDRESS]
    assert envelope.mail_from == "callbacks@example.org"
    message = only_message(db_session)
    assert (message.status, message.payload, message.sent_at) == (outbox.SENT, None, NOW)
    ours = our_log(caplog)
    assert ADDRESS not in ours and request.reference not in ours and ours


def test_the_email_gives_the_reference_the_time_in_the_services_zone_the_number_and_how_to_withdraw(
    app, db_session, vault, running_smtp
):
    request = submit_request(db_session, vault, email=ADDRESS, now=NOW, **PERSONAL)
    send_round(app, running_smtp)
    (message,) = running_smtp.inbox.messages
    text, html = text_and_html(message)
    assert message["Subject"] == f"Your reference {request.reference}"
    assert message["From"] == "Callback service <callbacks@example.org>"
    for part in (text, html):
        assert request.reference in part
        assert "by 1:15pm on Wednesday 1 July (UK time)" in part
        assert "We will call from" in part and "0808 157 0192" in part
        assert "If you no longer want us to call, call 0808 157 0192 at any time" in part
        assert "give your reference" in part
        # The confirmation page is shown once: the email never sends anyone back to it.
        assert "Withdraw my request" not in part and "page you saw" not in part


def test_the_email_gives_the_aim_the_form_showed(app, db_session, vault, running_smtp):
    answers = make_answers(email=ADDRESS)
    submit_callback(db_session, vault, answers, "t", POLICY, now=NOW, aim=timedelta(minutes=35))
    send_round(app, running_smtp)
    for part in text_and_html(running_smtp.inbox.messages[0]):
        assert "we aim to call within 35 minutes, by about 1:35pm on Wednesday 1 July" in part


def test_the_email_for_someone_in_danger_gives_the_emergency_lines_of_the_confirmation(
    app, db_session, vault, running_smtp, visitor
):
    confirmation = page(
        visitor.client.get(visitor.submit(in_danger="yes").headers["Location"])
    ).select_one(".notice--important")
    shown = [li.get_text(" ", strip=True) for li in confirmation.select(".phone-lines li")]
    submit_request(db_session, vault, email=ADDRESS, now=NOW, in_danger=True)
    submit_request(db_session, vault, email="calm@example.org", now=NOW)
    send_round(app, running_smtp)
    urgent, calm = running_smtp.inbox.messages
    for part in text_and_html(urgent):
        flat = " ".join(BeautifulSoup(part, "lxml").get_text(" ").split())
        assert "If someone is in danger now" in flat
        for line in shown:
            assert line in flat, line
        assert "Do not wait for our call if someone is in danger." in flat
    assert all("danger" not in part for part in text_and_html(calm))


def test_the_email_says_a_time_chosen_by_someone_in_danger_was_set_aside(
    app, db_session, vault, running_smtp
):
    answers = make_answers(
        email=ADDRESS, in_danger=True, when="later", day=date(2026, 7, 3), window="18-20"
    )
    submit_callback(db_session, vault, answers, "t", POLICY, now=NOW, aim=timedelta(minutes=15))
    send_round(app, running_smtp)
    for part in text_and_html(running_smtp.inbox.messages[0]):
        assert "not at the time you chose" in part and "call 999" in part
        assert "Friday 3 July" not in part


def test_the_email_says_nothing_of_the_visitors_name_number_topics_or_message(
    app, db_session, vault, running_smtp
):
    submit_request(db_session, vault, email=ADDRESS, now=NOW, **PERSONAL)
    send_round(app, running_smtp)
    (message,) = running_smtp.inbox.messages
    whole = message.as_string() + "".join(text_and_html(message))
    for secret in ("Zebedee", "Quill ", "987654", "987 654", "brother", "Worried"):
        assert secret not in whole
    assert not REVEALING.search(whole), REVEALING.search(whole)


def test_a_chosen_window_is_given_as_the_day_and_window_in_the_services_zone(
    app, db_session, vault, running_smtp
):
    chosen = {"when": "later", "day": date(2026, 7, 3), "window": "10-12"}
    submit_request(db_session, vault, email=ADDRESS, now=NOW, **chosen)
    send_round(app, running_smtp)
    text, _html = text_and_html(running_smtp.inbox.messages[0])
    assert "We will call you on Friday 3 July, from 10am to midday (UK time)." in text


def test_while_the_server_is_down_the_message_waits_then_goes_exactly_once(
    app, db_session, vault, smtp_server
):
    submit_request(db_session, vault, email=ADDRESS, now=NOW)
    report = send_round(app, smtp_server)
    assert (report.sent, report.retrying) == (0, 1)
    message = only_message(db_session)
    assert (message.status, message.attempts) == (outbox.WAITING, 1)
    assert message.last_error == "Could not reach the mail server (ConnectionRefusedError)."
    assert message.next_attempt_at == NOW + timedelta(minutes=1)

    smtp_server.start()
    assert send_round(app, smtp_server, NOW + timedelta(seconds=30)).sent == 0  # not due yet
    assert send_round(app, smtp_server, NOW + timedelta(minutes=1)).sent == 1
    assert send_round(app, smtp_server, NOW + timedelta(hours=3)).sent == 0
    assert len(smtp_server.inbox.envelopes) == 1
    assert only_message(db_session).status == outbox.SENT


def test_a_stopping_worker_gives_back_what_it_claimed_but_did_not_try(app, db_session, vault):
    submit_request(db_session, vault, email=ADDRESS, now=NOW)
    with app.app_context():
        service = app.extensions["intake"].service
        sender = emails.Sender(
            "callbacks@example.org", "Callback service", parse_smtp_url("smtp://x")
        )
        report = emails.send_due(db.session, service, sender, NOW, stopping=lambda: True)
        db.session.remove()
    assert not report.anything
    message = only_message(db_session)
    assert (message.status, message.attempts, message.next_attempt_at) == (outbox.WAITING, 0, NOW)
    assert message.claim_token is None


def test_each_failure_waits_longer_before_the_next_try():
    waits = [outbox.RETRIES.wait_after(attempts) for attempts in range(1, 9)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits == sorted(waits) and waits[-1] == timedelta(hours=1)


def fail_every_try(app, db_session, server: SmtpServer):
    """Run rounds while the server is down, each when the message is next due."""
    now = NOW
    for _ in range(outbox.RETRIES.max_attempts):
        send_round(app, server, now)
        now = only_message(db_session).next_attempt_at
    return now


def test_after_the_last_try_a_message_is_failed_for_supervisors_and_metrics(
    app, client, db_session, vault, smtp_server, supervisor
):
    request = submit_request(db_session, vault, email=ADDRESS, now=NOW)
    fail_every_try(app, db_session, smtp_server)
    message = only_message(db_session)
    assert (message.status, message.attempts) == (outbox.FAILED, outbox.RETRIES.max_attempts)
    team = supervisor.get_page("/staff/team")
    failed = team.select_one("#failed-emails-caption").find_parent("table").get_text(" ")
    assert request.reference in failed and "ConnectionRefusedError" in failed
    assert ADDRESS not in team.get_text()
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "intake_outbox_failed 1.0" in metrics
    assert "intake_outbox_waiting 0.0" in metrics


def test_a_supervisor_tries_a_failed_message_again_and_it_goes_once(
    app, db_session, vault, smtp_server, supervisor
):
    submit_request(db_session, vault, email=ADDRESS, now=NOW)
    fail_every_try(app, db_session, smtp_server)
    message = only_message(db_session)
    try_again = f"/staff/team/emails/{message.id}/try-again"
    response = supervisor.post(try_again, form_page="/staff/team")
    assert response.status_code == 303
    assert only_message(db_session).status == outbox.WAITING
    retried = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "email_retried"))
    assert [event.detail for event in retried] == [{"message": message.id}]
    smtp_server.start()
    assert send_round(app, smtp_server, utc_now()).sent == 1  # due at once
    assert len(smtp_server.inbox.envelopes) == 1
    team = supervisor.get_page("/staff/team").get_text()
    assert "None: every email and alert has been sent" in team


def test_an_address_the_server_refuses_fails_at_once_and_the_error_names_no_address(
    app, db_session, vault
):
    server = SmtpServer(free_port(), refuse=True).start()
    try:
        submit_request(db_session, vault, email=ADDRESS, now=NOW)
        assert send_round(app, server).failed == 1
    finally:
        server.stop()
    message = only_message(db_session)
    assert message.status == outbox.FAILED
    assert message.last_error == "The mail server refused the address (550)."


def test_metrics_count_the_messages_waiting(client, db_session, vault):
    submit_request(db_session, vault, email=ADDRESS)
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "intake_outbox_waiting 1.0" in metrics
    assert "intake_outbox_oldest_waiting_seconds" in metrics


# Several workers


def test_two_workers_at_once_never_send_a_message_twice(app, db_session, vault, running_smtp):
    addresses = [f"visitor-{n}@example.net" for n in range(30)]
    for address in addresses:
        submit_request(db_session, vault, email=address, now=NOW)
    start = threading.Barrier(2, timeout=READY_SECONDS)
    errors = []

    def worker() -> None:
        try:
            start.wait()
            while send_round(app, running_smtp).sent:
                pass
        except Exception as error:  # reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors
    received = sorted(e.rcpt_tos[0] for e in running_smtp.inbox.envelopes)
    assert received == sorted(addresses)
    assert {m.status for m in messages(db_session)} == {outbox.SENT}


def test_on_postgresql_a_worker_skips_messages_another_is_claiming_instead_of_waiting(
    app, db_session, vault
):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises every write")
    for n in range(4):
        submit_request(db_session, vault, email=f"visitor-{n}@example.net", now=NOW)
    with Session(db_session.get_bind()) as holder:
        locked = holder.scalars(
            select(OutboxMessage.id).order_by(OutboxMessage.id).limit(2).with_for_update()
        ).all()
        claimed = []
        other = threading.Thread(target=lambda: claimed.extend(claim_in_new_session(app)))
        other.start()
        other.join(timeout=READY_SECONDS * 5)
        assert not other.is_alive(), "the second worker waited for the first one's locks"
        holder.rollback()
    assert sorted(claim.id for claim in claimed) == sorted(
        set(m.id for m in messages(db_session)) - set(locked)
    )


def claim_in_new_session(app) -> list[outbox.Claimed]:
    with app.app_context():
        try:
            return outbox.claim_due(db.session, NOW)
        finally:
            db.session.remove()


def test_a_request_withdrawn_before_its_email_went_never_sends_it(
    app, db_session, vault, running_smtp
):
    receipt = submit_callback(
        db_session, vault, make_answers(email=ADDRESS), "withdrawn-soon", POLICY, now=NOW
    )
    secret = show_confirmation(db_session, vault, receipt.token).withdraw_secret
    assert withdraw_callback(db_session, secret, now=NOW) == receipt.reference
    message = only_message(db_session)
    assert (message.status, message.payload) == (outbox.DISCARDED, None)
    assert send_round(app, running_smtp).sent == 0
    assert running_smtp.inbox.envelopes == []


# Retention


def test_a_purged_requests_email_loses_its_address_and_is_never_sent(
    app, db_session, vault, running_smtp
):
    long_ago = NOW - timedelta(days=200)
    submit_request(db_session, vault, email=ADDRESS, now=long_ago)
    policy = retention.RetentionPolicy.from_days(90, 7)
    assert sum(retention.purge(db_session, NOW, policy)) == 1
    message = only_message(db_session)
    assert (message.status, message.payload) == (outbox.DISCARDED, None)
    assert send_round(app, running_smtp).sent == 0
    assert running_smtp.inbox.envelopes == []


def test_on_sqlite_a_purged_emails_sealed_address_is_left_in_no_database_file(
    app, db_session, vault
):
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's own files; PostgreSQL needs VACUUM (docs/deploy.md)")
    submit_request(db_session, vault, email=ADDRESS, now=NOW - timedelta(days=200))
    sealed = only_message(db_session).payload
    with app.app_context():
        path = Path(db.engine.url.database)
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")]

    def on_disk() -> bytes:
        return b"".join(file.read_bytes() for file in files if file.exists())

    assert sealed in on_disk()
    policy = retention.RetentionPolicy.from_days(90, 7)
    assert sum(retention.purge(db_session, NOW, policy)) == 1
    assert sealed not in on_disk()


# Settings and commands


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.internal:2525", SmtpSettings("mail.internal", 2525, "none")),
        ("smtp://mail.internal", SmtpSettings("mail.internal", 25, "none")),
        ("smtps://mail.example.org", SmtpSettings("mail.example.org", 465, "tls")),
        (
            "smtp+starttls://intake%40example.org:p%2Fss@mail.example.org:587",
            SmtpSettings("mail.example.org", 587, "starttls", "intake@example.org", "p/ss"),
        ),
    ],
)
def test_the_smtp_url_names_the_server_its_security_and_the_sign_in(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2secret@mail.example.org",
        "smtp://user:hunter2secret@:25",
        "smtp://user:hunter2secret@mail.example.org:port",
        "smtp+starttls://user:hunter2secret@mail.example.org/path",
        "smtp://user@mail.example.org",
    ],
)
def test_an_unusable_smtp_url_stops_the_app_without_repeating_the_password(tmp_path, url):
    with pytest.raises(ConfigError, match="INTAKE_SMTP_URL") as refused:
        load_config(tmp_path, {"INTAKE_SMTP_URL": url})
    assert "hunter2secret" not in str(refused.value)


def test_a_sender_address_that_is_not_an_address_stops_the_app(tmp_path):
    with pytest.raises(ConfigError, match="INTAKE_MAIL_FROM"):
        load_config(tmp_path, {"INTAKE_MAIL_FROM": "Callbacks <callbacks@example.org>"})


def test_the_smtp_password_is_never_shown_in_the_settings_repr():
    settings = parse_smtp_url("smtp+starttls://intake:hunter2secret@mail.example.org")
    assert "hunter2secret" not in repr(settings)


def test_without_an_smtp_server_the_worker_says_how_many_wait_and_sends_nothing(
    app, db_session, vault, caplog
):
    submit_request(db_session, vault, email=ADDRESS, now=NOW)
    caplog.set_level("DEBUG")
    result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 email waiting: INTAKE_SMTP_URL is not set, so nothing is sent." in result.output
    assert ADDRESS not in result.output + our_log(caplog)
    assert only_message(db_session).attempts == 0


def test_run_once_sends_what_is_due_and_status_counts_it(app, db_session, vault, running_smtp):
    submit_request(db_session, vault, email=ADDRESS)
    app.config["INTAKE_SMTP_URL"] = running_smtp.url
    runner = app.test_cli_runner()
    sent = runner.invoke(args=["outbox", "run", "--once"])
    assert sent.exit_code == 0, sent.output
    assert "Sent 1, 0 to try again later, 0 failed after the last try." in sent.output
    status = runner.invoke(args=["outbox", "status"])
    assert "Waiting: 0" in status.output and "Sent:    1" in status.output
    assert len(running_smtp.inbox.envelopes) == 1


def test_the_running_worker_stops_cleanly_on_sigterm(sqlite_template, tmp_path):
    environ = command_environ(sqlite_template, tmp_path)
    command = [sys.executable, "-m", "flask", "--app", "intake", "outbox", "run"]
    worker = subprocess.Popen(
        [*command, "--interval", "1"], env=environ, cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        said = [json.loads(worker.stderr.readline())["message"] for _ in range(2)]
        assert "every 1 second." in said[0], said
        worker.send_signal(signal.SIGTERM)
        _, rest = worker.communicate(timeout=READY_SECONDS * 5)
    finally:
        worker.kill()
    assert worker.returncode == 0
    lines = [json.loads(line) for line in rest.splitlines()]  # each one JSON object
    assert lines[-1]["message"] == "Stopped."


def test_nothing_is_waiting_after_a_visitor_without_an_address_sends_the_form(visitor, db_session):
    visitor.submit()
    count = db_session.scalar(select(func.count()).select_from(OutboxMessage))
    assert count == 0


def test_a_visitor_who_gives_an_address_gets_one_waiting_email(visitor, db_session, stored):
    response = visitor.submit(email=ADDRESS)
    assert response.status_code == 303, page(response).get_text(" ", strip=True)[:300]
    assert stored.answers()["email"] == ADDRESS
    assert only_message(db_session).request_id == stored.only().id


# A fault in one job never stops the alerts and emails

ON_CALL = ("on-call@intake.example",)


def broken(*args, **kwargs):
    """A bug whose message quotes the visitor, as a careless one might."""
    raise RuntimeError(f"{PERSONAL['name']} {PERSONAL['phone']}")


def runs_of(session: Session, job: str) -> job_runs.Runs:
    (runs,) = [runs for runs in job_runs.all_runs(session) if runs.job == job]
    return runs


def failures_logged(caplog, step: str) -> list[str]:
    said = [record.getMessage() for record in caplog.records]
    assert not [line for line in said if "Zebedee" in line or "987654" in line]
    return [line for line in said if f"The {step} failed" in line]


def test_a_bug_in_report_days_never_stops_an_alert_or_an_email_from_going(
    app, db_session, vault, running_smtp, monkeypatch, caplog
):
    request = submit_request(db_session, vault, email=ADDRESS, in_danger=True, now=NOW, **PERSONAL)
    app.config.update(INTAKE_SMTP_URL=running_smtp.url, INTAKE_ALERT_EMAILS=ON_CALL)
    monkeypatch.setattr(report_days, "keep_some", broken)
    runner, later = app.test_cli_runner(), NOW + timedelta(minutes=6)
    with time_machine.travel(later, tick=False):
        kept = runner.invoke(args=["reports", "keep"])
        sent = runner.invoke(args=["outbox", "run", "--once"])
    assert kept.exit_code == 1
    assert sent.exit_code == 0, sent.output
    assert f"Queue alerts: alert for request {request.id} (1 to send)." in sent.output
    assert sorted(message["To"] for message in running_smtp.inbox.messages) == sorted(
        [ADDRESS, *ON_CALL]
    )
    assert runs_of(db_session, job_runs.REPORT_DAYS).failures == 1
    assert runs_of(db_session, job_runs.OUTBOX) == job_runs.Runs(job_runs.OUTBOX, later, 0)
    assert len(failures_logged(caplog, "report-days job")) == 1


def test_a_failing_alert_check_is_counted_each_round_logged_once_and_the_emails_still_go(
    app, db_session, vault, running_smtp, monkeypatch, caplog
):
    submit_request(db_session, vault, email=ADDRESS, now=NOW, **PERSONAL)
    monkeypatch.setattr(alerts, "raise_escalate_or_close", broken)
    with app.app_context():
        worker = jobs.OutboxWorker(sender_for(running_smtp), alerts.AlertSettings(emails=ON_CALL))
        first, second = worker.round(), worker.round()
    assert first == (["Sent 1, 0 to try again later, 0 failed after the last try."], False)
    assert second == ([], False)
    assert [message["To"] for message in running_smtp.inbox.messages] == [ADDRESS]
    outbox_runs = runs_of(db_session, job_runs.OUTBOX)
    assert (outbox_runs.failures, outbox_runs.last_success_at) == (2, None)
    (logged,) = failures_logged(caplog, jobs.OutboxWorker.ALERT_STEP)
    assert "RuntimeError at intake/jobs.py:" in logged


def test_when_sending_fails_the_alert_check_still_runs_and_once_exits_1(
    app, db_session, vault, running_smtp, monkeypatch, caplog
):
    request = submit_request(db_session, vault, in_danger=True, now=NOW, **PERSONAL)
    app.config.update(INTAKE_SMTP_URL=running_smtp.url, INTAKE_ALERT_EMAILS=ON_CALL)
    monkeypatch.setattr(emails, "send_due", broken)
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 1
    assert f"Queue alerts: alert for request {request.id} (1 to send)." in result.output
    assert [message.kind for message in messages(db_session)] == [outbox.ALERT_EMAIL]
    assert runs_of(db_session, job_runs.OUTBOX).failures == 1
    assert len(failures_logged(caplog, jobs.OutboxWorker.SEND_STEP)) == 1
