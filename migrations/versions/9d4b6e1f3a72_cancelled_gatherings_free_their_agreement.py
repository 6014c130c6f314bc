"""cancelled gatherings free their agreement

A round's agreed date proposal is cancelled with the gathering it made, so
the group agrees again (the code does this from now on). Proposals agreed
before, whose gathering has since been called off, are cancelled here too:
those groups were stuck as agreed, could not propose a new date and got no
reminders. The downgrade writes them as superseded, a status the code before
knows; which of those were cancelled is not kept.

Revision ID: 9d4b6e1f3a72
Revises: 5a8e2c7d9b41
Create Date: 2026-12-04 19:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9d4b6e1f3a72'
down_revision = '5a8e2c7d9b41'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE date_proposal SET status = 'cancelled' WHERE status = 'agreed' AND gathering_id IN "
               "(SELECT gathering.id FROM gathering JOIN session ON session.id = gathering.session_id "
               "WHERE session.status = 'cancelled')")


def downgrade():
    op.execute("UPDATE date_proposal SET status = 'superseded' WHERE status = 'cancelled'")
