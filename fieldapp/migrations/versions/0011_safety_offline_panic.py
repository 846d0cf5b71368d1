"""safety client: panic presses (offline queue, pressed-at time), team duty phone, worker phone

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

import fieldapp.models.types  # noqa: F401  (custom column types)


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'safety_panic_presses',
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('pressed_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('received_at', fieldapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['safety_sessions.id'],
                                name=op.f('fk_safety_panic_presses_session_id_safety_sessions')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_safety_panic_presses_user_id_users')),
        sa.PrimaryKeyConstraint('client_id', name=op.f('pk_safety_panic_presses')),
    )
    with op.batch_alter_table('safety_panic_presses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_panic_presses_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('safety_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('panic_pressed_at', fieldapp.models.types.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duty_phone', sa.String(length=32), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('duty_phone')
    with op.batch_alter_table('safety_sessions', schema=None) as batch_op:
        batch_op.drop_column('panic_pressed_at')
    with op.batch_alter_table('safety_panic_presses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_panic_presses_user_id'))
    op.drop_table('safety_panic_presses')
