"""audit events carry the request id of the request that wrote them (as in the logs and X-Request-Id)

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN, not batch mode: on SQLite batch mode copies the table and would drop the append-only
    # triggers that guard audit_events.
    op.add_column('audit_events', sa.Column('request_id', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_audit_events_request_id'), 'audit_events', ['request_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_audit_events_request_id'), table_name='audit_events')
    op.drop_column('audit_events', 'request_id')
