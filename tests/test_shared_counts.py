"""The team's counts, worked out by one worker and shown by all (intake.domain.shared_counts):
kept in one row, recounted once they are too old, by one worker at a time."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, update

from intake.domain import shared_counts
from intake.domain.shared_counts import SharedTeamCounts
from intake.extensions import db
from intake.models import TeamCountsRow
from tests.factories import submit_request, utc

ZONE = ZoneInfo("Europe/London")
MAX_AGE = timedelta(seconds=3)
NOW = utc(2027, 1, 15, 10, 0)


@pytest.fixture
def engine(app):
    with app.app_context():
        return db.engine


@pytest.fixture
def recounts(monkeypatch) -> list:
    """Every time a worker really counts the open requests."""
    made = []
    count = shared_counts.team_counts

    def counting(*args):
        made.append(args[1])
        return count(*args)

    monkeypatch.setattr(shared_counts, "team_counts", counting)
    return made


def kept_row(db_session) -> TeamCountsRow | None:
    db_session.expire_all()
    return db_session.scalar(select(TeamCountsRow))


def test_counts_kept_by_one_worker_are_shown_by_another_without_counting_again(
    engine, db_session, vault, recounts
):
    submit_request(db_session, vault, now=NOW)
    first, second = SharedTeamCounts(MAX_AGE), SharedTeamCounts(MAX_AGE)
    assert first.at(engine, NOW, ZONE).ready == 1
    submit_request(db_session, vault, now=NOW)

    assert second.at(engine, NOW + timedelta(seconds=2), ZONE).ready == 1
    assert len(recounts) == 1
    assert second.at(engine, NOW + MAX_AGE, ZONE).ready == 2, "recounted once too old"
    assert len(recounts) == 2
    assert first.at(engine, NOW + MAX_AGE, ZONE).ready == 2, "read from the row, not counted"
    assert len(recounts) == 2


def test_a_worker_keeps_its_own_copy_until_it_is_too_old(engine, db_session, vault, recounts):
    worker = SharedTeamCounts(MAX_AGE)
    worker.at(engine, NOW, ZONE)
    db_session.execute(update(TeamCountsRow).values(ready=99))
    db_session.commit()

    assert worker.at(engine, NOW + timedelta(seconds=2), ZONE).ready == 0, "its own copy"
    assert SharedTeamCounts(MAX_AGE).at(engine, NOW + timedelta(seconds=2), ZONE).ready == 99


def test_while_one_worker_recounts_the_others_show_the_last_counts(
    engine, db_session, vault, monkeypatch
):
    shared_counts.latest(engine, NOW, ZONE, MAX_AGE)
    submit_request(db_session, vault, now=NOW)
    later = NOW + timedelta(seconds=10)
    counting, may_finish = threading.Event(), threading.Event()
    count = shared_counts.team_counts

    def slow_count(*args):
        counting.set()
        may_finish.wait(timeout=60)
        return count(*args)

    monkeypatch.setattr(shared_counts, "team_counts", slow_count)
    with ThreadPoolExecutor(max_workers=1) as pool:
        recounting = pool.submit(shared_counts.latest, engine, later, ZONE, MAX_AGE)
        try:
            assert counting.wait(timeout=60)
            monkeypatch.setattr(shared_counts, "team_counts", count)
            shown_meanwhile = shared_counts.latest(engine, later, ZONE, MAX_AGE)
        finally:
            may_finish.set()
        assert shown_meanwhile == (NOW, count_of(0))
        assert recounting.result() == (later, count_of(1))
    assert kept_row(db_session).counting_until is None


def count_of(ready: int):
    """The team's counts with `ready` requests that may be called now, and nothing else."""
    return shared_counts.TeamCounts(ready, 0, 0, 0, 0, 0, 0)


def test_a_worker_that_dies_mid_count_holds_the_recount_for_30_seconds_at_most(
    engine, db_session, vault, monkeypatch
):
    shared_counts.latest(engine, NOW, ZONE, MAX_AGE)
    submit_request(db_session, vault, now=NOW)
    later = NOW + timedelta(seconds=10)
    count = shared_counts.team_counts

    def dies(*args):
        raise RuntimeError("the worker was killed")

    monkeypatch.setattr(shared_counts, "team_counts", dies)
    with pytest.raises(RuntimeError):
        shared_counts.latest(engine, later, ZONE, MAX_AGE)
    monkeypatch.setattr(shared_counts, "team_counts", count)

    almost = later + timedelta(seconds=29)
    assert shared_counts.latest(engine, almost, ZONE, MAX_AGE) == (NOW, count_of(0))
    lapsed = later + timedelta(seconds=30)
    assert shared_counts.latest(engine, lapsed, ZONE, MAX_AGE) == (lapsed, count_of(1))


def test_the_first_count_makes_the_row_and_keeps_what_it_counted(engine, db_session, vault):
    submit_request(db_session, vault, now=NOW)
    submit_request(db_session, vault, now=NOW, in_danger=True)
    assert kept_row(db_session) is None

    counted_at, counts = shared_counts.latest(engine, NOW, ZONE, MAX_AGE)

    row = kept_row(db_session)
    assert counted_at == row.counted_at == NOW
    assert (row.ready, row.urgent, row.counting_until) == (2, 1, None)
    assert (counts.ready, counts.urgent) == (2, 1)


def test_with_no_age_allowed_every_call_counts_afresh_and_keeps_nothing(
    engine, db_session, vault, recounts
):
    worker = SharedTeamCounts(timedelta(0))
    assert worker.at(engine, NOW, ZONE).ready == 0
    submit_request(db_session, vault, now=NOW)
    assert worker.at(engine, NOW, ZONE).ready == 1
    assert len(recounts) == 2
    assert kept_row(db_session) is None


def test_of_workers_finding_the_counts_old_at_the_same_moment_one_recounts(
    engine, db_session, vault, recounts
):
    shared_counts.latest(engine, NOW, ZONE, MAX_AGE)
    submit_request(db_session, vault, now=NOW)
    later = NOW + timedelta(minutes=1)
    start = threading.Barrier(6)

    def look(_):
        start.wait()
        return shared_counts.latest(engine, later, ZONE, MAX_AGE)[1].ready

    with ThreadPoolExecutor(max_workers=6) as pool:
        seen = list(pool.map(look, range(6)))

    assert len(recounts) == 2, "the first count, and one recount"
    assert set(seen) <= {0, 1} and 1 in seen
    assert kept_row(db_session).ready == 1


def test_on_postgresql_keeping_the_counts_never_waits_for_the_disk(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's; SQLite's WAL commits need no flush")
    statements = []

    def note(_connection, _cursor, statement, *_):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        shared_counts.latest(engine, NOW, ZONE, MAX_AGE)
        shared_counts.latest(engine, NOW + MAX_AGE, ZONE, MAX_AGE)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    writes = [n for n, s in enumerate(statements) if s.startswith(("INSERT", "UPDATE"))]
    assert len(writes) == 4, "the first count's row and result, a recount's claim and result"
    assert all(statements[n - 1] == "SET LOCAL synchronous_commit = off" for n in writes)
