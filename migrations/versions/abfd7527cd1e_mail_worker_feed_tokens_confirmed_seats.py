"""mail worker, feed tokens, confirmed seats

The outbox keeps what happened (kind, params, the recipient's language) so
the worker writes the mail, with its calendar attachment, when it sends it;
it also keeps the worker's claim, backoff and once-only key. Feed tokens open
personal and school calendar feeds. ``enrollment.confirmed_at`` says whether
an enrollment ever put the offering in the person's calendar; existing seats
are counted as confirmed when they were last changed.

Revision ID: abfd7527cd1e
Revises: 67d9a84da2f5
Create Date: 2026-11-23 19:24:44

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'abfd7527cd1e'
down_revision = '67d9a84da2f5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.Enum('person', 'school', name='feedscope', native_enum=False, length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_feed_token_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feed_token_token_hash'))
    )
    with op.batch_alter_table('feed_token', schema=None) as batch_op:
        batch_op.create_index('ix_feed_token_scope_owner', ['scope', 'owner_id'], unique=False)
        batch_op.create_index('uq_feed_token_live', ['scope', 'owner_id'], unique=True,
                              sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL"))

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE enrollment SET confirmed_at = updated_at "
                "WHERE state IN ('enrolled', 'attended', 'no_show', 'completed')")

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=60), server_default='', nullable=False))
        batch_op.add_column(sa.Column('params', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('locale', sa.String(length=10), server_default='nb', nullable=False))
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_message_dedupe_key'), ['dedupe_key'])



def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_message_dedupe_key'), type_='unique')
        batch_op.drop_column('failed_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('dedupe_key')
        batch_op.drop_column('locale')
        batch_op.drop_column('params')
        batch_op.drop_column('kind')

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')

    with op.batch_alter_table('feed_token', schema=None) as batch_op:
        batch_op.drop_index('uq_feed_token_live', sqlite_where=sa.text("revoked_at IS NULL"),
                            postgresql_where=sa.text("revoked_at IS NULL"))
        batch_op.drop_index('ix_feed_token_scope_owner')

    op.drop_table('feed_token')
