"""sync receipts: one row per accepted record, the idempotency key of POST /api/sync

Revision ID: 68edf8524e6a
Revises: 4070793b6955
Create Date: 2026-11-22 15:16:44.258188
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.core.db
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = '68edf8524e6a'
down_revision = '4070793b6955'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sync_receipts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(content_hash) = 64', name=op.f('ck_sync_receipts_content_hash_hex')),
    sa.CheckConstraint('status BETWEEN 200 AND 299', name=op.f('ck_sync_receipts_status_success')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_receipts_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_receipts'))
    )
    with op.batch_alter_table('sync_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_receipts_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_receipts_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sync_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_receipts_user_id'))
        batch_op.drop_index(batch_op.f('ix_sync_receipts_received_at'))

    op.drop_table('sync_receipts')
