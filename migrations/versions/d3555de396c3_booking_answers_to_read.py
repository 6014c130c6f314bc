"""booking answers to read

A booking remembers when the fyrtårn side last answered the school and when
a leader of the school last opened it, so that the front page can show the
leaders the answers they have not read. Bookings answered before this have
nothing to read.

Revision ID: d3555de396c3
Revises: eb468f66754a
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3555de396c3'
down_revision = 'eb468f66754a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lighthouse_booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('school_read_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('lighthouse_booking', schema=None) as batch_op:
        batch_op.drop_column('school_read_at')
        batch_op.drop_column('answered_at')
