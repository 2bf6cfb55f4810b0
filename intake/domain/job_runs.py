"""When each of the operators' jobs last succeeded, and how often each has failed.

The jobs run in processes of their own: `release-holds` and `purge` from cron,
`reports keep` from a systemd timer, and the outbox worker's rounds. Each records its
runs here, one row a job, and /metrics reads the rows whichever process (or host)
answers the scrape: `intake_job_last_success_timestamp_seconds` (a heartbeat: an alert
rule fires when it is too old, or missing) and `intake_job_failures_total`.

A row holds a job's name, two times and a count: nothing personal.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intake.models import JobRun

RELEASE_HOLDS = "release-holds"  # cron, every minute
PURGE = "purge"  # cron, nightly
REPORT_DAYS = "report-days"  # `reports keep`, a systemd timer, every minute
OUTBOX = "outbox"  # the outbox worker: a round that checked for alerts and sent what was due
JOBS = (RELEASE_HOLDS, PURGE, REPORT_DAYS, OUTBOX)


@dataclass(frozen=True)
class Runs:
    job: str
    last_success_at: datetime | None
    failures: int


def _insert(session: Session):
    """INSERT ... ON CONFLICT, in the dialect's own words."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(JobRun)


def succeeded(session: Session, job: str, now: datetime) -> None:
    """`job` succeeded at `now`; commits. A later success already recorded (another
    process's, or another host's) is kept."""
    statement = _insert(session).values(job=job, last_success_at=now, failures=0)
    newer = JobRun.last_success_at.is_(None) | (JobRun.last_success_at < now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[JobRun.job],
            set_={"last_success_at": statement.excluded.last_success_at},
            where=newer,
        )
    )
    session.commit()


def failed(session: Session, job: str, now: datetime) -> None:
    """`job` failed at `now`: one more failure counted; commits."""
    statement = _insert(session).values(job=job, last_failure_at=now, failures=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[JobRun.job],
            set_={"last_failure_at": now, "failures": JobRun.failures + 1},
        )
    )
    session.commit()


def all_runs(session: Session) -> list[Runs]:
    """Every job known here or recorded, by name: one that never ran has no success
    and no failures."""
    rows = {row.job: row for row in session.scalars(select(JobRun))}
    runs = [
        Runs(job, rows[job].last_success_at, rows[job].failures)
        if job in rows
        else Runs(job, None, 0)
        for job in sorted(set(JOBS) | set(rows))
    ]
    session.rollback()
    return runs
