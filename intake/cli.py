"""Operator commands: `flask --app intake staff ...`, `purge`, `rotate-keys`, `content check`,
`outbox run` (which also checks for queue alerts), `outbox status`, `reports summarise`
and `reports keep`. The jobs run by cron, systemd and the worker record each run
(intake.jobs): a failure is logged and counted, a success is their heartbeat."""

import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from intake import emails, jobs
from intake.content_review import review_library
from intake.domain import (
    alerts,
    job_runs,
    outbox,
    queue,
    report_days,
    retention,
    rotation,
    staff_accounts,
)
from intake.domain.clock import utc_now
from intake.extensions import db
from intake.models import StaffMember
from intake.service import current_service

worker_log = logging.getLogger("intake.outbox")

staff = AppGroup("staff", help="Manage admissions staff accounts.")
content = AppGroup("content", help="Check the guide and service pages.")
outbox_commands = AppGroup(
    "outbox", help="Send the emails and alerts waiting in the outbox; raise queue alerts."
)
reports_commands = AppGroup("reports", help="The supervisors' reports.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(staff)
    app.cli.add_command(purge)
    app.cli.add_command(rotate_keys)
    app.cli.add_command(content)
    app.cli.add_command(release_holds)
    app.cli.add_command(outbox_commands)
    app.cli.add_command(reports_commands)


def _member(email: str) -> StaffMember:
    member = staff_accounts.find_by_email(db.session, email)
    if member is None:
        raise click.ClickException(f"No staff account has the email address {email}.")
    return member


@staff.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(staff_accounts.ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_staff(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create an account; its second factor is set up at first sign-in."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        member = staff_accounts.create_staff(
            db.session, email=email, name=name, role=role, password=password
        )
    except staff_accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {member.role} {member.name} <{member.email}>.")


@staff.command("disable")
@click.option("--email", required=True)
def disable_staff(email: str) -> None:
    """Stop an account signing in, end its sessions, return what it held to the queue."""
    member = _member(email)
    staff_accounts.disable(db.session, member)
    click.echo(f"Disabled {member.email}.")


@staff.command("enable")
@click.option("--email", required=True)
def enable_staff(email: str) -> None:
    """Let a disabled account sign in again (with its password and security code)."""
    member = _member(email)
    try:
        staff_accounts.enable(db.session, member)
    except staff_accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Enabled {member.email}.")


@staff.command("reset-2fa")
@click.option("--email", required=True)
def reset_second_factor(email: str) -> None:
    """Make a member set up a new authenticator at their next sign-in."""
    member = _member(email)
    staff_accounts.reset_second_factor(db.session, member)
    click.echo(f"{member.email} will set up a new security code at their next sign-in.")


@staff.command("list")
def list_staff() -> None:
    """Every account, with its role and state."""
    for member in staff_accounts.list_staff(db.session):
        state = "active" if member.active else "disabled"
        second = "code set up" if member.totp_enrolled_at else "code not set up"
        click.echo(f"{member.email}\t{member.name}\t{member.role}\t{state}\t{second}")


@click.command("purge")
@with_appcontext
def purge() -> None:
    """From cron, nightly: remove personal data past retention (see docs/deploy.md)."""
    _recorded(job_runs.PURGE, _purge)


def _purge() -> None:
    service, now = current_service(), utc_now()
    policy, days = service.retention, service.retention_days
    expired = retention.expire_forgotten(db.session, now, policy)
    total = retention.count_due(db.session, now, policy)
    purged = 0
    with click.progressbar(length=total, label="Removing personal data") as bar:
        for batch in retention.purge(db.session, now, policy):
            purged += batch
            bar.update(batch)
    click.echo(
        f"Closed {expired} {_requests(expired)} still open {days} days after "
        f"{'its' if expired == 1 else 'their'} due time, as expired."
    )
    click.echo(
        f"Removed the personal data of {purged} {_requests(purged)}: closed over {days} days "
        f"ago, withdrawn (gone within {policy.withdrawn.days} days), or expired."
    )


def _requests(count: int) -> str:
    return "request" if count == 1 else "requests"


def _recorded(job: str, work: Callable[[], Any]) -> Any:
    """A cron or timer job's run, recorded (intake.jobs): what `work` returned, or, if
    it failed (logged and counted), exit 1."""
    done = jobs.attempt(job, work)
    if not done.ok:
        raise click.exceptions.Exit(1)
    return done.value


@click.command("rotate-keys")
@with_appcontext
def rotate_keys() -> None:
    """Re-encrypt all personal data, notes and TOTP secrets with the newest data key."""
    total = rotation.count_sealed(db.session)
    with click.progressbar(length=total, label="Re-encrypting") as bar:
        for batch in rotation.rotate(db.session, current_service().vault):
            bar.update(batch)
    click.echo(f"Re-encrypted {total} {'value' if total == 1 else 'values'} with the newest key.")


@content.command("check")
def check_content() -> None:
    """List pages past their review date, without sources, or hard to read; exit 1 if any."""
    today = utc_now().astimezone(current_service().zone).date()
    reports = review_library(current_service().pages, today)
    click.echo(f"{'ease':>6} {'target':>6}  {'review due':<10}  page")
    for report in reports:
        due = report.next_review.isoformat() if report.next_review else "-"
        click.echo(f"{report.reading_ease:6.1f} {report.target:6.0f}  {due:<10}  {report.path}")
    problems = [(report.path, problem) for report in reports for problem in report.problems]
    for path, problem in problems:
        click.echo(f"{path}: {problem}", err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"All {len(reports)} pages are reviewed, sourced and easy to read.")


@click.command("release-holds")
@with_appcontext
def release_holds() -> None:
    """From cron, every minute: holds left untouched too long go back to the queue."""
    limit = current_service().hold_limit
    released = _recorded(
        job_runs.RELEASE_HOLDS,
        lambda: queue.release_expired_holds(db.session, utc_now(), limit),
    )
    click.echo(f"Released {released} expired hold{'s' if released != 1 else ''}.")


@outbox_commands.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option(
    "--interval",
    type=click.IntRange(1, 3600),
    default=10,
    show_default=True,
    help="Seconds between rounds.",
)
def run_outbox(once: bool, interval: int) -> None:
    """Send due emails, round after round (for systemd); every minute, check for
    requests waiting unseen (intake.domain.alerts). A step that fails is logged and
    counted, and the next goes on. SIGTERM stops it after the email in hand; what it
    had claimed but not tried goes back to the outbox. With --once, exit 1 if a step
    failed."""
    alert_settings = alerts.AlertSettings.from_config(current_app.config)
    stop = threading.Event()
    worker = jobs.OutboxWorker(emails.Sender.from_config(current_app.config), alert_settings, stop)
    # A long-running worker's words go to its log, one JSON line each, as every log does.
    say = click.echo if once else worker_log.info
    if not once:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        say(f"Sending the outbox's emails every {interval} second{_plural(interval)}.")
    say(_alerts_said(alert_settings))
    while True:
        said, ok = worker.round(once)
        for line in said:
            say(line)
        if once or stop.wait(interval):
            break
    if once and not ok:
        raise click.exceptions.Exit(1)
    if not once:
        say("Stopped.")


def _alerts_said(settings: alerts.AlertSettings) -> str:
    if not settings.enabled:
        return "No queue alerts: INTAKE_ALERT_EMAILS and INTAKE_ALERT_WEBHOOK_URL are unset."
    where = [f"{len(settings.emails)} address{'es' if len(settings.emails) != 1 else ''}"]
    if settings.webhook:
        where.append("the webhook")
    return f"Checking for requests waiting unseen every minute; alerts go to {' and '.join(where)}."


def _days(count: int) -> str:
    return f"{count} day{_plural(count)}"


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


@outbox_commands.command("status")
def outbox_status() -> None:
    """How many emails are waiting, have failed, and were sent."""
    counts = outbox.counts(db.session)
    oldest = ""
    if counts.oldest_waiting is not None:
        oldest = f" (the oldest since {counts.oldest_waiting.isoformat(timespec='seconds')})"
    click.echo(f"Waiting: {counts.waiting}{oldest}")
    click.echo(f"Failed:  {counts.failed} (supervisors see them on the Team page)")
    click.echo(f"Sent:    {counts.sent}")


@reports_commands.command("keep")
def keep_report_days() -> None:
    """For a systemd timer, every minute: forget the kept days something has changed,
    and keep up to a month of the ended days not kept yet, the newest first. A failure
    is logged and counted; exit 1."""
    zone = current_service().zone
    kept, left = _recorded(
        job_runs.REPORT_DAYS, lambda: report_days.keep_some(db.session, zone, utc_now())
    )
    if kept:
        click.echo(
            f"Kept the reports' figures of {_days(kept)}" + (f"; {left} to go." if left else ".")
        )


@reports_commands.command("summarise")
def summarise_reports() -> None:
    """Keep the figures of every ended day not kept yet, or changed since (`reports
    keep` does this each minute, a month at a time); shows its progress."""
    zone, now = current_service().zone, utc_now()
    report_days.forget_changed_days(db.session, zone, now)
    db.session.commit()
    days = report_days.days_to_keep(db.session, zone, now)
    step = report_days.DAYS_PER_RUN
    with click.progressbar(length=len(days), label="Summarising days") as bar:
        for start in range(0, len(days), step):
            report_days.work_out_and_keep(db.session, days[start : start + step], zone, now)
            db.session.commit()
            bar.update(len(days[start : start + step]))
    click.echo(f"The reports' figures are kept for every ended day: {_days(len(days))} added.")
