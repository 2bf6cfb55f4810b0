"""Wallboards: screens paired by a cookie to show the queue's numbers to a room.

Revision ID: f3c5e7a9b1d2
Revises: e2b4d6f8a0c1
Create Date: 2026-11-26 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3c5e7a9b1d2'
down_revision = 'e2b4d6f8a0c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'wallboards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        # Only the SHA-256 digest of the screen's token: a copy of the database pairs no screen.
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_audited_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['created_by_id'],
            ['staff_members.id'],
            name=op.f('fk_wallboards_created_by_id_staff_members'),
        ),
        sa.ForeignKeyConstraint(
            ['revoked_by_id'],
            ['staff_members.id'],
            name=op.f('fk_wallboards_revoked_by_id_staff_members'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wallboards')),
        sa.UniqueConstraint('token_digest', name=op.f('uq_wallboards_token_digest')),
    )


def downgrade():
    op.drop_table('wallboards')
