"""work order events and webhooks: proof of fix, overdue marks, notifications, webhook log, job locks

Revision ID: f5bb7112231a
Revises: c10a4afa2941
Create Date: 2026-11-22 15:32:02.425115
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import server.core.db

revision = 'f5bb7112231a'
down_revision = 'c10a4afa2941'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('locked_until', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_by', sa.String(length=80), nullable=True),
    sa.Column('last_started_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_runs'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('work_order_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('created_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('new', 'overdue', 'returned', 'completed', 'cancelled', 'verified')", name=op.f('ck_notifications_kind_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_notifications_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_work_order_id'), ['work_order_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contractor_id', sa.Uuid(), nullable=False),
    sa.Column('work_order_id', sa.Uuid(), nullable=True),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f('ck_webhook_deliveries_status_known')),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractors.id'], name=op.f('fk_webhook_deliveries_contractor_id_contractors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_webhook_deliveries_work_order_id_work_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_contractor', ['contractor_id', 'created_at'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('work_order_completions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('work_order_id', sa.Uuid(), nullable=False),
    sa.Column('completed_by', sa.Uuid(), nullable=False),
    sa.Column('completed_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.CheckConstraint('lat IS NULL OR lat BETWEEN -90 AND 90', name=op.f('ck_work_order_completions_lat_on_earth')),
    sa.CheckConstraint('lon IS NULL OR lon BETWEEN -180 AND 180', name=op.f('ck_work_order_completions_lon_on_earth')),
    sa.ForeignKeyConstraint(['completed_by'], ['users.id'], name=op.f('fk_work_order_completions_completed_by_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_completions_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_completions'))
    )
    with op.batch_alter_table('work_order_completions', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_completions_order', ['work_order_id', 'received_at'], unique=False)

    op.create_table('work_order_overdue',
    sa.Column('work_order_id', sa.Uuid(), nullable=False),
    sa.Column('due_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('marked_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_overdue_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_order_id', 'due_at', name=op.f('pk_work_order_overdue'))
    )
    op.create_table('webhook_attempts',
    sa.Column('delivery_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], name=op.f('fk_webhook_attempts_delivery_id_webhook_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('delivery_id', 'number', name=op.f('pk_webhook_attempts'))
    )
    op.create_table('completion_photos',
    sa.Column('completion_id', sa.Uuid(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('photo_sha256', sa.String(length=64), nullable=False),
    sa.Column('defect_id', sa.Uuid(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('taken_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['completion_id'], ['work_order_completions.id'], name=op.f('fk_completion_photos_completion_id_work_order_completions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['defect_id'], ['defects.id'], name=op.f('fk_completion_photos_defect_id_defects'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['photo_sha256'], ['photos.sha256'], name=op.f('fk_completion_photos_photo_sha256_photos'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('completion_id', 'ordinal', name=op.f('pk_completion_photos'))
    )
    with op.batch_alter_table('completion_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_completion_photos_photo_sha256'), ['photo_sha256'], unique=False)

    with op.batch_alter_table('work_order_defects', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_defects_defect', ['defect_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('work_order_defects', schema=None) as batch_op:
        batch_op.drop_index('ix_work_order_defects_defect')

    with op.batch_alter_table('completion_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_completion_photos_photo_sha256'))

    op.drop_table('completion_photos')
    op.drop_table('webhook_attempts')
    op.drop_table('work_order_overdue')
    with op.batch_alter_table('work_order_completions', schema=None) as batch_op:
        batch_op.drop_index('ix_work_order_completions_order')

    op.drop_table('work_order_completions')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_due')
        batch_op.drop_index('ix_webhook_deliveries_contractor')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_work_order_id'))
        batch_op.drop_index('ix_notifications_user_unread')

    op.drop_table('notifications')
    op.drop_table('job_runs')
