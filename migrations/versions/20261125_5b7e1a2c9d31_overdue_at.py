"""When a request becomes overdue: the end of a chosen window, not its start.

Revision ID: 5b7e1a2c9d31
Revises: 3f2a9c1d7e40
Create Date: 2026-11-25 21:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5b7e1a2c9d31'
down_revision = '3f2a9c1d7e40'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('callback_requests', sa.Column('overdue_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE callback_requests SET overdue_at = due_at")


def downgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_column('overdue_at')
