"""Calendar-feed benchmark: a personal feed with 50 and with 500 events, and an unchanged feed (304).

Two teachers are given confirmed seats in 50 and 500 fresh one-session
offerings (rows written directly, as the dataset generator does), and a feed
token each. The load generator then reads ``/kalender/<token>.ics``: the full
feed, and the same feed with the ``If-None-Match`` of its last answer, which
the app answers 304.

The ETag is the hash of the feed's bytes, so without Redis every request,
a 304 too, reads the feed's rows and joins the events' kept serialisations
(an unchanged event is not written by icalendar again) to hash them; with
``KP_REDIS_URL``, which bench.run sets where Redis answers, an unchanged feed
is answered after one Redis round trip, with the body this process kept. In-process costs
(:func:`feed_costs`) add the cost of building a feed from scratch with
icalendar, on the benchmark's large dataset and on a small one: it should
grow with the feed's events, not with the database.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bench.enroll_rush import _table, pick_teachers
from lms.i18n import OSLO

SIZES = (50, 500)


def prepare_feed_people(conn: sa.Connection, now: datetime, sizes=SIZES, seed: int = 17) -> dict[int, str]:
    """Give one teacher per size that many confirmed seats; return {size: feed token}."""
    people = pick_teachers(conn, len(sizes), seed=seed, now=now)
    schedule, session, offering = _table("schedule"), _table("session"), _table("offering")
    enrollment, target, feed_token = _table("enrollment"), _table("offering_target_group"), _table("feed_token")
    tokens = {}
    for size, user_id in zip(sizes, people):
        # Sessions spread over the school year, Tuesdays and Thursdays at 14:00 Oslo time,
        # so the feed crosses the daylight-saving changes like a real one.
        for k in range(size):
            day = (now + timedelta(days=1 + (k * 300) // size)).astimezone(OSLO).date()
            starts = datetime(day.year, day.month, day.day, 14, 0, tzinfo=OSLO).astimezone(timezone.utc)
            schedule_id = conn.execute(schedule.insert().returning(schedule.c.id),
                                       {"owner_kind": "catalog.offering", "created_at": now}).scalar_one()
            conn.execute(session.insert(), {
                "schedule_id": schedule_id, "starts_at": starts, "ends_at": starts + timedelta(hours=2),
                "title": "", "location": "Rådhuset, møterom 1", "online_url": "", "status": "scheduled",
                "sequence": 0, "updated_at": now})
            year = day.year if day.month >= 8 else day.year - 1
            offering_id = conn.execute(offering.insert().returning(offering.c.id), {
                "title": f"Kalenderkurs {size}-{k + 1}", "kind": "course", "theme": "Digitalt medborgerskap",
                "description": "Et kurs i **kalenderbenchmarken**, med [lenke](https://example.org) og litt tekst.",
                "organiser": "Oppvekst skole", "responsible_id": None, "plan_area": 4, "capacity": 30,
                "min_participants": 0, "go_no_go_date": None, "registration_opens_at": None,
                "registration_closes_at": None, "cancellation_deadline": None, "location": "Rådhuset",
                "online_url": "", "school_year": year, "onboarding_cohort": None, "status": "published",
                "cancel_reason": "", "schedule_id": schedule_id, "first_starts_at": starts,
                "last_starts_at": starts, "source_key": None, "created_at": now, "updated_at": now,
                "seats_taken": 1, "waitlist_length": 0}).scalar_one()
            conn.execute(target.insert(), {"offering_id": offering_id, "group": "teachers"})
            conn.execute(enrollment.insert(), {
                "offering_id": offering_id, "user_id": user_id, "state": "enrolled", "created_at": now,
                "updated_at": now, "waitlisted_at": None, "offer_expires_at": None, "completed_at": None,
                "enrolled_by_id": None, "confirmed_at": now})
        token = secrets.token_urlsafe(32)
        conn.execute(feed_token.insert(), {"token_hash": hashlib.sha256(token.encode()).hexdigest(),
                                           "scope": "person", "owner_id": user_id, "created_by_id": user_id,
                                           "created_at": now, "revoked_at": None})
        tokens[size] = token
    return tokens


def feed_costs(app, tokens: dict[int, str], repeat: int = 60) -> dict:
    """Measure one feed request in-process (test client, one thread), in ms.

    ``feed_N`` is a feed built from scratch (the process's caches of built
    feeds and serialised events emptied before each request: icalendar
    writes every event); ``feed_N_warm`` one whose content has not changed
    since it was last built; ``feed_N_304`` a conditional request for it.
    """
    from events.calendar import _published_event, feed_bodies

    def cold():
        feed_bodies.invalidate()
        _published_event.cache_clear()

    client = app.test_client()
    results = {}
    for size, token in tokens.items():
        first = client.get(f"/kalender/{token}.ics")
        assert first.status_code == 200, first.status_code
        results[f"feed_{size}_events"] = first.get_data().count(b"BEGIN:VEVENT")
        etag = first.headers["ETag"]
        for name, headers, status, before in ((f"feed_{size}", {}, 200, cold),
                                              (f"feed_{size}_warm", {}, 200, None),
                                              (f"feed_{size}_304", {"If-None-Match": etag}, 304, None)):
            spent = 0.0
            for _ in range(repeat):
                if before:
                    before()
                t0 = time.perf_counter()
                response = client.get(f"/kalender/{token}.ics", headers=headers)
                spent += time.perf_counter() - t0
                assert response.status_code == status, response.status_code
            results[name] = round(spent / repeat * 1000, 3)
    t0 = time.perf_counter()
    for _ in range(repeat):
        client.get("/ping")
    results["ping"] = round((time.perf_counter() - t0) / repeat * 1000, 3)
    return results
