"""outbox keeps the attachments it sent

A sent mail's attachments (the invitation's .ics) are kept with it, so the
outbox page offers what the recipient got rather than writing it again from
today's data. Mail sent before this has none kept.

Revision ID: a7c31e5f0b92
Revises: d3555de396c3
Create Date: 2026-12-01 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c31e5f0b92'
down_revision = 'd3555de396c3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_attachments', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('sent_attachments')
