"""plan items carry a version: goals, measures, treatments, information measures and milestones can be changed

Each structured item of a development plan gets the optimistic version its
sections already have: a change names the version it was opened at and is
refused if someone saved the item since. Existing items start at version 1.

Revision ID: e2418321d8be
Revises: e4b7c2a9d815
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2418321d8be'
down_revision = 'e4b7c2a9d815'
branch_labels = None
depends_on = None

TABLES = ('plan_goal', 'plan_measure', 'plan_treatment', 'plan_information', 'milestone')


# On SQLite the column and its check are added and dropped in place (ALTER TABLE ... ADD/DROP COLUMN), never
# through batch mode's copy of the table: with foreign keys on, dropping the old copy would cascade and empty
# plan_measure_link and milestone_dependency.

def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in TABLES:
        check = f'ck_{table}_version_positive'
        if sqlite:
            op.execute(f'ALTER TABLE {table} ADD COLUMN version INTEGER DEFAULT 1 NOT NULL '
                       f'CONSTRAINT {check} CHECK (version >= 1)')
        else:
            op.add_column(table, sa.Column('version', sa.Integer(), server_default='1', nullable=False))
            op.create_check_constraint(op.f(check), table, 'version >= 1')


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in reversed(TABLES):
        if sqlite:
            op.execute(f'ALTER TABLE {table} DROP COLUMN version')
        else:
            op.drop_constraint(op.f(f'ck_{table}_version_positive'), table, type_='check')
            op.drop_column(table, 'version')
