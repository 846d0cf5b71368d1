"""single sign-on: the provider account bound to each user, and encrypted refresh tokens for re-validation

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

import fieldapp.models.types  # noqa: F401  (custom column types)


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_issuer', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_users_oidc_issuer_subject', ['oidc_issuer', 'oidc_subject'])
    op.create_table(
        'oidc_grants',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('refresh_token', sa.LargeBinary(), nullable=False),
        sa.Column('checked_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oidc_grants_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_grants')),
    )
    with op.batch_alter_table('oidc_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_grants_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('oidc_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_grants_user_id'))
    op.drop_table('oidc_grants')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_oidc_issuer_subject', type_='unique')
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')
