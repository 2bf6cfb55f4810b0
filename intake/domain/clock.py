"""Time inside the service is always aware UTC; local time is for display only."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, aware, in UTC. Tests freeze it with time-machine."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Treat a naive datetime (as SQLite returns them) as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
