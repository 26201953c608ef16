"""audit events survive TRUNCATE too (PostgreSQL)

Revision ID: 9d1e4b7a2c55
Revises: f5bb7112231a
Create Date: 2026-11-22 18:50:00

The row triggers of the core migration refuse UPDATE and DELETE on audit_events, but a
TRUNCATE fires no row trigger: on PostgreSQL a statement-level trigger refuses it as well.
SQLite has no TRUNCATE (its `DELETE FROM` without WHERE fires the row triggers).
"""

from __future__ import annotations

from alembic import op

revision = '9d1e4b7a2c55'
down_revision = 'f5bb7112231a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
