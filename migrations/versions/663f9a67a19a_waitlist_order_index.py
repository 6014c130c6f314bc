"""waitlist order index

The waitlist is served, counted and numbered by (offering, state, waitlisted_at);
with the time in the index a place on a long waitlist is read from the index alone.

Revision ID: 663f9a67a19a
Revises: 4227f7897c74
Create Date: 2026-11-23 18:07:20.645270

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '663f9a67a19a'
down_revision = '4227f7897c74'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollment_offering_state'))
        batch_op.create_index('ix_enrollment_offering_state_waitlisted', ['offering_id', 'state', 'waitlisted_at'], unique=False)



def downgrade():
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_index('ix_enrollment_offering_state_waitlisted')
        batch_op.create_index(batch_op.f('ix_enrollment_offering_state'), ['offering_id', 'state'], unique=False)

