"""The team's counts read from one covering index of open requests, not the table.

Revision ID: b9d1f3a5c7e9
Revises: a7c9e1b3d5f7
Create Date: 2026-11-26 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b9d1f3a5c7e9'
down_revision = 'a7c9e1b3d5f7'
branch_labels = None
depends_on = None

OPEN_ONLY = sa.text("status IN ('new', 'in_progress')")


def upgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.create_index(
            'ix_callback_requests_open_counts',
            ['status', 'urgent', 'attempt_count', 'callable_from', 'overdue_at', 'due_at'],
            unique=False,
            postgresql_where=OPEN_ONLY,
            sqlite_where=OPEN_ONLY,
        )


def downgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_callback_requests_open_counts', postgresql_where=OPEN_ONLY, sqlite_where=OPEN_ONLY
        )
