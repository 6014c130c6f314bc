"""completions index

The development plans count, per school, the staff who completed something in
the plan period (and the new hires who completed an onboarding course): one
look-up per person in (user_id, state, completed_at), with the offering in the
index too, answers it from the index alone instead of reading each person's
enrollments.

Revision ID: 7c3d5e9f1a20
Revises: e2418321d8be
Create Date: 2026-12-01 16:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c3d5e9f1a20'
down_revision = 'e2418321d8be'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.create_index('ix_enrollment_user_completed', ['user_id', 'state', 'completed_at', 'offering_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_index('ix_enrollment_user_completed')
