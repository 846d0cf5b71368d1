"""record attachments: photos sealed with a record (Three Houses drawing), encrypted at rest

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

import fieldapp.models.types  # noqa: F401  (custom column types; sync.types re-exported)


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'record_attachments',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('mime', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('body_key_id', sa.String(length=32), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_record_attachments_record_id_records')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_record_attachments')),
    )
    with op.batch_alter_table('record_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_attachments_record_id'), ['record_id'], unique=False)


def downgrade():
    with op.batch_alter_table('record_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_attachments_record_id'))
    op.drop_table('record_attachments')
