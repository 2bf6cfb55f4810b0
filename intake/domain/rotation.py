"""Key rotation: everything sealed is re-encrypted with the newest data key."""

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.domain import cache_generation
from intake.domain.crypto import Vault
from intake.models import (
    CallbackRequest,
    HandoverNote,
    OutboxMessage,
    RequestNote,
    StaffMember,
    StaffSession,
)

# Every column that holds a sealed (encrypted) value.
SEALED_COLUMNS = (
    (CallbackRequest, "personal_data"),
    (RequestNote, "body"),
    (HandoverNote, "body"),
    (StaffMember, "totp_secret"),
    (OutboxMessage, "payload"),
    (StaffSession, "draft"),
)
BATCH_SIZE = 500


def count_sealed(session: Session) -> int:
    return sum(
        session.scalar(select(func.count()).where(getattr(model, name).is_not(None))) or 0
        for model, name in SEALED_COLUMNS
    )


def rotate(session: Session, vault: Vault, batch_size: int = BATCH_SIZE) -> Iterator[int]:
    """Re-encrypt batch by batch, committing each (phone hashes re-keyed too); yields sizes."""
    for model, name in SEALED_COLUMNS:
        column = getattr(model, name)
        last_id = 0
        while True:
            rows = session.scalars(
                select(model)
                .where(column.is_not(None), model.id > last_id)
                .order_by(model.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            for row in rows:
                setattr(row, name, vault.reseal(getattr(row, name)))
                if isinstance(row, CallbackRequest):
                    rehash(vault, row)
            cache_generation.bump(session)
            session.commit()
            last_id = rows[-1].id
            yield len(rows)


def rehash(vault: Vault, request: CallbackRequest) -> None:
    """The request's lookup hashes (phone, email) from its sealed answers, under the
    newest key."""
    personal = vault.open(request.personal_data)
    request.phone_hash = vault.phone_hash(personal["phone"])
    email = personal.get("email")
    request.email_hash = vault.email_hash(email) if email else None
