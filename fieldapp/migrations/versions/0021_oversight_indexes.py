"""oversight at scale: each seen visit with its seen-alone answer kept on write; indexes for sign-off and allocations

Revision ID: 0021
Revises: 0020

seen_visit_facts holds one row per seen statutory visit (its child, author, date and seen-alone answer), written
by records/visit_facts.refresh() beside child_visit_facts. The backfill reads the clear columns of `records`
(no body is decrypted). Indexes: records awaiting sign-off by age (with child and author, so the per-author
summary reads the index alone), and each child's allocations by end.
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'seen_visit_facts',
        sa.Column('visit_id', sa.String(length=36), nullable=False),
        sa.Column('child_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('occurred_on', sa.String(length=10), nullable=True),
        sa.Column('alone', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_seen_visit_facts_author_id_users')),
        sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_seen_visit_facts_child_id_children')),
        sa.PrimaryKeyConstraint('visit_id', name=op.f('pk_seen_visit_facts')),
    )
    with op.batch_alter_table('seen_visit_facts', schema=None) as batch_op:
        batch_op.create_index('ix_seen_visit_facts_occurred_on', ['occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_seen_visit_facts_child_id'), ['child_id'], unique=False)
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index(
            'ix_records_review_state_updated',
            ['review_state', 'updated_at', 'id', 'child_id', 'author_id'],
            unique=False,
        )
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.create_index('ix_allocations_child_ended', ['child_id', 'ended_at'], unique=False)
    # A visit with two seen-alone records counts once, as alone if either says so (as refresh() computes it).
    op.execute(
        "INSERT INTO seen_visit_facts (visit_id, child_id, author_id, occurred_on, alone) "
        "SELECT visit.id, visit.child_id, visit.author_id, visit.occurred_on, max(answer.seen_alone) "
        "FROM records visit LEFT JOIN records answer ON answer.visit_id = visit.id "
        "AND answer.record_type = 'seen_alone' AND answer.child_id = visit.child_id "
        "WHERE visit.record_type = 'visit' AND visit.child_seen = 1 "
        "GROUP BY visit.id, visit.child_id, visit.author_id, visit.occurred_on"
    )


def downgrade():
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_allocations_child_ended')
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_review_state_updated')
    with op.batch_alter_table('seen_visit_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_visit_facts_child_id'))
        batch_op.drop_index('ix_seen_visit_facts_occurred_on')
    op.drop_table('seen_visit_facts')
