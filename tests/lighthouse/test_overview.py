"""The programme admins' overview: demand per subject area and the fyrtårn's use of release time, per semester."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from lighthouse.bookings.models import BookableKind, Booking, BookingState, Venue
from lighthouse.profiles.models import LighthouseProfile, ReleaseTime, Subject, semester_of
from lms.db import db
from lms.people.models import Role

_starts = iter(datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc) + timedelta(hours=3 * n) for n in range(10000))


@pytest.fixture
def book(make_school):
    """Return a factory of bookings written straight as rows (the booking rules are tested elsewhere)."""
    school = make_school("Bestillerud skole")

    def make(offering, state: BookingState, *, minutes: int | None = None, for_capacity: bool = False,
             starts_at: datetime | None = None) -> Booking:
        starts_at = starts_at or next(_starts)
        minutes = offering.duration_minutes if minutes is None else minutes
        booking = Booking(offering_id=offering.id, profile_id=offering.profile_id, school_id=school.id, state=state,
                          starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
                          requested_starts_at=starts_at, semester=semester_of(starts_at), minutes=minutes,
                          participants_count=5, venue=Venue.AT_SCHOOL, declined_for_capacity=for_capacity)
        db.session.add(booking)
        db.session.flush()
        return booking
    return make


@pytest.fixture
def scheme(make_profile, make_bookable, make_school, book):
    """Two fyrtårn with bookings in the autumn of 2026, and one in the spring of 2027."""
    anne = make_profile("Anne Matte", school=make_school("Bekkestua skole"), approved_hours=20)
    bjorn = make_profile("Bjørn Norsk", school=make_school("Lysaker skole"), subjects=(Subject.NORWEGIAN,),
                         approved_hours=10)
    make_profile("Carl Uten Tid", approved_hours=None).active = False
    maths = make_bookable(anne, title="Veiledning i matematikk", duration_minutes=90, subject=Subject.MATHEMATICS)
    norsk = make_bookable(bjorn, kind=BookableKind.COURSE, title="Lesekurs", duration_minutes=120,
                          subject=Subject.NORWEGIAN)
    for state in (BookingState.CONFIRMED, BookingState.COMPLETED, BookingState.REQUESTED, BookingState.DECLINED,
                  BookingState.CANCELLED):
        book(maths, state)
    book(maths, BookingState.DECLINED, for_capacity=True)
    book(maths, BookingState.DECLINED, for_capacity=True)
    book(norsk, BookingState.COMPLETED)
    book(norsk, BookingState.CANCELLED)
    book(norsk, BookingState.DECLINED, for_capacity=True)
    # Spring 2027 is another semester: not counted in the autumn.
    book(maths, BookingState.REQUESTED, starts_at=datetime(2027, 2, 2, 9, 0, tzinfo=timezone.utc))
    db.session.add(ReleaseTime(profile_id=anne.id, semester="2027V", requested_minutes=600, approved_minutes=600))
    db.session.commit()
    return anne, bjorn


def _cells(html: str, heading: str) -> list[str]:
    """Return the cells of the table row whose header cell is ``heading``."""
    row = re.search(r'<th scope="row">' + re.escape(heading) + r"</th>(.*?)</tr>", html, re.S)
    assert row, heading
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row[1], re.S)]


def test_overview_counts_requests_per_subject_and_release_time_per_fyrtarn(login, admin, scheme):
    html = login(admin).get("/fyrtarn/oversikt").get_data(as_text=True)
    assert "Høst 2026" in html
    assert "Mange avslag for manglende kapasitet i et fag tyder på at det trengs flere fyrtårn der." in html
    # requests, confirmed or completed, declined, of which for capacity, cancelled, waiting
    assert _cells(html, "Matematikk") == ["7", "2", "3", "2", "1", "1"]
    assert _cells(html, "Norsk") == ["3", "1", "1", "1", "1", "0"]
    assert _cells(html, "Totalt") == ["10", "3", "4", "3", "2", "1"]
    # home school, approved, held, completed, left, bookings (hours)
    assert _cells(html, "Anne Matte") == ["Bekkestua skole", "20", "4,5", "1,5", "15,5", "3"]
    assert _cells(html, "Bjørn Norsk") == ["Lysaker skole", "10", "2", "2", "8", "1"]
    assert "Carl Uten Tid" not in html


def test_another_semester_is_chosen_in_the_selector(login, admin, scheme):
    c = login(admin)
    html = c.get("/fyrtarn/oversikt?semester=2027V").get_data(as_text=True)
    assert '<option value="2027V" selected>Vår 2027</option>' in html and "Høst 2026" in html
    assert _cells(html, "Matematikk") == ["1", "0", "0", "0", "0", "1"]
    assert _cells(html, "Anne Matte") == ["Bekkestua skole", "10", "1,5", "0", "8,5", "1"]
    # A semester that cannot be read falls back to the current one, never a 500.
    html = c.get("/fyrtarn/oversikt?semester=%27;drop").get_data(as_text=True)
    assert "Fyrtårnoversikt – Høst 2026" in html


def test_empty_semester_says_so(login, admin):
    html = login(admin).get("/fyrtarn/oversikt?semester=2030H").get_data(as_text=True)
    assert "Høst 2030" in html and "Ingen skoler har bedt om fyrtårn dette semesteret." in html


def test_csv_holds_both_tables_for_excel(login, admin, scheme):
    response = login(admin).get("/fyrtarn/oversikt.csv?semester=2026H")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "fyrtarn-oversikt-2026H.csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    by_first = {row[0]: row[1:] for row in rows if row}
    assert by_first["Fyrtårnoversikt"] == ["Høst 2026"]
    assert by_first["Fagområde"][3] == "Avslått for manglende kapasitet"
    assert by_first["Matematikk"] == ["7", "2", "3", "2", "1", "1"]
    assert by_first["Totalt"] == ["10", "3", "4", "3", "2", "1"]
    assert by_first["Anne Matte"] == ["Bekkestua skole", "20", "4,5", "1,5", "15,5", "3"]
    assert by_first["Bjørn Norsk"] == ["Lysaker skole", "10", "2", "2", "8", "1"]


def test_only_programme_admins_see_the_overview(client, login, make_user, make_profile):
    for user in (make_user(), make_user(roles=(Role.LEADER,)), make_profile().user):
        c = login(user)
        assert c.get("/fyrtarn/oversikt").status_code == 403
        assert c.get("/fyrtarn/oversikt.csv").status_code == 403
    anonymous = client.get("/fyrtarn/oversikt")
    assert anonymous.status_code == 302 and "/logg-inn" in anonymous.headers["Location"]


def test_overview_queries_do_not_grow_with_the_number_of_fyrtarn(login, admin, make_profile, make_bookable, book):
    c = login(admin)

    def statements() -> int:
        seen = []

        def listen(*args):
            seen.append(args)
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert c.get("/fyrtarn/oversikt").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        return len(seen)

    def add_fyrtarn(n: int) -> None:
        for _ in range(n):
            offering = make_bookable(make_profile())
            book(offering, BookingState.CONFIRMED)
            book(offering, BookingState.DECLINED, for_capacity=True)
        db.session.commit()

    add_fyrtarn(2)
    few = statements()
    add_fyrtarn(8)
    assert statements() == few
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LighthouseProfile)) == 10
