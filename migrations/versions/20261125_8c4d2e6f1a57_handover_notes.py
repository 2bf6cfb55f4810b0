"""Shift handover notes on the dashboard.

Revision ID: 8c4d2e6f1a57
Revises: 5b7e1a2c9d31
Create Date: 2026-11-25 21:35:00

"""
from alembic import op
import sqlalchemy as sa


revision = '8c4d2e6f1a57'
down_revision = '5b7e1a2c9d31'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'handover_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('handover_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handover_notes_written_at'), ['written_at'], unique=False)


def downgrade():
    with op.batch_alter_table('handover_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handover_notes_written_at'))
    op.drop_table('handover_notes')
