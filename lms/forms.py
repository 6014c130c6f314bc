"""What the pages of every package share to read input: running a form's operation, fields, messages, numbers."""
from __future__ import annotations

from datetime import date, time
from typing import Callable, TypeVar

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TimeField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.db import MAX_ID, db
from lms.i18n import WallTimeError, oslo_wall_time

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


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token travels (``action_button`` in ``_forms.html``)."""
