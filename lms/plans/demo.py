"""Demo development plans: the demo schools' plans in different states, counted from the demo's own data.

The measures link to every offering tagged with plan area 4 or 6
(``plan_area`` links), so their figures come from the demo programme and
its enrollments through the evidence hook, whichever features are loaded.
Running it twice changes nothing: a school that has a plan for the school
year is left as it is.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from lms.db import db
from lms.i18n import to_oslo
from lms.people.demo import demo_admin
from lms.people.models import Membership, Role, School, User
from lms.plans import operations as ops
from lms.plans.models import Body, InformationKind, Plan, PlanState, PlanTargetGroup
from lms.schoolyear import school_year_of

TEXTS = {
    "vision": "Alle elever skal bruke læringsteknologi som et redskap for bedre læring, i alle fag.",
    "main_goals": "- Elevene lærer mer og opplever mestring.\n- Lærerne planlegger, gjennomfører og vurderer "
                  "med digitale enheter.\n- Foresatte vet hvorfor og hvordan skolen bruker teknologien.",
    "affected": "Ansatte får opplæring gjennom hele prosjektet. Elevene får én enhet hver. Foresatte får "
                "informasjon på foreldremøter og på skolens nettside.",
    "area1": "Vi følger resultatene fra Osloprøvene, de nasjonale prøvene og kartleggingsprøvene.",
    "area2": "Rektor har hovedansvaret. En endringsgruppe med ressurspersoner fra ledelsen og personalet møtes "
             "hver måned.",
    "area3": "Nettverket er godkjent av IKT-avdelingen for det nye antallet enheter.",
    "area4": "Alle lærere tar kurs i digital vurdering og får veiledning fra fyrtårn i sine fag.",
    "area5": "Digitale enheter brukes i planlegging, gjennomføring og vurdering, med felles rutiner på trinnene.",
    "area6": "Planen forankres i Driftsstyret, FAU, MBU og elevrådet. Foresatte informeres i brev og på møter.",
    "area7": "Vi bruker læringsplattformen og FEIDE-ressursene som står i vedlegget.",
}

#: The states the demo schools' plans are brought to, in the order of the schools by name.
STATES = (PlanState.APPROVED, PlanState.RETURNED, PlanState.TREATED, PlanState.DRAFT)


def _leader_of(school_id: int) -> User | None:
    return db.session.scalar(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.school_id == school_id, Membership.role == Role.LEADER).order_by(User.id).limit(1))


def load_demo_plans(now: datetime) -> str:
    """Give each demo school with a leader a plan for this school year; return what was made."""
    today = to_oslo(now).date()
    year = school_year_of(today)
    admin = demo_admin()
    made = 0
    schools = list(db.session.scalars(sa.select(School).order_by(School.name)))
    for school, state in zip([s for s in schools if _leader_of(s.id)], STATES):
        if db.session.scalar(sa.select(Plan.id).where(Plan.school_id == school.id, Plan.start_year == year)):
            continue
        leader = _leader_of(school.id)
        plan = ops.create_plan(school.id, year, year + 2, actor=leader, now=now)
        for key, text in TEXTS.items():
            ops.save_section(plan, key, text, 1, actor=leader, now=now)
        ops.add_goal(plan, 4, "Andel lærere som har fullført et kurs i område 4",
                     f"80 % innen juni {year + 1}", actor=leader, now=now)
        ops.add_goal(plan, 6, "Organer som har behandlet planen", f"Alle fem innen desember {year}",
                     actor=leader, now=now)
        ops.add_measure(plan, 4, "Kurs i kompetanseheving for alle lærere", PlanTargetGroup.TEACHERS, leader.name,
                        f"Skoleåret {year}/{year + 1}", [("plan_area", 4)], actor=leader, now=now)
        ops.add_measure(plan, 6, "Foreldremøter og foreldreskole om digital hverdag", PlanTargetGroup.PARENTS,
                        leader.name, f"Høsten {year}", [("plan_area", 6)], actor=leader, now=now)
        ops.add_information(plan, InformationKind.LETTER, "Brev til foresatte om én enhet per elev",
                            PlanTargetGroup.PARENTS, date(year, 8, 25), actor=leader, now=now)
        ops.add_treatment(plan, Body.FAU, date(year, 9, 10), "FAU støtter planen.", actor=leader, now=now)
        first = ops.add_milestone(plan, "Alle lærere har fått enheten og grunnopplæring", leader.id,
                                  today - timedelta(days=5), "Telling i endringsgruppen", [], actor=leader, now=now)
        ops.add_milestone(plan, "Halvparten av lærerne har fullført kurs i område 4", leader.id,
                          date(year + 1, 1, 31), "Tall fra portalen", [first.id], actor=leader, now=now)
        if state != PlanState.DRAFT:
            ops.transition(plan, PlanState.TREATED, actor=leader, now=now, treated_on=today - timedelta(days=7),
                           decision="Driftsstyret slutter seg til planen.")
        if state in (PlanState.APPROVED, PlanState.RETURNED):
            ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=now)
            ops.transition(plan, PlanState.UNDER_REVIEW, actor=admin, now=now)
            if state == PlanState.RETURNED:
                ops.add_comment(plan, "area4", "Målet trenger en tydelig indikator for nyansatte.", True,
                                actor=admin, now=now)
            ops.transition(plan, state, actor=admin, now=now)
        made += 1
    db.session.flush()
    return f"{made} nye utviklingsplaner"
