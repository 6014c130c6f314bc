"""Signing in and out."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from lms.auth.models import LoginSession
from lms.db import db
from lms.people.models import User

#: A hash to compare against when the e-mail is unknown, so that a wrong
#: address takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password")
MIN_PASSWORD_LENGTH = 10


class AuthError(Exception):
    """Sign-in refused; the message is safe to show."""


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


def start_session(user: User, now: datetime, method: str = "local") -> str:
    """Open a new sign-in session for ``user`` and return its browser token."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=_hash_token(token), user_id=user.id, created_at=now, method=method))
    db.session.flush()
    user.login_token = token
    return token


def user_for_token(token: str) -> User | None:
    """Return the user of a live sign-in session, or None."""
    # One query for the person and their roles: every signed-in request asks.
    user = db.session.scalars(
        db.select(User).join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _hash_token(token), LoginSession.revoked_at.is_(None))
        .options(joinedload(User.memberships))
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


class PermissionDenied(Exception):
    """The signed-in person may not do this; views answer 403."""


def require(condition: bool, message: str | None = None) -> None:
    """Raise PermissionDenied unless ``condition`` holds."""
    if not condition:
        raise PermissionDenied(message or _("Du har ikke tilgang til dette."))
