"""The fyrtårn part of the demo programme."""
from datetime import datetime


def load_demo(now: datetime) -> None:
    """Load demo fyrtårn, their offerings, availability, release time and films; twice changes nothing."""
