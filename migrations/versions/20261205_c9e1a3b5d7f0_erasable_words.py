"""Words staff type live in sealed, erasable records; requests can be found by email;
the workers' caches of personal data share one generation number.

Reasons typed before this revision sit in clear in audit_events.detail, which refuses
every change. This revision moves each into a sealed request note (with the app's
INTAKE_DATA_KEYS) and leaves the line saying only that a reason was given: the one
time the trail is rewritten, with its guard lifted for this transaction alone.

Revision ID: c9e1a3b5d7f0
Revises: b6d8f0a2c4e6
Create Date: 2026-12-05 17:30:00

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app

from intake.domain.crypto import Vault


revision = 'c9e1a3b5d7f0'
down_revision = 'b6d8f0a2c4e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('request_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='note'))
        batch_op.add_column(sa.Column('audit_event_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_request_notes_audit_event_id_audit_events'), 'audit_events', ['audit_event_id'], ['id'])
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_callback_requests_email_hash'), ['email_hash'], unique=False)
    generations = op.create_table(
        'cache_generations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cache_generations')),
    )
    op.bulk_insert(generations, [{'id': 1, 'generation': 0}])
    seal_typed_reasons()


def downgrade():
    op.drop_table('cache_generations')
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_requests_email_hash'))
        batch_op.drop_column('email_hash')
    with op.batch_alter_table('request_notes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_request_notes_audit_event_id_audit_events'), type_='foreignkey')
        batch_op.drop_column('audit_event_id')
        batch_op.drop_column('kind')


AUDIT = sa.table(
    'audit_events',
    sa.column('id', sa.Integer),
    sa.column('action', sa.String),
    sa.column('staff_id', sa.Integer),
    sa.column('request_id', sa.Integer),
    sa.column('occurred_at', sa.DateTime(timezone=True)),
    sa.column('detail', sa.JSON),
)
NOTES = sa.table(
    'request_notes',
    sa.column('request_id', sa.Integer),
    sa.column('staff_id', sa.Integer),
    sa.column('written_at', sa.DateTime(timezone=True)),
    sa.column('body', sa.LargeBinary),
    sa.column('kind', sa.String),
    sa.column('audit_event_id', sa.Integer),
)
TYPED = ('reason', 'override')
REASONED = ('status_changed', 'request_reopened', 'request_taken', 'attempt_recorded', 'supervisor_decided')
SQLITE_NO_UPDATE = """CREATE TRIGGER audit_events_no_update
        BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"""


def seal_typed_reasons():
    bind = op.get_bind()
    lines = [
        line
        for line in bind.execute(sa.select(AUDIT).where(AUDIT.c.action.in_(REASONED)))
        if any(isinstance(line.detail.get(key), str) for key in TYPED)
    ]
    if not lines:
        return
    vault = Vault(current_app.config['INTAKE_DATA_KEYS'])
    postgres = bind.dialect.name == 'postgresql'
    op.execute('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only' if postgres else 'DROP TRIGGER audit_events_no_update')
    for line in lines:
        detail = dict(line.detail)
        typed = detail.pop('reason', None) if isinstance(detail.get('reason'), str) else None
        if isinstance(detail.get('override'), str):
            typed = detail['override']
            detail['override'] = True
        detail['reason_given'] = True
        bind.execute(NOTES.insert().values(
            request_id=line.request_id, staff_id=line.staff_id, written_at=line.occurred_at,
            body=vault.seal({'text': typed}), kind='reason', audit_event_id=line.id,
        ))
        bind.execute(AUDIT.update().where(AUDIT.c.id == line.id).values(detail=detail))
    op.execute('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only' if postgres else SQLITE_NO_UPDATE)
