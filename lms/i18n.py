"""Language and time for people: Bokmål first, Europe/Oslo, ISO weeks.

Everything is stored in UTC; conversion to Oslo time happens here, at the
edge, in the template filters.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, format_date, format_datetime, format_time, get_locale
from flask_babel import gettext as _
from flask_login import current_user

OSLO = ZoneInfo("Europe/Oslo")
babel = Babel()


def select_locale() -> str:
    """Pick the language: the switch, then the person's choice, then the browser."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def to_oslo(value: datetime) -> datetime:
    """Return an aware datetime in Oslo time."""
    return value.astimezone(OSLO)


def iso_week(value: date | datetime) -> int:
    """Return the ISO week number of a date or (Oslo) datetime."""
    if isinstance(value, datetime):
        value = to_oslo(value).date()
    return value.isocalendar().week


def week_label(value: date | datetime) -> str:
    """Return "uke 41" for the value's ISO week."""
    return _("uke %(week)d", week=iso_week(value))


#: Date patterns per language: Norwegian writes "13. oktober 2026 kl. 14:00".
PATTERNS = {
    "nb": {"long": "EEEE d. MMMM y 'kl.' HH:mm", "date": "d. MMMM y", "short": "dd.MM.y HH:mm"},
    "en": {"long": "EEEE d MMMM y, HH:mm", "date": "d MMMM y", "short": "d MMM y HH:mm"},
}


def _pattern(kind: str) -> str:
    return PATTERNS.get(get_locale().language if get_locale() else "nb", PATTERNS["nb"])[kind]


def fmt_datetime(value: datetime | None) -> str:
    """Return e.g. "tirsdag 13. oktober 2026 kl. 14:00" in Oslo time."""
    if value is None:
        return ""
    return format_datetime(value, _pattern("long"))


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, _pattern("date"))
    return format_date(value, _pattern("date"))


def fmt_short(value: datetime | None) -> str:
    """Return e.g. "13.10.2026 14:00" in Oslo time."""
    if value is None:
        return ""
    return format_datetime(value, _pattern("short"))


def fmt_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_time(value, "HH:mm")


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        datetime=fmt_datetime, date=fmt_date, shortdatetime=fmt_short, time=fmt_time,
        week=week_label, isoweek=iso_week,
    )
