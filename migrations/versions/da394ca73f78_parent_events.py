"""Parent events: hall and stream, sign-ups without an account, kept counts, questions, limits

Revision ID: da394ca73f78
Revises: a7c31e5f0b92
Create Date: 2026-12-01 12:24:34.407614

The parents' side of catalogue offerings: the event (kind, organising school,
hall / stream with the stream's own limit and counter), the grades it is for,
sign-ups (one active per address and event: a partial unique index; only the
manage token's hash), the counts kept after the retention days, questions sent
in advance, and the keyed hashes the sign-up limits count. New tables only, so
the downgrade drops them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'da394ca73f78'
down_revision = 'a7c31e5f0b92'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('parent_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parent_attempt'))
    )
    with op.batch_alter_table('parent_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_parent_attempt_address_at', ['address_hash', 'at'], unique=False)
        batch_op.create_index('ix_parent_attempt_email_at', ['email_hash', 'at'], unique=False)

    op.create_table('parent_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('parent_school', 'parent_meeting', 'user_forum', 'council_meeting', name='parenteventkind', native_enum=False, length=30), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.Enum('hall', 'stream', 'both', name='attendancemode', native_enum=False, length=10), nullable=False),
    sa.Column('stream_capacity', sa.Integer(), nullable=True),
    sa.Column('stream_taken', sa.Integer(), server_default='0', nullable=False),
    sa.Column('stream_url', sa.String(length=500), server_default='', nullable=False),
    sa.Column('takes_questions', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('stream_capacity IS NULL OR stream_capacity >= 1', name=op.f('ck_parent_event_stream_capacity_positive')),
    sa.CheckConstraint('stream_taken >= 0 AND (stream_capacity IS NULL OR stream_taken <= stream_capacity)', name=op.f('ck_parent_event_stream_within_capacity')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_parent_event_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['offering_id'], ['offering.id'], name=op.f('fk_parent_event_offering_id_offering'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_parent_event_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parent_event')),
    sa.UniqueConstraint('offering_id', name=op.f('uq_parent_event_offering_id'))
    )
    with op.batch_alter_table('parent_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parent_event_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_parent_event_school_id'), ['school_id'], unique=False)

    op.create_table('parent_event_grade',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.CheckConstraint('grade BETWEEN 1 AND 10', name=op.f('ck_parent_event_grade_grade_known')),
    sa.ForeignKeyConstraint(['event_id'], ['parent_event.id'], name=op.f('fk_parent_event_grade_event_id_parent_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'grade', name=op.f('pk_parent_event_grade'))
    )
    with op.batch_alter_table('parent_event_grade', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parent_event_grade_grade'), ['grade'], unique=False)

    op.create_table('parent_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['parent_event.id'], name=op.f('fk_parent_question_event_id_parent_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parent_question'))
    )
    with op.batch_alter_table('parent_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parent_question_event_id'), ['event_id'], unique=False)

    op.create_table('parent_signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('mode', sa.Enum('hall', 'stream', 'both', name='attendancemode', native_enum=False, length=10), nullable=False),
    sa.Column('party_size', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('confirmed', 'waitlisted', 'cancelled', name='signupstate', native_enum=False, length=20), nullable=False),
    sa.Column('waitlisted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('attended', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("mode != 'both'", name=op.f('ck_parent_signup_mode_chosen')),
    sa.CheckConstraint("mode = 'hall' OR party_size = 1", name=op.f('ck_parent_signup_stream_is_one')),
    sa.CheckConstraint("state != 'waitlisted' OR (waitlisted_at IS NOT NULL AND mode = 'hall')", name=op.f('ck_parent_signup_waitlist_is_for_hall')),
    sa.CheckConstraint('grade IS NULL OR grade BETWEEN 1 AND 10', name=op.f('ck_parent_signup_grade_known')),
    sa.CheckConstraint('party_size BETWEEN 1 AND 2', name=op.f('ck_parent_signup_party_size_known')),
    sa.ForeignKeyConstraint(['event_id'], ['parent_event.id'], name=op.f('fk_parent_signup_event_id_parent_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_parent_signup_school_id_school'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parent_signup')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_parent_signup_token_hash'))
    )
    with op.batch_alter_table('parent_signup', schema=None) as batch_op:
        batch_op.create_index('ix_parent_signup_event_state_waitlisted', ['event_id', 'state', 'waitlisted_at'], unique=False)
        batch_op.create_index('uq_parent_signup_active', ['event_id', 'email_key'], unique=True, sqlite_where=sa.text("state != 'cancelled'"), postgresql_where=sa.text("state != 'cancelled'"))

    op.create_table('parent_tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('mode', sa.Enum('hall', 'stream', 'both', name='attendancemode', native_enum=False, length=10), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('signups', sa.Integer(), nullable=False),
    sa.Column('attended', sa.Integer(), nullable=False),
    sa.CheckConstraint('people >= 0 AND signups >= 0 AND attended >= 0', name=op.f('ck_parent_tally_counts_nonnegative')),
    sa.ForeignKeyConstraint(['event_id'], ['parent_event.id'], name=op.f('fk_parent_tally_event_id_parent_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_parent_tally_school_id_school'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parent_tally'))
    )
    with op.batch_alter_table('parent_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parent_tally_event_id'), ['event_id'], unique=False)



def downgrade():
    with op.batch_alter_table('parent_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parent_tally_event_id'))

    op.drop_table('parent_tally')
    with op.batch_alter_table('parent_signup', schema=None) as batch_op:
        batch_op.drop_index('uq_parent_signup_active', sqlite_where=sa.text("state != 'cancelled'"), postgresql_where=sa.text("state != 'cancelled'"))
        batch_op.drop_index('ix_parent_signup_event_state_waitlisted')

    op.drop_table('parent_signup')
    with op.batch_alter_table('parent_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parent_question_event_id'))

    op.drop_table('parent_question')
    with op.batch_alter_table('parent_event_grade', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parent_event_grade_grade'))

    op.drop_table('parent_event_grade')
    with op.batch_alter_table('parent_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parent_event_school_id'))
        batch_op.drop_index(batch_op.f('ix_parent_event_kind'))

    op.drop_table('parent_event')
    with op.batch_alter_table('parent_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_parent_attempt_email_at')
        batch_op.drop_index('ix_parent_attempt_address_at')

    op.drop_table('parent_attempt')
