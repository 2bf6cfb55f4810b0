"""Operations: health and readiness probes, and metrics for Prometheus."""

import hmac
import logging
import os
from contextvars import ContextVar
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from intake.app_state import app_state
from intake.caching import memoised
from intake.domain import queue, staff_sessions
from intake.domain.clock import utc_now
from intake.domain.queue import queue_counts
from intake.extensions import db, limiter
from intake.observability import DatabaseCollector, JobRunsCollector, OutboxCollector
from intake.service import current_service

bp = Blueprint("ops", __name__)
LOCAL_ADDRESSES = frozenset({"127.0.0.1", "::1"})


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """The process is up and answering."""
    return jsonify(status="ok")


def latest_migration() -> str | None:
    """The newest migration's revision, read once per version of the migrations folder."""
    folder = Path(current_app.extensions["migrate"].directory)
    return _newest_revision(folder, (folder / "versions").stat().st_mtime_ns)


@memoised(
    "ops.newest_revision",
    holds="the newest migration's revision, by migrations folder and its last change",
    size=4,
    lifetime=None,
    cleared_by="nothing: a changed folder is a new key; a deploy",
    earns="a miss reads the migrations folder: 6 to 7 ms, on every /readyz probe (bench.caches)",
)
def _newest_revision(folder: Path, _versions_changed_at: int) -> str | None:
    return ScriptDirectory(str(folder)).get_current_head()


_probing_readiness = ContextVar("probing_readiness", default=False)


class QuietWhileProbingReadiness(logging.Filter):
    """alembic's MigrationContext logs the dialect it found and whether DDL is
    transactional each time one is made ("Context impl PostgresqlImpl.", "Will assume
    transactional DDL."): said by every /readyz probe, every few seconds, they would
    drown the log. Dropped for the readiness check alone: `flask db upgrade` says them,
    and all it does, as before."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _probing_readiness.get()


logging.getLogger("alembic.runtime.migration").addFilter(QuietWhileProbingReadiness())


def schema_revision(connection: Connection) -> str | None:
    """The revision the database's schema is at, read without a word in the log."""
    probing = _probing_readiness.set(True)
    try:
        return MigrationContext.configure(connection).get_current_revision()
    finally:
        _probing_readiness.reset(probing)


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Ready for traffic: the database answers and its schema is the latest migration."""
    try:
        with db.engine.connect() as connection:
            current = schema_revision(connection)
    except SQLAlchemyError:
        return jsonify(status="database unavailable"), 503
    expected = app_state().schema_head
    if current != expected:
        return jsonify(status="schema is not at the latest migration", schema=current), 503
    return jsonify(status="ready", schema=current)


class QueueCollector:
    """Gauges read from the database at scrape time: waiting, overdue, urgent, the
    oldest wait, and the staff active now (for alerts: docs/deploy.md)."""

    def collect(self):
        service, now = current_service(), utc_now()
        counts = queue_counts(db.session, 0, now, service.zone)
        oldest = queue.oldest_wait(db.session, now).total_seconds()
        for name, value, text in (
            ("intake_requests_waiting", counts.waiting, "Requests waiting to be taken"),
            ("intake_requests_overdue", counts.overdue, "Open requests past their due time"),
            ("intake_requests_urgent", counts.urgent, "Open urgent requests"),
            ("intake_oldest_waiting_seconds", oldest, "Longest wait of a request callable now"),
            (
                "intake_staff_active",
                staff_sessions.active_staff(db.session, now),
                "Staff signed in and active in the last 5 minutes",
            ),
        ):
            yield GaugeMetricFamily(name, text, value=value)


def _may_read_metrics() -> bool:
    token = current_app.config.get("INTAKE_METRICS_TOKEN")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if token and hmac.compare_digest(given.encode(), token.encode()):
        return True
    return request.remote_addr in LOCAL_ADDRESSES


@bp.get("/metrics")
@limiter.exempt
def metrics():
    """Prometheus exposition: from this machine, or with the configured bearer token.
    With the database down it still answers, with `intake_database_up 0`."""
    if not _may_read_metrics():
        abort(403)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_metrics = CollectorRegistry()
        MultiProcessCollector(process_metrics)
    else:
        process_metrics = REGISTRY
    database_metrics = CollectorRegistry()
    database_metrics.register(
        DatabaseCollector(QueueCollector(), OutboxCollector(), JobRunsCollector())
    )
    body = generate_latest(process_metrics) + generate_latest(database_metrics)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
