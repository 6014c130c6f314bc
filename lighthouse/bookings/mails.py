"""Booking mails: what the school and the fyrtårn are told at each step (through the outbox)."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the renderers of the booking mails."""
