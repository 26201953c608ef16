"""sign-in limits counted before the password check; sessions end when idle

Revision ID: b7e3c1d9a4f2
Revises: 9d1e4b7a2c55
Create Date: 2026-12-07 13:00:00

`sign_in_limits` holds the failed sign-ins per (username, address), per address and per
username, reserved atomically before argon2 runs (server/accounts/limits.py).
`user_sessions.last_seen_at` lets a session end after SESSION_IDLE_HOURS unused; sessions
open before this migration count as seen when they were created.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.core.db

revision = 'b7e3c1d9a4f2'
down_revision = '9d1e4b7a2c55'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_limits',
        sa.Column('key', sa.String(length=160), nullable=False),
        sa.Column('window_started_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('next_allowed_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_limits')),
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', server.core.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE user_sessions SET last_seen_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
    op.drop_table('sign_in_limits')
