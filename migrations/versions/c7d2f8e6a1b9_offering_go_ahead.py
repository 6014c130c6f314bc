"""offering go-ahead decision

An offering below its minimum number of participants on its go/no-go date
waits for a person's decision: go ahead (recorded here) or cancel (the
offering's status). Nothing is decided for them.

Revision ID: c7d2f8e6a1b9
Revises: b3e1c9a4d5f0
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c7d2f8e6a1b9'
down_revision = 'b3e1c9a4d5f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.add_column(sa.Column('go_ahead_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.drop_column('go_ahead_at')
