"""users belong to sites

Revision ID: c4a8e2f61d37
Revises: e4a91c2f7b30
Create Date: 2026-12-07 16:00:00

`user_sites` says which sites a (non-admin) user works in; supervisors, inspectors and
contractors see only those. Users already there before this migration worked in every
site, so each of them gets every existing site: an upgrade locks nobody out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c4a8e2f61d37'
down_revision = 'e4a91c2f7b30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'user_sites',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('site_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_user_sites_site_id_sites'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sites_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'site_id', name=op.f('pk_user_sites')),
    )
    with op.batch_alter_table('user_sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sites_site_id'), ['site_id'], unique=False)
    op.execute("INSERT INTO user_sites (user_id, site_id) SELECT users.id, sites.id FROM users CROSS JOIN sites "
               "WHERE users.role <> 'admin'")


def downgrade() -> None:
    with op.batch_alter_table('user_sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sites_site_id'))
    op.drop_table('user_sites')
