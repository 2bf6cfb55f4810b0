"""The operators' jobs, each run recorded: `release-holds` and `purge` (cron), `reports
keep` (a systemd timer) and the outbox worker's rounds (alerts and emails).

`attempt` runs one piece of a job. Whatever it raises is caught, logged without
personal data (the exception's kind and where in our code, never its message, which
may quote a value) and counted in job_runs; success is recorded there as the job's
heartbeat. /metrics reads both (intake.domain.job_runs), and alert rules watch them
(deploy/prometheus/intake-rules.yml).
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from traceback import extract_tb
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from intake import emails
from intake.domain import alerts, job_runs, outbox
from intake.domain.clock import utc_now
from intake.errors import database_problem
from intake.extensions import db
from intake.service import current_service

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent
# The outbox worker's heartbeat is written at most this often (a round is 10 seconds).
BEAT_EVERY = 60  # seconds


def failure_summary(error: BaseException) -> str:
    """The exception's kind and the line of our code it came through: enough to find
    the bug, and nothing of the data it was about."""
    frames = extract_tb(error.__traceback__)
    ours = [frame for frame in frames if Path(frame.filename).is_relative_to(PACKAGE)]
    said = type(error).__name__
    if ours:
        frame = ours[-1]
        path = Path(frame.filename).relative_to(PACKAGE.parent)
        said += f" at {path}:{frame.lineno} in {frame.name}"
    if isinstance(error, SQLAlchemyError):  # the database's host and reason, no value
        said += f": {database_problem(error, db.engine.url)}"
    return said


@dataclass
class Failures:
    """What one process has logged of its jobs' failures. A failure like the last one
    of the same step is counted but not logged again (a database away for an hour is
    one line, not one a round); the step working again is logged once."""

    last: dict[str, str] = field(default_factory=dict)

    def failed(self, step: str, summary: str) -> bool:
        """Log the failure unless it repeats the last; whether it was logged."""
        if self.last.get(step) == summary:
            return False
        self.last[step] = summary
        log.error("The %s failed: %s.", step, summary)
        return True

    def worked(self, step: str) -> None:
        if self.last.pop(step, None) is not None:
            log.info("The %s works again.", step)


@dataclass(frozen=True)
class Attempt:
    ok: bool
    value: Any = None


def attempt(
    job: str,
    work: Callable[[], Any],
    step: str | None = None,
    failures: Failures | None = None,
    heartbeat: bool = True,
) -> Attempt:
    """Run `work` for `job` (one `step` of it, as logs name it): on success record the
    job's heartbeat (unless not `heartbeat`: the caller does, once every step went
    well); on any exception log it (through `failures`, if given), count it, and return."""
    step = step or f"{job} job"
    try:
        value = work()
        if heartbeat:
            job_runs.succeeded(db.session, job, utc_now())
    except Exception as error:
        _drop_session()
        logged = (failures or Failures()).failed(step, failure_summary(error))
        _count_failure(job, logged)
        return Attempt(False)
    finally:
        db.session.remove()
    if failures is not None:
        failures.worked(step)
    return Attempt(True, value)


def beat(job: str, failures: Failures | None = None) -> bool:
    """Record `job`'s heartbeat alone; whether it could be."""
    return attempt(job, lambda: None, f"{job} heartbeat", failures).ok


def _drop_session() -> None:
    """Roll back what the failed work left; if the connection itself is dead, drop it."""
    try:
        db.session.rollback()
    except Exception:
        db.session.invalidate()


def _count_failure(job: str, say_why_not: bool) -> None:
    try:
        job_runs.failed(db.session, job, utc_now())
    except Exception as error:
        _drop_session()
        if say_why_not:
            log.warning("The %s failure was not counted: %s.", job, failure_summary(error))
    finally:
        db.session.remove()


class OutboxWorker:
    """The outbox worker's rounds: every minute a check for requests waiting unseen
    (when alerts are set up), then the emails and alert posts due. A step that fails
    is logged and counted, and neither stops the other step nor the next round; the
    `outbox` heartbeat is written (at most once a minute) after a round in which
    every step went well."""

    ALERT_STEP = "outbox worker's queue alert check"
    SEND_STEP = "outbox worker's sending"

    def __init__(
        self,
        sender: emails.Sender,
        alert_settings: alerts.AlertSettings,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sender = sender
        self.alert_settings = alert_settings
        self.stop = stop or threading.Event()
        self.clock = clock
        self.failures = Failures()
        self.next_check = self.next_beat = clock()
        self.last_said: str | None = None

    def round(self, once: bool = False) -> tuple[list[str], bool]:
        """One round: what to tell the operator, and whether every step went well."""
        said, ok = [], True
        if self.alert_settings.enabled and self.clock() >= self.next_check:
            checked = attempt(
                job_runs.OUTBOX, self._update_alerts, self.ALERT_STEP, self.failures, False
            )
            if checked.ok:
                self.next_check = self.clock() + alerts.CHECK_EVERY.total_seconds()
            if checked.value:
                said.append(checked.value)
            ok = checked.ok
        sent = attempt(job_runs.OUTBOX, self._send, self.SEND_STEP, self.failures, False)
        if sent.ok:
            line, sent_something = sent.value
            # What was sent is always told; a state (waiting, not set up) once, until it changes.
            if line and (sent_something or line != self.last_said or once):
                said.append(line)
            self.last_said = line
        ok = ok and sent.ok
        if ok and (once or self.clock() >= self.next_beat) and beat(job_runs.OUTBOX, self.failures):
            self.next_beat = self.clock() + BEAT_EVERY
        return said, ok

    def _update_alerts(self) -> str | None:
        vault, now = current_service().vault, utc_now()
        report = alerts.raise_escalate_or_close(db.session, vault, self.alert_settings, now)
        return str(report) if report.anything else None

    def _send(self) -> tuple[str | None, bool]:
        if self.sender.smtp is None:
            waiting = outbox.counts(db.session).waiting
            said = f"{waiting} email{'' if waiting == 1 else 's'} waiting: "
            return said + "INTAKE_SMTP_URL is not set, so nothing is sent.", False
        report = emails.send_due(
            db.session, current_service(), self.sender, utc_now(), stopping=self.stop.is_set
        )
        return (str(report), True) if report.anything else (None, False)
