"""devices: each phone's id with the name its user gave it

Revision ID: e4a91c2f7b30
Revises: c4d2a8e61f30
Create Date: 2026-12-07 16:20:00

`devices` names the phones whose ids (`X-Device-Id`) the audit trail and inspections record,
so histories show "李巡查的手机" instead of a UUID (server/accounts/devices.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.core.db

revision = 'e4a91c2f7b30'
down_revision = 'c4d2a8e61f30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'devices',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=True),
        sa.Column('named_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_devices_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_user_id'))
    op.drop_table('devices')
