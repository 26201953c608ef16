"""core domain

Revision ID: 4070793b6955
Revises:
Create Date: 2026-11-22 15:01:53.981127
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.core.db
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = '4070793b6955'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contractors',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('webhook_url', sa.String(length=500), nullable=True),
    sa.Column('webhook_secret', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contractors')),
    sa.UniqueConstraint('code', name=op.f('uq_contractors_code'))
    )
    op.create_table('sites',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('center_lat', sa.Float(), nullable=False),
    sa.Column('center_lon', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('code', name=op.f('uq_sites_code'))
    )
    op.create_table('contracts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('contractor_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractors.id'], name=op.f('fk_contracts_contractor_id_contractors'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('code', name=op.f('uq_contracts_code'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_contractor_id'), ['contractor_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('contractor_id', sa.Uuid(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role = 'contractor') = (contractor_id IS NOT NULL)", name=op.f('ck_users_contractor_users_have_company')),
    sa.CheckConstraint("language IN ('zh', 'en') OR language IS NULL", name=op.f('ck_users_language_known')),
    sa.CheckConstraint("role IN ('inspector', 'supervisor', 'contractor', 'admin')", name=op.f('ck_users_role_known')),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractors.id'], name=op.f('fk_users_contractor_id_contractors'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_contractor_id'), ['contractor_id'], unique=False)

    op.create_table('zones',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('outline', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('min_lat', sa.Float(), nullable=False),
    sa.Column('min_lon', sa.Float(), nullable=False),
    sa.Column('max_lat', sa.Float(), nullable=False),
    sa.Column('max_lon', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_zones_site_id_sites'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zones')),
    sa.UniqueConstraint('site_id', 'code', name=op.f('uq_zones_site_id_code'))
    )
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zones_site_id'), ['site_id'], unique=False)

    op.create_table('assets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('zone_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('outline', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('qr_token', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180', name=op.f('ck_assets_position_on_earth')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_assets_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_assets_zone_id_zones'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('code', name=op.f('uq_assets_code')),
    sa.UniqueConstraint('qr_token', name=op.f('uq_assets_qr_token'))
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index('ix_assets_lat_lon', ['lat', 'lon'], unique=False)
        batch_op.create_index('ix_assets_zone_category', ['zone_id', 'category'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_zone_id'), ['zone_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_events_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('contract_categories',
    sa.Column('contract_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_categories_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contract_id', 'category', name=op.f('pk_contract_categories'))
    )
    op.create_table('contract_zones',
    sa.Column('contract_id', sa.Uuid(), nullable=False),
    sa.Column('zone_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_zones_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_contract_zones_zone_id_zones'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('contract_id', 'zone_id', name=op.f('pk_contract_zones'))
    )
    op.create_table('photos',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('exif_lat', sa.Float(), nullable=True),
    sa.Column('exif_lon', sa.Float(), nullable=True),
    sa.Column('exif_taken_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('uploaded_by', sa.Uuid(), nullable=True),
    sa.Column('uploaded_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("media_type IN ('image/jpeg', 'image/png', 'image/webp')", name=op.f('ck_photos_media_type_known')),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_photos_sha256_hex')),
    sa.CheckConstraint('size_bytes > 0 AND width > 0 AND height > 0', name=op.f('ck_photos_dimensions_positive')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_photos_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_photos'))
    )
    op.create_table('user_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_user_sessions'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('user_zones',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('zone_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_zones_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_user_zones_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'zone_id', name=op.f('pk_user_zones'))
    )
    op.create_table('work_orders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('contract_id', sa.Uuid(), nullable=False),
    sa.Column('contractor_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('issued_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.Uuid(), nullable=False),
    sa.Column('due_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_change_reason', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('completed_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status != 'cancelled' OR cancel_reason IS NOT NULL", name=op.f('ck_work_orders_cancel_has_reason')),
    sa.CheckConstraint("status IN ('issued', 'accepted', 'in_progress', 'completed', 'verified', 'returned', 'cancelled')", name=op.f('ck_work_orders_status_known')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_work_orders_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractors.id'], name=op.f('fk_work_orders_contractor_id_contractors'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_work_orders_issued_by_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders')),
    sa.UniqueConstraint('code', name=op.f('uq_work_orders_code'))
    )
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_work_orders_contractor_status', ['contractor_id', 'status'], unique=False)
        batch_op.create_index('ix_work_orders_due', ['due_at'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('asset_id', sa.Uuid(), nullable=False),
    sa.Column('inspector_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('observed_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('observations', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('damages', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('not_applicable', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('standards_version', sa.String(length=32), nullable=False),
    sa.Column('client_standards_version', sa.String(length=32), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("verdict IN ('compliant', 'non_compliant', 'undetermined')", name=op.f('ck_inspections_verdict_known')),
    sa.CheckConstraint('accuracy_m IS NULL OR accuracy_m >= 0', name=op.f('ck_inspections_accuracy_positive')),
    sa.CheckConstraint('lat IS NULL OR lat BETWEEN -90 AND 90', name=op.f('ck_inspections_lat_on_earth')),
    sa.CheckConstraint('length(content_hash) = 64', name=op.f('ck_inspections_content_hash_hex')),
    sa.CheckConstraint('lon IS NULL OR lon BETWEEN -180 AND 180', name=op.f('ck_inspections_lon_on_earth')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_inspections_asset_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_inspections_inspector_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index('ix_inspections_asset_observed', ['asset_id', 'observed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_inspector_id'), ['inspector_id'], unique=False)
        batch_op.create_index('ix_inspections_observed', ['observed_at'], unique=False)

    op.create_table('clause_results',
    sa.Column('inspection_id', sa.Uuid(), nullable=False),
    sa.Column('clause_id', sa.String(length=16), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.CheckConstraint("result IN ('pass', 'fail', 'exempt', 'n/a', 'unknown')", name=op.f('ck_clause_results_result_known')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_clause_results_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('inspection_id', 'clause_id', name=op.f('pk_clause_results'))
    )
    with op.batch_alter_table('clause_results', schema=None) as batch_op:
        batch_op.create_index('ix_clause_results_clause_result', ['clause_id', 'result'], unique=False)

    op.create_table('defects',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('asset_id', sa.Uuid(), nullable=False),
    sa.Column('zone_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('clause_id', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('opened_at', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('respond_by', server.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_by_inspection_id', sa.Uuid(), nullable=False),
    sa.Column('last_inspection_id', sa.Uuid(), nullable=False),
    sa.Column('passed_inspection_id', sa.Uuid(), nullable=True),
    sa.Column('closed_at', server.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dismissed_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("severity IN ('urgent', 'high', 'normal', 'low')", name=op.f('ck_defects_severity_known')),
    sa.CheckConstraint("status != 'dismissed' OR dismissed_reason IS NOT NULL", name=op.f('ck_defects_dismissal_has_reason')),
    sa.CheckConstraint("status IN ('open', 'ordered', 'fixed', 'closed', 'dismissed')", name=op.f('ck_defects_status_known')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_defects_asset_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['last_inspection_id'], ['inspections.id'], name=op.f('fk_defects_last_inspection_id_inspections'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['opened_by_inspection_id'], ['inspections.id'], name=op.f('fk_defects_opened_by_inspection_id_inspections'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['passed_inspection_id'], ['inspections.id'], name=op.f('fk_defects_passed_inspection_id_inspections'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_defects_zone_id_zones'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_defects'))
    )
    with op.batch_alter_table('defects', schema=None) as batch_op:
        batch_op.create_index('ix_defects_opened', ['opened_at'], unique=False)
        batch_op.create_index('ix_defects_zone_status', ['zone_id', 'status'], unique=False)
        batch_op.create_index('uq_defects_active_asset_clause', ['asset_id', 'clause_id'], unique=True, sqlite_where=sa.text("status IN ('open', 'ordered', 'fixed')"), postgresql_where=sa.text("status IN ('open', 'ordered', 'fixed')"))

    op.create_table('inspection_photos',
    sa.Column('inspection_id', sa.Uuid(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('photo_sha256', sa.String(length=64), nullable=False),
    sa.Column('damage_index', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_photos_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['photo_sha256'], ['photos.sha256'], name=op.f('fk_inspection_photos_photo_sha256_photos'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('inspection_id', 'ordinal', name=op.f('pk_inspection_photos'))
    )
    with op.batch_alter_table('inspection_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_photos_photo_sha256'), ['photo_sha256'], unique=False)

    op.create_table('defect_evidence',
    sa.Column('defect_id', sa.Uuid(), nullable=False),
    sa.Column('inspection_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['defect_id'], ['defects.id'], name=op.f('fk_defect_evidence_defect_id_defects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_defect_evidence_inspection_id_inspections'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('defect_id', 'inspection_id', name=op.f('pk_defect_evidence'))
    )
    op.create_table('work_order_defects',
    sa.Column('work_order_id', sa.Uuid(), nullable=False),
    sa.Column('defect_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['defect_id'], ['defects.id'], name=op.f('fk_work_order_defects_defect_id_defects'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_defects_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_order_id', 'defect_id', name=op.f('pk_work_order_defects'))
    )


    _make_audit_append_only()


def _make_audit_append_only() -> None:
    """The audit trail can only grow: the database refuses UPDATE and DELETE on it."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.drop_table('work_order_defects')
    op.drop_table('defect_evidence')
    with op.batch_alter_table('inspection_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_photos_photo_sha256'))

    op.drop_table('inspection_photos')
    with op.batch_alter_table('defects', schema=None) as batch_op:
        batch_op.drop_index('uq_defects_active_asset_clause', sqlite_where=sa.text("status IN ('open', 'ordered', 'fixed')"), postgresql_where=sa.text("status IN ('open', 'ordered', 'fixed')"))
        batch_op.drop_index('ix_defects_zone_status')
        batch_op.drop_index('ix_defects_opened')

    op.drop_table('defects')
    with op.batch_alter_table('clause_results', schema=None) as batch_op:
        batch_op.drop_index('ix_clause_results_clause_result')

    op.drop_table('clause_results')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_observed')
        batch_op.drop_index(batch_op.f('ix_inspections_inspector_id'))
        batch_op.drop_index('ix_inspections_asset_observed')

    op.drop_table('inspections')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_work_orders_due')
        batch_op.drop_index('ix_work_orders_contractor_status')

    op.drop_table('work_orders')
    op.drop_table('user_zones')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
    op.drop_table('photos')
    op.drop_table('contract_zones')
    op.drop_table('contract_categories')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_entity')
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assets_zone_id'))
        batch_op.drop_index('ix_assets_zone_category')
        batch_op.drop_index('ix_assets_lat_lon')

    op.drop_table('assets')
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zones_site_id'))

    op.drop_table('zones')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_contractor_id'))

    op.drop_table('users')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_contractor_id'))

    op.drop_table('contracts')
    op.drop_table('sites')
    op.drop_table('contractors')
