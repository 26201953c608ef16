"""scoring months: a site's month closed with its frozen figures, evidence and versions

Revision ID: c10a4afa2941
Revises: 68edf8524e6a
Create Date: 2026-11-22 15:27:59.872982
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import server.core.db

revision = 'c10a4afa2941'
down_revision = '68edf8524e6a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('closed_months',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('figures', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('standards_version', sa.String(length=32), nullable=True),
    sa.Column('scoring_version', sa.String(length=32), nullable=False),
    sa.Column('closed_by', sa.Uuid(), nullable=False),
    sa.Column('closed_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reopened_by', sa.Uuid(), nullable=True),
    sa.Column('reopened_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reopen_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('(reopened_at IS NULL) = (reopen_reason IS NULL) AND (reopened_at IS NULL) = (reopened_by IS NULL)', name=op.f('ck_closed_months_reopen_complete')),
    sa.CheckConstraint('length(month) = 7', name=op.f('ck_closed_months_month_is_yyyy_mm')),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_closed_months_closed_by_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reopened_by'], ['users.id'], name=op.f('fk_closed_months_reopened_by_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_closed_months_site_id_sites'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_months'))
    )
    with op.batch_alter_table('closed_months', schema=None) as batch_op:
        batch_op.create_index('uq_closed_months_in_force', ['site_id', 'month'], unique=True, sqlite_where=sa.text('reopened_at IS NULL'), postgresql_where=sa.text('reopened_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('closed_months', schema=None) as batch_op:
        batch_op.drop_index('uq_closed_months_in_force', sqlite_where=sa.text('reopened_at IS NULL'), postgresql_where=sa.text('reopened_at IS NULL'))

    op.drop_table('closed_months')
