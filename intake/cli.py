"""Operator commands: `flask --app intake rotate-keys`."""

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import CallbackRequest
from intake.service import current_service

BATCH_SIZE = 500


def register_commands(app: Flask) -> None:
    app.cli.add_command(rotate_keys)


@click.command("rotate-keys")
@with_appcontext
def rotate_keys() -> None:
    """Re-encrypt all personal data, and re-key phone hashes, with the newest data key."""
    vault = current_service().vault
    has_data = CallbackRequest.personal_data.is_not(None)
    total = db.session.scalar(select(func.count()).where(has_data)) or 0
    last_id = 0
    with click.progressbar(length=total, label="Re-encrypting requests") as bar:
        while True:
            batch = db.session.scalars(
                select(CallbackRequest)
                .where(has_data, CallbackRequest.id > last_id)
                .order_by(CallbackRequest.id)
                .limit(BATCH_SIZE)
            ).all()
            if not batch:
                break
            for request in batch:
                personal = vault.open(request.personal_data)
                request.personal_data = vault.seal(personal)
                request.phone_hash = vault.phone_hash(personal["phone"])
            db.session.commit()
            last_id = batch[-1].id
            bar.update(len(batch))
    noun = "request" if total == 1 else "requests"
    click.echo(f"Re-encrypted {total} {noun} with the newest key.")
