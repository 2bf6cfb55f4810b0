"""The team's counts kept in one row that every worker reads, recounted by one at a time.

Revision ID: c1e3a5b7d9f0
Revises: b9d1f3a5c7e9
Create Date: 2026-11-26 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c1e3a5b7d9f0'
down_revision = 'b9d1f3a5c7e9'
branch_labels = None
depends_on = None

COUNTS = ('ready', 'booked', 'due_again', 'in_progress', 'overdue', 'urgent', 'completed_today')


def upgrade():
    op.create_table(
        'team_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('counted_at', sa.DateTime(timezone=True), nullable=True),
        # A worker's claim on the recount, until this time.
        sa.Column('counting_until', sa.DateTime(timezone=True), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_team_counts')),
    )


def downgrade():
    op.drop_table('team_counts')
