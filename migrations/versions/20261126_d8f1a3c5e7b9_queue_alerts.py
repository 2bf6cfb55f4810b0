"""Queue alerts: which requests were alerted as waiting unseen, escalated, back to normal.

Revision ID: d8f1a3c5e7b9
Revises: c6e8f0a2b4d6
Create Date: 2026-11-26 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd8f1a3c5e7b9'
down_revision = 'c6e8f0a2b4d6'
branch_labels = None
depends_on = None

OPEN_ALERTS_ONLY = sa.text("closed_at IS NULL")


def upgrade():
    op.create_table(
        'queue_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['request_id'],
            ['callback_requests.id'],
            name=op.f('fk_queue_alerts_request_id_callback_requests'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_alerts')),
    )
    with op.batch_alter_table('queue_alerts', schema=None) as batch_op:
        # One open alert per request: what makes two workers' checks raise it once.
        batch_op.create_index(
            'uq_queue_alerts_open_request',
            ['request_id'],
            unique=True,
            postgresql_where=OPEN_ALERTS_ONLY,
            sqlite_where=OPEN_ALERTS_ONLY,
        )


def downgrade():
    with op.batch_alter_table('queue_alerts', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_queue_alerts_open_request',
            postgresql_where=OPEN_ALERTS_ONLY,
            sqlite_where=OPEN_ALERTS_ONLY,
        )
    op.drop_table('queue_alerts')
