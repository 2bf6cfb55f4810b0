"""Hardening: a required password change (with a temporary password that expires),
receipts kept on the server, an audit
trail that cannot be truncated on PostgreSQL.

Revision ID: b4c6d8e0f2a3
Revises: a1d3f5b7c9e2
Create Date: 2026-11-26 01:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b4c6d8e0f2a3'
down_revision = 'a1d3f5b7c9e2'
branch_labels = None
depends_on = None

# The function from the initial schema raises "audit_events is append-only".
NO_TRUNCATE = """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"""


def upgrade():
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'password_change_required',
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch_op.add_column(
            sa.Column('temporary_password_expires_at', sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_digest', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_callback_requests_receipt_digest'), ['receipt_digest']
        )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(NO_TRUNCATE)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_events_no_truncate ON audit_events')
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_callback_requests_receipt_digest'), type_='unique'
        )
        batch_op.drop_column('receipt_digest')
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_column('temporary_password_expires_at')
        batch_op.drop_column('password_change_required')
