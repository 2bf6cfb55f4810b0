"""How soon an "as soon as possible" request is usually called: an honest figure for
the form, from the live queue, in aggregate only (times, never anyone's answers).

The median time from a request arriving to its first call, over the requests made in
the last two hours that have had a call; with fewer than five of them, the service's
target. Rounded up to 5 minutes, never below 5.

A request booked for a later time counts too: once called, nothing plain on its row
tells it from an ASAP one (calls move its times on), and the answers are sealed. It
can only make the figure longer, never promise a quicker call than we make.
"""

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import CallAttempt, CallbackRequest

LOOK_BACK = timedelta(hours=2)
MIN_SAMPLE = 5
STEP_MINUTES = 5
# The newest requests read at most: ids grow with arrival, so the primary key finds
# them without a scan however long the table; two hours rarely bring more.
MAX_SAMPLE = 500
CACHE_FOR = timedelta(seconds=60)


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


def asap_minutes(session: Session, now: datetime, target: timedelta) -> int:
    """The "usually within N minutes" of the form's first choice."""
    waits = waits_to_first_call(session, now)
    if len(waits) < MIN_SAMPLE:
        return rounded_minutes(target)
    return rounded_minutes(statistics.median(waits))


@dataclass
class CachedEstimate:
    """One worker's latest figure, reused for a minute: every visitor opening the form
    would otherwise ask the database the same question."""

    taken_at: datetime | None = None
    minutes: int = 0

    def minutes_at(self, now: datetime, compute: Callable[[], int]) -> int:
        if self.taken_at is None or not timedelta(0) <= now - self.taken_at < CACHE_FOR:
            self.minutes, self.taken_at = compute(), now
        return self.minutes
