"""Logs as JSON lines with a request id, and Prometheus metrics. No personal data in either.

Metrics work in one process and under gunicorn's workers (prometheus_client's
multiprocess mode, when PROMETHEUS_MULTIPROC_DIR is set: see gunicorn.conf.py).
"""

import ipaddress
import logging
import re
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from pythonjsonlogger.json import JsonFormatter

from intake.domain import outbox
from intake.domain.clock import utc_now
from intake.extensions import db

REQUEST_ID_HEADER = "X-Request-Id"
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

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
        try:
            ipaddress.ip_address(text)
        except ValueError:
            return text
        return "[address]"

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


def configure_json_logging(level: int = logging.INFO) -> None:
    """One JSON object a line on stderr: time, level, logger, message, request id."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ClientAddressFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def request_id_from(given: str) -> str:
    """The id a request is known by: the proxy's, if it sent a safe one, else a new one."""
    return given if SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex


def register_observability(app: Flask) -> None:
    keep_client_addresses_out_of_logs()

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
