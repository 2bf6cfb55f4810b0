"""Urgent requests an agent's call would have closed or put far off wait for a supervisor.

Revision ID: a4c6e8b0d2f4
Revises: c1e3a5b7d9f0
Create Date: 2026-12-05 15:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a4c6e8b0d2f4'
down_revision = 'c1e3a5b7d9f0'
branch_labels = None
depends_on = None

FLAGGED = sa.text("needs_supervisor IS NOT NULL")


def upgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_supervisor', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('needs_supervisor_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_callback_requests_needs_supervisor', ['needs_supervisor_at'], unique=False, postgresql_where=FLAGGED, sqlite_where=FLAGGED)


def downgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_requests_needs_supervisor', postgresql_where=FLAGGED, sqlite_where=FLAGGED)
        batch_op.drop_column('needs_supervisor_at')
        batch_op.drop_column('needs_supervisor')
