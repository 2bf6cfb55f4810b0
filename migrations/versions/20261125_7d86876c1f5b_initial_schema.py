"""Initial schema: callback requests, staff, call attempts, notes and the audit trail.

Revision ID: 7d86876c1f5b
Revises: 
Create Date: 2026-11-25 14:19:13.418231

"""
from alembic import op
import sqlalchemy as sa

APPEND_ONLY = "audit_events is append-only"
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_events_no_{verb}
        BEFORE {verb.upper()} ON audit_events
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"""
    for verb in ("update", "delete")
]
POSTGRES_TRIGGER = [
    f"""CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
]


revision = '7d86876c1f5b'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('totp_secret', sa.LargeBinary(), nullable=True),
    sa.Column('totp_enrolled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('failed_sign_ins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_members_email'))
    )
    op.create_table('callback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=9), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('callable_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_page', sa.String(length=60), nullable=True),
    sa.Column('personal_data', sa.LargeBinary(), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('submission_digest', sa.String(length=64), nullable=False),
    sa.Column('withdraw_digest', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('held_by_id', sa.Integer(), nullable=True),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['held_by_id'], ['staff_members.id'], name=op.f('fk_callback_requests_held_by_id_staff_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_requests')),
    sa.UniqueConstraint('reference', name=op.f('uq_callback_requests_reference')),
    sa.UniqueConstraint('submission_digest', name=op.f('uq_callback_requests_submission_digest')),
    sa.UniqueConstraint('withdraw_digest', name=op.f('uq_callback_requests_withdraw_digest'))
    )
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.create_index('ix_callback_requests_status_closed_at', ['status', 'closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_requests_held_by_id'), ['held_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_requests_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index('ix_callback_requests_queue', ['status', 'urgent', 'due_at', 'created_at', 'id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['callback_requests.id'], name=op.f('fk_audit_events_request_id_callback_requests')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_audit_events_staff_id_staff_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_staff_id'), ['staff_id'], unique=False)

    op.create_table('call_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('result', sa.String(length=30), nullable=True),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['callback_requests.id'], name=op.f('fk_call_attempts_request_id_callback_requests')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_call_attempts_staff_id_staff_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_attempts'))
    )
    with op.batch_alter_table('call_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_attempts_request_id'), ['request_id'], unique=False)

    op.create_table('request_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['callback_requests.id'], name=op.f('fk_request_notes_request_id_callback_requests')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_request_notes_staff_id_staff_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_notes'))
    )
    with op.batch_alter_table('request_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_notes_request_id'), ['request_id'], unique=False)

    # The audit trail is append-only in the database itself, not only in the app.
    triggers = POSTGRES_TRIGGER if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    with op.batch_alter_table('request_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_notes_request_id'))

    op.drop_table('request_notes')
    with op.batch_alter_table('call_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_attempts_request_id'))

    op.drop_table('call_attempts')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_staff_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_request_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_occurred_at'))

    op.drop_table('audit_events')
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_requests_queue')
        batch_op.drop_index(batch_op.f('ix_callback_requests_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_callback_requests_held_by_id'))
        batch_op.drop_index('ix_callback_requests_status_closed_at')

    op.drop_table('callback_requests')
    op.drop_table('staff_members')
