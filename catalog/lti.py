"""The catalogue's part of the LMS plugin: what LMS links may open, and enrolling an LMS course's members.

Implements the host's hooks in :mod:`lms.lti.hooks`; the enrollment goes
through :func:`catalog.enrollment.operations.enroll`, the one rule every
entry point uses.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings import search
from catalog.offerings.models import Offering, OfferingKind, OfferingStatus, TargetGroup
from lms.db import db, now_utc
from lms.lti.hooks import EnrollmentRefused, LinkFilter, LinkTarget, register_enrollment, register_link_targets

#: Offerings listed for an LMS link or an enrollment: the next ones to start.
LISTED = 200


def _upcoming(now: datetime) -> list[Offering]:
    return list(db.session.scalars(
        sa.select(Offering).where(Offering.status == OfferingStatus.PUBLISHED,
                                  sa.or_(Offering.first_starts_at.is_(None), Offering.last_starts_at >= now))
        .order_by(Offering.first_starts_at.nulls_last(), Offering.id).limit(LISTED)))


def link_targets(user) -> list[LinkTarget]:
    """The catalogue (with its filters), each upcoming offering, and "Mine kurs"."""
    filters = (
        LinkFilter("type", _("Type"), tuple((k.value, str(k.label)) for k in OfferingKind)),
        LinkFilter("malgruppe", _("Målgruppe"), tuple((g.value, str(g.label)) for g in TargetGroup)),
        LinkFilter("tema", _("Tema"), tuple((t, t) for t in search.themes())),
        LinkFilter("omrade", _("Område i utviklingsplanen"), (("4", _("Område %(n)d", n=4)), ("6", _("Område %(n)d", n=6)))),
    )
    targets = [LinkTarget("catalogue", _("Kurskatalogen"), _("Kurskatalogen"), "offerings.index", filters=filters),
               LinkTarget("my-courses", _("Kurskatalogen"), _("Mine kurs"), "enrollment.my_courses")]
    for offering in _upcoming(now_utc()):
        targets.append(LinkTarget(f"offering:{offering.id}", _("Kurs"), offering.title, "offerings.show",
                                  (("offering_id", offering.id),)))
    return targets


def enrollment_choices(user) -> list[tuple[int, str]]:
    return [(o.id, o.title) for o in _upcoming(now_utc())]


def enroll(offering_id: int, person, actor, now: datetime) -> str:
    """Enroll one course member through the catalogue's own rule; say how it went."""
    try:
        enrollment = enrollment_ops.enroll(offering_id, person, actor=actor, now=now)
    except enrollment_ops.EnrollmentError as err:
        raise EnrollmentRefused(str(err)) from err
    if enrollment.state == EnrollmentState.ENROLLED:
        return _("%(name)s er påmeldt «%(title)s».", name=person.name, title=enrollment.offering.title)
    # A newcomer joins the waitlist last, so its length is the place.
    return _("Kurset er fullt. %(name)s står som nummer %(n)d på ventelisten.", name=person.name,
             n=enrollment.offering.waitlist_length)


def init_app(app: Flask) -> None:
    register_link_targets(app, link_targets)
    register_enrollment(app, enrollment_choices, enroll)
