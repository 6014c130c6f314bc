"""Development plan milestones in the personal calendar feed of the person responsible for them.

A milestone is shown on its deadline as a short event at the start of the
school day, so calendars that only show timed events show it too. The plan
is the host's (:mod:`lms.plans`); events may read it, as it reads people.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask_babel import gettext as _

from events.calendar import CalendarEvent
from events.feeds import FeedSource
from lms.db import db
from lms.i18n import OSLO
from lms.links import absolute_url, public_host
from lms.plans.models import Milestone, MilestoneStatus, Plan
from lms.people.models import School

#: When on its deadline a milestone is shown, and for how long.
SHOWN_AT = time(8, 0)
SHOWN_FOR = timedelta(minutes=30)


def _rows(user_id: int):
    return db.session.execute(
        sa.select(Milestone.id, Milestone.what, Milestone.deadline, Milestone.status, Milestone.evaluation,
                  Milestone.version, Plan.id, Plan.updated_at, School.name)
        .join(Plan, Plan.id == Milestone.plan_id).join(School, School.id == Plan.school_id)
        .where(Milestone.responsible_id == user_id).order_by(Milestone.deadline, Milestone.id)).all()


def milestone_uid(milestone_id: int, user_id: int) -> str:
    return f"kp-milestone-{milestone_id}-person-{user_id}@{public_host()}"


def person_events(user_id: int, now: datetime) -> list[CalendarEvent]:
    """Return the milestones the person is responsible for, each on its deadline.

    Its SEQUENCE is the number of changes since it was added (its version), so
    a calendar that compares them takes a moved deadline as the newer event.
    """
    events = []
    for milestone_id, what, deadline, status, evaluation, version, plan_id, updated_at, school in _rows(user_id):
        starts_at = datetime.combine(deadline, SHOWN_AT, OSLO).astimezone(timezone.utc)
        done = "" if status in (MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS) else f" ({status.label})"
        description = "\n".join(part for part in (
            _("Milepæl i utviklingsplanen til %(school)s.", school=school), evaluation,
            absolute_url("plans.show", plan_id=plan_id, _anchor="milepaeler")) if part)
        events.append(CalendarEvent(uid=milestone_uid(milestone_id, user_id), starts_at=starts_at,
                                    ends_at=starts_at + SHOWN_FOR, summary=_("Frist: %(what)s", what=what) + done,
                                    last_modified=updated_at, description=description, sequence=version - 1,
                                    url=absolute_url("plans.show", plan_id=plan_id)))
    return events


#: The feed's ETag is the hash of what it prints (events.feeds), so a moved deadline or a renamed school moves it.
PERSON_SOURCE = FeedSource(name="plan_milestones", events=person_events)
