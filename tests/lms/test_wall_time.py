"""Oslo times typed at the nights the clock changes: refused with a Norwegian message, keeping what was typed.

Issue 15, finding 3. 02:30 on the last Sunday of March does not exist (02:00
becomes 03:00); 02:30 on the last Sunday of October happens twice (03:00
becomes 02:00). Every form that takes a local time goes through
:func:`lms.i18n.oslo_wall_time`.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from catalog.offerings.models import Offering
from events.models import Session
from lms.db import db
from lms.i18n import OSLO, WallTimeError, is_ambiguous, oslo_wall_time

MARCH = date(2027, 3, 28)     # 02:00-03:00 does not exist
OCTOBER = date(2026, 10, 25)  # 02:00-03:00 happens twice
#: The messages, as the lighthouse tests check them too.
MISSING = "Klokka stilles fram én time natt til 28. mars 2027, så 02:30 finnes ikke den dagen."
TWICE = "Klokka stilles tilbake én time natt til 25. oktober 2026, så 02:30 kommer to ganger den dagen."


@pytest.mark.parametrize("day,clock,message", [
    (MARCH, time(2, 0), "fram"), (MARCH, time(2, 30), "fram"), (MARCH, time(2, 59), "fram"),
    (OCTOBER, time(2, 0), "tilbake"), (OCTOBER, time(2, 30), "tilbake"), (OCTOBER, time(2, 59), "tilbake"),
])
def test_the_skipped_and_the_repeated_hour_are_refused(app, day, clock, message):
    with app.test_request_context(), pytest.raises(WallTimeError) as refused:
        oslo_wall_time(day, clock)
    assert message in str(refused.value) and clock.strftime("%H:%M") in str(refused.value)


@pytest.mark.parametrize("day,clock,offset", [
    (MARCH, time(1, 59), 1), (MARCH, time(3, 0), 2), (OCTOBER, time(1, 59), 2), (OCTOBER, time(3, 0), 1),
    (date(2026, 10, 24), time(2, 30), 2), (date(2026, 10, 26), time(2, 30), 1), (date(2027, 3, 27), time(2, 30), 1),
])
def test_the_times_either_side_are_accepted_at_their_offset(app, day, clock, offset):
    with app.test_request_context():
        moment = oslo_wall_time(day, clock)
    assert moment.utcoffset() == timedelta(hours=offset)
    assert moment.astimezone(timezone.utc).astimezone(OSLO).time() == clock


def test_only_the_october_hour_is_ambiguous():
    instants = [datetime(2026, 10, 24, 22, tzinfo=timezone.utc) + timedelta(minutes=15 * n) for n in range(24)]
    ambiguous = [t.astimezone(OSLO).strftime("%H:%M%z") for t in instants if is_ambiguous(t)]
    assert ambiguous == ["02:00+0200", "02:15+0200", "02:30+0200", "02:45+0200",
                         "02:00+0100", "02:15+0100", "02:30+0100", "02:45+0100"]


def _sessions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Session))


@pytest.mark.parametrize("day,start,message", [
    ("2027-03-28", "02:30", MISSING), ("2026-10-25", "02:30", TWICE)])
def test_a_catalogue_session_at_the_changing_hour_is_refused_keeping_the_input(login, admin, make_offering,
                                                                              day, start, message):
    offering = make_offering(sessions=0, publish=False)
    db.session.commit()
    before = _sessions()
    response = login(admin).post(f"/kurs/{offering.id}/okter/ny", data={
        "day": day, "start": start, "end": "04:00", "title": "Nattkurs", "location": "Rådhuset"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert f'value="{start}"' in page and 'value="Nattkurs"' in page and 'value="Rådhuset"' in page
    assert _sessions() == before


def test_a_catalogue_session_ending_in_the_missing_hour_is_refused(login, admin, make_offering):
    offering = make_offering(sessions=0, publish=False)
    db.session.commit()
    response = login(admin).post(f"/kurs/{offering.id}/okter/ny", data={
        "day": "2027-03-28", "start": "01:00", "end": "02:15", "location": "Rådhuset"})
    assert response.status_code == 400
    assert "så 02:15 finnes ikke den dagen" in response.get_data(as_text=True)


def test_an_offering_deadline_in_the_repeated_hour_is_refused(login, admin):
    response = login(admin).post("/kurs/nytt", data={
        "title": "Vurdering for læring", "kind": "course", "target_groups": ["teachers"], "capacity": "20",
        "school_year": "2026", "min_participants": "0", "registration_closes_at": "2026-10-25T02:30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert TWICE in page
    assert 'value="2026-10-25T02:30"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0
