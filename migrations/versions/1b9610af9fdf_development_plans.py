"""Development plans: sections, goals, measures and their links, treatments, information, milestones, versions, comments.

Revision ID: 1b9610af9fdf
Revises: dec44cca0eea
Create Date: 2026-12-01 12:20:22.108861

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1b9610af9fdf'
down_revision = "dec44cca0eea"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('start_year', sa.Integer(), nullable=False),
    sa.Column('end_year', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'treated', 'submitted', 'under_review', 'returned', 'approved', name='planstate', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_year - start_year < 6', name=op.f('ck_plan_period_length')),
    sa.CheckConstraint('end_year >= start_year', name=op.f('ck_plan_period_order')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_plan_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan')),
    sa.UniqueConstraint('school_id', 'start_year', name='uq_plan_school_start')
    )
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_state'), ['state'], unique=False)

    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=300), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('evaluation', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'reached', 'not_reached', name='milestonestatus', native_enum=False, length=20), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_milestone_plan_id_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responsible_id'], ['user_account.id'], name=op.f('fk_milestone_responsible_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone'))
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_responsible_id'), ['responsible_id'], unique=False)

    op.create_table('plan_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('section_key', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('must_improve', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_plan_comment_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_comment_plan_id_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_comment'))
    )
    with op.batch_alter_table('plan_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_comment_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=300), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.CheckConstraint('area IN (4, 6)', name=op.f('ck_plan_goal_structured_area')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_goal_plan_id_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_goal'))
    )
    with op.batch_alter_table('plan_goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_goal_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_information',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('letter', 'meeting', 'web', name='informationkind', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('audience', sa.Enum('teachers', 'leaders', 'digital_supervisors', 'new_hires', 'all_staff', 'pupils', 'parents', name='plantargetgroup', native_enum=False, length=30), nullable=False),
    sa.Column('informed_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_information_plan_id_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_information'))
    )
    with op.batch_alter_table('plan_information', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_information_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_measure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('target_group', sa.Enum('teachers', 'leaders', 'digital_supervisors', 'new_hires', 'all_staff', 'pupils', 'parents', name='plantargetgroup', native_enum=False, length=30), nullable=False),
    sa.Column('responsible', sa.String(length=200), nullable=False),
    sa.Column('timing', sa.String(length=200), nullable=False),
    sa.CheckConstraint('area IN (4, 6)', name=op.f('ck_plan_measure_structured_area')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_measure_plan_id_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_measure'))
    )
    with op.batch_alter_table('plan_measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_measure_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('version >= 1', name=op.f('ck_plan_section_version_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_section_plan_id_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_plan_section_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_section')),
    sa.UniqueConstraint('plan_id', 'key', name='uq_plan_section_key')
    )
    op.create_table('plan_treatment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Enum('driftsstyret', 'fau', 'mbu', 'elevrad', 'digirad', name='body', native_enum=False, length=20), nullable=False),
    sa.Column('treated_on', sa.Date(), nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_treatment_plan_id_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_treatment'))
    )
    with op.batch_alter_table('plan_treatment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_treatment_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_plan_version_number_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_version_plan_id_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_plan_version_submitted_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_version')),
    sa.UniqueConstraint('plan_id', 'number', name='uq_plan_version_number')
    )
    op.create_table('milestone_dependency',
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('depends_on_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('milestone_id <> depends_on_id', name=op.f('ck_milestone_dependency_not_on_itself')),
    sa.ForeignKeyConstraint(['depends_on_id'], ['milestone.id'], name=op.f('fk_milestone_dependency_depends_on_id_milestone'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_milestone_dependency_milestone_id_milestone'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('milestone_id', 'depends_on_id', name=op.f('pk_milestone_dependency'))
    )
    op.create_table('plan_measure_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['plan_measure.id'], name=op.f('fk_plan_measure_link_measure_id_plan_measure'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_measure_link')),
    sa.UniqueConstraint('measure_id', 'kind', 'ref_id', name='uq_plan_measure_link')
    )
    with op.batch_alter_table('plan_measure_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_measure_link_measure_id'), ['measure_id'], unique=False)



def downgrade():
    with op.batch_alter_table('plan_measure_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_measure_link_measure_id'))

    op.drop_table('plan_measure_link')
    op.drop_table('milestone_dependency')
    op.drop_table('plan_version')
    with op.batch_alter_table('plan_treatment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_treatment_plan_id'))

    op.drop_table('plan_treatment')
    op.drop_table('plan_section')
    with op.batch_alter_table('plan_measure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_measure_plan_id'))

    op.drop_table('plan_measure')
    with op.batch_alter_table('plan_information', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_information_plan_id'))

    op.drop_table('plan_information')
    with op.batch_alter_table('plan_goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_goal_plan_id'))

    op.drop_table('plan_goal')
    with op.batch_alter_table('plan_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_comment_plan_id'))

    op.drop_table('plan_comment')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_responsible_id'))
        batch_op.drop_index(batch_op.f('ix_milestone_plan_id'))
        batch_op.drop_index(batch_op.f('ix_milestone_deadline'))

    op.drop_table('milestone')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_state'))
        batch_op.drop_index(batch_op.f('ix_plan_school_id'))

    op.drop_table('plan')
