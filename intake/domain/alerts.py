"""Alerts: nobody waits unseen at 3 a.m.

The outbox worker calls `raise_escalate_or_close` every minute. Alerts watch each
request, not the room. A request *waits unseen* when

- it is urgent, has waited more than `urgent_after` since it could be called
  (`callable_from`), and nobody is working on it: nobody holds it, or its holder has
  no session left (signed out, or idle past the idle limit), or
- nobody holds it and it is overdue by more than `overdue_after` (past `overdue_at`:
  the end of its chosen window, or its due time).

An urgent request waiting unseen is alerted whoever else is active (a supervisor
reading reports does not make anyone call it); an overdue one only while no member of
staff has been active in the last five minutes (`staff_sessions.active_staff`):

- **Alert**: each such request without an open alert gets one (a `queue_alerts` row),
  and the requests alerted at one check share one message: an email to each address
  of the alert list and a POST to the alert webhook, written to the outbox in the
  same transaction as the rows, each naming the request's dashboard page when
  INTAKE_PUBLIC_URL is set. No repeat while the alert is open.
- **Escalation**: an alert raised at least one more period ago (the urgent or overdue
  minutes, by why it was raised) whose request still waits unseen escalates: an email
  to each enabled supervisor, again every `escalate_every` until someone takes it.

When alerts are open and no request waits unseen (whoever is signed in), one notice
says the queue is back within target, to the alert list and the webhook (and to the
supervisors, if any of those alerts escalated), and the alerts close: a later wait
raises a new one.

Two workers checking at once: a partial unique index allows one open alert per
request and the insert does nothing on a conflict, so only the worker whose insert
went in writes the messages; escalating and closing are conditional UPDATEs, so only
the worker whose UPDATE changed the rows writes theirs.

What is sent names references and counts only: never a name, number, topic or
message, and no subject says what the service is about.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intake.domain import outbox, queue, staff_sessions, states
from intake.domain.crypto import Vault
from intake.domain.staff_accounts import SUPERVISOR
from intake.models import CallbackRequest, QueueAlert, StaffMember

log = logging.getLogger(__name__)

# Why a request was alerted; an alert escalates after one more period of its reason.
URGENT = "urgent"
OVERDUE = "overdue"
# What a message says.
ALERT = "alert"
ESCALATION = "escalation"
BACK_TO_NORMAL = "back_to_normal"
NEEDS_SUPERVISOR = "needs_supervisor"
# How often the outbox worker checks.
CHECK_EVERY = timedelta(minutes=1)
# The request page's path (intake.staff.views.request_page; a test holds them together).
REQUEST_PAGE = "/staff/requests/{reference}"


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go and when a wait is too long (INTAKE_ALERT_* and the minutes)."""

    emails: tuple[str, ...] = ()
    webhook: bool = False
    urgent_after: timedelta = timedelta(minutes=5)
    overdue_after: timedelta = timedelta(minutes=15)
    escalate_every: timedelta = timedelta(minutes=15)
    # A holder idle this long has no session left (INTAKE_STAFF_IDLE_MINUTES).
    idle_limit: timedelta = timedelta(minutes=30)
    # The public site's address, for links to a request's dashboard page (or None).
    public_url: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "AlertSettings":
        return cls(
            emails=tuple(config.get("INTAKE_ALERT_EMAILS") or ()),
            webhook=bool(config.get("INTAKE_ALERT_WEBHOOK_URL")),
            urgent_after=timedelta(minutes=config.get("INTAKE_URGENT_ALERT_MINUTES", 5)),
            overdue_after=timedelta(minutes=config.get("INTAKE_OVERDUE_ALERT_MINUTES", 15)),
            escalate_every=timedelta(minutes=config.get("INTAKE_ESCALATE_EVERY_MINUTES", 15)),
            idle_limit=timedelta(minutes=config.get("INTAKE_STAFF_IDLE_MINUTES", 30)),
            public_url=(config.get("INTAKE_PUBLIC_URL") or "").rstrip("/") or None,
        )

    def request_page(self, reference: str) -> str | None:
        """The request's page on the dashboard (staff sign in to see it), if we know
        the site's address: a reference only, nothing about anyone."""
        return (
            f"{self.public_url}{REQUEST_PAGE.format(reference=reference)}"
            if self.public_url
            else None
        )

    @property
    def enabled(self) -> bool:
        """Without an address and a webhook there is no one to tell: no alert is made."""
        return bool(self.emails or self.webhook)

    def period(self, reason: str) -> timedelta:
        return self.urgent_after if reason == URGENT else self.overdue_after


@dataclass(frozen=True)
class Unseen:
    """A request waiting past a threshold: which one, and which thresholds."""

    id: int
    reference: str
    urgent: bool  # urgent, and waited past the urgent minutes
    overdue: bool  # overdue by more than the overdue minutes

    @property
    def reason(self) -> str:
        return URGENT if self.urgent else OVERDUE


@dataclass(frozen=True)
class About:
    """The requests a message is about, by reference, and which thresholds they passed."""

    references: list[str]
    urgent: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)

    @classmethod
    def unseen(cls, items: list[Unseen]) -> "About":
        return cls(
            references=[item.reference for item in items],
            urgent=[item.reference for item in items if item.urgent],
            overdue=[item.reference for item in items if item.overdue],
        )


@dataclass
class CheckReport:
    """What one check did, by request id (never a reference: this is logged)."""

    alerted: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    messages: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.alerted or self.escalated or self.closed)

    def __str__(self) -> str:
        said = []
        if self.alerted:
            said.append(f"alert for {_ids(self.alerted)}")
        if self.escalated:
            said.append(f"escalated to supervisors for {_ids(self.escalated)}")
        if self.closed:
            said.append(f"back within target after alerts for {_ids(self.closed)}")
        return f"Queue alerts: {'; '.join(said) or 'nothing to say'} ({self.messages} to send)."


def _ids(ids: list[int]) -> str:
    return f"request{'s' if len(ids) != 1 else ''} {', '.join(str(i) for i in ids)}"


def raise_escalate_or_close(
    session: Session, vault: Vault, settings: AlertSettings, now: datetime
) -> CheckReport:
    """Raise, escalate or close alerts as the queue stands now, writing their messages
    to the outbox in the same transaction; commits once, or not at all."""
    report = CheckReport()
    if not settings.enabled:
        return report
    unseen = waiting_unseen(session, settings, now)
    if unseen:
        room_empty = staff_sessions.active_staff(session, now) == 0
        due = [item for item in unseen if item.urgent or room_empty]
        if due:
            alerted = _raise_alerts(session, settings, due, now)
            report.alerted = [item.id for item in alerted]
            report.messages += _tell_of_unseen(
                session, vault, settings, ALERT, alerted, len(unseen), now
            )
            escalated = _escalate(session, settings, due, now)
            report.escalated = [item.id for item in escalated]
            report.messages += _tell_of_unseen(
                session, vault, settings, ESCALATION, escalated, len(unseen), now
            )
    else:
        _back_to_normal(session, vault, settings, now, report)
    if not report.anything:
        session.rollback()
        return report
    session.commit()
    log.info("%s", report)
    return report


def waiting_unseen(session: Session, settings: AlertSettings, now: datetime) -> list[Unseen]:
    """The requests past either threshold that nobody is working on, in queue order."""
    waiting = CallbackRequest.status == states.NEW
    holder_gone = and_(
        CallbackRequest.status == states.IN_PROGRESS,
        ~staff_sessions.has_live_session(CallbackRequest.held_by_id, now, settings.idle_limit),
    )
    urgent = and_(
        CallbackRequest.urgent.is_(True),
        CallbackRequest.callable_from < now - settings.urgent_after,
        or_(waiting, holder_gone),
    )
    overdue = and_(waiting, now - settings.overdue_after > queue.OVERDUE_AT)
    rows = session.execute(
        select(
            CallbackRequest.id,
            CallbackRequest.reference,
            urgent.label("urgent"),
            overdue.label("overdue"),
        )
        .where(queue.IS_OPEN, or_(urgent, overdue))
        .order_by(*queue.QUEUE_ORDER)
    )
    return [Unseen(row.id, row.reference, bool(row.urgent), bool(row.overdue)) for row in rows]


def _insert(session: Session):
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect's own words."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(QueueAlert)


def _raise_alerts(
    session: Session, settings: AlertSettings, unseen: list[Unseen], now: datetime
) -> list[Unseen]:
    """An alert for each request not alerted yet; those alerted now, in queue order. A
    row another worker is inserting (or has) makes this insert do nothing, so that
    request is left to it. Inserted in id order, so two workers never wait on each
    other crosswise."""
    open_already = set(
        session.scalars(
            select(QueueAlert.request_id).where(
                QueueAlert.closed_at.is_(None),
                QueueAlert.request_id.in_([item.id for item in unseen]),
            )
        )
    )
    raised = set()
    for item in sorted(unseen, key=lambda item: item.id):
        if item.id in open_already:
            continue
        statement = (
            _insert(session)
            .values(
                request_id=item.id,
                reason=item.reason,
                raised_at=now,
                escalate_at=now + settings.period(item.reason),
            )
            .on_conflict_do_nothing()
            .returning(QueueAlert.id)
        )
        if session.execute(statement).first() is not None:
            raised.add(item.id)
    return [item for item in unseen if item.id in raised]


def _escalate(
    session: Session, settings: AlertSettings, unseen: list[Unseen], now: datetime
) -> list[Unseen]:
    """The alerts still unseen one period after they were raised escalate, and again
    every `escalate_every` until someone takes the request; those escalated now, in
    queue order."""
    escalated = set(
        session.scalars(
            update(QueueAlert)
            .where(
                QueueAlert.closed_at.is_(None),
                QueueAlert.escalate_at <= now,
                QueueAlert.request_id.in_([item.id for item in unseen]),
            )
            .values(escalated_at=now, escalate_at=now + settings.escalate_every)
            .returning(QueueAlert.request_id)
            .execution_options(synchronize_session=False)
        )
    )
    return [item for item in unseen if item.id in escalated]


def _tell_of_unseen(
    session: Session,
    vault: Vault,
    settings: AlertSettings,
    kind: str,
    about: list[Unseen],
    unseen_in_all: int,
    now: datetime,
) -> int:
    """One message about the requests just alerted (ALERT: to the alert list and the
    webhook) or escalated (ESCALATION: to the supervisors); returns how many were
    written, none when there is nothing to say."""
    if not about:
        return 0
    facts = _facts(session, kind, About.unseen(about), unseen_in_all, settings, now)
    if kind == ALERT:
        return _send(session, vault, facts, settings.emails, settings.webhook, now)
    supervisors = _supervisor_addresses(session)
    if not supervisors:
        log.warning("Queue alerts: no enabled supervisor has an address to escalate to.")
    return _send(session, vault, facts, supervisors, False, now)


def _back_to_normal(
    session: Session, vault: Vault, settings: AlertSettings, now: datetime, report: CheckReport
) -> None:
    """Nobody waits unseen: close the open alerts, and say so once."""
    closed = session.execute(
        update(QueueAlert)
        .where(QueueAlert.closed_at.is_(None))
        .values(closed_at=now)
        .returning(QueueAlert.request_id, QueueAlert.escalated_at)
        .execution_options(synchronize_session=False)
    ).all()
    if not closed:
        return
    ids = [row.request_id for row in closed]
    references = session.scalars(
        select(CallbackRequest.reference)
        .where(CallbackRequest.id.in_(ids))
        .order_by(CallbackRequest.id)
    ).all()
    facts = _facts(session, BACK_TO_NORMAL, About(list(references)), 0, settings, now)
    addresses = list(settings.emails)
    if any(row.escalated_at is not None for row in closed):
        addresses += _supervisor_addresses(session)
    report.closed = sorted(ids)
    report.messages += _send(session, vault, facts, addresses, settings.webhook, now)


def tell_supervisors_now(
    session: Session,
    vault: Vault,
    settings: AlertSettings,
    reference: str,
    why: str,
    now: datetime,
) -> int:
    """An urgent request waits for a supervisor's decision (intake.domain.supervision):
    tell the alert list, the webhook and every supervisor at once, in the caller's
    transaction; returns how many messages were written."""
    facts = _facts(
        session, NEEDS_SUPERVISOR, About([reference], urgent=[reference]), 0, settings, now
    )
    facts["why"] = why
    addresses = [*settings.emails, *_supervisor_addresses(session)]
    return _send(session, vault, facts, addresses, settings.webhook, now)


def _supervisor_addresses(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(StaffMember.email)
            .where(
                StaffMember.role == SUPERVISOR,
                StaffMember.active.is_(True),
                StaffMember.email != "",
            )
            .order_by(StaffMember.id)
        )
    )


def _facts(
    session: Session,
    kind: str,
    about: About,
    unseen: int,
    settings: AlertSettings,
    now: datetime,
) -> dict[str, Any]:
    """What a message says: references, counts and times only, and the dashboard page of
    each request it is about when the site's address is known."""
    ready = session.scalar(select(func.count()).where(*queue.open_parts(now)["ready"]))
    pages = {reference: settings.request_page(reference) for reference in about.references}
    return {
        "kind": kind,
        "references": about.references,
        "request_pages": {reference: page for reference, page in pages.items() if page},
        "urgent_references": about.urgent,
        "overdue_references": about.overdue,
        "counts": {
            "references": len(about.references),
            "urgent": len(about.urgent),
            "overdue": len(about.overdue),
            "unseen": unseen,
            "ready": ready or 0,
        },
        "oldest_wait_seconds": int(queue.oldest_wait(session, now).total_seconds()),
        "urgent_minutes": _minutes(settings.urgent_after),
        "overdue_minutes": _minutes(settings.overdue_after),
        "active_within_minutes": _minutes(staff_sessions.ACTIVE_WITHIN),
        "nobody_active": staff_sessions.active_staff(session, now) == 0,
        "checked_at": now.isoformat(),
    }


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def _send(
    session: Session,
    vault: Vault,
    facts: dict[str, Any],
    addresses: Iterable[str],
    webhook: bool,
    now: datetime,
) -> int:
    """One outbox message per address (each is tried and fails on its own) and one for
    the webhook; returns how many."""
    written = 0
    seen: set[str] = set()
    for address in addresses:
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        outbox.enqueue(session, vault, outbox.ALERT_EMAIL, {"to": address, **facts}, now)
        written += 1
    if webhook:
        outbox.enqueue(session, vault, outbox.ALERT_WEBHOOK, facts, now)
        written += 1
    return written


# What the messages say


def describe(facts: Mapping[str, Any], zone: ZoneInfo, zone_label: str) -> tuple[str, str]:
    """(subject, text) of a message: the email's subject and body, and the webhook's
    `text`. Neutral words: a subject never says what the service is about."""
    kind = facts["kind"]
    count = facts["counts"]["references"]
    references = ", ".join(facts["references"])
    lines = []
    if kind == NEEDS_SUPERVISOR:
        subject = "Callback queue: a supervisor's decision is needed"
        lines.append(
            f"An urgent callback request needs a supervisor's decision: {references}. "
            f"{facts['why']}, so it stays open in the queue until a supervisor decides."
        )
    elif kind == BACK_TO_NORMAL:
        subject = "Callback queue: back within target"
        lines.append(
            f"The callback queue is back within target: no urgent request has waited over "
            f"{_span(facts['urgent_minutes'] * 60)} to be called, and none is overdue by "
            f"over {_span(facts['overdue_minutes'] * 60)}."
        )
        if references:
            lines.append(f"Alerted earlier: {references}.")
    else:
        still = "still " if kind == ESCALATION else ""
        subject = f"Callback queue: {_requests(count)} {still}waiting unseen"
        if facts.get("nobody_active", True):
            nobody = (
                f"nobody on the team has been active in the last "
                f"{_span(facts['active_within_minutes'] * 60)}"
            )
        else:
            nobody = "nobody is working on " + ("it" if count == 1 else "them")
        if kind == ESCALATION:
            lines.append(
                f"For supervisors: {_requests(count, 'callback request')} {_is(count)} "
                f"still waiting unseen after an alert, and {nobody}."
            )
        else:
            lines.append(
                f"{_requests(count, 'callback request')} {_is(count)} waiting unseen, and {nobody}."
            )
        if facts["urgent_references"]:
            lines.append(
                f"Urgent, waiting over {_span(facts['urgent_minutes'] * 60)}: "
                f"{', '.join(facts['urgent_references'])}."
            )
        if facts["overdue_references"]:
            lines.append(
                f"Overdue by over {_span(facts['overdue_minutes'] * 60)}: "
                f"{', '.join(facts['overdue_references'])}."
            )
        unseen = facts["counts"]["unseen"]
        if unseen > count:
            lines.append(f"Waiting unseen in all: {unseen}.")
    if kind != BACK_TO_NORMAL:
        for reference, page in facts.get("request_pages", {}).items():
            lines.append(f"Open {reference} on the dashboard: {page}")
    ready = facts["counts"]["ready"]
    if ready:
        lines.append(
            f"Ready to call now: {ready}; the longest has waited "
            f"{_span(facts['oldest_wait_seconds'])}."
        )
    else:
        lines.append("Ready to call now: none.")
    checked = datetime.fromisoformat(facts["checked_at"]).astimezone(zone)
    lines.append(
        f"Checked at {checked:%H:%M} on {checked:%A} {checked.day} {checked:%B} ({zone_label})."
    )
    return subject, "\n".join(lines)


def _requests(count: int, what: str = "request") -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"


def _is(count: int) -> str:
    return "is" if count == 1 else "are"


def _span(seconds: int) -> str:
    """'1 minute', '22 minutes', '2 hours 5 minutes'."""
    minutes = max(int(seconds) // 60, 0)
    hours, minutes = divmod(minutes, 60)
    words = []
    if hours:
        words.append(f"{hours} hour{'' if hours == 1 else 's'}")
    if minutes or not hours:
        words.append(f"{minutes} minute{'' if minutes == 1 else 's'}")
    return " ".join(words)
