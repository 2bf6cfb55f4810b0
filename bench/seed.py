"""Fill a PostgreSQL database with many callback requests, quickly (COPY), with a progress bar.

Usage: bench/seed --database-url URL [--total 1000000] [--open 200000]
The schema must exist (flask --app intake db upgrade). Personal data is sealed
with the key in INTAKE_DATA_KEYS, from a small pool of made-up answers.
"""

import hashlib
import os
import random
from datetime import UTC, datetime, timedelta

import click
import psycopg
from argon2 import PasswordHasher

from intake.domain import states
from intake.domain.callbacks import CallbackAnswers
from intake.domain.crypto import Vault
from intake.domain.references import ALPHABET

STAFF = 20
COLUMNS = (
    "reference, status, urgent, created_at, due_at, callable_from, source_page, personal_data, "
    "phone_hash, submission_digest, withdraw_digest, closed_at, held_by_id, held_at, "
    "attempt_count, version"
)
CLOSED = (states.COMPLETED, states.UNREACHABLE, states.WITHDRAWN, states.SPAM)
TOPICS = ("alcohol", "cocaine", "opioids", "prescription", "other")


def reference(number: int) -> str:
    chars = []
    for _ in range(8):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    text = "".join(chars)
    return f"{text[:4]}-{text[4:]}"


def sealed_pool(vault: Vault, size: int = 64) -> list[tuple[bytes, str]]:
    pool = []
    for number in range(size):
        phone = f"+4474001{number:05d}"
        answers = CallbackAnswers(
            name=f"Seeded visitor {number}", phone=phone, for_whom="me", in_danger=False,
            topics=(TOPICS[number % len(TOPICS)],), voicemail_ok=number % 2 == 0,
        )  # fmt: skip
        pool.append((vault.seal(answers.personal()), vault.phone_hash(phone)))
    return pool


def rows(total: int, open_count: int, pool, staff_ids: list[int], now: datetime):
    rng = random.Random(2026)
    for number in range(total):
        created = now - timedelta(minutes=rng.randint(1, 120 * 24 * 60))
        sealed, phone_hash = pool[number % len(pool)]
        is_open = number < open_count
        held = is_open and number % 7 == 0
        status = (states.IN_PROGRESS if held else states.NEW) if is_open else CLOSED[number % 4]
        due = created + timedelta(minutes=15) if number % 5 else created + timedelta(days=1)
        yield (
            reference(number), status, number % 20 == 0, created, due, created, None, sealed,
            phone_hash, hashlib.sha256(b"s%d" % number).hexdigest(),
            hashlib.sha256(b"w%d" % number).hexdigest() if is_open else None,
            None if is_open else created + timedelta(hours=rng.randint(1, 72)),
            staff_ids[number % len(staff_ids)] if held else None,
            now - timedelta(minutes=5) if held else None,
            rng.randint(0, 3), 1,
        )  # fmt: skip


def seed(database_url: str, total: int, open_count: int, key: str) -> None:
    vault, now = Vault([key]), datetime.now(UTC)
    password = PasswordHasher().hash("correct horse battery staple")
    with psycopg.connect(database_url) as connection, connection.cursor() as cursor:
        staff_ids = [
            cursor.execute(
                "INSERT INTO staff_members (email, name, role, password_hash, failed_sign_ins, "
                "session_version, active, created_at) VALUES (%s, %s, 'agent', %s, 0, 1, true, %s) "
                "RETURNING id",
                (f"seed{number}@intake.example", f"Seed agent {number}", password, now),
            ).fetchone()[0]
            for number in range(STAFF)
        ]
        pool = sealed_pool(vault)
        with (
            click.progressbar(length=total, label=f"Seeding {total:,} requests") as bar,
            cursor.copy(f"COPY callback_requests ({COLUMNS}) FROM STDIN") as copy,
        ):
            for count, row in enumerate(rows(total, open_count, pool, staff_ids, now), start=1):
                copy.write_row(row)
                if count % 10_000 == 0:
                    bar.update(10_000)
        cursor.execute("ANALYZE callback_requests")
    click.echo(f"Seeded {total:,} requests ({open_count:,} open) and {STAFF} agents.")


@click.command()
@click.option("--database-url", default=lambda: os.environ.get("DATABASE_URL"), required=True)
@click.option("--total", default=1_000_000, show_default=True)
@click.option("--open", "open_count", default=200_000, show_default=True)
def main(database_url: str, total: int, open_count: int) -> None:
    key = os.environ.get("INTAKE_DATA_KEYS", "").split(",")[0]
    if not key:
        raise click.ClickException("Set INTAKE_DATA_KEYS: the key the app will read with.")
    seed(database_url, total, open_count, key)


if __name__ == "__main__":
    main()
