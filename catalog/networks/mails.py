"""What the networks' mails say, written by the mail worker in the recipient's language.

Invitations to a gathering carry an `.ics` REQUEST with the UID of the
person's own feed; a moved or changed gathering a new REQUEST with the same
UID and the session's raised SEQUENCE (or, to one who has said they cannot
come, their event as their feed has it: cancelled for them); a called-off
gathering a CANCEL with a higher SEQUENCE.
Publishing collaboration groups tells each school's leaders their partners
and the focus areas they share; a reminder asks a group's leaders to agree
on their gathering in a round.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _

from catalog.networks import calendar, composition
from catalog.networks.models import DateProposal, Gathering, GatheringRound, Network, ProposalStatus
from events.calendar import build_calendar
from lms.db import db, now_utc
from lms.i18n import fmt_date, fmt_datetime, fmt_time
from lms.links import absolute_url
from lms.mail import operations as mail
from lms.people.models import User

INVITATION = "networks.invitation"
CHANGE = "networks.change"
CANCELLATION = "networks.cancellation"
GROUP_PUBLISHED = "networks.group_published"
ROUND_REMINDER = "networks.round_reminder"


def queue(kind: str, gathering, user: User, now: datetime, *, sequence: int, absent: bool = False) -> bool:
    """Queue an invitation, a change or a cancellation of a gathering, once per person and version of it.

    ``absent``: the person has said they cannot come (a change then keeps their event cancelled for them).
    """
    params = {"gathering_id": gathering.id, "user_id": user.id, "sequence": sequence}
    if absent:
        params["absent"] = True
    return mail.queue_event(kind, user, params, now,
                            dedupe_key=f"{kind}:{gathering.id}:{user.id}:{sequence}") is not None


def queue_group_published(network, user: User, now: datetime) -> bool:
    return mail.queue_event(GROUP_PUBLISHED, user, {"network_id": network.id, "user_id": user.id}, now,
                            dedupe_key=f"{GROUP_PUBLISHED}:{network.id}:{user.id}") is not None


def queue_reminder(round_, network, user: User, now: datetime, day: str) -> bool:
    return mail.queue_event(ROUND_REMINDER, user, {"round_id": round_.id, "network_id": network.id,
                                                   "user_id": user.id}, now,
                            dedupe_key=f"{ROUND_REMINDER}:{round_.id}:{network.id}:{user.id}:{day}") is not None


def _load(params: dict):
    gathering = db.session.get(Gathering, params.get("gathering_id") or 0)
    person = db.session.get(User, params.get("user_id") or 0)
    if gathering is None or person is None:
        raise mail.MailObsolete("the gathering or the person is gone")
    return gathering, person


def _when(gathering) -> str:
    s = gathering.session
    where = s.location or (gathering.host_school.name if gathering.host_school else "")
    return f"{fmt_datetime(s.starts_at)}–{fmt_time(s.ends_at)}" + (f", {where}" if where else "")


def _ics(gathering, person: User, method: str, sequence: int | None, *,
         absent: bool = False) -> tuple[mail.Attachment, ...]:
    event = calendar.invitation_event(gathering, person.id, cancelled=method == "CANCEL" and not absent,
                                      sequence=sequence, absent=absent)
    data = build_calendar([event], name=gathering.network.name, method=method, attendee=(person.name, person.email),
                          stamp=now_utc())
    return (mail.Attachment(filename="invitasjon.ics" if method == "REQUEST" else "avlysning.ics",
                            content_type=f"text/calendar; method={method}; charset=utf-8", data=data),)


def render_invitation(params: dict) -> mail.RenderedMail:
    gathering, person = _load(params)
    network = gathering.network
    text = "\n".join([
        _("Hei %(name)s,", name=person.name), "",
        _("Du er invitert til samling i «%(network)s»: %(when)s.", network=network.name, when=_when(gathering)), "",
        _("Kan du ikke komme, si fra på nettverkets side: %(url)s",
          url=absolute_url("networks.show", network_id=network.id)), "", "Kompetanseportalen"])
    return mail.RenderedMail(subject=_("Samling: %(network)s", network=network.name), text=text,
                             attachments=_ics(gathering, person, "REQUEST", params.get("sequence")))


def render_change(params: dict) -> mail.RenderedMail:
    """Write the mail about a moved or changed gathering: the new time and place, and the person's own event."""
    gathering, person = _load(params)
    network = gathering.network
    absent = bool(params.get("absent"))
    url = absolute_url("networks.show", network_id=network.id)
    if absent:
        news = _("Du har meldt at du ikke kommer, og det gjelder fortsatt. Kan du likevel komme, si fra på "
                 "nettverkets side: %(url)s", url=url)
    else:
        news = _("Kan du ikke komme, si fra på nettverkets side: %(url)s", url=url)
    text = "\n".join([
        _("Hei %(name)s,", name=person.name), "",
        _("Samlingen i «%(network)s» er endret. Ny tid og sted: %(when)s.", network=network.name,
          when=_when(gathering)), "", news, "", "Kompetanseportalen"])
    return mail.RenderedMail(subject=_("Endret samling: %(network)s", network=network.name), text=text,
                             attachments=_ics(gathering, person, "CANCEL" if absent else "REQUEST",
                                              params.get("sequence"), absent=absent))


def render_cancellation(params: dict) -> mail.RenderedMail:
    gathering, person = _load(params)
    network = gathering.network
    text = "\n".join([
        _("Hei %(name)s,", name=person.name), "",
        _("Samlingen i «%(network)s» %(when)s er avlyst.", network=network.name, when=_when(gathering)), "",
        absolute_url("networks.show", network_id=network.id), "", "Kompetanseportalen"])
    return mail.RenderedMail(subject=_("Avlyst: samling i %(network)s", network=network.name), text=text,
                             attachments=_ics(gathering, person, "CANCEL", None))


def render_group_published(params: dict) -> mail.RenderedMail:
    network = db.session.get(Network, params.get("network_id") or 0)
    person = db.session.get(User, params.get("user_id") or 0)
    if network is None or person is None or network.published_at is None:
        raise mail.MailObsolete("the group is gone or not published")
    schools = [row.school for row in network.member_rows]
    mine = person.led_school_ids()
    partners = [s.name for s in schools if s.id not in mine]
    shared = composition.shared_areas([s.focus_areas for s in schools])
    lines = [_("Hei %(name)s,", name=person.name), "",
             _("Samarbeidsgruppene for skoleåret %(year)s er klare. Skolen din er i «%(group)s» sammen med: %(partners)s.",
               year=network.school_year_label, group=network.name, partners=", ".join(partners) or "–"), ""]
    if shared:
        lines.append(_("Satsingsområder dere deler: %(areas)s.", areas=", ".join(shared)))
    else:
        lines.append(_("Skolene i gruppen deler ingen satsingsområder ennå; gruppen er satt sammen etter område."))
    lines += ["", absolute_url("networks.show", network_id=network.id), "", "Kompetanseportalen"]
    return mail.RenderedMail(subject=_("Samarbeidsgruppe %(year)s: %(group)s", year=network.school_year_label,
                                       group=network.name), text="\n".join(lines))


def render_round_reminder(params: dict) -> mail.RenderedMail:
    round_ = db.session.get(GatheringRound, params.get("round_id") or 0)
    network = db.session.get(Network, params.get("network_id") or 0)
    person = db.session.get(User, params.get("user_id") or 0)
    if round_ is None or network is None or person is None:
        raise mail.MailObsolete("gone")
    if db.session.scalar(sa.select(DateProposal.id).where(DateProposal.round_id == round_.id,
                                                         DateProposal.network_id == network.id,
                                                         DateProposal.status == ProposalStatus.AGREED)):
        raise mail.MailObsolete("already scheduled")
    text = "\n".join([
        _("Hei %(name)s,", name=person.name), "",
        _("«%(group)s» har ikke avtalt samlingen i «%(round)s» ennå. Foreslå dato, vertsskole og sted mellom "
          "%(first)s og %(last)s, eller bekreft forslaget som ligger der.", group=network.name, round=round_.title,
          first=fmt_date(round_.window_start), last=fmt_date(round_.window_end)), "",
        absolute_url("networks.schedule", network_id=network.id, round_id=round_.id), "", "Kompetanseportalen"])
    return mail.RenderedMail(subject=_("Påminnelse: avtal samlingen i %(round)s", round=round_.title), text=text)


def init_app(app: Flask) -> None:
    mail.register_renderer(app, INVITATION, render_invitation)
    mail.register_renderer(app, CHANGE, render_change)
    mail.register_renderer(app, CANCELLATION, render_cancellation)
    mail.register_renderer(app, GROUP_PUBLISHED, render_group_published)
    mail.register_renderer(app, ROUND_REMINDER, render_round_reminder)
