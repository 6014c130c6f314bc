"""What the organisers' mails about an offering say: how it stands against its minimum number of participants.

The operations queue *what happened* (see :func:`queue`); the mail worker
writes it in the organiser's language with the numbers as they are when it
is sent.
"""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import gettext as _

from catalog.offerings.models import Offering, OfferingStatus
from lms.db import db
from lms.i18n import fmt_date
from lms.links import absolute_url
from lms.mail import operations as mail
from lms.people.models import User

#: The go/no-go day is near: how many have signed up against the minimum.
MINIMUM_NOTICE = "catalog.minimum_notice"
#: The go/no-go day has come and too few have signed up: decide.
DECISION_DUE = "catalog.decision_due"


def queue(kind: str, offering: Offering, person: User, now: datetime) -> bool:
    """Queue a mail of ``kind`` about ``offering`` to an organiser, once per offering and person."""
    return mail.queue_event(kind, person, {"offering_id": offering.id, "user_id": person.id}, now,
                            dedupe_key=f"{kind}:{offering.id}:{person.id}") is not None


def _offering(params: dict) -> tuple[Offering, User]:
    offering = db.session.get(Offering, params.get("offering_id") or 0)
    person = db.session.get(User, params.get("user_id") or 0)
    if offering is None or person is None or offering.status != OfferingStatus.PUBLISHED:
        raise mail.MailObsolete("the offering is gone or no longer published")
    return offering, person


def _body(person: User, offering: Offering, *paragraphs: str) -> str:
    lines = [_("Hei %(name)s,", name=person.name), "", *[p for p in paragraphs if p], "",
             _("Påmeldt nå: %(n)d av minst %(min)d (kapasitet %(cap)d), %(w)d på venteliste.",
               n=offering.seats_taken, min=offering.min_participants, cap=offering.capacity,
               w=offering.waitlist_length),
             "", _("Tilbudet: %(url)s", url=absolute_url("offerings.show", offering_id=offering.id)), "",
             "Kompetanseportalen"]
    return "\n".join(lines)


def render_minimum_notice(params: dict) -> mail.RenderedMail:
    """Write the notice before the go/no-go day."""
    offering, person = _offering(params)
    title, day = offering.title, fmt_date(offering.go_no_go_date)
    if offering.seats_taken >= offering.min_participants:
        text = _("«%(t)s» har nok påmeldte til å gjennomføres. Beslutningsdatoen er %(day)s.", t=title, day=day)
    else:
        text = _("«%(t)s» har færre påmeldte enn minstekravet. %(day)s må du avgjøre om tilbudet gjennomføres "
                 "eller avlyses; til da kan flere melde seg på.", t=title, day=day)
    return mail.RenderedMail(subject=_("Påmeldte før beslutningsdatoen: %(t)s", t=title),
                             text=_body(person, offering, text))


def render_decision_due(params: dict) -> mail.RenderedMail:
    """Write the request for a decision on the go/no-go day."""
    offering, person = _offering(params)
    if offering.go_ahead_at is not None:
        raise mail.MailObsolete("already decided")
    title = offering.title
    text = _("I dag (%(day)s) skal det avgjøres om «%(t)s» gjennomføres, og færre enn minstekravet er påmeldt. "
             "Tilbudet står åpent til du bestemmer deg: gjennomfør likevel, eller avlys det, så får alle "
             "påmeldte og ventende beskjed. Ingenting avlyses av seg selv.",
             day=fmt_date(offering.go_no_go_date), t=title)
    return mail.RenderedMail(subject=_("Avgjør om tilbudet gjennomføres: %(t)s", t=title),
                             text=_body(person, offering, text))


def init_app(app: Flask) -> None:
    """Register the renderers with the mail worker."""
    mail.register_renderer(app, MINIMUM_NOTICE, render_minimum_notice)
    mail.register_renderer(app, DECISION_DUE, render_decision_due)
