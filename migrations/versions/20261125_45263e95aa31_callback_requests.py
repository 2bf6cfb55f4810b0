"""Callback requests: the queue of visitors waiting for a call.

Revision ID: 45263e95aa31
Revises: 
Create Date: 2026-11-25 14:00:31.983614

"""
from alembic import op
import sqlalchemy as sa


revision = '45263e95aa31'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('callback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=9), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_page', sa.String(length=60), nullable=True),
    sa.Column('personal_data', sa.LargeBinary(), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('submission_digest', sa.String(length=64), nullable=False),
    sa.Column('withdraw_digest', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_requests')),
    sa.UniqueConstraint('reference', name=op.f('uq_callback_requests_reference')),
    sa.UniqueConstraint('submission_digest', name=op.f('uq_callback_requests_submission_digest')),
    sa.UniqueConstraint('withdraw_digest', name=op.f('uq_callback_requests_withdraw_digest'))
    )
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_requests_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index('ix_callback_requests_queue', ['status', 'urgent', 'due_at'], unique=False)



def downgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_requests_queue')
        batch_op.drop_index(batch_op.f('ix_callback_requests_phone_hash'))

    op.drop_table('callback_requests')
