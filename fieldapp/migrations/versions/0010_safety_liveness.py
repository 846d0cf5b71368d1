"""safety liveness and priority lane: escalator heartbeats and outages, priority deliveries, step failures

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

import fieldapp.models.types  # noqa: F401  (custom column types)


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'escalator_heartbeats',
        sa.Column('process_id', sa.String(length=80), nullable=False),
        sa.Column('started_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('beat_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('process_id', name=op.f('pk_escalator_heartbeats')),
    )
    with op.batch_alter_table('escalator_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalator_heartbeats_beat_at'), ['beat_at'], unique=False)
    op.create_table(
        'escalator_outages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_beat_key', sa.String(length=64), nullable=False),
        sa.Column('detected_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_escalator_outages')),
        sa.UniqueConstraint('last_beat_key', name=op.f('uq_escalator_outages_last_beat_key')),
    )
    with op.batch_alter_table('safety_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.create_index('ix_safety_deliveries_priority_due', ['priority', 'state', 'next_attempt_at'],
                              unique=False)
    with op.batch_alter_table('safety_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('step_failed_at', fieldapp.models.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('safety_sessions', schema=None) as batch_op:
        batch_op.drop_column('step_failed_at')
        batch_op.drop_column('step_error')
    with op.batch_alter_table('safety_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_safety_deliveries_priority_due')
        batch_op.drop_column('priority')
    op.drop_table('escalator_outages')
    with op.batch_alter_table('escalator_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalator_heartbeats_beat_at'))
    op.drop_table('escalator_heartbeats')
