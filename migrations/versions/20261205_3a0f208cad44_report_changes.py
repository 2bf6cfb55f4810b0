"""Report changes: the writers of a change mark the moments whose day's kept figures it
changes (a time only), instead of the reports reading the audit trail to guess.

The kept days of before are worked out again: report_days.VERSION is raised with this.

Revision ID: 3a0f208cad44
Revises: 55a4c362684b
Create Date: 2026-12-05 21:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3a0f208cad44'
down_revision = '55a4c362684b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_changes')),
    )
    with op.batch_alter_table('report_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_changes_at'), ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('report_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_changes_at'))
    op.drop_table('report_changes')
