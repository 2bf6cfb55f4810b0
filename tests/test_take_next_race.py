"""Many agents pressing "take next" at the same instant never get the same request.

Runs against a file-based SQLite database and, when INTAKE_TEST_DATABASE_URL is
set, against PostgreSQL (where FOR UPDATE SKIP LOCKED is used).
"""

import threading
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.domain import audit, queue, states
from intake.models import AuditEvent, CallbackRequest, StaffMember
from tests.factories import make_staff, submit_request, utc

AGENTS = 12
REQUESTS = 30
NOW = utc(2026, 11, 25, 12, 0)


def test_racing_agents_each_get_a_different_request_and_none_is_lost(db_session, vault):
    agents = [make_staff(db_session, name=f"Agent {n}") for n in range(AGENTS)]
    for _ in range(REQUESTS):
        submit_request(db_session, vault, now=NOW)
    engine = db_session.get_bind()
    start = threading.Barrier(AGENTS)
    taken: dict[int, list[str]] = {}

    def press_take_next_until_empty(agent_id: int) -> None:
        with Session(engine) as session:
            agent = session.get(StaffMember, agent_id)
            mine = []
            start.wait()
            while (reference := queue.take_next(session, agent, now=NOW)) is not None:
                mine.append(reference)
            taken[agent_id] = mine

    threads = [
        threading.Thread(target=press_take_next_until_empty, args=(agent.id,)) for agent in agents
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    every_take = [reference for references in taken.values() for reference in references]
    assert len(taken) == AGENTS, "every agent finished"
    assert len(every_take) == REQUESTS, "every request was taken exactly once"
    assert not [ref for ref, times in Counter(every_take).items() if times > 1]
    db_session.expire_all()
    rows = db_session.scalars(select(CallbackRequest)).all()
    assert {row.status for row in rows} == {states.IN_PROGRESS}
    holder_of = {row.reference: row.held_by_id for row in rows}
    for agent_id, references in taken.items():
        assert all(holder_of[reference] == agent_id for reference in references)
    audited = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == audit.REQUEST_TAKEN)
    ).all()
    assert len(audited) == REQUESTS
    assert len(taken) > 1 and sum(1 for refs in taken.values() if refs) > 1, "a real race"
