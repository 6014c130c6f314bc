"""Schemes in the catalogue: saving them, and finding the ones a catalogue page lists.

A scheme leads to the page of the feature that carries it, named by its
endpoint; :func:`scheme_url` answers None when that page is not there (the
feature's plugin is switched off), and the catalogue then leaves the entry out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from catalog.offerings import operations as offering_ops
from catalog.offerings.models import TargetGroup
from catalog.offerings.search import CatalogFilter
from catalog.schemes.models import Scheme, SchemeTargetGroup
from lms.audit import operations as audit
from lms.db import db
from lms.people.models import User
from lms.schoolyear import school_year_of

#: Audit object type of schemes.
AUDIT_TYPE = "catalog.scheme"

signals = Namespace()
#: Sent by every operation here that creates, changes or removes a scheme,
#: with the scheme. The catalogue's cached pages listen to it.
scheme_changed = signals.signal("scheme-changed")


class SchemeError(ValueError):
    """A scheme that cannot be saved as asked; the message is for the user."""


@dataclass
class SchemeData:
    """The fields of a scheme, as a content file gives them."""

    title: str
    endpoint: str
    school_year: int
    endpoint_values: dict = field(default_factory=dict)
    theme: str = ""
    description: str = ""
    organiser: str = ""
    target_groups: list[TargetGroup] = field(default_factory=list)
    target_group_text: str = ""
    timing: str = ""
    plan_area: int | None = None


_FIELDS = ("title", "endpoint", "school_year", "endpoint_values", "theme", "description", "organiser",
           "target_group_text", "timing", "plan_area")


def _check(data: SchemeData) -> None:
    if not data.title.strip():
        raise SchemeError(_("Ordningen må ha en tittel."))
    if not data.endpoint.strip():
        raise SchemeError(_("Ordningen må lede til en side."))
    if problem := offering_ops.audience_problem(data.target_groups, data.plan_area):
        raise SchemeError(problem)


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise SchemeError(_("Bare programadministratorer kan endre ordningene i katalogen."))


def differs(scheme: Scheme, data: SchemeData) -> bool:
    """Return whether saving ``data`` would change the scheme."""
    return (any(getattr(scheme, name) != getattr(data, name) for name in _FIELDS)
            or set(scheme.target_groups) != set(data.target_groups))


def _apply(scheme: Scheme, data: SchemeData) -> None:
    for name in _FIELDS:
        setattr(scheme, name, getattr(data, name))
    scheme.title = scheme.title.strip()
    scheme.target_group_rows = offering_ops.target_group_rows(scheme.target_group_rows, data.target_groups,
                                                              lambda group: SchemeTargetGroup(group=group))


def create_scheme(data: SchemeData, *, actor: User, now: datetime, source_key: str | None = None) -> Scheme:
    """Create a scheme in the catalogue."""
    _require_admin(actor)
    _check(data)
    scheme = Scheme(source_key=source_key, created_at=now, updated_at=now)
    _apply(scheme, data)
    db.session.add(scheme)
    db.session.flush()
    scheme_changed.send(scheme)
    return scheme


def update_scheme(scheme: Scheme, data: SchemeData, *, actor: User, now: datetime) -> None:
    """Save changes to a scheme."""
    _require_admin(actor)
    _check(data)
    _apply(scheme, data)
    scheme.updated_at = now
    db.session.flush()
    scheme_changed.send(scheme)


def remove_scheme(scheme: Scheme, *, actor: User, now: datetime, note: str = "") -> None:
    """Take a scheme out of the catalogue (nobody takes part in one, so nothing else is lost)."""
    _require_admin(actor)
    audit.record(object_type=AUDIT_TYPE, object_id=scheme.id, from_state="listed", to_state="removed",
                 actor_id=actor.id, at=now, note=note or scheme.title)
    db.session.delete(scheme)
    db.session.flush()
    scheme_changed.send(scheme)


def scheme_url(scheme: Scheme) -> str | None:
    """Return the address of the page that carries the scheme, or None when that page is not there."""
    if scheme.endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(scheme.endpoint, **(scheme.endpoint_values or {}))
    except BuildError:
        return None


def _contains(column, words: str) -> sa.ColumnElement[bool]:
    return sa.func.lower(column).like(f"%{words}%")


def listed_schemes(f: CatalogFilter, today: date) -> list[tuple[Scheme, str]]:
    """Return the schemes a catalogue page lists for the filter, with the address each leads to.

    Those of the latest school year that has any, up to today's: the
    programme stays in view in August until the new year's is in. A filter on
    kind, dates or free seats asks for something a scheme does not have, so
    it lists none.
    """
    if f.kind is not None or f.week or f.month or f.free_seats:
        return []
    latest = (sa.select(sa.func.max(Scheme.school_year))
              .where(Scheme.school_year <= school_year_of(today)).scalar_subquery())
    query = sa.select(Scheme).where(Scheme.school_year == latest)
    if f.q.strip():
        words = f.q.strip().lower()
        query = query.where(sa.or_(*(_contains(col, words) for col in (
            Scheme.title, Scheme.theme, Scheme.description, Scheme.organiser, Scheme.target_group_text))))
    if f.theme:
        query = query.where(Scheme.theme == f.theme)
    if f.plan_area is not None:
        query = query.where(Scheme.plan_area == f.plan_area)
    if f.target_group is not None:
        query = query.where(sa.exists().where(SchemeTargetGroup.scheme_id == Scheme.id,
                                              SchemeTargetGroup.group == f.target_group))
    listed = []
    for scheme in db.session.scalars(query.order_by(Scheme.title, Scheme.id)):
        url = scheme_url(scheme)
        if url is not None:
            listed.append((scheme, url))
    return listed


def themes() -> list[str]:
    """Return the themes of schemes, for the catalogue's filter."""
    return list(db.session.scalars(sa.select(Scheme.theme).distinct().where(Scheme.theme != "")))
