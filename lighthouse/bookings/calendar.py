"""Bookings in the calendar feeds: the fyrtårn's, the school's and the named participants'."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the booking feed sources for persons and schools."""
