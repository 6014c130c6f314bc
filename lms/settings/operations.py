"""Typed settings with defaults, overridable in the database by an admin.

A feature registers its settings when it is imported
(``register("catalog.offer_hours", int, 48, _l("..."))``); reading one gives
the stored value converted to its type, or the default.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _

from lms.db import db
from lms.settings.models import SettingValue


@dataclass(frozen=True)
class SettingSpec:
    key: str
    type: type
    default: Any
    label: Any
    minimum: int | None = None
    #: The largest whole number an int setting takes: hours, days and months far beyond this make no sense and
    #: would overflow the dates they are added to.
    maximum: int = 100_000


REGISTRY: dict[str, SettingSpec] = {}


class SettingError(ValueError):
    """A setting value that cannot be used."""


def register(key: str, type_: type, default: Any, label: Any, minimum: int | None = None) -> SettingSpec:
    """Declare a setting with its type and default."""
    spec = SettingSpec(key, type_, default, label, minimum)
    REGISTRY[key] = spec
    return spec


def _stored() -> dict[str, str]:
    """Return every stored value, read once per application context."""
    if "kp_settings" not in g:
        g.kp_settings = dict(db.session.execute(sa.select(SettingValue.key, SettingValue.value)).all())
    return g.kp_settings


def get(key: str) -> Any:
    """Return a setting's current value, typed."""
    spec = REGISTRY[key]
    raw = _stored().get(key)
    if raw is None:
        return spec.default
    try:
        value = spec.type(raw)
    except ValueError:
        return spec.default
    if isinstance(value, int) and not (spec.minimum or 0) <= value <= spec.maximum:
        return spec.default  # stored before the bounds held
    return value


def set_value(key: str, raw: str) -> Any:
    """Store a new value for a setting after checking it fits the type."""
    spec = REGISTRY[key]
    try:
        value = spec.type(raw)
    except (TypeError, ValueError):
        raise SettingError(_("Ugyldig verdi for innstillingen.")) from None
    if spec.minimum is not None and value < spec.minimum:
        raise SettingError(_("Verdien må være minst %(min)s.", min=spec.minimum))
    if isinstance(value, int) and value > spec.maximum:
        raise SettingError(_("Verdien kan være høyst %(max)s.", max=spec.maximum))
    stored = db.session.get(SettingValue, key)
    if stored is None:
        db.session.add(SettingValue(key=key, value=str(value)))
    else:
        stored.value = str(value)
    db.session.flush()
    _stored()[key] = str(value)
    return value


class SettingsRefused(SettingError):
    """Some of several settings could not be used; ``errors`` maps each key to why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def specs() -> list[SettingSpec]:
    """Return the registered settings, in a stable order."""
    return sorted(REGISTRY.values(), key=lambda spec: spec.key)


def update_many(raw_values: dict[str, str]) -> None:
    """Store every registered setting given; store none if any is refused."""
    errors = {}
    for spec in specs():
        if spec.key in raw_values:
            try:
                set_value(spec.key, raw_values[spec.key].strip())
            except SettingError as err:
                errors[spec.key] = str(err)
    if errors:
        g.pop("kp_settings", None)  # the caller rolls back what was set
        raise SettingsRefused(errors)
