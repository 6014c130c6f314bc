"""offering seat and waitlist counters

The catalogue filters on free seats and shows seats and waitlists for every
offering it lists; counting enrollments for each was the bulk of its cost.
The counters are kept by the enrollment transition under the offering's
lock; this migration fills them from the enrollments already there.

Revision ID: 4227f7897c74
Revises: 310eb24bedcc
Create Date: 2026-11-23 18:00:35.806310

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4227f7897c74'
down_revision = '310eb24bedcc'
branch_labels = None
depends_on = None

SEAT_STATES = "('enrolled', 'offered', 'attended', 'no_show', 'completed')"


def upgrade():
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seats_taken', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('waitlist_length', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_offering_status_first_starts_at', ['status', 'first_starts_at'], unique=False)

    op.execute(f"""
        UPDATE offering SET
          seats_taken = (SELECT count(*) FROM enrollment
                         WHERE enrollment.offering_id = offering.id AND enrollment.state IN {SEAT_STATES}),
          waitlist_length = (SELECT count(*) FROM enrollment
                             WHERE enrollment.offering_id = offering.id AND enrollment.state = 'waitlisted')
    """)

    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.create_check_constraint('seats_within_capacity', 'seats_taken >= 0 AND seats_taken <= capacity')
        batch_op.create_check_constraint('waitlist_length_nonnegative', 'waitlist_length >= 0')


def downgrade():
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_offering_waitlist_length_nonnegative'), type_='check')
        batch_op.drop_constraint(op.f('ck_offering_seats_within_capacity'), type_='check')
        batch_op.drop_index('ix_offering_status_first_starts_at')
        batch_op.drop_column('waitlist_length')
        batch_op.drop_column('seats_taken')
