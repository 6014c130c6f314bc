"""Sign-in sessions kept on the server, so that logging out really ends one."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import db, now_utc
from lms.people.models import User


class LoginSession(db.Model):
    """One signed-in browser.

    The browser's cookie carries a random token; only its SHA-256 is stored.
    Logging out revokes the row, so a copied cookie is worthless afterwards.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    revoked_at: Mapped[datetime | None]
    #: How the person signed in: local, feide or lti.
    method: Mapped[str] = mapped_column(sa.String(10), default="local")

    user: Mapped[User] = relationship(lazy="joined")
