"""Staff sessions kept on the server, one per sign-in.

Revision ID: a1d3f5b7c9e2
Revises: 8c4d2e6f1a57
Create Date: 2026-11-25 21:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a1d3f5b7c9e2'
down_revision = '8c4d2e6f1a57'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staff_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('draft', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_digest'),
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_staff_id'), ['staff_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_staff_id'))
    op.drop_table('staff_sessions')
