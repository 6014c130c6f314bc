"""What the pages of every package share to read input: running a form's operation, fields, messages, numbers."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TimeField, URLField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.db import MAX_ID, db
from lms.i18n import WallTimeError, oslo_wall_time
from lms.text import has_control_characters, one_line

T = TypeVar("T")

#: What :func:`save` returns when the operation refused the form.
REFUSED = object()

REQUIRED = _l("Dette feltet må fylles ut.")
#: The years a date of the programme may fall in; far-off years cannot be stored as UTC.
FIRST_YEAR, LAST_YEAR = 2000, 2100
OUT_OF_RANGE = _l("Velg en dato mellom år %(first)d og %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)


def save(form, operation: Callable[[], T], refusal: type[Exception] | tuple[type[Exception], ...], *,
         forbidden: type[Exception] | tuple[type[Exception], ...] = ()) -> T | object:
    """Run a form's operation and commit; return its result, or :data:`REFUSED`.

    A ``refusal`` (the package's domain error, whose message the person can
    act on) is rolled back and shown on the form, which keeps what was typed;
    a ``forbidden`` error answers 403.
    """
    try:
        result = operation()
    except forbidden or ():
        db.session.rollback()
        abort(403)
    except refusal as err:
        db.session.rollback()
        form.form_errors.append(str(err))
        return REFUSED
    db.session.commit()
    return result


#: The highest page number a list reads; a longer one shows the first page.
LAST_PAGE = 99999


def whole_number(raw: str | None, highest: int = MAX_ID) -> int | None:
    """Return the positive whole number ``raw`` spells, up to ``highest`` (an id by default), or None.

    Every number that comes from a query string or a list of form values is
    read here, so none can be negative, out of a column's range or an
    OverflowError.
    """
    # isdecimal, not isdigit: int() refuses digits such as "²"; the length bound keeps int() cheap.
    if raw and raw.isdecimal() and len(raw) <= len(str(highest)) and 0 < int(raw) <= highest:
        return int(raw)
    return None


def page_number(args) -> int:
    """Return the page of a list that ``?side=`` asks for, or the first."""
    return whole_number(args.get("side"), LAST_PAGE) or 1


def coerce_id(value) -> int:
    """Return the id a choice carries; a number no id column can hold is not one."""
    number = int(value)
    if not 0 <= number <= MAX_ID:
        raise ValueError(value)
    return number


def query_text(args, name: str, longest: int) -> str:
    """Return the text a query argument carries, on one line and at most ``longest`` characters."""
    return one_line(args.get(name, "")[:longest * 2])[:longest]


ONE_LINE = _l("Skriv teksten på én linje, uten linjeskift, tabulatorer eller andre kontrolltegn.")


class LineField(StringField):
    """Text on one line (a title, a name, a place): a line break or another control character is refused.

    Every single-line text field of every form is one of these, so nothing
    typed can break a calendar line, a mail header or a spreadsheet row; what
    was typed is kept in the field so the person can correct it.
    """

    def pre_validate(self, form):
        if self.data and has_control_characters(self.data):
            raise StopValidation(str(ONE_LINE))


HTTPS_ONLY = _l("Skriv en fullstendig nettadresse som begynner med https://.")


class HttpsURLField(URLField, LineField):
    """A web address that must begin with https:// and name a host; blank is left to the validators."""

    def pre_validate(self, form):
        super().pre_validate(form)
        if self.data:
            try:
                parts = urlsplit(self.data.strip())
                valid = parts.scheme.lower() == "https" and bool(parts.hostname) and " " not in self.data.strip()
            except ValueError:
                valid = False
            if not valid:
                raise StopValidation(str(HTTPS_ONLY))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # WTForms' own message for an unknown choice has no Norwegian translation.
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(str(_l("Velg bare blant alternativene."))) from None


class ClockField(TimeField):
    """A time of day typed as tt:mm."""

    def process_formdata(self, valuelist):
        # WTForms' own message for this has no Norwegian translation.
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Skriv klokkeslettet som tt:mm, for eksempel 09:30."))) from None


def check_wall_time(day: date | None, clock: time | None) -> None:
    """Refuse a time of day that does not exist in Oslo on ``day``, or happens twice (a form's field validator).

    A day outside the years a form accepts is left to the day's own validator.
    """
    if day is None or clock is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        return
    try:
        oslo_wall_time(day, clock)
    except WallTimeError as err:
        raise ValidationError(str(err)) from None


class DayAndTimes:
    """A form's ``day``, ``start`` and ``end`` as Oslo times of one day (a session, a gathering).

    Mixed into a form that declares the three fields with its own labels:
    a time the clock skips or repeats that night is refused with a message
    (:func:`check_wall_time`), the end must come after the start, and
    :meth:`oslo_times` gives the two instants.
    """

    def validate_start(self, field):
        check_wall_time(self.day.data, field.data)

    def validate_end(self, field):
        check_wall_time(self.day.data, field.data)
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError(_l("Sluttid må være etter starttid."))

    def oslo_times(self) -> tuple[datetime, datetime]:
        """Return start and end as aware datetimes in Oslo time (the validators refused the March and October hours)."""
        return oslo_wall_time(self.day.data, self.start.data), oslo_wall_time(self.day.data, self.end.data)


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token travels (``action_button`` in ``_forms.html``)."""
