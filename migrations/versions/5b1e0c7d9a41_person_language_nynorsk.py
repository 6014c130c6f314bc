"""a person's language may be unchosen, and nynorsk is one

``user_account.locale`` was always set, to bokmål by default, so nobody could
tell a choice from the default. Now it is empty until the person (or an
admin) chooses; pages then follow the browser's choice or its nynorsk, and
mail is bokmål. Every bokmål so far was the default (the language switch
only kept its choice in the session), so it becomes empty. A check keeps the
column to the languages the platform speaks.

Revision ID: 5b1e0c7d9a41
Revises: ceea09747d2d
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e0c7d9a41'
down_revision = 'ceea09747d2d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('locale', existing_type=sa.String(length=5), nullable=True)
    op.execute("UPDATE user_account SET locale = NULL WHERE locale = 'nb' OR locale NOT IN ('nn', 'en')")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_user_account_locale_known'),
                                         sa.text("locale IN ('nb', 'nn', 'en')"))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_account_locale_known'), type_='check')
    # Before this revision nynorsk was not offered, and every person had a language.
    op.execute("UPDATE user_account SET locale = 'nb' WHERE locale IS NULL OR locale = 'nn'")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('locale', existing_type=sa.String(length=5), nullable=False)
