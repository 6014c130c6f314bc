"""The school year: 1 August to 31 July, named by the year it starts in."""
from __future__ import annotations

from datetime import date


def school_year_of(day: date) -> int:
    """Return the school year (by its starting calendar year) a day falls in."""
    return day.year if day.month >= 8 else day.year - 1


def school_year_bounds(school_year: int) -> tuple[date, date]:
    """Return the first and last day of the school year starting in August ``school_year``."""
    return date(school_year, 8, 1), date(school_year + 1, 7, 31)
