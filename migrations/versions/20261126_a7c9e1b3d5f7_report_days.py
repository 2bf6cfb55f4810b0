"""Report days: each ended day's figures kept, so a report over months reads a row a day.

Revision ID: a7c9e1b3d5f7
Revises: f3c5e7a9b1d2
Create Date: 2026-11-26 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c9e1b3d5f7'
down_revision = 'f3c5e7a9b1d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_days',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('zone', sa.String(length=60), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('fresh_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        # Waits and times on a request, as little-endian 8-byte floats: no personal data.
        sa.Column('waits', sa.LargeBinary(), nullable=False),
        sa.Column('urgent_waits', sa.LargeBinary(), nullable=False),
        sa.Column('held', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_days')),
        sa.UniqueConstraint('zone', 'day', name=op.f('uq_report_days_zone')),
    )


def downgrade():
    op.drop_table('report_days')
