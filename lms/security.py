"""Protection on every request and response: CSRF, input without NUL characters, the security headers."""
from __future__ import annotations

from flask import Flask, abort, current_app, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


_ANCESTORS = "kp_frame_ancestor_sources"


def _content_security_policy(frame_ancestors: list[str] | tuple, frame_sources: list[str] | tuple = (),
                             form_targets: list[str] | tuple = ()) -> str:
    ancestors = " ".join(["'self'", *frame_ancestors])
    forms = " ".join(["'self'", *form_targets])
    # Without frame sources, frames fall back to default-src ('self').
    frames = [f"frame-src {' '.join(frame_sources)}"] if frame_sources else []
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action {forms}",
        f"frame-ancestors {ancestors}",
        *frames,
    ])


def register_frame_ancestors(app: Flask, source) -> None:
    """Let pages be framed by more origins than ``KP_FRAME_ANCESTORS``: ``source()`` returns them (registered LMSs).

    The hook: *who calls it* is the host's LTI tool at start-up; *what it
    carries* is a function without arguments, called for every answer, that
    returns origins such as ``https://kommune.itslearning.com`` (it should
    keep its answer rather than ask the database each time).
    """
    app.extensions.setdefault(_ANCESTORS, []).append(source)


def frame_ancestors() -> list[str]:
    """Return every origin that may frame this app's pages now."""
    extra = [origin for source in current_app.extensions.get(_ANCESTORS, []) for origin in source()]
    return list(dict.fromkeys([*current_app.config["FRAME_ANCESTORS"], *extra]))


def policy_with_frames(frame_sources: list[str] | tuple) -> str:
    """Return this app's policy, allowing frames from exactly these origins (a page that embeds a video)."""
    return _content_security_policy(frame_ancestors(), frame_sources)


def policy_with_form_targets(form_targets: list[str] | tuple) -> str:
    """Return this app's policy, letting a form post to these origins too (an answer sent back to an LMS)."""
    return _content_security_policy(frame_ancestors(), form_targets=form_targets)


def _refuse_nul_characters():
    """Answer 400 to input with a NUL character: nobody types one, and PostgreSQL cannot store it."""
    for data in (request.args, request.form):
        for key, value in data.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def add_security_headers(response):
    """Give an answer the headers every answer of this app carries (a page may have set its own policy first).

    Flask calls it after every view; an answer made before Flask handles the
    request (:func:`events.feeds.answer_unchanged_before_flask`) calls it too.
    Needs the app's context.
    """
    if "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = _content_security_policy(frame_ancestors())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["ENV_NAME"] == "production":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(_refuse_nul_characters)
    app.after_request(add_security_headers)
