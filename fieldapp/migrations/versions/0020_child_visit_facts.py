"""child visit facts: each child's last seen visit and next due date, kept on write for the oversight dashboard

Revision ID: 0020
Revises: 0019

Backfill: the last seen visit comes from the clear columns of `records` (occurred_on, child_seen; no body is
decrypted). The due date needs the rules table (Python), so backfilled rows carry the child's details as
unknown: the first dashboard read finds them stale and computes each once (records/visit_facts.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'child_visit_facts',
        sa.Column('child_id', sa.Integer(), nullable=False),
        sa.Column('last_seen_on', sa.String(length=10), nullable=True),
        sa.Column('due_on', sa.String(length=10), nullable=True),
        sa.Column('due_rule', sa.String(length=64), nullable=False),
        sa.Column('seen_visits', sa.Integer(), server_default='0', nullable=False),
        sa.Column('not_alone_streak', sa.Integer(), server_default='0', nullable=False),
        sa.Column('legal_status', sa.String(length=32), nullable=False),
        sa.Column('placement_start', sa.Date(), nullable=True),
        sa.Column('permanent_placement', sa.Boolean(), nullable=False),
        sa.Column('cp_visit_interval_working_days', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_child_visit_facts_child_id_children')),
        sa.PrimaryKeyConstraint('child_id', name=op.f('pk_child_visit_facts')),
    )
    with op.batch_alter_table('child_visit_facts', schema=None) as batch_op:
        batch_op.create_index('ix_child_visit_facts_due_on', ['due_on'], unique=False)
    # '' is no legal status: every backfilled row is stale until its due date is computed on first read.
    op.execute(
        "INSERT INTO child_visit_facts (child_id, last_seen_on, due_on, due_rule, legal_status, permanent_placement) "
        "SELECT child_id, max(occurred_on), NULL, 'backfill', '', false FROM records "
        "WHERE record_type = 'visit' AND child_seen = 1 GROUP BY child_id"
    )


def downgrade():
    with op.batch_alter_table('child_visit_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_child_visit_facts_due_on')
    op.drop_table('child_visit_facts')
