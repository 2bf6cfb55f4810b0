"""Key rotation: everything sealed is re-encrypted with the newest data key."""

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.domain.crypto import Vault
from intake.models import (
    CallbackRequest,
    HandoverNote,
    OutboxMessage,
    RequestNote,
    StaffMember,
)

# Every column that holds a sealed (encrypted) value.
SEALED_COLUMNS = (
    (CallbackRequest, "personal_data"),
    (RequestNote, "body"),
    (HandoverNote, "body"),
    (StaffMember, "totp_secret"),
    (OutboxMessage, "payload"),
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
                    row.phone_hash = vault.phone_hash(vault.open(row.personal_data)["phone"])
            session.commit()
            last_id = rows[-1].id
            yield len(rows)
