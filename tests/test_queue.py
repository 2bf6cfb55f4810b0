"""The queue's order, counts, filters and pagination, and taking requests."""

import random
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from intake.domain import audit, calls, queue, staff_accounts, staff_sessions, states
from intake.domain.status import change_status
from intake.models import AuditEvent, CallbackRequest
from tests.factories import cursor_text, make_staff, submit_request, utc

NOW = utc(2026, 11, 25, 12, 0)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def add(
    db_session,
    vault,
    *,
    created_minutes_ago: int,
    due_in: int,
    urgent=False,
    status: str | None = None,
    closed_minutes_ago: int = 0,
    **values,
):
    """A stored request, created and due relative to NOW (minutes); given a status, it
    was changed to it (through change_status) `closed_minutes_ago`."""
    request = submit_request(
        db_session, vault, now=NOW - created_minutes_ago * MINUTE, in_danger=urgent
    )
    request.due_at = request.overdue_at = NOW + due_in * MINUTE
    for name, value in values.items():
        setattr(request, name, value)
    if status is not None:
        change_status(db_session, request, status, by=None, now=NOW - closed_minutes_ago * MINUTE)
    db_session.commit()
    return request


def add_closed(
    db_session, vault, status: str, *, closed_minutes_ago: int, created_minutes_ago: int
):
    """A request closed as `status`, created and closed relative to NOW (minutes); it was
    due 15 minutes after it came, as the policy's target has it."""
    return add(
        db_session,
        vault,
        created_minutes_ago=created_minutes_ago,
        due_in=15 - created_minutes_ago,
        status=status,
        closed_minutes_ago=closed_minutes_ago,
    )


# (name, urgent, minutes since created, minutes until due): listed in the expected order.
ORDER_CASES = [
    ("urgent, overdue", True, 40, -25),
    ("urgent, due soon", True, 5, 10),
    ("urgent, due later, older", True, 60, 120),
    ("urgent, due later, newer", True, 30, 120),
    ("most overdue", False, 50, -35),
    ("overdue", False, 20, -5),
    ("due in 2 min", False, 13, 2),
    ("due in 10 min, older", False, 25, 10),
    ("due in 10 min, newer", False, 5, 10),
    ("chosen slot tomorrow", False, 90, 24 * 60),
]


def test_the_queue_puts_urgent_first_then_by_due_time_then_oldest(db_session, vault):
    member = make_staff(db_session)
    shuffled = random.Random(7).sample(ORDER_CASES, len(ORDER_CASES))
    assert shuffled != ORDER_CASES
    names = {}
    for name, urgent, age, due in shuffled:
        names[add(db_session, vault, created_minutes_ago=age, due_in=due, urgent=urgent).id] = name
    listed = queue.queue_page(db_session, queue.QueueFilter(), member.id).requests
    assert [names[request.id] for request in listed] == [case[0] for case in ORDER_CASES]


def test_keyset_pages_walk_the_whole_queue_in_order(db_session, vault):
    member = make_staff(db_session)
    for index, (_, urgent, age, due) in enumerate(ORDER_CASES * 3):
        add(db_session, vault, created_minutes_ago=age + index, due_in=due, urgent=urgent)
    everything = queue.queue_page(db_session, queue.QueueFilter(), member.id, limit=100).requests
    walked, cursor = [], None
    while True:
        page = queue.queue_page(db_session, queue.QueueFilter(), member.id, after=cursor, limit=7)
        walked += page.requests
        if page.next_cursor is None:
            break
        cursor = queue.Cursor.decode(page.next_cursor.encode())
    assert [r.id for r in walked] == [r.id for r in everything]
    assert len(walked) == 30


def test_a_damaged_cursor_is_not_read():
    aware, naive = "2026-11-25T14:00:00+00:00", "2026-11-25T14:00:00"
    assert queue.Cursor.decode("not-a-cursor") is None
    assert queue.Cursor.decode("") is None
    assert queue.Cursor.decode(cursor_text(False, aware, aware, 7)).id == 7
    assert queue.Cursor.decode(cursor_text(False, naive, aware, 7)) is None
    assert queue.Cursor.decode(cursor_text(False, aware, naive, 7)) is None
    assert queue.Cursor.decode(cursor_text(False, aware, aware, 2**63)) is None
    assert queue.Cursor.decode(cursor_text(False, aware, aware, -1)) is None


def test_take_next_holds_the_first_callable_request(db_session, vault):
    member = make_staff(db_session)
    add(db_session, vault, created_minutes_ago=5, due_in=10)
    first = add(db_session, vault, created_minutes_ago=5, due_in=10, urgent=True)
    reference = queue.take_next(db_session, member, now=NOW)
    assert reference == first.reference
    db_session.refresh(first)
    assert (first.status, first.held_by_id, first.held_at) == (states.IN_PROGRESS, member.id, NOW)


def test_take_next_never_calls_before_the_time_a_visitor_chose(db_session, vault):
    member = make_staff(db_session)
    add(db_session, vault, created_minutes_ago=5, due_in=60, callable_from=NOW + 60 * MINUTE)
    assert queue.take_next(db_session, member, now=NOW) is None
    assert queue.take_next(db_session, member, now=NOW + 61 * MINUTE) is not None


def test_take_next_passes_over_held_and_closed_requests(db_session, vault):
    member, colleague = make_staff(db_session), make_staff(db_session)
    held = add(db_session, vault, created_minutes_ago=9, due_in=-5)
    queue.take(db_session, held, colleague, now=NOW)
    add(db_session, vault, created_minutes_ago=8, due_in=-4, status=states.COMPLETED)
    waiting = add(db_session, vault, created_minutes_ago=1, due_in=14)
    assert queue.take_next(db_session, member, now=NOW) == waiting.reference
    assert queue.take_next(db_session, member, now=NOW) is None


def test_a_request_someone_holds_cannot_be_taken(db_session, vault):
    member, colleague = make_staff(db_session), make_staff(db_session, name="Jo")
    request = add(db_session, vault, created_minutes_ago=1, due_in=14)
    queue.take(db_session, request, colleague, now=NOW)
    with pytest.raises(queue.QueueRefused, match="Jo is working on this request"):
        queue.take(db_session, request, member, now=NOW)


def test_only_the_holder_or_a_supervisor_releases(db_session, vault):
    holder, other = make_staff(db_session), make_staff(db_session)
    boss = make_staff(db_session, role="supervisor")
    request = add(db_session, vault, created_minutes_ago=1, due_in=14)
    queue.take(db_session, request, holder, now=NOW)
    with pytest.raises(queue.QueueRefused):
        queue.release(db_session, request, other, now=NOW)
    queue.release(db_session, request, boss, now=NOW)
    assert (request.status, request.held_by_id) == (states.NEW, None)


def test_a_supervisor_or_the_holder_gives_a_request_to_a_colleague(db_session, vault):
    agent, colleague = make_staff(db_session), make_staff(db_session, name="Bea")
    boss = make_staff(db_session, role="supervisor")
    request = add(db_session, vault, created_minutes_ago=1, due_in=14)
    with pytest.raises(queue.QueueRefused, match="Take this request"):
        calls.give_to_colleague(db_session, vault, request, colleague, agent, now=NOW)
    calls.give_to_colleague(db_session, vault, request, colleague, boss, now=NOW)
    assert (request.status, request.held_by_id) == (states.IN_PROGRESS, colleague.id)
    calls.give_to_colleague(
        db_session, vault, request, agent, colleague, note="Rang twice, try after 6", now=NOW
    )
    assert request.held_by_id == agent.id
    notes = [entry.text for entry in calls.history(db_session, vault, request)]
    assert notes == ["For Alex: Rang twice, try after 6"]


def test_an_untouched_hold_returns_to_the_queue_after_twenty_minutes(db_session, vault):
    member = make_staff(db_session)
    request = add(db_session, vault, created_minutes_ago=1, due_in=14)
    queue.take(db_session, request, member, now=NOW)
    limit = timedelta(minutes=20)
    assert queue.release_expired_holds(db_session, NOW + 19 * MINUTE, limit) == 0
    assert queue.release_expired_holds(db_session, NOW + 21 * MINUTE, limit) == 1
    db_session.refresh(request)
    assert (request.status, request.held_by_id) == (states.NEW, None)
    expired = db_session.query(AuditEvent).filter_by(action=audit.HOLD_EXPIRED).one()
    assert (expired.request_id, expired.staff_id, expired.occurred_at) == (
        request.id,
        None,
        NOW + 21 * MINUTE,
    )
    assert expired.detail == {"from": states.IN_PROGRESS, "to": states.NEW}


def test_a_disabled_members_holds_end_their_trails_with_the_release(db_session, vault):
    member = make_staff(db_session)
    boss = make_staff(db_session, role="supervisor", name="Sam")
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, member, now=NOW)
    staff_accounts.disable(db_session, member, by=boss.id)
    db_session.refresh(request)
    assert (request.status, request.held_by_id) == (states.NEW, None)
    trail = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.request_id == request.id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    assert [line.action for line in trail] == [audit.REQUEST_TAKEN, audit.REQUEST_RELEASED]
    assert (trail[-1].staff_id, trail[-1].detail) == (
        boss.id,
        {"from": states.IN_PROGRESS, "to": states.NEW, "because": "disabled"},
    )


def test_counts_tell_ready_booked_due_again_in_progress_and_the_rest_apart(db_session, vault):
    member = make_staff(db_session)
    london = ZoneInfo("Europe/London")
    add(db_session, vault, created_minutes_ago=30, due_in=-15)
    add(db_session, vault, created_minutes_ago=2, due_in=13, urgent=True)
    add(db_session, vault, created_minutes_ago=2, due_in=60, callable_from=NOW + 60 * MINUTE)
    add(
        db_session,
        vault,
        created_minutes_ago=40,
        due_in=20,
        callable_from=NOW + 20 * MINUTE,
        attempt_count=1,
    )
    mine = add(db_session, vault, created_minutes_ago=2, due_in=13)
    queue.take(db_session, mine, member, now=NOW)
    add_closed(db_session, vault, states.COMPLETED, closed_minutes_ago=60, created_minutes_ago=90)
    add_closed(
        db_session, vault, states.COMPLETED, closed_minutes_ago=1800, created_minutes_ago=2000
    )
    counts = queue.queue_counts(db_session, member.id, NOW, london)
    assert counts == queue.QueueCounts(
        ready=2,
        booked=1,
        due_again=1,
        in_progress=1,
        overdue=1,
        urgent=1,
        completed_today=1,
        held_by_me=1,
    )
    assert counts.waiting == 4
    assert queue.take_next(db_session, member, now=NOW) is not None


def test_a_chosen_window_is_overdue_only_after_it_ends(db_session, vault):
    member = make_staff(db_session)
    london = ZoneInfo("Europe/London")
    booked = add(
        db_session, vault, created_minutes_ago=60, due_in=-30, overdue_at=NOW + 90 * MINUTE
    )
    assert queue.queue_counts(db_session, member.id, NOW, london).overdue == 0
    later = NOW + 91 * MINUTE
    assert queue.queue_counts(db_session, member.id, later, london).overdue == 1
    assert booked.status == states.NEW


def test_take_next_says_when_the_next_request_may_be_called(db_session, vault):
    member = make_staff(db_session)
    add(db_session, vault, created_minutes_ago=2, due_in=60, callable_from=NOW + 60 * MINUTE)
    assert queue.take_next(db_session, member, now=NOW) is None
    assert queue.next_callable_at(db_session) == NOW + 60 * MINUTE


def test_filters_narrow_the_list(db_session, vault):
    member, colleague = make_staff(db_session), make_staff(db_session)
    urgent = add(db_session, vault, created_minutes_ago=2, due_in=13, urgent=True)
    mine = add(db_session, vault, created_minutes_ago=3, due_in=12)
    theirs = add(db_session, vault, created_minutes_ago=4, due_in=11)
    queue.take(db_session, mine, member, now=NOW)
    queue.take(db_session, theirs, colleague, now=NOW)

    def listed(**filters) -> set[str]:
        page = queue.queue_page(db_session, queue.QueueFilter(**filters), member.id)
        return {request.reference for request in page.requests}

    assert listed(urgent_only=True) == {urgent.reference}
    assert listed(mine=True) == {mine.reference}
    assert listed(unassigned=True) == {urgent.reference}
    assert listed(state=states.IN_PROGRESS) == {mine.reference, theirs.reference}
    assert listed(reference=theirs.reference) == {theirs.reference}


def test_a_phone_search_finds_every_request_from_that_number(db_session, vault):
    member = make_staff(db_session)
    first = submit_request(db_session, vault, phone="+447400123456")
    second = submit_request(db_session, vault, phone="+447400123456")
    change_status(db_session, second, states.COMPLETED, by=member, now=NOW)
    submit_request(db_session, vault, phone="+447911123456")
    db_session.commit()
    hashes = tuple(vault.phone_hashes("+447400123456"))
    found = queue.queue_page(
        db_session, queue.QueueFilter(phone_hashes=hashes, include_closed=True), member.id
    ).requests
    assert {request.id for request in found} == {first.id, second.id}


def test_two_changes_from_stale_copies_cannot_both_win(db_session, vault):
    request = add(db_session, vault, created_minutes_ago=1, due_in=14)
    other = Session(db_session.get_bind())
    copy = other.get(CallbackRequest, request.id)
    change_status(db_session, request, states.SPAM, by=None, now=NOW)
    db_session.commit()
    change_status(other, copy, states.WITHDRAWN, by=None, now=NOW)
    with pytest.raises(StaleDataError):
        other.commit()
    other.close()


def test_take_next_first_returns_expired_holds_to_the_queue(db_session, vault):
    alex, bea = make_staff(db_session, name="Alex"), make_staff(db_session, name="Bea")
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, alex, now=NOW)
    later = NOW + timedelta(minutes=21)
    assert queue.take_next(db_session, bea, now=later, hold_limit=timedelta(minutes=20)) == (
        request.reference
    )
    db_session.refresh(request)
    assert (request.held_by_id, request.held_at) == (bea.id, later)


# Settings (each set to 0, "off") under which PostgreSQL shares any count among
# parallel workers, even on a table of a few rows: reading the table, not an index.
FREE_PARALLEL_PLANS = (
    "parallel_setup_cost",
    "parallel_tuple_cost",
    "min_parallel_table_scan_size",
    "enable_indexscan",
    "enable_indexonlyscan",
    "enable_bitmapscan",
)


def test_on_postgresql_counting_takes_one_process_not_every_core(db_session):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("parallel workers are PostgreSQL's; SQLite counts in one process anyway")
    for setting in FREE_PARALLEL_PLANS:
        db_session.execute(text(f"SET LOCAL {setting} = 0"))
    count_open = "EXPLAIN SELECT count(*) FROM callback_requests WHERE status = 'new'"
    assert "Gather" in plan(db_session, count_open), "the free parallel plan is taken"
    queue.team_counts(db_session, NOW, ZoneInfo("Europe/London"))
    assert "Gather" not in plan(db_session, count_open)
    db_session.rollback()


def plan(session: Session, explain: str) -> str:
    return "\n".join(row[0] for row in session.execute(text(explain)))


def test_each_part_of_the_queue_can_be_listed_alone_as_the_counts_split_it(db_session, vault):
    member = make_staff(db_session)
    ready = add(db_session, vault, created_minutes_ago=2, due_in=13)
    booked = add(db_session, vault, created_minutes_ago=2, due_in=60, callable_from=NOW + HOUR)
    again = add(
        db_session,
        vault,
        created_minutes_ago=40,
        due_in=20,
        callable_from=NOW + 20 * MINUTE,
        attempt_count=1,
    )
    late = add(db_session, vault, created_minutes_ago=30, due_in=-15)
    held = add(db_session, vault, created_minutes_ago=2, due_in=13)
    queue.take(db_session, held, member, now=NOW)

    def shown(show):
        page = queue.queue_page(db_session, queue.QueueFilter(show=show), member.id, now=NOW)
        return {request.reference for request in page.requests}

    assert shown("ready") == {ready.reference, late.reference}
    assert shown("booked") == {booked.reference}
    assert shown("due_again") == {again.reference}
    assert shown("in_progress") == {held.reference}
    assert shown("overdue") == {late.reference}


def test_closed_requests_are_listed_by_outcome_and_closing_date(db_session, vault):
    member = make_staff(db_session)
    done = add_closed(
        db_session, vault, states.COMPLETED, closed_minutes_ago=60, created_minutes_ago=90
    )
    add_closed(db_session, vault, states.SPAM, closed_minutes_ago=60, created_minutes_ago=90)
    add_closed(
        db_session, vault, states.COMPLETED, closed_minutes_ago=7000, created_minutes_ago=9000
    )
    filters = queue.QueueFilter(
        show="closed", closed_as=states.COMPLETED, closed_since=NOW - 2 * HOUR
    )
    listed = queue.queue_page(db_session, filters, member.id, now=NOW).requests
    assert [r.reference for r in listed] == [done.reference]


def test_a_request_is_handed_only_to_a_colleague_signed_in_now(db_session, vault):
    agent, colleague = make_staff(db_session, name="Alex"), make_staff(db_session, name="Bea")
    request = submit_request(db_session, vault, now=NOW)
    queue.take(db_session, request, agent, now=NOW)
    idle = timedelta(minutes=30)
    with pytest.raises(queue.QueueRefused, match="Bea is not signed in now"):
        calls.give_to_colleague(
            db_session, vault, request, colleague, agent, now=NOW, idle_limit=idle
        )
    db_session.rollback()
    staff_sessions.start(db_session, colleague, NOW - timedelta(minutes=10))
    calls.give_to_colleague(db_session, vault, request, colleague, agent, now=NOW, idle_limit=idle)
    assert (request.held_by_id, request.held_at, request.handed_over_by_id) == (
        colleague.id,
        NOW,
        agent.id,
    )
