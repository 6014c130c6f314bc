"""networks and collaboration groups

Networks (municipality networks and collaboration groups) with member
schools, shared resources, gatherings (each one session of the network's
schedule) with minutes, attendance, absences and what each school carried
back; rounds of gatherings with the groups' date proposals. One agreed and
one open proposal per group and round at most (partial unique indexes).
Each participant's own secret link to a network's calendar feed. The
environment-teacher flag (miljølærer) on people.

Revision ID: dec44cca0eea
Revises: a7c41e9b2f10
Create Date: 2026-12-01 12:20:00.444980

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dec44cca0eea'
down_revision = "a7c41e9b2f10"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gathering_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('window_end >= window_start', name=op.f('ck_gathering_round_window_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gathering_round'))
    )
    with op.batch_alter_table('gathering_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gathering_round_school_year'), ['school_year'], unique=False)

    op.create_table('network',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('municipality', 'group', name='networkkind', native_enum=False, length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('target_group_text', sa.String(length=300), nullable=False),
    sa.Column('timing', sa.String(length=200), nullable=False),
    sa.Column('organiser', sa.String(length=200), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=True),
    sa.Column('school_year', sa.Integer(), nullable=True),
    sa.Column('include_leaders', sa.Boolean(), nullable=False),
    sa.Column('include_digital_supervisors', sa.Boolean(), nullable=False),
    sa.Column('include_environment_teachers', sa.Boolean(), nullable=False),
    sa.Column('include_teachers', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'group' OR school_year IS NOT NULL", name=op.f('ck_network_group_has_school_year')),
    sa.ForeignKeyConstraint(['coordinator_id'], ['user_account.id'], name=op.f('fk_network_coordinator_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedule.id'], name=op.f('fk_network_schedule_id_schedule')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network')),
    sa.UniqueConstraint('schedule_id', name=op.f('uq_network_schedule_id')),
    sa.UniqueConstraint('source_key', name=op.f('uq_network_source_key'))
    )
    with op.batch_alter_table('network', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_school_year'), ['school_year'], unique=False)

    op.create_table('gathering',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('host_school_id', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('minutes_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['host_school_id'], ['school.id'], name=op.f('fk_gathering_host_school_id_school'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_gathering_network_id_network'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_gathering_session_id_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gathering')),
    sa.UniqueConstraint('session_id', name=op.f('uq_gathering_session_id'))
    )
    with op.batch_alter_table('gathering', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gathering_network_id'), ['network_id'], unique=False)

    op.create_table('network_feed_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_network_feed_token_network_id_network'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_network_feed_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_feed_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_network_feed_token_token_hash'))
    )
    with op.batch_alter_table('network_feed_token', schema=None) as batch_op:
        batch_op.create_index('uq_network_feed_token_live', ['network_id', 'user_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

    op.create_table('network_resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_network_resource_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_network_resource_network_id_network'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_resource'))
    )
    with op.batch_alter_table('network_resource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_resource_network_id'), ['network_id'], unique=False)

    op.create_table('network_school',
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_network_school_network_id_network'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_network_school_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('network_id', 'school_id', name=op.f('pk_network_school'))
    )
    with op.batch_alter_table('network_school', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_school_school_id'), ['school_id'], unique=False)

    op.create_table('carried_back',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gathering_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('shared_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('reached', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('reached >= 0 AND reached <= 10000', name=op.f('ck_carried_back_reached_sane')),
    sa.ForeignKeyConstraint(['gathering_id'], ['gathering.id'], name=op.f('fk_carried_back_gathering_id_gathering'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_carried_back_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_carried_back_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carried_back')),
    sa.UniqueConstraint('gathering_id', 'school_id', name='uq_carried_back_gathering_school')
    )
    with op.batch_alter_table('carried_back', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carried_back_school_id'), ['school_id'], unique=False)

    op.create_table('date_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('host_school_id', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('open', 'agreed', 'superseded', name='proposalstatus', native_enum=False, length=20), nullable=False),
    sa.Column('gathering_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_date_proposal_ends_after_start')),
    sa.ForeignKeyConstraint(['gathering_id'], ['gathering.id'], name=op.f('fk_date_proposal_gathering_id_gathering'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['host_school_id'], ['school.id'], name=op.f('fk_date_proposal_host_school_id_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_date_proposal_network_id_network'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user_account.id'], name=op.f('fk_date_proposal_proposed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['gathering_round.id'], name=op.f('fk_date_proposal_round_id_gathering_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_date_proposal'))
    )
    with op.batch_alter_table('date_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_date_proposal_network_id'), ['network_id'], unique=False)
        batch_op.create_index('uq_date_proposal_agreed', ['round_id', 'network_id'], unique=True, sqlite_where=sa.text("status = 'agreed'"), postgresql_where=sa.text("status = 'agreed'"))
        batch_op.create_index('uq_date_proposal_open', ['round_id', 'network_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('gathering_absence',
    sa.Column('gathering_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['gathering_id'], ['gathering.id'], name=op.f('fk_gathering_absence_gathering_id_gathering'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_gathering_absence_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('gathering_id', 'user_id', name=op.f('pk_gathering_absence'))
    )
    op.create_table('gathering_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gathering_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 1 AND count <= 10000', name=op.f('ck_gathering_attendance_count_positive')),
    sa.CheckConstraint('user_id IS NULL OR count = 1', name=op.f('ck_gathering_attendance_person_counts_one')),
    sa.ForeignKeyConstraint(['gathering_id'], ['gathering.id'], name=op.f('fk_gathering_attendance_gathering_id_gathering'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_gathering_attendance_school_id_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_gathering_attendance_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gathering_attendance'))
    )
    with op.batch_alter_table('gathering_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gathering_attendance_gathering_id'), ['gathering_id'], unique=False)
        batch_op.create_index('uq_gathering_attendance_person', ['gathering_id', 'user_id'], unique=True, sqlite_where=sa.text('user_id IS NOT NULL'), postgresql_where=sa.text('user_id IS NOT NULL'))
        batch_op.create_index('uq_gathering_attendance_school_count', ['gathering_id', 'school_id'], unique=True, sqlite_where=sa.text('user_id IS NULL'), postgresql_where=sa.text('user_id IS NULL'))

    op.create_table('minutes_addition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gathering_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_minutes_addition_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['gathering_id'], ['gathering.id'], name=op.f('fk_minutes_addition_gathering_id_gathering'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_addition'))
    )
    with op.batch_alter_table('minutes_addition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_addition_gathering_id'), ['gathering_id'], unique=False)

    op.create_table('proposal_confirmation',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['date_proposal.id'], name=op.f('fk_proposal_confirmation_proposal_id_date_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_proposal_confirmation_school_id_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_proposal_confirmation_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('proposal_id', 'school_id', name=op.f('pk_proposal_confirmation'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_environment_teacher', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('is_environment_teacher')

    op.drop_table('proposal_confirmation')
    with op.batch_alter_table('minutes_addition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_addition_gathering_id'))

    op.drop_table('minutes_addition')
    with op.batch_alter_table('gathering_attendance', schema=None) as batch_op:
        batch_op.drop_index('uq_gathering_attendance_school_count', sqlite_where=sa.text('user_id IS NULL'), postgresql_where=sa.text('user_id IS NULL'))
        batch_op.drop_index('uq_gathering_attendance_person', sqlite_where=sa.text('user_id IS NOT NULL'), postgresql_where=sa.text('user_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_gathering_attendance_gathering_id'))

    op.drop_table('gathering_attendance')
    op.drop_table('gathering_absence')
    with op.batch_alter_table('date_proposal', schema=None) as batch_op:
        batch_op.drop_index('uq_date_proposal_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('uq_date_proposal_agreed', sqlite_where=sa.text("status = 'agreed'"), postgresql_where=sa.text("status = 'agreed'"))
        batch_op.drop_index(batch_op.f('ix_date_proposal_network_id'))

    op.drop_table('date_proposal')
    with op.batch_alter_table('carried_back', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carried_back_school_id'))

    op.drop_table('carried_back')
    with op.batch_alter_table('network_school', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_school_school_id'))

    op.drop_table('network_school')
    with op.batch_alter_table('network_resource', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_resource_network_id'))

    op.drop_table('network_resource')
    with op.batch_alter_table('network_feed_token', schema=None) as batch_op:
        batch_op.drop_index('uq_network_feed_token_live', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

    op.drop_table('network_feed_token')
    with op.batch_alter_table('gathering', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gathering_network_id'))

    op.drop_table('gathering')
    with op.batch_alter_table('network', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_school_year'))
        batch_op.drop_index(batch_op.f('ix_network_kind'))

    op.drop_table('network')
    with op.batch_alter_table('gathering_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gathering_round_school_year'))

    op.drop_table('gathering_round')
