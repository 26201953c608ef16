"""standards_versions: the standards versions an operator installed (issue #15 item 1)

Revision ID: d8b2f4a61c09
Revises: a3f9d2e7c615
Create Date: 2026-12-07 20:30:00

Kept in the database, not on a worker's disk, so every worker (PostgreSQL with several)
judges with the same set. The shipped versions stay in standards/data and are not copied.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.core.db

revision = 'd8b2f4a61c09'
down_revision = 'a3f9d2e7c615'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('standards_versions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('files', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('installed_by', sa.Uuid(), nullable=True),
    sa.Column('installed_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("origin IN ('upload', 'form', 'cli')", name=op.f('ck_standards_versions_origin_known')),
    sa.CheckConstraint("status IN ('installed', 'withdrawn')", name=op.f('ck_standards_versions_status_known')),
    sa.ForeignKeyConstraint(['installed_by'], ['users.id'], name=op.f('fk_standards_versions_installed_by_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standards_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_standards_versions_version')),
    sa.UniqueConstraint('effective_from', name=op.f('uq_standards_versions_effective_from')),
    )


def downgrade() -> None:
    op.drop_table('standards_versions')
