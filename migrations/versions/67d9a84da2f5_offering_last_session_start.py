"""offering last session start

The catalogue lists an offering until its last session, not only until its
first: a network that meets all year stays in view. Filled from the sessions
already there.

Revision ID: 67d9a84da2f5
Revises: 663f9a67a19a
Create Date: 2026-11-23 18:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '67d9a84da2f5'
down_revision = '663f9a67a19a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_starts_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("""
        UPDATE offering SET last_starts_at = (
            SELECT max(session.starts_at) FROM session
            WHERE session.schedule_id = offering.schedule_id AND session.status = 'scheduled')
    """)


def downgrade():
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.drop_column('last_starts_at')
