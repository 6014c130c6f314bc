"""fyrtårn: profiles, release time, bookable offerings, availability, bookings, learning films

Only new tables; the partial unique index ``uq_booking_held_start`` keeps two
bookings from ever holding the same start for one fyrtårn.

Revision ID: ceea09747d2d
Revises: abfd7527cd1e
Create Date: 2026-11-29 03:08:50.494236

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ceea09747d2d'
down_revision = 'abfd7527cd1e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lighthouse_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('home_school_id', sa.Integer(), nullable=False),
    sa.Column('presentation', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['home_school_id'], ['school.id'], name=op.f('fk_lighthouse_profile_home_school_id_school'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_lighthouse_profile_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lighthouse_profile')),
    sa.UniqueConstraint('user_id', name=op.f('uq_lighthouse_profile_user_id'))
    )
    with op.batch_alter_table('lighthouse_profile', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lighthouse_profile_home_school_id'), ['home_school_id'], unique=False)

    op.create_table('lighthouse_availability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_time > start_time', name=op.f('ck_lighthouse_availability_ends_after_start')),
    sa.CheckConstraint('valid_until >= valid_from', name=op.f('ck_lighthouse_availability_valid_until_after_from')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_lighthouse_availability_weekday_range')),
    sa.ForeignKeyConstraint(['profile_id'], ['lighthouse_profile.id'], name=op.f('fk_lighthouse_availability_profile_id_lighthouse_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lighthouse_availability'))
    )
    with op.batch_alter_table('lighthouse_availability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lighthouse_availability_profile_id'), ['profile_id'], unique=False)

    op.create_table('lighthouse_film',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('video_url', sa.String(length=500), nullable=False),
    sa.Column('tasks', sa.Text(), nullable=False),
    sa.Column('subject', sa.Enum('norwegian', 'mathematics', 'english', 'science', 'social_studies', 'religion', 'arts_crafts', 'music', 'physical_education', 'food_health', 'reading_writing', 'digital', 'classroom', 'assessment', 'inclusion', name='subject', native_enum=False, length=30), nullable=False),
    sa.Column('licence', sa.String(length=60), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['lighthouse_profile.id'], name=op.f('fk_lighthouse_film_profile_id_lighthouse_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lighthouse_film'))
    )
    with op.batch_alter_table('lighthouse_film', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lighthouse_film_profile_id'), ['profile_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lighthouse_film_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lighthouse_film_subject'), ['subject'], unique=False)

    op.create_table('lighthouse_offering',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('course', 'workshop', 'guidance', name='bookablekind', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('subject', sa.Enum('norwegian', 'mathematics', 'english', 'science', 'social_studies', 'religion', 'arts_crafts', 'music', 'physical_education', 'food_health', 'reading_writing', 'digital', 'classroom', 'assessment', 'inclusion', name='subject', native_enum=False, length=30), nullable=False),
    sa.Column('audience', sa.String(length=200), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('max_participants', sa.Integer(), nullable=False),
    sa.Column('venue', sa.Enum('at_school', 'online', 'either', name='venue', native_enum=False, length=20), nullable=False),
    sa.Column('buffer_minutes', sa.Integer(), nullable=False),
    sa.Column('min_notice_hours', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('buffer_minutes BETWEEN 0 AND 240', name=op.f('ck_lighthouse_offering_buffer_range')),
    sa.CheckConstraint('duration_minutes BETWEEN 15 AND 600', name=op.f('ck_lighthouse_offering_duration_range')),
    sa.CheckConstraint('max_participants >= 1', name=op.f('ck_lighthouse_offering_max_participants_positive')),
    sa.CheckConstraint('min_notice_hours BETWEEN 0 AND 2160', name=op.f('ck_lighthouse_offering_notice_range')),
    sa.ForeignKeyConstraint(['profile_id'], ['lighthouse_profile.id'], name=op.f('fk_lighthouse_offering_profile_id_lighthouse_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lighthouse_offering'))
    )
    with op.batch_alter_table('lighthouse_offering', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lighthouse_offering_profile_id'), ['profile_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lighthouse_offering_subject'), ['subject'], unique=False)

    op.create_table('lighthouse_profile_grade',
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Enum('1-4', '5-7', '8-10', name='gradelevel', native_enum=False, length=10), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['lighthouse_profile.id'], name=op.f('fk_lighthouse_profile_grade_profile_id_lighthouse_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('profile_id', 'grade', name=op.f('pk_lighthouse_profile_grade'))
    )
    with op.batch_alter_table('lighthouse_profile_grade', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lighthouse_profile_grade_grade'), ['grade'], unique=False)

    op.create_table('lighthouse_profile_subject',
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Enum('norwegian', 'mathematics', 'english', 'science', 'social_studies', 'religion', 'arts_crafts', 'music', 'physical_education', 'food_health', 'reading_writing', 'digital', 'classroom', 'assessment', 'inclusion', name='subject', native_enum=False, length=30), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['lighthouse_profile.id'], name=op.f('fk_lighthouse_profile_subject_profile_id_lighthouse_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('profile_id', 'subject', name=op.f('pk_lighthouse_profile_subject'))
    )
    with op.batch_alter_table('lighthouse_profile_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lighthouse_profile_subject_subject'), ['subject'], unique=False)

    op.create_table('lighthouse_release_time',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('semester', sa.String(length=5), nullable=False),
    sa.Column('requested_minutes', sa.Integer(), nullable=False),
    sa.Column('approved_minutes', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('approved_minutes IS NULL OR approved_minutes >= 0', name=op.f('ck_lighthouse_release_time_approved_nonnegative')),
    sa.CheckConstraint('requested_minutes >= 0', name=op.f('ck_lighthouse_release_time_requested_nonnegative')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user_account.id'], name=op.f('fk_lighthouse_release_time_approved_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['profile_id'], ['lighthouse_profile.id'], name=op.f('fk_lighthouse_release_time_profile_id_lighthouse_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lighthouse_release_time')),
    sa.UniqueConstraint('profile_id', 'semester', name='uq_release_time_profile_semester')
    )
    op.create_table('lighthouse_booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('requested', 'proposed', 'confirmed', 'declined', 'rejected', 'cancelled', 'completed', name='bookingstate', native_enum=False, length=20), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('semester', sa.String(length=5), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('participants_count', sa.Integer(), nullable=False),
    sa.Column('venue', sa.Enum('at_school', 'online', 'either', name='venue', native_enum=False, length=20), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('online_url', sa.String(length=500), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('declined_for_capacity', sa.Boolean(), nullable=False),
    sa.Column('cancelled_by', sa.Enum('school', 'lighthouse', name='bookingside', native_enum=False, length=20), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('feedback_rating', sa.Integer(), nullable=True),
    sa.Column('feedback_comment', sa.Text(), nullable=False),
    sa.Column('feedback_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('work_record', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('schedule_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_lighthouse_booking_ends_after_start')),
    sa.CheckConstraint('feedback_rating IS NULL OR feedback_rating BETWEEN 1 AND 5', name=op.f('ck_lighthouse_booking_rating_range')),
    sa.CheckConstraint('minutes >= 0', name=op.f('ck_lighthouse_booking_minutes_nonnegative')),
    sa.CheckConstraint('participants_count >= 1', name=op.f('ck_lighthouse_booking_participants_positive')),
    sa.ForeignKeyConstraint(['offering_id'], ['lighthouse_offering.id'], name=op.f('fk_lighthouse_booking_offering_id_lighthouse_offering'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['profile_id'], ['lighthouse_profile.id'], name=op.f('fk_lighthouse_booking_profile_id_lighthouse_profile'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_lighthouse_booking_requested_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedule.id'], name=op.f('fk_lighthouse_booking_schedule_id_schedule'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_lighthouse_booking_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lighthouse_booking')),
    sa.UniqueConstraint('schedule_id', name=op.f('uq_lighthouse_booking_schedule_id'))
    )
    with op.batch_alter_table('lighthouse_booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_profile_semester', ['profile_id', 'semester'], unique=False)
        batch_op.create_index(batch_op.f('ix_lighthouse_booking_offering_id'), ['offering_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lighthouse_booking_school_id'), ['school_id'], unique=False)
        batch_op.create_index('uq_booking_held_start', ['profile_id', 'starts_at'], unique=True, sqlite_where=sa.text("state IN ('requested', 'proposed', 'confirmed', 'completed')"), postgresql_where=sa.text("state IN ('requested', 'proposed', 'confirmed', 'completed')"))

    op.create_table('lighthouse_film_grade',
    sa.Column('film_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Enum('1-4', '5-7', '8-10', name='gradelevel', native_enum=False, length=10), nullable=False),
    sa.ForeignKeyConstraint(['film_id'], ['lighthouse_film.id'], name=op.f('fk_lighthouse_film_grade_film_id_lighthouse_film'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('film_id', 'grade', name=op.f('pk_lighthouse_film_grade'))
    )
    with op.batch_alter_table('lighthouse_film_grade', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lighthouse_film_grade_grade'), ['grade'], unique=False)

    op.create_table('lighthouse_booking_participant',
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['lighthouse_booking.id'], name=op.f('fk_lighthouse_booking_participant_booking_id_lighthouse_booking'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_lighthouse_booking_participant_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('booking_id', 'user_id', name=op.f('pk_lighthouse_booking_participant'))
    )
    with op.batch_alter_table('lighthouse_booking_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lighthouse_booking_participant_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('lighthouse_booking_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lighthouse_booking_participant_user_id'))

    op.drop_table('lighthouse_booking_participant')
    with op.batch_alter_table('lighthouse_film_grade', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lighthouse_film_grade_grade'))

    op.drop_table('lighthouse_film_grade')
    with op.batch_alter_table('lighthouse_booking', schema=None) as batch_op:
        batch_op.drop_index('uq_booking_held_start', sqlite_where=sa.text("state IN ('requested', 'proposed', 'confirmed', 'completed')"), postgresql_where=sa.text("state IN ('requested', 'proposed', 'confirmed', 'completed')"))
        batch_op.drop_index(batch_op.f('ix_lighthouse_booking_school_id'))
        batch_op.drop_index(batch_op.f('ix_lighthouse_booking_offering_id'))
        batch_op.drop_index('ix_booking_profile_semester')

    op.drop_table('lighthouse_booking')
    op.drop_table('lighthouse_release_time')
    with op.batch_alter_table('lighthouse_profile_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lighthouse_profile_subject_subject'))

    op.drop_table('lighthouse_profile_subject')
    with op.batch_alter_table('lighthouse_profile_grade', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lighthouse_profile_grade_grade'))

    op.drop_table('lighthouse_profile_grade')
    with op.batch_alter_table('lighthouse_offering', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lighthouse_offering_subject'))
        batch_op.drop_index(batch_op.f('ix_lighthouse_offering_profile_id'))

    op.drop_table('lighthouse_offering')
    with op.batch_alter_table('lighthouse_film', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lighthouse_film_subject'))
        batch_op.drop_index(batch_op.f('ix_lighthouse_film_published_at'))
        batch_op.drop_index(batch_op.f('ix_lighthouse_film_profile_id'))

    op.drop_table('lighthouse_film')
    with op.batch_alter_table('lighthouse_availability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lighthouse_availability_profile_id'))

    op.drop_table('lighthouse_availability')
    with op.batch_alter_table('lighthouse_profile', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lighthouse_profile_home_school_id'))

    op.drop_table('lighthouse_profile')
