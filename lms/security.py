"""Protection on every request and response: CSRF, input without NUL characters, the security headers."""
from __future__ import annotations

from flask import Flask, abort, current_app, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def _content_security_policy(frame_ancestors: list[str], frame_sources: list[str] | tuple = ()) -> str:
    ancestors = " ".join(["'self'", *frame_ancestors])
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
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
        *frames,
    ])


def policy_with_frames(frame_sources: list[str] | tuple) -> str:
    """Return this app's policy, allowing frames from exactly these origins (a page that embeds a video)."""
    return _content_security_policy(current_app.config["FRAME_ANCESTORS"], frame_sources)


def _refuse_nul_characters():
    """Answer 400 to input with a NUL character: nobody types one, and PostgreSQL cannot store it."""
    for data in (request.args, request.form):
        for key, value in data.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(_refuse_nul_characters)
    policy = _content_security_policy(app.config["FRAME_ANCESTORS"])

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["ENV_NAME"] == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
