"""«Glemt passord?»: a new password through a time-limited link sent to the account's address.

Asking answers the same whatever the address (it does not tell whether an
account exists). A link is a random token of 256 bits of which only the hash
is kept; it works once and for :data:`LINK_LIFETIME`, a newer one ends the
older, and setting the password ends every sign-in session of the account
(whoever knew the old password is out). The mail is written in the person's
language when it is sent, like every mail of the outbox.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _

from lms.auth.models import PasswordReset
from lms.auth.operations import _hash_token, end_other_sessions, set_password
from lms.db import db
from lms.i18n import fmt_datetime
from lms.links import absolute_url
from lms.mail import operations as mail
from lms.people.models import User

RESET_MAIL = "lms.password_reset"
#: How long a link works.
LINK_LIFETIME = timedelta(hours=1)
#: At most one mail per account this often, however often someone asks (a mailbox is not to be flooded).
RESEND_AFTER = timedelta(minutes=2)


class ResetLinkInvalid(Exception):
    """The link is unknown, used or out of date; views answer 404."""


def request_reset(email: str, now: datetime) -> None:
    """Send a link to set a new password, if an active account has this address; otherwise do nothing."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower(), User.active.is_(True)))
    if user is None:
        return
    recent = db.session.scalar(sa.select(PasswordReset.id).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
        PasswordReset.created_at > now - RESEND_AFTER))
    if recent is not None:
        return
    _end_links(user.id, now)
    token = secrets.token_urlsafe(32)
    link = PasswordReset(token_hash=_hash_token(token), user_id=user.id, created_at=now,
                         expires_at=now + LINK_LIFETIME)
    db.session.add(link)
    db.session.flush()
    mail.queue_event(RESET_MAIL, user, {"url": absolute_url("auth.reset_password", token=token),
                                        "expires_at": link.expires_at.isoformat()}, now)


def link_for(token: str, now: datetime) -> PasswordReset:
    """Return the unused, unexpired link of this token, or raise :class:`ResetLinkInvalid`."""
    link = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == _hash_token(token)))
    if link is None or link.used_at is not None or link.expires_at <= now or not link.user.active:
        raise ResetLinkInvalid()
    return link


def reset_password(token: str, password: str, now: datetime) -> User:
    """Set the new password of the link's account, end the link and every session; return the person."""
    link = link_for(token, now)
    user = link.user
    set_password(user, password, now, actor=user)  # raises AuthError for a weak password, changing nothing
    end_other_sessions(user, now)  # every one: whoever asked is not signed in, whatever the object says
    _end_links(user.id, now)
    return user


def _end_links(user_id: int, now: datetime) -> None:
    db.session.execute(sa.update(PasswordReset).where(PasswordReset.user_id == user_id,
                                                      PasswordReset.used_at.is_(None)).values(used_at=now))


def render_reset(params: dict) -> mail.RenderedMail:
    """Write the mail with the link, in the recipient's language."""
    expires = datetime.fromisoformat(params["expires_at"])
    return mail.RenderedMail(
        subject=_("Nytt passord til Kompetanseportalen"),
        text=_("Noen (forhåpentligvis du) ba om å få sette nytt passord på kontoen din i Kompetanseportalen.\n\n"
               "Åpne lenken for å velge et nytt passord. Den virker én gang, fram til %(time)s:\n%(url)s\n\n"
               "Ba du ikke om dette, kan du se bort fra e-posten: passordet ditt er uendret.",
               time=fmt_datetime(expires), url=params["url"]))


def init_app(app: Flask) -> None:
    mail.register_renderer(app, RESET_MAIL, render_reset)

