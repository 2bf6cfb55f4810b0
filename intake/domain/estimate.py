"""How soon we aim to call an "as soon as possible" request: one honest figure, shown
on the form, the confirmation page and the email, from the live queue, in aggregate
only (times, never anyone's answers).

Two kinds of wait count, over the last two hours:
- requests that have had a call: how long they waited for the first one;
- requests still waiting for a first call: how long they have waited so far (their
  wait is at least that, so a stuck queue makes the figure longer, not shorter).
The figure is the median of those waits (the service's target when there are fewer
than five), and never less than the longest wait of anyone still waiting now: a new
request joins the queue behind them. Rounded up to 5 minutes, never below 5.

A request booked for a later time counts too: once called, nothing plain on its row
tells it from an ASAP one (calls move its times on), and the answers are sealed. It
can only make the figure longer, never promise a quicker call than we make.
"""

import math
import statistics
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.domain import queue
from intake.models import CallAttempt, CallbackRequest

LOOK_BACK = timedelta(hours=2)
MIN_SAMPLE = 5
STEP_MINUTES = 5
# The newest requests read at most: ids grow with arrival, so the primary key finds
# them without a scan however long the table; two hours rarely bring more.
MAX_SAMPLE = 500


def rounded_minutes(span: timedelta) -> int:
    """Whole minutes, rounded up to the next 5, never below 5."""
    minutes = math.ceil(span.total_seconds() / 60 / STEP_MINUTES) * STEP_MINUTES
    return max(STEP_MINUTES, minutes)


def waits_to_first_call(session: Session, now: datetime) -> list[timedelta]:
    """For each recent request that has had a call: how long it waited for the first."""
    recent = (
        select(CallbackRequest.id, CallbackRequest.created_at)
        .order_by(CallbackRequest.id.desc())
        .limit(MAX_SAMPLE)
        .subquery()
    )
    query = (
        select(recent.c.created_at, func.min(CallAttempt.made_at))
        .join(CallAttempt, CallAttempt.request_id == recent.c.id)
        .where(recent.c.created_at >= now - LOOK_BACK, recent.c.created_at <= now)
        .group_by(recent.c.id, recent.c.created_at)
    )
    return [first_call - created for created, first_call in session.execute(query)]


def waits_so_far(session: Session, now: datetime) -> list[timedelta]:
    """For each open request still waiting for its first call (one that may be called
    now, arrived or became callable in the last two hours): how long it has waited."""
    query = (
        select(CallbackRequest.callable_from)
        .where(
            queue.IS_OPEN,
            CallbackRequest.attempt_count == 0,
            CallbackRequest.callable_from <= now,
            CallbackRequest.callable_from >= now - LOOK_BACK,
        )
        .limit(MAX_SAMPLE)
    )
    return [now - since for since in session.scalars(query)]


def asap_minutes(session: Session, now: datetime, target: timedelta) -> int:
    """The "we aim to call within N minutes" of the form, confirmation and email."""
    waits = waits_to_first_call(session, now) + waits_so_far(session, now)
    typical = statistics.median(waits) if len(waits) >= MIN_SAMPLE else target
    return rounded_minutes(max(typical, queue.oldest_wait(session, now)))


def wait_words(minutes: int) -> str:
    """'25 minutes', '1 hour', '2 hours 15 minutes'."""
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' * (hours != 1)}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} minute{'s' * (rest != 1)}")
    return " ".join(parts)
