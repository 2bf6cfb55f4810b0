"""Reports: when a request could first be called, kept; arrivals indexed by time.

`callable_from` moves on after an unanswered call, a "call at another time" or a
reopening; `first_callable_at` keeps the time the request arrived with, so the wait
for a first call is exact. Older rows get it where it is still known (no call made and
never reopened); the rest stay empty and the reports measure those from arrival.

Revision ID: e2b4d6f8a0c1
Revises: d8f1a3c5e7b9
Create Date: 2026-11-26 05:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e2b4d6f8a0c1'
down_revision = 'd8f1a3c5e7b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_callable_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_callback_requests_created_at', ['created_at'], unique=False)
    op.execute(
        "UPDATE callback_requests SET first_callable_at = callable_from "
        "WHERE NOT EXISTS (SELECT 1 FROM call_attempts "
        "WHERE call_attempts.request_id = callback_requests.id) "
        "AND NOT EXISTS (SELECT 1 FROM audit_events "
        "WHERE audit_events.request_id = callback_requests.id "
        "AND audit_events.action = 'request_reopened')"
    )


def downgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_requests_created_at')
        batch_op.drop_column('first_callable_at')
