"""A rush of parents on a real gunicorn server: 1,000 sign-ups for 120 hall seats and 400 stream places.

Twenty-five browsers (each a real HTTP client with its own cookies and CSRF
token) post their share of the sign-ups at once, so the server's workers race
for the hall's seats under the catalogue's offering lock. Every parent is told
what they got, the hall and the stream are filled exactly, the waitlist is in
the order the server took the sign-ups, and an e-mail sent twice holds one
place.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from functools import partial

import pytest
import sqlalchemy as sa

from catalog.parents import operations as ops
from catalog.parents.models import AttendanceMode, ParentEventKind, ParentSignup, SignupState
from lms.db import db
from lms.settings import operations as settings
from tests.concurrency.live import Browser, run_together

pytestmark = pytest.mark.server

PARENTS, HALL, STREAM, CLIENTS = 1000, 120, 400, 25
#: Parents who, impatient, send the form a second time with the same e-mail.
TWICE = 20
SIGNED_UP = "Takk! Du er påmeldt. Sjekk e-posten din for bekreftelsen."
UPDATED = "Påmeldingen din er oppdatert. Sjekk e-posten din for bekreftelsen."
WAITLISTED = re.compile(r"^Salen er full, så du står som nr\. (\d+) på ventelisten til salen\.")
STREAM_FULL = "Strømmingen er full."


def test_thousand_parents_fill_hall_and_stream_exactly_in_arrival_order(live_server, app, admin, make_school, now):
    school = make_school("Eikeli skole")
    start = max(datetime.now(timezone.utc), now) + timedelta(days=30)
    event = ops.create_event(ops.EventData(
        title="Brukerforum om skjermbruk", kind=ParentEventKind.USER_FORUM, school_id=school.id, starts_at=start,
        ends_at=start + timedelta(hours=2), mode=AttendanceMode.BOTH, hall_capacity=HALL, stream_capacity=STREAM,
        stream_url="https://video.kommune.example/forum", location="Rådhuset, sal 2", grades=[]), actor=admin, now=now)
    settings.set_value(ops.ADDRESS_LIMIT.key, "100000")
    settings.set_value(ops.EMAIL_LIMIT.key, "100")
    event_id = event.id
    db.session.commit()
    db.session.close()
    # Even parents want the hall, odd ones the stream; the first TWICE send the form again.
    wishes = [(n, "hall" if n % 2 == 0 else "stream") for n in range(PARENTS)] + \
             [(n, "hall" if n % 2 == 0 else "stream") for n in range(TWICE)]
    shares = [wishes[i::CLIENTS] for i in range(CLIENTS)]

    def client(share, barrier):
        browser = Browser(live_server.url)
        browser.get(f"/foreldre/{event_id}")
        barrier.wait()
        told = []
        for n, mode in share:
            response = browser.post(f"/foreldre/{event_id}", {
                "name": f"Forelder {n}", "email": f"forelder{n}@example.no", "grade": str(1 + n % 10),
                "mode": mode, "party_size": "1"})
            errors = re.findall(r'<div class="ds-error-summary.*?<li>(.*?)</li>', response.text, re.S)
            told.append((n, mode, response.status_code, Browser.flashes(response) or errors))
        return browser.statuses, told

    results = run_together([partial(client, share) for share in shares], timeout=600)

    statuses = Counter(s for statuses, _ in results for s in statuses)
    assert not [s for s in statuses if s >= 500 or s == 429], (statuses, live_server.log())
    answers = [answer for _, told in results for answer in told]
    assert len(answers) == PARENTS + TWICE
    db.session.expire_all()
    event = ops.get_event(event_id)
    rows = list(db.session.scalars(sa.select(ParentSignup).where(ParentSignup.event_id == event_id)
                                   .order_by(ParentSignup.id)))
    by_state = Counter((r.state, r.mode) for r in rows)
    assert by_state == {(SignupState.CONFIRMED, AttendanceMode.HALL): HALL,
                        (SignupState.CONFIRMED, AttendanceMode.STREAM): STREAM,
                        (SignupState.WAITLISTED, AttendanceMode.HALL): PARENTS // 2 - HALL}
    assert (event.offering.seats_taken, event.stream_taken, event.offering.waitlist_length) == (
        HALL, STREAM, PARENTS // 2 - HALL)
    # Same e-mail never two places.
    assert len({r.email_key for r in rows}) == len(rows)
    # Arrival order: the server gave the hall to the first hall sign-ups it took, then queued the rest.
    hall_rows = [r for r in rows if r.mode == AttendanceMode.HALL]
    assert all(r.state == SignupState.CONFIRMED for r in hall_rows[:HALL])
    assert all(r.state == SignupState.WAITLISTED for r in hall_rows[HALL:])
    queue = ops.waiting_list(event)
    assert [r.id for r in queue] == [r.id for r in hall_rows[HALL:]]
    # Each parent was told what they hold, and those waiting the place they really have.
    first_answer = {}
    for n, mode, status, messages in answers:
        first_answer.setdefault(n, (mode, status, messages))
    told_places = {}
    for n, (mode, status, messages) in first_answer.items():
        assert len(messages) == 1, (n, status, messages)
        message = messages[0]
        if m := WAITLISTED.match(message):
            told_places[f"forelder{n}@example.no"] = int(m[1])
        else:
            assert message in (SIGNED_UP, UPDATED, STREAM_FULL), message
    assert [told_places[r.email_key] for r in queue] == list(range(1, len(queue) + 1))
    stream_full = [n for n, (mode, _, messages) in first_answer.items() if messages == [STREAM_FULL]]
    assert len(stream_full) == PARENTS // 2 - STREAM
    assert not db.session.scalars(sa.select(ParentSignup).where(
        ParentSignup.email_key.in_([f"forelder{n}@example.no" for n in stream_full]))).all()
