"""What the form pages of every package share: running a form's operation."""
from __future__ import annotations

from typing import Callable, TypeVar

from flask import abort

from lms.db import db

T = TypeVar("T")

#: What :func:`save` returns when the operation refused the form.
REFUSED = object()


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
