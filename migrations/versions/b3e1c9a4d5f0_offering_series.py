"""offering series

A forum twice a year or a network meeting three times a year is a series of
offerings, each joined on its own (its own seats, waitlist and deadlines);
the series groups them on the pages. Offerings outside a series are as before.

Revision ID: b3e1c9a4d5f0
Revises: 8d2e4f6a9c03
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3e1c9a4d5f0'
down_revision = '8d2e4f6a9c03'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('offering_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offering_series')),
    sa.UniqueConstraint('source_key', name=op.f('uq_offering_series_source_key'))
    )
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_offering_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_offering_series_id_offering_series'), 'offering_series',
                                    ['series_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_offering_series_id_offering_series'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_offering_series_id'))
        batch_op.drop_column('series_id')
    op.drop_table('offering_series')
