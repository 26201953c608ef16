"""inspection rounds

Revision ID: c4d2a8e61f30
Revises: b7e3c1d9a4f2
Create Date: 2026-12-07 15:40:06

Everything of the rounds (server/rounds/, docs/rounds.md) in one migration:
`round_schedules` (one version per zone x category x effective day), `emergency_rounds`,
`missed_rounds` (marked once by the scheduled job) and `round_alerts` (supervisors' notices).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.core.db

revision = 'c4d2a8e61f30'
down_revision = 'b7e3c1d9a4f2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('emergency_rounds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('zone_ids', server.core.db.JSONType, nullable=False),
    sa.Column('categories', server.core.db.JSONType, nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('started_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_by', sa.Uuid(), nullable=False),
    sa.Column('closed_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Uuid(), nullable=True),
    sa.Column('summary', server.core.db.JSONType, nullable=True),
    sa.CheckConstraint('(closed_at IS NULL) = (summary IS NULL)', name=op.f('ck_emergency_rounds_closed_with_summary')),
    sa.CheckConstraint('hours BETWEEN 1 AND 168', name=op.f('ck_emergency_rounds_hours_in_range')),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_emergency_rounds_closed_by_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_emergency_rounds_site_id_sites'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['started_by'], ['users.id'], name=op.f('fk_emergency_rounds_started_by_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_rounds'))
    )
    with op.batch_alter_table('emergency_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emergency_rounds_site_id'), ['site_id'], unique=False)

    op.create_table('round_schedules',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('zone_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=True),
    sa.Column('weekdays', server.core.db.JSONType, nullable=True),
    sa.Column('day_of_month', sa.Integer(), nullable=True),
    sa.Column('window_from', sa.String(length=5), nullable=True),
    sa.Column('window_to', sa.String(length=5), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('created_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.CheckConstraint("kind != 'every_days' OR every_days BETWEEN 1 AND 366", name=op.f('ck_round_schedules_every_days_set')),
    sa.CheckConstraint("kind != 'monthly' OR day_of_month BETWEEN 1 AND 31", name=op.f('ck_round_schedules_day_of_month_set')),
    sa.CheckConstraint("kind != 'weekdays' OR weekdays IS NOT NULL", name=op.f('ck_round_schedules_weekdays_set')),
    sa.CheckConstraint("kind IN ('every_days', 'weekdays', 'monthly', 'off')", name=op.f('ck_round_schedules_kind_known')),
    sa.CheckConstraint('(window_from IS NULL) = (window_to IS NULL) AND (window_from IS NULL OR window_from < window_to)', name=op.f('ck_round_schedules_window_complete')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_round_schedules_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_round_schedules_site_id_sites'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_round_schedules_zone_id_zones'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_schedules')),
    sa.UniqueConstraint('zone_id', 'category', 'effective_from', name=op.f('uq_round_schedules_zone_id_category_effective_from'))
    )
    with op.batch_alter_table('round_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_schedules_site_id'), ['site_id'], unique=False)

    op.create_table('missed_rounds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('schedule_id', sa.Uuid(), nullable=False),
    sa.Column('zone_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('round_start', sa.Date(), nullable=False),
    sa.Column('round_end', sa.Date(), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('missed_asset_ids', server.core.db.JSONType, nullable=False),
    sa.Column('marked_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['round_schedules.id'], name=op.f('fk_missed_rounds_schedule_id_round_schedules'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_missed_rounds_zone_id_zones'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_missed_rounds')),
    sa.UniqueConstraint('schedule_id', 'round_start', name=op.f('uq_missed_rounds_schedule_id_round_start'))
    )
    with op.batch_alter_table('missed_rounds', schema=None) as batch_op:
        batch_op.create_index('ix_missed_rounds_zone', ['zone_id', 'round_end'], unique=False)

    op.create_table('round_alerts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('missed_round_id', sa.Uuid(), nullable=True),
    sa.Column('emergency_round_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('missed', 'emergency_late')", name=op.f('ck_round_alerts_kind_known')),
    sa.CheckConstraint('(missed_round_id IS NULL) != (emergency_round_id IS NULL)', name=op.f('ck_round_alerts_one_subject')),
    sa.ForeignKeyConstraint(['emergency_round_id'], ['emergency_rounds.id'], name=op.f('fk_round_alerts_emergency_round_id_emergency_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['missed_round_id'], ['missed_rounds.id'], name=op.f('fk_round_alerts_missed_round_id_missed_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_round_alerts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_alerts'))
    )
    with op.batch_alter_table('round_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_round_alerts_user_unread', ['user_id', 'read_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('round_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_round_alerts_user_unread')

    op.drop_table('round_alerts')
    with op.batch_alter_table('missed_rounds', schema=None) as batch_op:
        batch_op.drop_index('ix_missed_rounds_zone')

    op.drop_table('missed_rounds')
    with op.batch_alter_table('round_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_schedules_site_id'))

    op.drop_table('round_schedules')
    with op.batch_alter_table('emergency_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emergency_rounds_site_id'))

    op.drop_table('emergency_rounds')
