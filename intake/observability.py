"""Logs as JSON lines with a request id, and Prometheus metrics. No personal data in either.

Metrics work in one process and under gunicorn's workers (prometheus_client's
multiprocess mode, when PROMETHEUS_MULTIPROC_DIR is set: see gunicorn.conf.py).
"""

import ipaddress
import logging
import re
import sys
import time
import traceback
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import click
from flask import Flask, Response, g, has_request_context, request
from flask.cli import FlaskGroup
from flask.logging import default_handler
from prometheus_client import Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from intake.config import ConfigError
from intake.domain import job_runs, outbox
from intake.domain.clock import utc_now
from intake.errors import database_problem
from intake.extensions import db

REQUEST_ID_HEADER = "X-Request-Id"
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Every log line is one JSON object with these fields (an access line has the first
# three, then its own: gunicorn.conf.py).
LINE_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
ACCESS_LINE_FIELDS = "%(asctime)s %(levelname)s %(name)s"
RENAMED_FIELDS = {"asctime": "time", "levelname": "level", "name": "logger"}
# A command's failure names the lines of this package it came through.
PACKAGE = Path(__file__).resolve().parent

SUBMISSIONS = Counter(
    "intake_callback_submissions", "Callback requests sent", ["result"]
)  # result: stored, repeat
CALL_OUTCOMES = Counter("intake_call_outcomes", "Calls recorded by the team", ["outcome"])
LATENCY = Histogram(
    "intake_request_duration_seconds",
    "Time to answer a request",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5),
)


class OutboxCollector:
    """Gauges read from the database at scrape time: emails waiting, failed for good,
    and how long the oldest has waited (a stopped worker shows as a growing age)."""

    def collect(self):
        counts = outbox.counts(db.session)
        oldest = counts.oldest_waiting
        age = (utc_now() - oldest).total_seconds() if oldest is not None else 0
        for name, value, text in (
            ("intake_outbox_waiting", counts.waiting, "Emails waiting to be sent"),
            ("intake_outbox_failed", counts.failed, "Emails that failed after the last try"),
            ("intake_outbox_oldest_waiting_seconds", age, "Age of the oldest waiting email"),
        ):
            yield GaugeMetricFamily(name, text, value=value)


class JobRunsCollector:
    """Read from the database at scrape time: when each operators' job last succeeded
    (its heartbeat; none until it first does) and how often it has failed
    (intake.domain.job_runs). The label is `task`: Prometheus gives every series the
    scrape's own `job` label, and would rename ours to `exported_job`."""

    def collect(self):
        success = GaugeMetricFamily(
            "intake_job_last_success_timestamp_seconds",
            "When the job last succeeded, in seconds since 1970",
            labels=["task"],
        )
        failures = CounterMetricFamily(
            "intake_job_failures", "Runs of the job that failed", labels=["task"]
        )
        for runs in job_runs.all_runs(db.session):
            if runs.last_success_at is not None:
                success.add_metric([runs.job], runs.last_success_at.timestamp())
            failures.add_metric([runs.job], runs.failures)
        yield success
        yield failures


class DatabaseCollector:
    """The collectors that read the database, and `intake_database_up`: 1 when they
    could, 0 when the database did not answer. Then their metrics are left out and the
    scrape still succeeds, so the alert rules see the database down rather than
    nothing at all."""

    def __init__(self, *collectors) -> None:
        self.collectors = collectors

    def collect(self):
        try:
            families = [family for collector in self.collectors for family in collector.collect()]
        except SQLAlchemyError:
            try:
                db.session.rollback()
            except SQLAlchemyError:
                db.session.invalidate()
            families = None
        yield from families or ()
        yield GaugeMetricFamily(
            "intake_database_up",
            "1 if the database answered this scrape, 0 if not",
            value=0 if families is None else 1,
        )


class RequestIdFilter(logging.Filter):
    """Every log line carries the id of the request it belongs to."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class ClientAddressFilter(logging.Filter):
    """No log line carries a client's address, whichever library wrote it (Flask-Limiter
    names the limit's key, which is the address, when a limit is hit)."""

    CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*(?![\w:.])")

    @staticmethod
    def _redact(match: re.Match) -> str:
        text = match.group(0)
        # gunicorn writes "Invalid request from ip=203.0.113.9: ...": a colon or a full
        # stop after an address may be punctuation ("fe80::" is an address whole).
        for address in (text, text.rstrip(":.")):
            try:
                ipaddress.ip_address(address)
            except ValueError:
                continue
            return "[address]" + text[len(address) :]
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.CANDIDATE.sub(self._redact, message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def keep_client_addresses_out_of_logs() -> None:
    """On the loggers of libraries that see addresses, whatever handler is in use."""
    for name in ("flask-limiter", "werkzeug", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, ClientAddressFilter) for f in logger.filters):
            logger.addFilter(ClientAddressFilter())


class JsonLineFormatter(JsonFormatter):
    """A record as one JSON object on one line, encoded by json.dumps: a quote, a line
    break, a NUL or any other control byte in a message or a path is escaped, never
    written as it came. The time is UTC, ISO 8601, to the millisecond."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def json_lines(handler: logging.Handler) -> logging.Handler:
    """`handler` writes JSON lines (time, level, logger, message, request id) and no
    client address."""
    handler.setFormatter(JsonLineFormatter(LINE_FIELDS, rename_fields=RENAMED_FIELDS))
    for kind in (RequestIdFilter, ClientAddressFilter):
        if not any(isinstance(existing, kind) for existing in handler.filters):
            handler.addFilter(kind())
    return handler


def json_access_lines(handler: logging.Handler) -> logging.Handler:
    """`handler` writes access lines: time, level and logger, then the fields the access
    logger gives each record (gunicorn.conf.py), encoded as any other line."""
    handler.setFormatter(JsonLineFormatter(ACCESS_LINE_FIELDS, rename_fields=RENAMED_FIELDS))
    return handler


def configure_json_logging(
    level: int = logging.INFO, handlers: Sequence[logging.Handler] = ()
) -> None:
    """Every record, the app's and every library's, and Python's warnings, as one JSON
    object a line: on stderr, or through `handlers` (in gunicorn, its error log's)."""
    root = logging.getLogger()
    root.handlers[:] = [json_lines(handler) for handler in handlers or [logging.StreamHandler()]]
    root.setLevel(level)
    logging.captureWarnings(True)


def started_by_the_flask_command() -> bool:
    """Whether the app is being built for a `flask --app intake ...` command (not by
    gunicorn or a test): Flask's command line builds it while its command runs."""
    context = click.get_current_context(silent=True)
    return context is not None and isinstance(context.find_root().command, FlaskGroup)


def log_this_command_as_json(app: Flask) -> None:
    """A command (the outbox worker, cron's tasks, `db upgrade`) logs as gunicorn does,
    in JSON lines on stderr (what it prints for the operator stays on stdout), and an
    exception that stops it is one more line, not a traceback."""
    configure_json_logging()
    app.logger.removeHandler(default_handler)
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"])

    def log_what_stopped_it(
        kind: type[BaseException], error: BaseException, frames: TracebackType | None
    ) -> None:
        # SystemExit and KeyboardInterrupt, and what is typed at `flask shell`'s prompt
        # (Python's console names its prompt sys.ps1), keep Python's own traceback.
        if not isinstance(error, Exception) or hasattr(sys, "ps1"):
            sys.__excepthook__(kind, error, frames)
            return
        said = what_stopped_a_command(error, database)
        logging.getLogger("intake.cli").error(
            "the command failed: %s, at %s", said, where_it_failed(frames)
        )

    sys.excepthook = log_what_stopped_it


def where_it_failed(frames: TracebackType | None) -> str:
    """The lines of our code the exception came through (or the last line it reached):
    "intake/cli.py:111 in list_staff > intake/domain/staff_accounts.py:757 in ..."."""
    stack = traceback.extract_tb(frames)
    ours = [frame for frame in stack if Path(frame.filename).is_relative_to(PACKAGE)]
    return " > ".join(
        f"{_shown(Path(frame.filename))}:{frame.lineno} in {frame.name}"
        for frame in ours or stack[-1:]
    )


def _shown(path: Path) -> Path:
    return path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE) else path


def what_stopped_a_command(error: Exception, database: URL) -> str:
    """The exception's kind, with the database's host and reason for a database error
    and the words of a configuration error (written for operators); never any other
    exception's message, which may quote personal data."""
    said = type(error).__name__
    if isinstance(error, SQLAlchemyError):
        return f"{said}: {database_problem(error, database)}"
    if isinstance(error, ConfigError):
        return f"{said}: {error}"
    return said


def request_id_from(given: str) -> str:
    """The id a request is known by: the proxy's, if it sent a safe one, else a new one."""
    return given if SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex


def register_observability(app: Flask) -> None:
    keep_client_addresses_out_of_logs()
    if started_by_the_flask_command():
        log_this_command_as_json(app)

    @app.before_request
    def start_timer_and_name_request() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER, ""))
        g.started = time.perf_counter()

    @app.after_request
    def record_latency(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        if "started" in g:
            LATENCY.labels(request.endpoint or "unmatched", request.method).observe(
                time.perf_counter() - g.started
            )
        return response
