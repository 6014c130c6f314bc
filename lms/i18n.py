"""Language and time for people: Bokmål first, nynorsk and English, Europe/Oslo, ISO weeks.

Everything is stored in UTC; conversion to Oslo time happens here, at the
edge, in the template filters.

The language rule lives in :func:`select_locale` alone: bokmål, unless the
person chose another language (on their account when signed in, in a cookie
in this browser otherwise) or the browser asks for nynorsk. A browser that
asks for English alone still gets bokmål: this is a Norwegian public service,
and the switch in the header is always in view.
"""
from __future__ import annotations

import enum
import functools
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.globals import _cv_app
from flask_babel import Babel, format_date, format_datetime, format_time, get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user

OSLO = ZoneInfo("Europe/Oslo")
babel = Babel()

class LabelledEnum(enum.StrEnum):
    """An enum whose members have a ``label`` in the reader's language, from the class's ``LABELS()``."""

    @property
    def label(self) -> str:
        return str(_labels(type(self))[self])


@functools.cache
def _labels(cls) -> dict:
    """A class's ``LABELS()``, made once: lazy strings, each translated when it is read (a page of 40 measures
    made the whole dict anew for every label)."""
    return cls.LABELS()  # type: ignore[attr-defined]


#: Each language named in itself, as the switch in the header shows it.
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
#: The cookie that keeps a visitor's choice in this browser, and how long.
LANGUAGE_COOKIE = "kp_lang"
LANGUAGE_COOKIE_AGE = timedelta(days=365)
#: What people write for each language (in a CSV file, say), beside the codes themselves.
_LANGUAGE_WORDS = {"bokmål": "nb", "bokmal": "nb", "norsk": "nb", "no": "nb", "nob": "nb",
                   "nynorsk": "nn", "nno": "nn", "engelsk": "en", "english": "en", "eng": "en"}


def parse_language(value: str | None) -> str | None:
    """Return the language code that ``value`` names ("nn", "Nynorsk"), or None if it names none offered."""
    word = (value or "").strip().lower()
    code = _LANGUAGE_WORDS.get(word, word)
    return code if code in current_app.config["LANGUAGES"] else None


def browser_language() -> str | None:
    """Return "nn" when the browser's first Norwegian language is nynorsk, "nb" when it is bokmål.

    "no" and "nb" (with any region) are bokmål, "nn" is nynorsk; other
    languages are passed over, so "en, nn;q=0.5" is nynorsk and "en" alone is None.
    """
    for tag, _quality in request.accept_languages:
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary == "nn":
            return "nn"
        if primary in ("nb", "no"):
            return "nb"
    return None


def chosen_language() -> str | None:
    """Return the language this browser's cookie keeps, if it names one offered."""
    return parse_language(request.cookies.get(LANGUAGE_COOKIE))


def select_locale() -> str:
    """Pick the page's language: the account's choice, this browser's choice, nynorsk if asked, else bokmål."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    if current_user and current_user.is_authenticated and current_user.locale in current_app.config["LANGUAGES"]:
        return current_user.locale
    g.kp_language_varies = True  # the answer now depends on this browser's cookie and languages
    return chosen_language() or browser_language() or default


def _vary_on_language(response: Response) -> Response:
    """Tell caches that a page whose language came from the browser differs by its cookie and languages."""
    if g.get("kp_language_varies"):
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def remember_language(response: Response, language: str) -> None:
    """Keep ``language`` in this browser's cookie, for as long as a visitor may come back."""
    config = current_app.config
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=int(LANGUAGE_COOKIE_AGE.total_seconds()),
                        secure=config["SESSION_COOKIE_SECURE"], httponly=True,
                        samesite=config["SESSION_COOKIE_SAMESITE"])


def to_oslo(value: datetime) -> datetime:
    """Return an aware datetime in Oslo time."""
    return value.astimezone(OSLO)


class WallTimeError(ValueError):
    """An Oslo wall-clock time that does not exist (the March night) or happens twice (the October night)."""


def oslo_wall_time(day: date, clock: time) -> datetime:
    """Return a date and a time of day in Oslo as an aware datetime; the one way a typed local time comes in.

    Raise :class:`WallTimeError`, with a message for the person who typed
    it, for a time the clock skips when summer time starts (02:30 on the
    last Sunday of March) or passes twice when it ends (02:30 on the last
    Sunday of October): the first would silently become another time, the
    second could be either of two instants an hour apart.
    """
    local = datetime.combine(day, clock, tzinfo=OSLO)
    earlier, later = local.replace(fold=0), local.replace(fold=1)
    shown = clock.strftime("%H:%M")
    if local.astimezone(timezone.utc).astimezone(OSLO).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise WallTimeError(_("Klokka stilles fram én time natt til %(day)s, så %(time)s finnes ikke den dagen. "
                              "Velg et annet klokkeslett.", day=fmt_date(day), time=shown))
    if earlier.utcoffset() != later.utcoffset():
        raise WallTimeError(_("Klokka stilles tilbake én time natt til %(day)s, så %(time)s kommer to ganger den "
                              "dagen. Velg et klokkeslett utenfor den timen.", day=fmt_date(day), time=shown))
    return local


def is_ambiguous(value: datetime) -> bool:
    """Tell whether an instant's Oslo wall-clock time happens twice that day (the October night)."""
    local = value.astimezone(OSLO)
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def iso_week(value: date | datetime) -> int:
    """Return the ISO week number of a date or (Oslo) datetime."""
    if isinstance(value, datetime):
        value = to_oslo(value).date()
    return value.isocalendar().week


def week_label(value: date | datetime) -> str:
    """Return "uke 41" (nynorsk "veke 41", English "week 41") for the value's ISO week."""
    return _("uke %(week)d", week=iso_week(value))


#: Date patterns per language: Norwegian, bokmål and nynorsk alike, writes
#: "13. oktober 2026 kl. 14:00"; the names of days and months come from Babel
#: ("tirsdag" in bokmål, "tysdag" in nynorsk).
PATTERNS = {
    "nb": {"long": "EEEE d. MMMM y 'kl.' HH:mm", "date": "d. MMMM y", "short": "dd.MM.y HH:mm"},
    "nn": {"long": "EEEE d. MMMM y 'kl.' HH:mm", "date": "d. MMMM y", "short": "dd.MM.y HH:mm"},
    "en": {"long": "EEEE d MMMM y, HH:mm", "date": "d MMMM y", "short": "d MMM y HH:mm"},
}


def _pattern(kind: str) -> str:
    return PATTERNS.get(get_locale().language if get_locale() else "nb", PATTERNS["nb"])[kind]


def fmt_datetime(value: datetime | None) -> str:
    """Return e.g. "tirsdag 13. oktober 2026 kl. 14:00" (nynorsk "tysdag ...") in Oslo time."""
    if value is None:
        return ""
    return format_datetime(value, _pattern("long"))


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, _pattern("date"))
    return format_date(value, _pattern("date"))


def fmt_iso_date(value: str | None) -> str:
    """Format a day written as ISO text (as a plan version keeps its dates) as :func:`fmt_date` does."""
    return fmt_date(date.fromisoformat(value)) if value else ""


def fmt_short(value: datetime | None) -> str:
    """Return e.g. "13.10.2026 14:00" in Oslo time."""
    if value is None:
        return ""
    return format_datetime(value, _pattern("short"))


def fmt_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_time(value, "HH:mm")


def request_translations():
    """Return the translations of this request's language, looked up once per request and language.

    Flask-Babel finds them anew for every string, some ten context lookups
    each, and a page has dozens of strings. The pair kept beside Flask-Babel's
    own state (on ``g``) holds the locale it is for, so ``force_locale`` (a
    mail in the recipient's language, built inside a request) gets its own.
    """
    app_ctx = _cv_app.get(None)
    state = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
    if state is not None:
        kept, locale = state.__dict__.get("kp_translations"), state.__dict__.get("babel_locale")
        if kept is not None and locale is not None and kept[0] is locale:
            return kept[1]
    translations = get_translations()
    state = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
    if state is not None:
        state.kp_translations = (state.__dict__.get("babel_locale"), translations)
    return translations


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    # The templates' _() and ngettext() through request_translations(); the rest as Flask-Babel installs it.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.after_request(_vary_on_language)
    app.jinja_env.filters.update(
        datetime=fmt_datetime, date=fmt_date, isodate=fmt_iso_date, shortdatetime=fmt_short, time=fmt_time,
        week=week_label, isoweek=iso_week,
    )
