"""Flask-Login wiring: the browser's token is looked up as a LoginSession, within its idle time and lifetime."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from lms.auth.operations import start_session, user_for_token
from lms.db import now_utc

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Logg inn for å se denne siden.")
login_manager.login_message_category = "info"
# The server-side LoginSession ends sessions on logout; Flask-Login's own
# protection would only add a second, weaker check.
login_manager.session_protection = None

#: Where the signed session cookie keeps when the session was last used (seconds since 1970, UTC).
SEEN_KEY = "kp_seen"
#: How often the cookie's "last used" is renewed: finer would send a new cookie on every answer.
SEEN_GRANULARITY = timedelta(minutes=1)


def mark_seen(now: datetime) -> None:
    """Note in the session cookie that the signed-in browser was here at ``now``."""
    session[SEEN_KEY] = int(now.timestamp())


@login_manager.user_loader
def load_user(token: str):
    """Return the person of the session cookie, or None once it was idle too long or lived too long.

    The idle time is kept in the signed cookie rather than the database, so
    that reading pages writes nothing; the absolute lifetime is the database
    row's age, so it holds even for a cookie copied elsewhere.
    """
    now = now_utc()
    config = current_app.config
    seen = session.get(SEEN_KEY)
    if isinstance(seen, int):
        seen_at = datetime.fromtimestamp(seen, timezone.utc)
        if now - seen_at > config["SESSION_IDLE_TIMEOUT"]:
            return None
    else:
        seen_at = None
    user = user_for_token(token, now, lifetime=config["SESSION_LIFETIME"])
    if user is not None and (seen_at is None or now - seen_at >= SEEN_GRANULARITY):
        mark_seen(now)
    return user


def begin_session(user, now: datetime, method: str = "local") -> str:
    """Open a sign-in session for ``user`` in this browser (after ``session.clear()``); return its token."""
    token = start_session(user, now, method, user_agent=request.user_agent.string)
    mark_seen(now)
    return token
