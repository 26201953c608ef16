"""inspections.clause_passes / clause_exempts / clause_fails: the clause results counted once

Revision ID: d81f3b6a2c94
Revises: d8b2f4a61c09
Create Date: 2026-12-07 20:45:00

A month's scores need, for each of 100,000 assets, how many clauses its latest inspection
of the month passed, was exempt from and failed. Counting them from clause_results at read
time is one index probe per asset (about a second at city scale, docs/benchmarks.md
"City scale"); sync now stores the three counts with the inspection, from the same
judgement it stores the clause results from. NULL means "not counted": scoring then counts
clause_results as before, so rows written any other way stay right. The counts of every
row stored before this migration are filled in here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd81f3b6a2c94'
down_revision = 'd8b2f4a61c09'
branch_labels = None
depends_on = None

COLUMNS = (("clause_passes", "pass"), ("clause_exempts", "exempt"), ("clause_fails", "fail"))


def upgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        for name, _ in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
    sets = ", ".join(
        f"{name} = (SELECT count(*) FROM clause_results c WHERE c.inspection_id = inspections.id "
        f"AND c.result = '{result}')" for name, result in COLUMNS)
    op.execute(f"UPDATE inspections SET {sets}")


def downgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
