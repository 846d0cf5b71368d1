"""unfinished drafts handed over by revoked devices; devices' last sync report (drafts / outbox counts)

Revision ID: 0013
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

import fieldapp.models.types  # noqa: F401  (custom column types)


revision = '0013'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'unfinished_drafts',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('child_id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.String(length=36), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('record_type', sa.String(length=40), nullable=False),
        sa.Column('from_device_id', sa.String(length=64), nullable=False),
        sa.Column('received_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('taken_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('taken_by_device_id', sa.String(length=64), nullable=True),
        sa.Column('body_key_id', sa.String(length=32), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_unfinished_drafts_child_id_children')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_unfinished_drafts_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unfinished_drafts')),
    )
    with op.batch_alter_table('unfinished_drafts', schema=None) as batch_op:
        batch_op.create_index('ix_unfinished_drafts_user_taken', ['user_id', 'taken_at'], unique=False)
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reported_drafts', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reported_outbox', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reported_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('reported_at')
        batch_op.drop_column('reported_outbox')
        batch_op.drop_column('reported_drafts')
    with op.batch_alter_table('unfinished_drafts', schema=None) as batch_op:
        batch_op.drop_index('ix_unfinished_drafts_user_taken')
    op.drop_table('unfinished_drafts')
