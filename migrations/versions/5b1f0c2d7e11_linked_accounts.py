"""linked accounts: a person's identity at Feide or an LMS, linked after their first arrival

One new table. ``uq_linked_account_issuer_subject`` makes the same outside
identity (issuer, subject) always reach the same person.

Revision ID: 5b1f0c2d7e11
Revises: 5b1e0c7d9a41
Create Date: 2026-12-01 09:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1f0c2d7e11'
down_revision = '5b1e0c7d9a41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('linked_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_linked_account_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linked_account')),
    sa.UniqueConstraint('issuer', 'subject', name='uq_linked_account_issuer_subject')
    )
    with op.batch_alter_table('linked_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linked_account_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('linked_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linked_account_user_id'))
    op.drop_table('linked_account')
