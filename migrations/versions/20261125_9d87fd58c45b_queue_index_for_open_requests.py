"""Partial indexes: open requests in queue order (queue page, take-next) and holds by age.

Revision ID: 9d87fd58c45b
Revises: 7d86876c1f5b
Create Date: 2026-11-25 15:29:45.721150

"""
from alembic import op
import sqlalchemy as sa


revision = '9d87fd58c45b'
down_revision = '7d86876c1f5b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_requests_queue'))
        batch_op.create_index('ix_callback_requests_holds', ['held_at'], unique=False, postgresql_where=sa.text("status = 'in_progress'"), sqlite_where=sa.text("status = 'in_progress'"))
        batch_op.create_index('ix_callback_requests_open_queue', [sa.literal_column('urgent DESC'), 'due_at', 'created_at', 'id'], unique=False, postgresql_where=sa.text("status IN ('new', 'in_progress')"), sqlite_where=sa.text("status IN ('new', 'in_progress')"))



def downgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_requests_holds', postgresql_where=sa.text("status = 'in_progress'"), sqlite_where=sa.text("status = 'in_progress'"))
        batch_op.drop_index('ix_callback_requests_open_queue', postgresql_where=sa.text("status IN ('new', 'in_progress')"), sqlite_where=sa.text("status IN ('new', 'in_progress')"))
        batch_op.create_index(batch_op.f('ix_callback_requests_queue'), ['status', 'urgent', 'due_at', 'created_at', 'id'], unique=False)

