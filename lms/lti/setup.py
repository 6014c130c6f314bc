"""Wiring the LTI tool into the app: its pages, its cookies, its framing origins and its CLI."""
from __future__ import annotations

from flask import Flask

from lms import security
from lms.lti import operations
from lms.lti.admin import bp as admin_bp
from lms.lti.cli import lti_cli
from lms.lti.content import bp as content_bp
from lms.lti.framing import FramedSessionInterface
from lms.lti.views import bp as views_bp



def init_app(app: Flask) -> None:
    app.session_interface = FramedSessionInterface()
    for bp in (views_bp, content_bp, admin_bp):
        app.register_blueprint(bp)
    app.cli.add_command(lti_cli)
    security.register_frame_ancestors(app, operations.frame_origins)
