"""sign-in sessions that tell browsers apart, and sign-in throttling

A sign-in session keeps the browser's description (its User-Agent, cut to
200 characters) so that a person can tell their sessions apart on "Min
konto" and end the ones they do not know; sessions from before have none.
Failed sign-ins are counted per account, address and known device in
sign_in_throttle, which starts empty.

Revision ID: a7c41e9b2f10
Revises: da394ca73f78
Create Date: 2026-12-01 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c41e9b2f10'
down_revision = "da394ca73f78"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_agent', sa.String(length=200), server_default='', nullable=False))
    op.create_table(
        'sign_in_throttle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=320), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('failures >= 0', name=op.f('ck_sign_in_throttle_failures_nonnegative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_throttle')),
        sa.UniqueConstraint('key', name=op.f('uq_sign_in_throttle_key')),
    )
    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttle_last_failed_at'), ['last_failed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttle_last_failed_at'))
    op.drop_table('sign_in_throttle')
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_column('user_agent')
