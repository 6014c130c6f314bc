"""Cookies that survive inside an LMS frame.

A browser that blocks third-party cookies (Safari, Chrome's partitioning)
drops an ordinary cookie set inside another site's frame. A session started
by an LTI launch is therefore marked framed, and its cookie is sent as
``SameSite=None; Secure; Partitioned`` (CHIPS): kept, but only for that LMS's
frames. Sessions started anywhere else keep the deployment's settings.
"""
from __future__ import annotations

from flask import g, has_request_context
from flask.sessions import SecureCookieSessionInterface

#: Session key that marks a session started inside an LMS frame.
FRAMED_KEY = "kp_framed"


def cookie_attributes() -> dict:
    """Return the attributes of a cookie that must reach the tool inside a frame."""
    return {"secure": True, "httponly": True, "samesite": "None", "partitioned": True}


class FramedSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, partitioned when the session was started inside an LMS frame."""

    @staticmethod
    def _framed() -> bool:
        return has_request_context() and bool(g.get("kp_framed_session"))

    def get_cookie_samesite(self, app):
        return "None" if self._framed() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app):
        return True if self._framed() else super().get_cookie_secure(app)

    def get_cookie_partitioned(self, app):
        return True if self._framed() else super().get_cookie_partitioned(app)

    def save_session(self, app, session, response):
        g.kp_framed_session = bool(session.get(FRAMED_KEY))
        return super().save_session(app, session, response)
