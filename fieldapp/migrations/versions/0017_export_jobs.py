"""export jobs: signed-off records delivered to the council's case record (webhook, folder drop)

Revision ID: 0017
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

import fieldapp.models.types  # noqa: F401  (custom column types)


revision = '0017'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'export_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delivery_id', sa.String(length=36), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('destination', sa.String(length=32), nullable=False),
        sa.Column('state', sa.Enum('pending', 'delivered', 'parked', name='exportstate', native_enum=False,
                                   length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('created_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_export_jobs_record_id_records')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs')),
        sa.UniqueConstraint('delivery_id', name=op.f('uq_export_jobs_delivery_id')),
        sa.UniqueConstraint('record_id', 'revision', 'destination', name='uq_export_jobs_record_revision_destination'),
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_export_jobs_state_next_attempt', ['state', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_export_jobs_state_next_attempt')
    op.drop_table('export_jobs')
