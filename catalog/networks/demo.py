"""The appendix's networks in the demo, with the demo schools as members; loading twice changes nothing.

Names, target groups, timing and organisers are the appendix's own words
(Bærum's competence appendix 2019/2020). The collaboration schools row
becomes the year's published collaboration groups, composed from the demo
schools' focus areas.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from catalog.networks import composition
from catalog.networks import operations as ops
from catalog.networks.models import Network, NetworkKind
from lms.db import db
from lms.i18n import OSLO
from lms.people.models import School
from lms.schoolyear import school_year_of

#: (source key, name, target group, timing, organiser, leaders, digital supervisors, environment teachers, teachers)
NETWORKS = [
    ("nettverk-digital-profesjonsutovelse", "Nettverk for digital profesjonsutøvelse",
     "Skoleledere og digitale veiledere", "Skoleåret 19/20", "Oppvekst skole", True, True, False, False,
     "Alle skolene møtes for å dele erfaringer og utvikle god læringspraksis sammen. "
     "Erfaringene og læringen deles deretter på egen skole."),
    ("ledersamlinger-digital-profesjonsutovelse", "Ledersamlinger i nettverk for digital profesjonsutøvelse",
     "Skoleledere", "Høst 19 og vår 20", "Oppvekst skole", True, False, False, False,
     "Strategisk utvikling av digital skolehverdag på den enkelte skole."),
    ("nettverk-digital-dannelse", "Nettverkssamlinger for å videreutvikle skolenes arbeid med digital dannelse",
     "Skoleledere, miljølærere og digitale veiledere", "2 ganger pr skoleår", "Oppvekst skole",
     True, True, True, False,
     "Fagøkter og deling av ressurser (f.eks. Dubestemmer.no). Handlingsplaner for digital dannelse."),
    ("tjenesteledermoter", "Tjenesteledermøter", "Skoleledere", "3 ganger per skoleår", "Seksjonsledelsen",
     True, False, False, False,
     "Tjenesteledermøter mellom seksjonsledere og rektorer med fokus på endrings- og innovasjonsledelse."),
]


def load_networks(now: datetime) -> str:
    """Load the appendix's networks and this school year's collaboration groups; return what changed."""
    schools = list(db.session.scalars(sa.select(School).order_by(School.id)))
    if not schools:
        return ""
    school_ids = [s.id for s in schools]
    new = 0
    for key, name, target, timing, organiser, leaders, supervisors, environment, teachers, description in NETWORKS:
        if db.session.scalar(sa.select(Network.id).where(Network.source_key == key)) is not None:
            continue
        ops.create_network(ops.NetworkData(
            name=name, kind=NetworkKind.MUNICIPALITY, description=description, target_group_text=target,
            timing=timing, organiser=organiser, include_leaders=leaders, include_digital_supervisors=supervisors,
            include_environment_teachers=environment, include_teachers=teachers, school_ids=school_ids),
            actor=None, now=now, source_key=key)
        new += 1
    year = school_year_of(now.astimezone(OSLO).date())
    if not db.session.scalar(sa.select(Network.id).where(Network.kind == NetworkKind.GROUP,
                                                         Network.school_year == year)):
        result = composition.compose(ops.school_inputs(schools))
        for number, group in enumerate(result.groups, start=1):
            ops.create_network(ops.NetworkData(
                name=f"Samarbeidsgruppe {number}", kind=NetworkKind.GROUP, school_year=year,
                target_group_text=ops.GROUP_TARGET, timing=ops.GROUP_TIMING, organiser=ops.GROUP_ORGANISER,
                include_leaders=True, include_teachers=True, school_ids=group.school_ids),
                actor=None, now=now, source_key=f"samarbeidsgruppe-{year}-{number}")
            new += 1
    return f"nettverk ({new} nye)"
