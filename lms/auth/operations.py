"""Signing in and out."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from lms.auth.models import LoginSession
from lms.db import db
from lms.people.models import User
from lms.text import one_line

#: A hash to compare against when the e-mail is unknown, so that a wrong
#: address takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password")
MIN_PASSWORD_LENGTH = 10


class AuthError(Exception):
    """Sign-in refused; the message is safe to show."""


class WrongPassword(AuthError):
    """The password given as the person's present one is not."""


def hash_password(password: str) -> str:
    """Return a strong (scrypt) hash of ``password``."""
    return generate_password_hash(password)


def check_password_strength(password: str) -> None:
    """Refuse a password too short to be safe."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(_("Passordet må ha minst %(n)d tegn.", n=MIN_PASSWORD_LENGTH))


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(email: str, password: str) -> User:
    """Return the active user with this e-mail and password, or raise AuthError."""
    user = db.session.scalar(db.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        raise AuthError(_("Feil e-postadresse eller passord."))
    if not check_password_hash(user.password_hash, password):
        raise AuthError(_("Feil e-postadresse eller passord."))
    if not user.active:
        raise AuthError(_("Kontoen er deaktivert. Kontakt skolens leder."))
    return user


USER_AGENT_LENGTH = LoginSession.__table__.c.user_agent.type.length


def start_session(user: User, now: datetime, method: str = "local", user_agent: str = "") -> str:
    """Open a new sign-in session for ``user`` and return its browser token."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=_hash_token(token), user_id=user.id, created_at=now, method=method,
                                user_agent=one_line(user_agent)[:USER_AGENT_LENGTH]))
    db.session.flush()
    user.login_token = token
    return token


#: The person of a live sign-in session, with their roles, in one statement: every signed-in request runs it,
#: so it is built once (SQLAlchemy then makes its cache key once too, not per request).
_USER_FOR_TOKEN = (
    sa.select(User).join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.token_hash == sa.bindparam("token_hash"), LoginSession.revoked_at.is_(None),
           LoginSession.created_at > sa.bindparam("since"))
    .options(joinedload(User.memberships)))


def user_for_token(token: str, now: datetime, *, lifetime: timedelta) -> User | None:
    """Return the user of a live sign-in session begun less than ``lifetime`` before ``now``, or None.

    The idle time is checked by the caller from the signed session cookie, so
    that a request that only reads writes nothing.
    """
    user = db.session.scalars(_USER_FOR_TOKEN, {"token_hash": _hash_token(token), "since": now - lifetime}
                              ).unique().one_or_none()
    if user is None or not user.active:
        return None
    user.login_token = token
    return user


def end_session(token: str, now: datetime) -> None:
    """Revoke a sign-in session so its cookie no longer works."""
    login = db.session.scalar(db.select(LoginSession).where(LoginSession.token_hash == _hash_token(token)))
    if login is not None and login.revoked_at is None:
        login.revoked_at = now
        db.session.flush()


def live_sessions(user: User, now: datetime, *, lifetime: timedelta) -> list[LoginSession]:
    """Return the person's sign-in sessions that still work, newest first."""
    return list(db.session.scalars(
        db.select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None),
                                      LoginSession.created_at > now - lifetime)
        .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())))


def is_current(login: LoginSession, user: User) -> bool:
    """Tell whether ``login`` is the session of the request ``user`` came with."""
    return bool(user.login_token) and login.token_hash == _hash_token(user.login_token)


def end_own_session(user: User, session_id: int, now: datetime) -> None:
    """End one of the person's own sessions; someone else's, or one already ended, is refused alike."""
    login = db.session.get(LoginSession, session_id)
    require(login is not None and login.user_id == user.id and login.revoked_at is None,
            _("Denne påloggingen finnes ikke, eller er allerede avsluttet."))
    login.revoked_at = now
    db.session.flush()


def end_other_sessions(user: User, now: datetime, *, keep_token: str | None = None) -> int:
    """End every live session of ``user`` but the one with ``keep_token``; return how many ended."""
    condition = [LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)]
    if keep_token:
        condition.append(LoginSession.token_hash != _hash_token(keep_token))
    result = db.session.execute(sa.update(LoginSession).where(*condition).values(revoked_at=now)
                                .execution_options(synchronize_session=False))
    return result.rowcount


def change_own_password(user: User, current: str, new: str, now: datetime) -> None:
    """Let a person replace their password, given the one they have; their other sessions end."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise WrongPassword(_("Passordet du har nå, stemmer ikke."))
    set_password(user, new, now, actor=user)


def set_password(user: User, password: str, now: datetime, *, actor: User) -> None:
    """Give ``user`` a new password and end their other sessions: whoever knew the old one is out.

    The actor's own session stays when they change their own password.
    """
    check_password_strength(password)
    user.password_hash = hash_password(password)
    end_other_sessions(user, now, keep_token=actor.login_token if actor.id == user.id else None)


class PermissionDenied(Exception):
    """The signed-in person may not do this; views answer 403."""


def require(condition: bool, message: str | Callable[[], str] | None = None) -> None:
    """Raise PermissionDenied unless ``condition`` holds.

    ``message`` may be a function giving it, so that a hot path translates it only when it refuses.
    """
    if not condition:
        raise PermissionDenied((message() if callable(message) else message) or _("Du har ikke tilgang til dette."))
