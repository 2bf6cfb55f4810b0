"""Database models (SQLAlchemy 2 typed mappings). The schema changes only through migrations."""

import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    event,
    false,
    inspect,
    text,
)
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    relationship,
    validates,
)
from sqlalchemy.types import TypeDecorator

from intake.domain import states
from intake.domain.clock import as_utc
from intake.extensions import db

# Ids are signed 64-bit integers on every database: input beyond this is not an id.
MAX_DATABASE_ID = 2**63 - 1


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use aware UTC")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class StaffMember(UserMixin, db.Model):
    """An admissions agent or supervisor who signs in to work the queue."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None]
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    # Set by a supervisor's reset: a new password, then a new authenticator, at next sign-in.
    password_change_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    temporary_password_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        """Flask-Login's: a disabled member is not signed in (UserMixin reads this)."""
        return self.active

    def get_id(self) -> str:
        """The session id carries the version: signing out, disabling or resetting the
        second factor ends every session."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    def __repr__(self) -> str:
        return f"<StaffMember {self.id} {self.role}>"


# Which of the two writers of a request's status is running (intake.domain.status sets
# it around each): `change_status` for one request, `return_held_to_queue` for many.
STATUS_WRITER: ContextVar[str | None] = ContextVar("status_writer", default=None)
CHANGE_STATUS = "change_status"
RETURN_HELD_TO_QUEUE = "return_held_to_queue"


class StatusWriteRefused(RuntimeError):
    """A request's status written by anyone but intake.domain.status.

    Every change of status must pass the state machine, set or clear the hold, stamp
    the times, write its audit line and mark the report days it changes. Left to
    each writer, one of those gets forgotten (as a bulk release once forgot its audit
    lines), so the ORM refuses every other writer: by attribute, and by UPDATE.
    """


def _due_time(context) -> datetime:
    return context.get_current_parameters()["due_at"]


class CallbackRequest(db.Model):
    """A visitor's request to be called back, queued for the admissions team.

    `due_at` orders the queue (the deadline for ASAP requests, the start of a
    chosen window); `callable_from` is the earliest we may call (a chosen window,
    a retry delay). Everything that identifies or describes the visitor lives in `personal_data`,
    encrypted (see intake.domain.crypto); the other columns are what the queue
    needs to order and count requests without reading personal data.
    """

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(9), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=states.NEW)
    urgent: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Overdue only after this: the end of a chosen window; otherwise the due time.
    # Rows from before the column was added were given their due time.
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=_due_time)
    callable_from: Mapped[datetime] = mapped_column(UTCDateTime)
    # `callable_from` as the request arrived: that one moves on after an unanswered call
    # or a reopening; this one stays, for the reports' wait for a first call. Empty on
    # older rows where it was no longer known.
    first_callable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_page: Mapped[str | None] = mapped_column(String(60))
    personal_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # A keyed hash of the email address, like the phone's: a supervisor finds one
    # person's requests by either (intake.domain.subject_access).
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    submission_digest: Mapped[str] = mapped_column(String(64), unique=True)
    withdraw_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The confirmation page's one showing: a digest of the token in the visitor's
    # session, cleared when the page is first shown.
    receipt_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempt_count: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An urgent request an agent's call would have closed or put far off: why (a code of
    # intake.domain.supervision.WHY) and since when, until a supervisor decides.
    needs_supervisor: Mapped[str | None] = mapped_column(String(20))
    needs_supervisor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who handed the request to its holder, until the holder opens it (their banner).
    handed_over_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))

    held_by: Mapped[StaffMember | None] = relationship(lazy="joined", foreign_keys=[held_by_id])
    handed_over_by: Mapped[StaffMember | None] = relationship(foreign_keys=[handed_over_by_id])

    __table_args__ = (Index("ix_callback_requests_status_closed_at", "status", "closed_at"),)
    # Optimistic concurrency: every ORM update checks and bumps the version, so two
    # people changing one request at once cannot both succeed.
    __mapper_args__ = {"version_id_col": version}

    @validates("status")
    def _written_by_change_status(self, key: str, status: str) -> str:
        """Only change_status writes a stored request's status (StatusWriteRefused);
        a request not stored yet may be made as new."""
        state = inspect(self)
        new_here = (state.transient or state.pending) and status == states.NEW
        if STATUS_WRITER.get() == CHANGE_STATUS or new_here:
            return status
        raise StatusWriteRefused(
            f"set a request's status to {status!r} through intake.domain.status.change_status"
        )

    @property
    def holder_name(self) -> str | None:
        """Who holds it, by name, as a row of the queue's list also says it."""
        return self.held_by.name if self.held_by is not None else None

    def __repr__(self) -> str:
        return f"<CallbackRequest {self.reference} {self.status}>"


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_status_writes(execution: ORMExecuteState) -> None:
    """An UPDATE of requests run through a session (ORM or Core, with `.values()` or
    by primary key) may set their status only inside
    intake.domain.status.return_held_to_queue: anywhere else, StatusWriteRefused, as
    for a direct attribute write. (The package runs no UPDATE on a bare connection.)"""
    if (
        execution.is_update
        and STATUS_WRITER.get() != RETURN_HELD_TO_QUEUE
        and _sets_status(execution)
    ):
        raise StatusWriteRefused("return requests to the queue through intake.domain.status")


def _sets_status(execution: ORMExecuteState) -> bool:
    """Whether an UPDATE writes callback_requests.status: as a value, as an SQL
    expression, or as a key of the parameters it runs with. Compiled once, with the
    parameters' keys (`column_keys`), its SET clause names every column it writes."""
    statement = execution.statement
    if statement.entity_description["table"] is not CallbackRequest.__table__:
        return False
    given = execution.parameters or {}
    rows = [given] if isinstance(given, Mapping) else given
    names = sorted({name for row in rows for name in row})
    if "status" in names:
        return True
    written = SET_CLAUSE.search(str(statement.compile(column_keys=names)))
    return written is not None and STATUS_SET.search(written.group(1)) is not None


SET_CLAUSE = re.compile(r"\bSET\s(.*?)(?:\sWHERE\s|\sRETURNING\s|$)", re.S)
STATUS_SET = re.compile(r"(?:^|,)\s*status\s*=")


# The queue in queue order, open requests only: the queue page and take-next read
# it from the start and stop after a page. Partial, so closed requests cost nothing.
OPEN_ONLY = text("status IN ('new', 'in_progress')")
Index(
    "ix_callback_requests_open_queue",
    CallbackRequest.urgent.desc(),
    CallbackRequest.due_at,
    CallbackRequest.created_at,
    CallbackRequest.id,
    postgresql_where=OPEN_ONLY,
    sqlite_where=OPEN_ONLY,
)
# Every column the team's counts read (intake.domain.queue.team_counts), open requests
# only: the counts are read from this index alone, never from the table's rows.
Index(
    "ix_callback_requests_open_counts",
    CallbackRequest.status,
    CallbackRequest.urgent,
    CallbackRequest.attempt_count,
    CallbackRequest.callable_from,
    CallbackRequest.overdue_at,
    CallbackRequest.due_at,
    postgresql_where=OPEN_ONLY,
    sqlite_where=OPEN_ONLY,
)
# Requests waiting for a supervisor's decision, for the top of the queue and the wallboard.
NEEDS_SUPERVISOR = text("needs_supervisor IS NOT NULL")
Index(
    "ix_callback_requests_needs_supervisor",
    CallbackRequest.needs_supervisor_at,
    postgresql_where=NEEDS_SUPERVISOR,
    sqlite_where=NEEDS_SUPERVISOR,
)
# Requests handed to their holder and not yet opened by them (the holder's banner).
HANDED_OVER = text("handed_over_by_id IS NOT NULL")
Index(
    "ix_callback_requests_handed_over",
    CallbackRequest.held_by_id,
    postgresql_where=HANDED_OVER,
    sqlite_where=HANDED_OVER,
)
# Holds by age, for finding expired holds without reading the whole table.
HELD_ONLY = text("status = 'in_progress'")
Index(
    "ix_callback_requests_holds",
    CallbackRequest.held_at,
    postgresql_where=HELD_ONLY,
    sqlite_where=HELD_ONLY,
)


class CallAttempt(db.Model):
    """One call made to a visitor, and what came of it."""

    __tablename__ = "call_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_requests.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(30))
    result: Mapped[str | None] = mapped_column(String(30))
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Saved after the agent's hold had ended (it expired, or someone else took the
    # request): kept in the history, but it moves the request nowhere.
    late: Mapped[bool] = mapped_column(default=False, server_default=false())

    staff: Mapped[StaffMember] = relationship(lazy="joined")


class RequestNote(db.Model):
    """Words a member of staff typed about a request, encrypted like the visitor's
    answers and erased with them: a note on the request, or the reason given for an
    action (`kind` "reason"), which the action's audit line points to by id."""

    __tablename__ = "request_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="note", server_default="note")
    # A reason's audit line: the line keeps the fact ("with a reason"), this row the words.
    audit_event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id"))
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_requests.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)

    staff: Mapped[StaffMember] = relationship(lazy="joined")
    audit_event: Mapped["AuditEvent | None"] = relationship()


class StaffSession(db.Model):
    """One sign-in of one member, kept on the server: it can end alone (idle, or too
    long) while the member's other sessions go on. Only a digest of its token is kept."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the member was typing when the session ended under them, sealed, so they
    # find it again after signing in.
    draft: Mapped[bytes | None] = mapped_column(LargeBinary)

    # Joined: the guard on every staff page reads the session and its member at once.
    staff: Mapped[StaffMember] = relationship(lazy="joined")


class HandoverNote(db.Model):
    """A note one shift leaves the next on the dashboard, encrypted like request notes."""

    __tablename__ = "handover_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)

    staff: Mapped[StaffMember] = relationship(lazy="joined")


class AuditEvent(db.Model):
    """One line of the append-only audit trail. The database refuses updates and deletes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    action: Mapped[str] = mapped_column(String(40))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("callback_requests.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    staff: Mapped[StaffMember | None] = relationship(lazy="joined")
    request: Mapped[CallbackRequest | None] = relationship(lazy="joined")


class OutboxMessage(db.Model):
    """An email waiting to be sent, written in the same transaction as the change that
    causes it (the transactional outbox); `flask --app intake outbox run` sends it.

    Everything personal (the address, what the message says) is in `payload`, sealed
    like the visitor's answers, and cleared once the server has accepted the message
    or the request's personal data is purged. `next_attempt_at` orders the work: a
    worker that claims a message moves it on by a lease, so no other worker takes it
    meanwhile, and a worker that dies mid-send leaves it to be tried again.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("callback_requests.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set by the worker holding the message, so only its own outcome is recorded.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # What went wrong last, in words that name no person or address.
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[CallbackRequest | None] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("request_id", "kind"),)


# Messages waiting, in the order they are due: what a worker reads each round.
WAITING_ONLY = text("status = 'waiting'")
Index(
    "ix_outbox_messages_due",
    OutboxMessage.next_attempt_at,
    postgresql_where=WAITING_ONLY,
    sqlite_where=WAITING_ONLY,
)


class QueueAlert(db.Model):
    """One request found waiting unseen, and what was sent about it (intake.domain.alerts).

    A request has at most one open alert (the partial unique index below), so two
    workers checking at once raise it once: the second one's insert does nothing.
    `escalate_at` is when supervisors are told if it is still unseen; `closed_at` is
    when the queue was back within target and a notice said so. It holds no personal
    data: the request's id and times only.
    """

    __tablename__ = "queue_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_requests.id"))
    # Why it was raised: "urgent" (waited too long to be called) or "overdue".
    reason: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalate_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


OPEN_ALERTS_ONLY = text("closed_at IS NULL")
Index(
    "uq_queue_alerts_open_request",
    QueueAlert.request_id,
    unique=True,
    postgresql_where=OPEN_ALERTS_ONLY,
    sqlite_where=OPEN_ALERTS_ONLY,
)


class Wallboard(db.Model):
    """A screen (the office TV) paired by a supervisor to show the queue's numbers to a
    room (intake.domain.wallboards). It holds no personal data and is not a staff
    session: it never times out, and ends only when a supervisor revokes it.

    The screen's browser holds a random token in a cookie; only its SHA-256 digest is
    kept, as for staff sessions, so a copy of the database pairs no screen.
    `last_seen_at` (written at most once a minute) tells supervisors which screens are
    alive; `last_audited_at` is claimed by a conditional UPDATE when a view is audited
    (at most once an hour), so refreshes at the same moment audit once.
    """

    __tablename__ = "wallboards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_audited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))

    created_by: Mapped[StaffMember] = relationship(lazy="joined", foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<Wallboard {self.id}>"


class ReportDay(db.Model):
    """One ended day's figures for the supervisors' reports, in one zone, kept so that a
    report over months reads a row a day (intake.domain.report_days). Counts, and the
    waits and times on a request packed as floats: references, names and numbers never.

    `fresh_at`: when its figures were worked out. Which kept days something has
    changed since is said by their writers, in ReportChange.
    """

    __tablename__ = "report_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone: Mapped[str] = mapped_column(String(60))
    day: Mapped[date]
    version: Mapped[int]
    fresh_at: Mapped[datetime] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    waits: Mapped[bytes] = mapped_column(LargeBinary)
    urgent_waits: Mapped[bytes] = mapped_column(LargeBinary)
    held: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("zone", "day"),)


class ReportChange(db.Model):
    """A moment whose day's figures a write has changed (a request made then changed
    status, a hold begun then ended, a call made then): written with the change by its
    writer (intake.domain.status, intake.domain.calls), so a kept day of any zone that
    holds it is stale until worked out again (intake.domain.report_days). A time only."""

    __tablename__ = "report_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TeamCountsRow(db.Model):
    """The team's dashboard counts as last worked out, one row shared by every worker
    (intake.domain.shared_counts): counts and times only, nothing personal.

    `counting_until` is a claim: the worker recounting now, taken by a conditional
    UPDATE so that one worker counts while the others show the last counts; it lapses
    on its own if that worker dies mid-count.
    """

    __tablename__ = "team_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counting_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ready: Mapped[int] = mapped_column(default=0)
    booked: Mapped[int] = mapped_column(default=0)
    due_again: Mapped[int] = mapped_column(default=0)
    in_progress: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)
    urgent: Mapped[int] = mapped_column(default=0)
    completed_today: Mapped[int] = mapped_column(default=0)


class CacheGeneration(db.Model):
    """One number shared by every worker: bumped whenever personal data is erased,
    corrected or re-sealed, so that each worker drops what it keeps in memory of the
    visitors' answers (intake.app_state) the next time it looks."""

    __tablename__ = "cache_generations"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)


class SignInThrottle(db.Model):
    """Failed guesses at one account from one client: a browser holding a device cookie
    the member was given at an earlier sign-in, or else an address
    (intake.domain.sign_in_guesses). Only a digest names the client, never an address.

    Guesses from elsewhere never hold a member back: each client has its own count,
    and its own growing wait once it passes the limit.
    """

    __tablename__ = "sign_in_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    client_digest: Mapped[str] = mapped_column(String(64))
    client_kind: Mapped[str] = mapped_column(String(10))
    failures: Mapped[int] = mapped_column(default=0)
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (UniqueConstraint("staff_id", "client_digest"),)


class JobRun(db.Model):
    """When one of the operators' jobs last succeeded, and how often it has failed
    (intake.domain.job_runs): written by the cron commands and the workers, read by
    /metrics. A name, two times and a count: nothing personal."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(default=0)
