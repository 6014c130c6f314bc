"""Forms of the calendar page."""
from __future__ import annotations

from flask_wtf import FlaskForm


class FeedLinkForm(FlaskForm):
    """A button that makes or deletes a feed link: only the CSRF token travels."""
