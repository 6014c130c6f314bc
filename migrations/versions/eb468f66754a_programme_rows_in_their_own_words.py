"""programme rows in their own words, and schemes

An offering keeps the programme's own words for who it is for and when
(``target_group_text``, ``timing``) beside the target groups that enrollment
checks. A scheme is a row of the programme that one does not sign up for
(the learning films, the fyrtårn scheme, the web pages for parents, each
school's Digiråd): the catalogue lists it and links to the page that carries
it. The target group ``pupils`` needs no change of schema: the enum is stored
as text without a check constraint.

Revision ID: eb468f66754a
Revises: c7d2f8e6a1b9
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'eb468f66754a'
down_revision = 'c7d2f8e6a1b9'
branch_labels = None
depends_on = None

TARGET_GROUPS = ('teachers', 'leaders', 'new_hires', 'digital_supervisors', 'parents', 'all_staff', 'pupils')


def upgrade():
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_group_text', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('timing', sa.String(length=200), server_default='', nullable=False))

    op.create_table('scheme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('theme', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('organiser', sa.String(length=200), nullable=False),
    sa.Column('target_group_text', sa.String(length=300), nullable=False),
    sa.Column('timing', sa.String(length=200), nullable=False),
    sa.Column('plan_area', sa.Integer(), nullable=True),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=120), nullable=False),
    sa.Column('endpoint_values', sa.JSON(), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('plan_area IN (4, 6)', name=op.f('ck_scheme_plan_area_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheme')),
    sa.UniqueConstraint('source_key', name=op.f('uq_scheme_source_key'))
    )
    with op.batch_alter_table('scheme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheme_school_year'), ['school_year'], unique=False)

    op.create_table('scheme_target_group',
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.Enum(*TARGET_GROUPS, name='targetgroup', native_enum=False, length=30), nullable=False),
    sa.ForeignKeyConstraint(['scheme_id'], ['scheme.id'], name=op.f('fk_scheme_target_group_scheme_id_scheme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scheme_id', 'group', name=op.f('pk_scheme_target_group'))
    )
    with op.batch_alter_table('scheme_target_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheme_target_group_group'), ['group'], unique=False)


def downgrade():
    with op.batch_alter_table('scheme_target_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheme_target_group_group'))
    op.drop_table('scheme_target_group')
    with op.batch_alter_table('scheme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheme_school_year'))
    op.drop_table('scheme')
    # Pupils were not a target group before: offerings keep their other groups.
    op.execute("DELETE FROM offering_target_group WHERE \"group\" = 'pupils'")
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.drop_column('timing')
        batch_op.drop_column('target_group_text')
