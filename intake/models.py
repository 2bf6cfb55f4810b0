"""Database models (SQLAlchemy 2 typed mappings). The schema changes only through migrations."""

from datetime import datetime

from sqlalchemy import DateTime, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from intake.domain.clock import as_utc
from intake.extensions import db


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


class CallbackRequest(db.Model):
    """A visitor's request to be called back, queued for the admissions team.

    Everything that identifies or describes the visitor lives in `personal_data`,
    encrypted (see intake.domain.crypto); the other columns are what the queue
    needs to order and count requests without reading personal data.
    """

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(9), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    urgent: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_page: Mapped[str | None] = mapped_column(String(60))
    personal_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    submission_digest: Mapped[str] = mapped_column(String(64), unique=True)
    withdraw_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_callback_requests_queue", "status", "urgent", "due_at"),)

    def __repr__(self) -> str:
        return f"<CallbackRequest {self.reference} {self.status}>"
