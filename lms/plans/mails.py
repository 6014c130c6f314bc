"""The development plan's mail: a reminder to the person responsible for a milestone before its deadline."""
from __future__ import annotations

from flask_babel import gettext as _

from lms.mail import operations as mail
from lms.db import db
from lms.i18n import fmt_date
from lms.links import absolute_url
from lms.plans.models import OPEN_MILESTONE, Milestone, Plan

MILESTONE_REMINDER = "plan_milestone_reminder"


def render_milestone_reminder(params: dict) -> mail.RenderedMail:
    """Write the reminder of a milestone's deadline, unless it no longer holds.

    A reminder is queued for a deadline and a person (mail queued before the
    plan items could be changed has neither, and holds as long as the
    milestone is open). When the deadline moves or another person becomes
    responsible before it is sent, it is dropped: the new deadline or person
    is reminded of its own.
    """
    milestone = db.session.get(Milestone, params["milestone_id"])
    if milestone is None:
        raise mail.MailObsolete("the milestone is gone")
    if params.get("deadline", milestone.deadline.isoformat()) != milestone.deadline.isoformat():
        raise mail.MailObsolete("the milestone's deadline moved")
    if params.get("responsible_id", milestone.responsible_id) != milestone.responsible_id:
        raise mail.MailObsolete("someone else is responsible for the milestone")
    if milestone.status not in OPEN_MILESTONE:
        raise mail.MailObsolete("the milestone is no longer open")
    plan = db.session.get(Plan, milestone.plan_id)
    name = milestone.responsible.name if milestone.responsible else ""
    lines = [_("Hei %(name)s,", name=name), "",
             _("Milepælen «%(what)s» i utviklingsplanen til %(school)s har frist %(day)s, og du er ansvarlig.",
               what=milestone.what, school=plan.school.name, day=fmt_date(milestone.deadline))]
    if milestone.evaluation:
        lines += ["", _("Slik evalueres den: %(how)s", how=milestone.evaluation)]
    lines += ["", _("Planen: %(url)s", url=absolute_url("plans.show", plan_id=plan.id, _anchor="milepaeler")),
              "", "Kompetanseportalen"]
    return mail.RenderedMail(subject=_("Frist nærmer seg: %(what)s", what=milestone.what), text="\n".join(lines))


def init_app(app) -> None:
    mail.register_renderer(app, MILESTONE_REMINDER, render_milestone_reminder)
