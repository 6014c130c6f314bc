"""groups keep their composition mode

A composed collaboration group keeps what the admin chose about last year's
partners (ignore, apart, together), so the groups page scores the draft and
the published groups the way they were proposed, and a new proposal starts
from the same choice. Groups composed before are left without one: what they
were composed with was not kept, and the page says nothing about it.

Revision ID: 5a8e2c7d9b41
Revises: 7c3d5e9f1a20
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a8e2c7d9b41'
down_revision = '7c3d5e9f1a20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('network', schema=None) as batch_op:
        batch_op.add_column(sa.Column('composed_with', sa.Enum('ignore', 'apart', 'together', name='lastyear',
                                                               native_enum=False, length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('network', schema=None) as batch_op:
        batch_op.drop_column('composed_with')
