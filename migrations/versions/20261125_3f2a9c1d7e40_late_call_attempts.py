"""Call attempts saved after the agent's hold had moved on are kept, marked late.

Revision ID: 3f2a9c1d7e40
Revises: 9d87fd58c45b
Create Date: 2026-11-25 21:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3f2a9c1d7e40'
down_revision = '9d87fd58c45b'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'call_attempts',
        sa.Column('late', sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    with op.batch_alter_table('call_attempts', schema=None) as batch_op:
        batch_op.drop_column('late')
