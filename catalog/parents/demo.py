"""The demo programme's home-school rows as parent events, so that /foreldre shows them."""
from __future__ import annotations

import sqlalchemy as sa

from catalog.offerings.models import Offering
from catalog.parents.models import AttendanceMode, ParentEvent, ParentEventKind
from lms.db import db

#: The programme rows (content/programme/<key>.md) that parents sign up for, as parent events.
DEMO_EVENTS = {
    "foreldreskole": (ParentEventKind.PARENT_SCHOOL, AttendanceMode.HALL),
    "foreldremoter": (ParentEventKind.PARENT_MEETING, AttendanceMode.HALL),
    "brukerforum-webinar": (ParentEventKind.USER_FORUM, AttendanceMode.BOTH),
    "kommunalt-felles-foreldreutvalg": (ParentEventKind.COUNCIL_MEETING, AttendanceMode.HALL),
}
#: The user forum's stream: only ever in the reminder mail, so not in the programme's public text.
DEMO_STREAM_URL = "https://video.kommune.example/brukerforum"


def link_parent_events(school_year: int) -> int:
    """Give each of the year's home-school offerings its parent event; return how many were new."""
    added = 0
    offerings = db.session.scalars(sa.select(Offering).where(sa.or_(*(
        sa.or_(Offering.source_key == f"{key}/{school_year}", Offering.source_key.like(f"{key}/{school_year}/%"))
        for key in DEMO_EVENTS))).order_by(Offering.id)).all()
    known = set(db.session.scalars(sa.select(ParentEvent.offering_id).where(
        ParentEvent.offering_id.in_([o.id for o in offerings]))))
    for offering in offerings:
        if offering.id in known:
            continue
        kind, mode = DEMO_EVENTS[offering.source_key.split("/", 1)[0]]
        forum = kind == ParentEventKind.USER_FORUM
        db.session.add(ParentEvent(offering_id=offering.id, kind=kind, school_id=None, mode=mode,
                                   stream_url=DEMO_STREAM_URL if forum else "", takes_questions=forum,
                                   created_at=offering.created_at))
        added += 1
    db.session.flush()
    return added
