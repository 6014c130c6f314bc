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
    #: The browser's own description, so the person can tell their sessions apart on "Min konto".
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    user: Mapped[User] = relationship(lazy="joined")


class SignInThrottle(db.Model):
    """Failed sign-ins counted for one account, one address or one known device.

    Every attempt is counted before the password is checked, so parallel
    guesses cannot slip past the count; a correct sign-in removes the row.
    After a few failures each further attempt must wait a growing delay
    (``next_attempt_at``); after more, the key is locked until
    ``locked_until``. The lock is temporary, and a known device of the
    account is counted under its own key, so nobody can keep a person out.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``account:<e-mail>``, ``address:<ip>`` or ``device:<user id>:<device id>``.
    key: Mapped[str] = mapped_column(sa.String(320), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(index=True)
    #: No attempt is looked at before this time (the growing delay).
    next_attempt_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]


class PasswordReset(db.Model):
    """A link to set a new password, sent by mail to the account's address ("Glemt passord?").

    Only the SHA-256 of its random token is kept; it works once, until
    ``expires_at``, and a newer link or a new password ends every older one.
    """

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
