"""The team's dashboard counts, worked out by one worker for every worker.

Counting the open requests reads every one of them (an index-only scan, about 70 ms
on 200,000). When each worker counted for itself every few seconds, those counts set
the queue page's slowest answers. Now the last counts are kept in one row
(`team_counts`) that every worker reads. Once they are older than the allowed age,
one worker claims the recount with a conditional UPDATE, and the others go on
showing the last counts until it is done. Each worker also keeps its own copy until
that copy is too old, so most pages do not read the row at all.
"""

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, or_, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.caching import declare
from intake.domain.queue import TeamCounts, team_counts
from intake.models import TeamCountsRow

ROW_ID = 1
# Declared as every cache is (intake.caching); it is kept in the database, not by
# cachetools, because every worker shares it and one at a time may recount.
TEAM_COUNTS = declare(
    "team_counts",
    holds="the team's queue counts: one row in the database, and each worker's copy",
    size=1,
    lifetime=timedelta(seconds=3),
    cleared_by="time (INTAKE_TEAM_COUNTS_CACHE_SECONDS, 3 s by default): one worker recounts",
    earns="a recount reads every open request: about 70 ms of a core on 200,000, once "
    "for the site instead of once per worker (bench.queue_page, bench/RESULTS.md)",
)
# A worker that dies mid-count holds the claim no longer than this.
CLAIM_FOR = timedelta(seconds=30)


@dataclass
class SharedTeamCounts:
    """One worker's copy of the team's counts. With `max_age` zero every call counts
    afresh, keeping nothing."""

    max_age: timedelta
    counted_at: datetime | None = None
    counts: TeamCounts | None = None

    def at(self, engine: Engine, now: datetime, zone: ZoneInfo) -> TeamCounts:
        if not self.max_age:
            with Session(engine) as session:
                return team_counts(session, now, zone)
        if self.counts is None or not _young(self.counted_at, now, self.max_age):
            self.counted_at, self.counts = latest(engine, now, zone, self.max_age)
        return self.counts


def latest(
    engine: Engine, now: datetime, zone: ZoneInfo, max_age: timedelta
) -> tuple[datetime, TeamCounts]:
    """The kept counts and when they were counted, recounted first if they are older
    than `max_age` and no other worker is recounting them already."""
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(TeamCountsRow, ROW_ID)
        if row is not None and _young(row.counted_at, now, max_age):
            return row.counted_at, _counts(row)
        if not _claim(session, row, now, max_age):
            if row is not None and row.counted_at is not None:
                return row.counted_at, _counts(row)
            return now, team_counts(session, now, zone)  # never counted: count, keep nothing
        counts = team_counts(session, now, zone)
        _without_waiting_for_the_disk(session)
        session.execute(
            update(TeamCountsRow)
            .where(TeamCountsRow.id == ROW_ID)
            .values(counted_at=now, counting_until=None, **asdict(counts))
        )
        session.commit()
        return now, counts


def _young(counted_at: datetime | None, now: datetime, max_age: timedelta) -> bool:
    """Counted less than `max_age` ago (and not, by a clock set back, in the future)."""
    return counted_at is not None and timedelta(0) <= now - counted_at < max_age


def _claim(session: Session, row: TeamCountsRow | None, now: datetime, max_age: timedelta) -> bool:
    """Take the recount, in one conditional UPDATE (or the row's first INSERT): of the
    workers that found the counts old at the same moment, one wins. Commits."""
    claimed_until = now + CLAIM_FOR
    _without_waiting_for_the_disk(session)
    if row is None:
        try:
            session.execute(insert(TeamCountsRow).values(id=ROW_ID, counting_until=claimed_until))
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
            return False
    result = session.execute(
        update(TeamCountsRow)
        .where(
            TeamCountsRow.id == ROW_ID,
            or_(TeamCountsRow.counted_at.is_(None), TeamCountsRow.counted_at <= now - max_age),
            or_(TeamCountsRow.counting_until.is_(None), TeamCountsRow.counting_until <= now),
        )
        .values(counting_until=claimed_until)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _without_waiting_for_the_disk(session: Session) -> None:
    """The kept counts are a cache that the next recount rebuilds: on PostgreSQL their
    commits need not wait for the disk (a page's answer must not queue behind a
    checkpoint). A crash may lose the last write, never anything else's."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))


def _counts(row: TeamCountsRow) -> TeamCounts:
    return TeamCounts(**{field.name: getattr(row, field.name) for field in fields(TeamCounts)})
