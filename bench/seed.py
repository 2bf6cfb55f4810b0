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

from intake.domain import audit, calls, states
from intake.domain.callbacks import CallbackAnswers
from intake.domain.crypto import Vault
from intake.domain.references import ALPHABET

STAFF = 20
COLUMNS = (
    "reference, status, urgent, created_at, due_at, callable_from, first_callable_at, "
    "source_page, personal_data, "
    "phone_hash, submission_digest, withdraw_digest, closed_at, held_by_id, held_at, "
    "attempt_count, version"
)
CLOSED = (states.COMPLETED, states.UNREACHABLE, states.WITHDRAWN, states.SPAM)
# The call that closed a request of each status, for the history the reports read.
CLOSING_CALL = {
    states.COMPLETED: calls.REACHED,
    states.UNREACHABLE: calls.NO_ANSWER,
    states.WITHDRAWN: calls.REACHED,
    states.SPAM: calls.WRONG_NUMBER,
}
# Where requests came from: some guide pages, and the form reached directly.
GUIDE_PAGES = ("who-can-take", "how-to-take", "side-effects", None)
ATTEMPT_COLUMNS = "request_id, staff_id, made_at, outcome, late"
AUDIT_COLUMNS = "occurred_at, action, staff_id, request_id, detail"
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
            name=f"Seeded visitor {number}",
            phone=phone,
            for_whom="me",
            in_danger=False,
            topics=(TOPICS[number % len(TOPICS)],),
            voicemail_ok=number % 2 == 0,
        )
        pool.append((vault.seal(answers.personal()), vault.phone_hash(phone)))
    return pool


def rows(total: int, open_count: int, pool, staff_ids: list[int], now: datetime):
    rng = random.Random(2026)
    for number in range(total):
        created = arrival(number, total, now)
        sealed, phone_hash = pool[number % len(pool)]
        is_open = number < open_count
        held = is_open and number % 7 == 0
        status = (states.IN_PROGRESS if held else states.NEW) if is_open else CLOSED[number % 4]
        due = created + timedelta(minutes=15) if number % 5 else created + timedelta(days=1)
        yield (
            reference(number),
            status,
            number % 20 == 0,
            created,
            due,
            created,
            created,
            GUIDE_PAGES[number % len(GUIDE_PAGES)],
            sealed,
            phone_hash,
            hashlib.sha256(b"s%d" % number).hexdigest(),
            hashlib.sha256(b"w%d" % number).hexdigest() if is_open else None,
            None if is_open else created + timedelta(hours=rng.randint(1, 72)),
            staff_ids[number % len(staff_ids)] if held else None,
            now - timedelta(minutes=5) if held else None,
            rng.randint(0, 3),
            1,
        )


def closings(total: int, open_count: int, staff_ids: list[int], now: datetime):
    """For each closed request (ids follow the rows, from 1): who took it, when, and the
    one call that closed it. (request id, agent, status, taken at, called at)."""
    for number in range(open_count, total):
        created = arrival(number, total, now)
        called = min(created + timedelta(minutes=number % 90 + 1), now)
        taken = called - timedelta(minutes=number % 10 + 1)
        yield number + 1, staff_ids[number % len(staff_ids)], CLOSED[number % 4], taken, called


SPREAD_MINUTES = 120 * 24 * 60


def arrival(number: int, total: int, now: datetime) -> datetime:
    """When row `number` arrived: the rows go back in time evenly over 120 days, newest
    first, so (as in a real table, written as requests arrive) rows that arrived close
    together sit close together on disk; the newest are the open ones."""
    return now - timedelta(minutes=1 + number * SPREAD_MINUTES / total)


def seed(
    database_url: str, total: int, open_count: int, key: str, with_history: bool = False
) -> None:
    """`with_history`: one call and two audit lines (taken, closed) per closed request."""
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
        if with_history:
            _copy_history(cursor, total, open_count, staff_ids, now)
    # As autovacuum leaves a table in use: statistics, and the visibility map that lets
    # a count be answered from an index alone. Then a checkpoint, so that writing the
    # seed's gigabyte to disk is over before anything is measured, not under way.
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
        connection.execute("CHECKPOINT")
    click.echo(f"Seeded {total:,} requests ({open_count:,} open) and {STAFF} agents.")


def _copy_history(cursor, total: int, open_count: int, staff_ids: list[int], now: datetime):
    """One call and two audit lines per closed request, for the reports to read."""
    with (
        click.progressbar(length=total - open_count, label="Calls and audit lines") as bar,
        cursor.copy(f"COPY call_attempts ({ATTEMPT_COLUMNS}) FROM STDIN") as copy,
    ):
        for count, (request_id, staff_id, status, _, called) in enumerate(
            closings(total, open_count, staff_ids, now), start=1
        ):
            copy.write_row((request_id, staff_id, called, CLOSING_CALL[status], False))
            if count % 10_000 == 0:
                bar.update(10_000)
    with cursor.copy(f"COPY audit_events ({AUDIT_COLUMNS}) FROM STDIN") as copy:
        for request_id, staff_id, status, taken, called in closings(
            total, open_count, staff_ids, now
        ):
            copy.write_row((taken, audit.REQUEST_TAKEN, staff_id, request_id, "{}"))
            closed = f'{{"from": "in_progress", "to": "{status}"}}'
            copy.write_row((called, audit.STATUS_CHANGED, staff_id, request_id, closed))


@click.command()
@click.option("--database-url", default=lambda: os.environ.get("DATABASE_URL"), required=True)
@click.option("--total", default=1_000_000, show_default=True)
@click.option("--open", "open_count", default=200_000, show_default=True)
@click.option("--with-history", is_flag=True, help="A call and audit lines per closed request.")
def main(database_url: str, total: int, open_count: int, with_history: bool) -> None:
    key = os.environ.get("INTAKE_DATA_KEYS", "").split(",")[0]
    if not key:
        raise click.ClickException("Set INTAKE_DATA_KEYS: the key the app will read with.")
    seed(database_url, total, open_count, key, with_history)


if __name__ == "__main__":
    main()
