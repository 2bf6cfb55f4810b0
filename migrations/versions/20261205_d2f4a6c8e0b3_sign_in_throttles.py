"""Failed sign-ins are counted per account and client (a device cookie, or else an
address), so guesses from a stranger's address never hold a member back.

The account-wide count and lock (staff_members.failed_sign_ins and locked_until) are
no longer read; the columns stay for now, as bench/seed.py still fills them.

Revision ID: d2f4a6c8e0b3
Revises: c9e1a3b5d7f0
Create Date: 2026-12-05 18:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd2f4a6c8e0b3'
down_revision = 'c9e1a3b5d7f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_throttles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('client_digest', sa.String(length=64), nullable=False),
        sa.Column('client_kind', sa.String(length=10), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('held_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_sign_in_throttles_staff_id_staff_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_throttles')),
        sa.UniqueConstraint('staff_id', 'client_digest', name=op.f('uq_sign_in_throttles_staff_id')),
    )
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_held_until'), ['held_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_last_failure_at'), ['last_failure_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_last_failure_at'))
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_held_until'))
    op.drop_table('sign_in_throttles')
