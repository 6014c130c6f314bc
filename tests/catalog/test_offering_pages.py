"""What people see and do on the offering pages: the catalogue, an offering, organising it."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from catalog.enrollment import operations as ops
from catalog.offerings.models import OfferingKind, TargetGroup
from catalog.offerings.views import results_cache
from lms.db import db, set_clock
from lms.mail.models import OutboxMessage
from lms.mail.operations import render


def test_catalogue_lists_published_offerings_with_seats(client, make_offering, make_user, now):
    offering = make_offering("Programmering i matematikk", capacity=2)
    make_offering("Hemmelig utkast", publish=False)
    a = make_user()
    ops.enroll(offering.id, a, actor=a, now=now)
    db.session.commit()
    page = client.get("/kurs").get_data(as_text=True)
    assert "Programmering i matematikk" in page
    assert "1 ledig plass" in page
    assert "Hemmelig utkast" not in page
    assert "uke 40" in page  # 1 October 2026 is in ISO week 40


def test_catalogue_filters(client, make_offering):
    make_offering("Foreldremøte om skjermbruk", kind=OfferingKind.PARENT_SCHOOL, target_groups=(TargetGroup.PARENTS,))
    make_offering("Lederverksted", kind=OfferingKind.WORKSHOP, target_groups=(TargetGroup.LEADERS,), plan_area=6,
                  theme="Ledelse")
    assert "Lederverksted" not in client.get("/kurs?type=parent_school").get_data(as_text=True)
    assert "Lederverksted" in client.get("/kurs?malgruppe=leaders").get_data(as_text=True)
    assert "Foreldremøte" not in client.get("/kurs?omrade=6").get_data(as_text=True)
    assert "Lederverksted" in client.get("/kurs?q=lederverk").get_data(as_text=True)
    assert "Lederverksted" in client.get("/kurs?uke=2026-W40").get_data(as_text=True)
    assert "Lederverksted" not in client.get("/kurs?uke=2026-W45").get_data(as_text=True)
    assert "Lederverksted" in client.get("/kurs?maned=2026-10").get_data(as_text=True)
    # nonsense in the filter is ignored, not an error
    assert client.get("/kurs?uke=2026-W99&maned=13-2026&type=x&side=abc").status_code == 200


def test_full_filter_hides_full_offerings(client, make_offering, make_user, now):
    full = make_offering("Fullt kurs", capacity=1)
    make_offering("Ledig kurs", capacity=5)
    a = make_user()
    ops.enroll(full.id, a, actor=a, now=now)
    db.session.commit()
    page = client.get("/kurs?ledige=1").get_data(as_text=True)
    assert "Ledig kurs" in page and "Fullt kurs" not in page


def test_catalogue_paginates(client, make_offering, app):
    for i in range(app.config["PAGE_SIZE"] + 3):
        make_offering(f"Kurs nummer {i:02d}")
    first = client.get("/kurs").get_data(as_text=True)
    second = client.get("/kurs?side=2").get_data(as_text=True)
    assert "Side 1 av 2" in first and "Kurs nummer 22" in second and "Kurs nummer 22" not in first


def test_admin_creates_offering_with_session_and_publishes(login, admin):
    c = login(admin)
    response = c.post("/kurs/nytt", data={
        "title": "Vurdering for læring", "kind": "course", "target_groups": ["teachers"], "capacity": "20",
        "school_year": "2026", "min_participants": "0", "description": "**Viktig** <script>alert(1)</script>"})
    assert response.status_code == 303
    location = response.headers["Location"]
    offering_id = int(location.rstrip("/").split("/")[-1])
    page = c.get(location).get_data(as_text=True)
    assert "<strong>Viktig</strong>" in page and "<script>alert" not in page
    r = c.post(f"/kurs/{offering_id}/okter/ny", data={"day": "2026-10-14", "start": "14:00", "end": "15:30",
                                                      "location": "Rådhuset"})
    assert r.status_code == 303
    c.post(f"/kurs/{offering_id}/publiser")
    catalogue = c.get("/kurs").get_data(as_text=True)
    assert "Vurdering for læring" in catalogue
    assert "onsdag 14. oktober 2026 kl. 14:00" in catalogue  # Oslo time, not UTC


def test_invalid_offering_form_keeps_input_and_explains(login, admin):
    c = login(admin)
    response = c.post("/kurs/nytt", data={"title": "Mitt kurs", "kind": "course", "capacity": "null",
                                          "school_year": "2026"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Mitt kurs"' in page
    assert "Velg minst én målgruppe" in page
    assert "Skjemaet har feil" in page


def test_session_end_before_start_is_refused(login, admin, make_offering):
    offering = make_offering()
    c = login(admin)
    response = c.post(f"/kurs/{offering.id}/okter/ny", data={"day": "2026-10-14", "start": "15:00", "end": "14:00"})
    assert response.status_code == 400
    assert "Sluttid må være etter starttid" in response.get_data(as_text=True)


def test_cancelling_offering_informs_everyone(login, admin, make_offering, make_user, now):
    offering = make_offering(capacity=1)
    a, b = make_user(), make_user()
    ops.enroll(offering.id, a, actor=a, now=now)
    ops.enroll(offering.id, b, actor=b, now=now)
    db.session.commit()
    c = login(admin)
    c.post(f"/kurs/{offering.id}/avlys", data={"reason": "For få påmeldte."})
    mails = [(m.recipient, render(m)) for m in db.session.scalars(db.select(OutboxMessage))]
    cancelled = {to: m for to, m in mails if m.subject.startswith("Avlyst:")}
    assert set(cancelled) == {a.email, b.email}
    assert all("For få påmeldte." in m.text for m in cancelled.values())
    assert "Tilbudet er avlyst" in c.get(f"/kurs/{offering.id}").get_data(as_text=True)


def test_catalogue_query_count_does_not_grow_with_offerings(client, make_offering, app):
    counts = []
    for n in (2, 8):
        for i in range(n):
            make_offering(f"Kurs {n}-{i}", sessions=2)
        statements = []
        listener = lambda *args: statements.append(1)
        event.listen(db.engine, "before_cursor_execute", listener)
        client.get("/kurs")
        event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_catalogue_reuses_its_result_list_until_something_changes(client, make_offering, make_user, now):
    offering = make_offering("Lesing i alle fag", capacity=2)
    statements = []
    listener = lambda *args: statements.append(1)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert "2 ledige plasser" in client.get("/kurs").get_data(as_text=True)
        first = len(statements)
        assert "2 ledige plasser" in client.get("/kurs").get_data(as_text=True)
        assert len(statements) == first  # served from the cache: no query at all
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    teacher = make_user()
    ops.enroll(offering.id, teacher, actor=teacher, now=now)
    db.session.commit()
    assert "1 ledig plass" in client.get("/kurs").get_data(as_text=True)


def test_catalogue_keeps_an_offering_until_its_last_session(client, make_offering, now):
    make_offering("Nettverk for digital praksis", sessions=3, starts_in=timedelta(days=1))  # days 1, 8 and 15
    make_offering("Enkeltkurs", sessions=1, starts_in=timedelta(days=1))
    set_clock(now + timedelta(days=3))
    page = client.get("/kurs").get_data(as_text=True)
    assert "Nettverk for digital praksis" in page and "Har startet – neste økt:" in page
    assert "Enkeltkurs" not in page
    assert "+ 1 økter til" in page  # day 8 is next, day 15 after it
    set_clock(now + timedelta(days=16))
    results_cache.invalidate()  # a cached list lives 10 real seconds; this test jumps 13 days at once
    assert "Nettverk for digital praksis" not in client.get("/kurs").get_data(as_text=True)


# --- the catalogue shows what one can join ------------------------------------------------------------

def test_free_seats_mean_one_can_sign_up_now(client, make_offering, now):
    make_offering("Åpent kurs", capacity=10, starts_in=timedelta(days=10))
    make_offering("Startet nettverk", capacity=10, sessions=3, starts_in=timedelta(days=-1))
    make_offering("Stengt kurs", capacity=10, registration_closes_at=now - timedelta(hours=1))
    make_offering("Åpner senere", capacity=10, registration_opens_at=now + timedelta(days=2))
    page = client.get("/kurs").get_data(as_text=True)
    assert page.count("10 ledige plasser") == 1
    assert "Tilbudet har allerede startet." in page and "Påmeldingsfristen er ute." in page
    assert "Påmeldingen åpner" in page
    only_free = client.get("/kurs?ledige=1").get_data(as_text=True)
    assert "Åpent kurs" in only_free
    for closed in ("Startet nettverk", "Stengt kurs", "Åpner senere"):
        assert closed not in only_free


def test_what_one_can_join_comes_first_by_its_next_session(client, make_offering, make_user, now):
    make_offering("Startet i går", sessions=3, starts_in=timedelta(days=-1))
    make_offering("Om en måned", starts_in=timedelta(days=30))
    full = make_offering("Fullt om to uker", capacity=1, starts_in=timedelta(days=14))
    make_offering("Neste uke", starts_in=timedelta(days=7))
    teacher = make_user()
    ops.enroll(full.id, teacher, actor=teacher, now=now)
    db.session.commit()
    page = client.get("/kurs").get_data(as_text=True)
    order = sorted(["Startet i går", "Om en måned", "Fullt om to uker", "Neste uke"], key=page.index)
    # A full course can still be joined (its waitlist), a started one not.
    assert order == ["Neste uke", "Fullt om to uker", "Om en måned", "Startet i går"]


def test_the_free_seat_filter_agrees_with_the_enrollment_rules(client, make_offering, make_user, now):
    """Every offering the filter lists can be signed up for with a seat; every other one cannot."""
    offerings = [
        make_offering("A åpent", starts_in=timedelta(days=3)),
        make_offering("B startet", sessions=2, starts_in=timedelta(days=-2)),
        make_offering("C fullt", capacity=1),
        make_offering("D frist ute", registration_closes_at=now),
        make_offering("E åpner", registration_opens_at=now + timedelta(minutes=1)),
        make_offering("F åpnet", registration_opens_at=now - timedelta(minutes=1)),
    ]
    taker = make_user()
    ops.enroll(offerings[2].id, taker, actor=taker, now=now)
    db.session.commit()
    listed = client.get("/kurs?ledige=1").get_data(as_text=True)
    for offering in offerings:
        can_get_a_seat = ops.registration_problem(offering, now) is None and offering.seats_left > 0
        assert (offering.title in listed) == can_get_a_seat, offering.title


@pytest.mark.parametrize("typed", ["41", "uke 41", "Uke 41", "uke41", "veke 41", "week 41", "Week 41", "2026-W41",
                                   "2026-w41", " 2026 W41 ", "uke 41 2026"])
def test_the_week_filter_reads_what_people_type(client, make_offering, typed):
    make_offering("I uke 41", starts_in=timedelta(days=36))  # Tuesday 6 October 2026
    make_offering("I uke 40", starts_in=timedelta(days=30))
    response = client.get("/kurs", query_string={"uke": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "I uke 41" in page and "I uke 40" not in page
    assert 'value="2026-W41"' in page


def test_a_week_that_cannot_be_read_is_kept_and_explained(client, make_offering):
    make_offering("I uke 40", starts_in=timedelta(days=30))
    page = client.get("/kurs?uke=neste+uke").get_data(as_text=True)
    assert "Forstod ikke uka" in page and 'value="neste uke"' in page
    assert "I uke 40" in page  # the rest of the filter still answers


def test_a_week_without_a_year_is_the_coming_one(client, make_offering):
    make_offering("Vårkurs", starts_in=timedelta(days=36 + 7 * 17))  # ISO week 5 of 2027 (2026 has 53 weeks)
    page = client.get("/kurs?uke=uke+5").get_data(as_text=True)
    assert "Vårkurs" in page and 'value="2027-W05"' in page


# --- cancelling a session: its own button, a confirmation, a reason in the mail ----------------------

def test_cancelling_a_session_asks_first_and_sends_the_reason(login, admin, make_offering, make_user, now):
    offering = make_offering("Digital vurdering", sessions=2)
    people = [make_user() for _ in range(3)]
    for person in people:
        ops.enroll(offering.id, person, actor=person, now=now)
    db.session.commit()
    c = login(admin)
    second = offering.live_sessions[1]
    show = c.get(f"/kurs/{offering.id}").get_data(as_text=True)
    assert f'href="/kurs/{offering.id}/okter/{second.id}/avlys"' in show
    confirm = c.get(f"/kurs/{offering.id}/okter/{second.id}/avlys").get_data(as_text=True)
    assert "Alle 3 deltakerne får beskjed på e-post" in confirm
    assert "Begrunnelse til deltakerne (valgfritt)" in confirm
    assert second.status.value == "scheduled"  # looking at the page changed nothing
    response = c.post(f"/kurs/{offering.id}/okter/{second.id}/avlys", data={"reason": "Foreleseren er syk."},
                      follow_redirects=True)
    assert "Økten er avlyst. 3 deltakere har fått beskjed." in response.get_data(as_text=True)
    mails = [render(m) for m in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "catalog.session_cancelled"))]
    assert len(mails) == 3 and all("Begrunnelse fra arrangøren: Foreleseren er syk." in m.text for m in mails)


def test_a_too_long_session_reason_is_refused_and_kept(login, admin, make_offering):
    offering = make_offering(sessions=2)
    session = offering.live_sessions[0]
    c = login(admin)
    response = c.post(f"/kurs/{offering.id}/okter/{session.id}/avlys", data={"reason": "x" * 2001})
    assert response.status_code == 400 and "x" * 2001 in response.get_data(as_text=True)
    db.session.refresh(session)
    assert session.status.value == "scheduled"


# --- Norwegian content in an English page ----------------------------------------------------------------

def test_norwegian_content_is_marked_in_an_english_page(login, make_offering, make_user):
    offering = make_offering("Vurdering for læring", description="Kurset gir **praktiske verktøy**.",
                             theme="Vurdering")
    teacher = make_user(locale="en")
    c = login(teacher)
    show = c.get(f"/kurs/{offering.id}").get_data(as_text=True)
    assert '<html lang="en"' in show
    assert '<h1 class="ds-heading" data-size="lg" lang="nb">Vurdering for læring</h1>' in show
    assert '<div class="kp-prose" lang="nb"><p>Kurset gir <strong>praktiske verktøy</strong>.</p>' in show
    catalogue = c.get("/kurs").get_data(as_text=True)
    assert f'href="/kurs/{offering.id}" lang="nb">Vurdering for læring</a>' in catalogue


def test_pages_run_on_from_what_one_can_join_to_the_rest(client, make_offering, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for title, days in (("Åpent 1", 3), ("Åpent 2", 5), ("Åpent 3", 7), ("Startet 2", -2), ("Startet 1", -1)):
        make_offering(title, sessions=3, starts_in=timedelta(days=days))
    pages = [client.get(f"/kurs?side={n}").get_data(as_text=True) for n in (1, 2, 3)]

    def titles(page):
        return sorted((t for t in ("Åpent 1", "Åpent 2", "Åpent 3", "Startet 2", "Startet 1") if f">{t}</a>" in page),
                      key=page.index)
    assert [titles(p) for p in pages] == [["Åpent 1", "Åpent 2"], ["Åpent 3", "Startet 2"], ["Startet 1"]]
    assert "Side 3 av 3" in pages[2]
