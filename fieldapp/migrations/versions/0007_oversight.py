"""oversight: clear seen-alone facts on records

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:00:00

Two nullable columns filled by record_facts() for seen_alone records (the yes/no answer and the visit it
belongs to), so the managers' dashboard computes seen-alone rates in SQL without decrypting bodies.
Rows stored before this migration keep NULL until `fieldapp records refresh-facts` re-derives them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_alone', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('visit_id', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_records_visit_id', ['visit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_visit_id')
        batch_op.drop_column('visit_id')
        batch_op.drop_column('seen_alone')
