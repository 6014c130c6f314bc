"""Loading the demo programme from content/ (placeholder until written)."""
from datetime import datetime


def load_demo(now: datetime) -> None:
    """Load the demo programme; running it twice changes nothing."""
