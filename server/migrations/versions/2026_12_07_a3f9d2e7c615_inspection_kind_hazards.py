"""inspections.kind: an ad-hoc hazard report is stored as an inspection of kind 'hazard'

Revision ID: a3f9d2e7c615
Revises: c4a8e2f61d37 (main's head at branch time)
Create Date: 2026-12-07 17:05:00

A hazard (issue #15 item 2, docs/sync.md "hazard") opens a defect like a failing clause
does; the defect keeps citing an inspection row (its NOT NULL foreign keys stay sound),
one of kind 'hazard'. Scoring counts only kind 'inspection' as an inspection of the asset.
Every row stored before this migration is an inspection.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a3f9d2e7c615'
down_revision = 'c4a8e2f61d37'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=12), nullable=False, server_default='inspection'))
        batch_op.create_check_constraint('kind_known', "kind IN ('inspection', 'hazard')")


def downgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_constraint('kind_known', type_='check')
        batch_op.drop_column('kind')
