"""Who handed a request to its holder, until the holder opens it.

Revision ID: b6d8f0a2c4e6
Revises: a4c6e8b0d2f4
Create Date: 2026-12-05 16:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b6d8f0a2c4e6'
down_revision = 'a4c6e8b0d2f4'
branch_labels = None
depends_on = None

HANDED = sa.text("handed_over_by_id IS NOT NULL")


def upgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_over_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_callback_requests_handed_over_by_id_staff_members'), 'staff_members', ['handed_over_by_id'], ['id'])
        batch_op.create_index('ix_callback_requests_handed_over', ['held_by_id'], unique=False, postgresql_where=HANDED, sqlite_where=HANDED)


def downgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_requests_handed_over', postgresql_where=HANDED, sqlite_where=HANDED)
        batch_op.drop_constraint(batch_op.f('fk_callback_requests_handed_over_by_id_staff_members'), type_='foreignkey')
        batch_op.drop_column('handed_over_by_id')
