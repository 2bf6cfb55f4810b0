"""When each operators' job (release-holds, purge, report days, the outbox worker) last
succeeded and how often it failed, for /metrics' heartbeats.

Revision ID: 55a4c362684b
Revises: d2f4a6c8e0b3
Create Date: 2026-12-05 18:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '55a4c362684b'
down_revision = 'd2f4a6c8e0b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_runs',
        sa.Column('job', sa.String(length=40), nullable=False),
        sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('job', name=op.f('pk_job_runs')),
    )


def downgrade():
    op.drop_table('job_runs')
