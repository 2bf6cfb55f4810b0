"""One number, shared by every worker through the database, that says when what the
workers keep in memory of the visitors' answers must go.

Each worker keeps the queue rows' answers for up to a minute (intake.app_state). When
personal data is erased, corrected, purged or re-sealed under a new key, the change
bumps the number in the same transaction; every worker reads it at most once a
second, at its next request of any kind, and drops all it kept if it moved.
"""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake.models import CacheGeneration

ROW_ID = 1


def bump(session: Session) -> None:
    """Move the generation on, in the caller's transaction."""
    moved = session.execute(
        update(CacheGeneration)
        .where(CacheGeneration.id == ROW_ID)
        .values(generation=CacheGeneration.generation + 1)
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # a database made before the row existed
        session.add(CacheGeneration(id=ROW_ID, generation=1))


def current(session: Session) -> int:
    return (
        session.scalar(select(CacheGeneration.generation).where(CacheGeneration.id == ROW_ID)) or 0
    )
