"""The outbox: emails written with the change that causes them, sent by a worker.

Revision ID: c6e8f0a2b4d6
Revises: b4c6d8e0f2a3
Create Date: 2026-11-26 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c6e8f0a2b4d6'
down_revision = 'b4c6d8e0f2a3'
branch_labels = None
depends_on = None

WAITING_ONLY = sa.text("status = 'waiting'")


def upgrade():
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('payload', sa.LargeBinary(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['request_id'],
            ['callback_requests.id'],
            name=op.f('fk_outbox_messages_request_id_callback_requests'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
        sa.UniqueConstraint('request_id', 'kind', name=op.f('uq_outbox_messages_request_id')),
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_outbox_messages_request_id'), ['request_id'], unique=False
        )
        batch_op.create_index(
            'ix_outbox_messages_due',
            ['next_attempt_at'],
            unique=False,
            postgresql_where=WAITING_ONLY,
            sqlite_where=WAITING_ONLY,
        )


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_outbox_messages_due', postgresql_where=WAITING_ONLY, sqlite_where=WAITING_ONLY
        )
        batch_op.drop_index(batch_op.f('ix_outbox_messages_request_id'))
    op.drop_table('outbox_messages')
