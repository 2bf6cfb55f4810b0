"""Only intake.domain.status writes a request's status, and the ORM enforces it: a write
by attribute or by UPDATE from anywhere else is refused before it reaches the database."""

from datetime import timedelta

import pytest
from sqlalchemy import case, select, update

from intake.domain import audit, queue, states
from intake.domain.status import change_status, return_held_to_queue
from intake.models import AuditEvent, CallbackRequest, StatusWriteRefused
from tests.factories import make_staff, submit_request, utc

NOW = utc(2026, 11, 25, 12, 0)
REQUESTS = CallbackRequest.__table__
STATUS = CallbackRequest.status.key  # the attribute's name, as code holding it by name has it


def stored_status(db_session, request) -> str:
    return db_session.scalar(select(REQUESTS.c.status).where(REQUESTS.c.id == request.id))


def test_setting_a_stored_requests_status_by_hand_is_refused(db_session, vault):
    request = submit_request(db_session, vault, now=NOW)
    with pytest.raises(StatusWriteRefused, match="change_status"):
        request.status = states.COMPLETED
    db_session.commit()
    assert stored_status(db_session, request) == states.NEW


def test_setattr_is_refused_like_any_other_write(db_session, vault):
    request = submit_request(db_session, vault, now=NOW)
    with pytest.raises(StatusWriteRefused):
        setattr(request, STATUS, states.SPAM)
    with pytest.raises(StatusWriteRefused):
        setattr(request, STATUS, states.NEW)  # even to the status it has
    db_session.commit()
    assert stored_status(db_session, request) == states.NEW


@pytest.mark.parametrize(
    "refused",
    [
        update(CallbackRequest).values(status=states.COMPLETED),
        update(CallbackRequest).values({CallbackRequest.status: states.SPAM}),
        update(REQUESTS).values(status=states.WITHDRAWN),
        update(CallbackRequest).ordered_values((CallbackRequest.status, states.SPAM)),
        update(CallbackRequest).values(status=case((REQUESTS.c.urgent, "spam"), else_="spam")),
        update(CallbackRequest).values(status=CallbackRequest.source_page),
    ],
    ids=["values", "column-key", "core-table", "ordered", "sql-expression", "another-column"],
)
def test_an_update_that_sets_statuses_is_refused(db_session, vault, refused):
    request = submit_request(db_session, vault, now=NOW)
    with pytest.raises(StatusWriteRefused, match=r"intake\.domain\.status"):
        db_session.execute(refused.where(REQUESTS.c.id == request.id))
    db_session.rollback()
    assert stored_status(db_session, request) == states.NEW


def test_a_bulk_update_by_primary_key_that_sets_statuses_is_refused(db_session, vault):
    request = submit_request(db_session, vault, now=NOW)
    with pytest.raises(StatusWriteRefused):
        db_session.execute(
            update(CallbackRequest), [{"id": request.id, "status": states.COMPLETED}]
        )
    db_session.rollback()
    assert stored_status(db_session, request) == states.NEW


def test_updates_that_only_read_the_status_still_run(db_session, vault):
    request = submit_request(db_session, vault, now=NOW)
    later = NOW + timedelta(hours=1)
    db_session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == request.id, CallbackRequest.status == states.NEW)
        .values(callable_from=later)
    )
    by_key = {"id": request.id, "version": request.version, "due_at": later}
    db_session.execute(update(CallbackRequest), [by_key])
    db_session.commit()
    db_session.refresh(request)
    assert (request.status, request.callable_from, request.due_at) == (states.NEW, later, later)


def test_a_request_not_stored_yet_is_made_as_new_and_as_nothing_else():
    assert CallbackRequest(status=states.NEW).status == states.NEW
    with pytest.raises(StatusWriteRefused):
        CallbackRequest(status=states.COMPLETED)


def test_change_status_and_its_bulk_sibling_still_write_statuses(db_session, vault):
    agent = make_staff(db_session)
    closed, held = (submit_request(db_session, vault, now=NOW) for _ in range(2))
    change_status(db_session, closed, states.SPAM, by=agent, now=NOW)
    queue.take(db_session, held, agent, now=NOW)
    returned = return_held_to_queue(
        db_session, CallbackRequest.id == held.id, event=audit.HOLD_EXPIRED, now=NOW
    )
    db_session.commit()
    assert returned == [held.id]
    assert (stored_status(db_session, closed), stored_status(db_session, held)) == (
        states.SPAM,
        states.NEW,
    )
    trail = select(AuditEvent.action).where(AuditEvent.request_id.is_not(None))
    assert db_session.scalars(trail.order_by(AuditEvent.id)).all() == [
        audit.STATUS_CHANGED,
        audit.REQUEST_TAKEN,
        audit.HOLD_EXPIRED,
    ]
