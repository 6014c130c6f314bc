"""Parent events: sign-up without an account, hall and stream, waitlist, manage link, limits, forgetting."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.policy import default as default_policy

import icalendar
import pytest
import sqlalchemy as sa

from catalog.offerings import operations as offering_ops
from catalog.offerings.models import Offering
from catalog.parents import operations as ops
from catalog.parents.models import AttendanceMode, ParentEventKind, ParentSignup, SignupState
from lms.auth.operations import PermissionDenied
from lms.db import db, set_clock
from lms.mail import operations as mail
from lms.mail.models import OutboxMessage
from lms.people.models import Role, User
from lms.settings import operations as settings
from tests.conftest import NOW, vacuum
from tests.interleave import before_first_call, commit_elsewhere
from tests.lms.test_mail import send as send  # the fixture: `flask mail send` in this process
from tests.lms.test_mail import smtp as smtp  # the fixture: a real SMTP server on loopback

STREAM_URL = "https://video.kommune.example/hemmelig-strom-42"


@pytest.fixture
def school(make_school):
    return make_school("Eikeli skole")


@pytest.fixture
def other_school(make_school):
    return make_school("Bekkestua skole")


@pytest.fixture
def leader(make_user, school):
    return make_user("Rita Rektor", roles=(Role.LEADER,), school=school, email="rektor@eikeli.test")


@pytest.fixture
def make_event(admin, now, make_school):
    def make(title="Foreldreskole for 1. trinn", *, actor=None, school="own", mode=AttendanceMode.BOTH, hall=3,
             stream=None, grades=(1,), kind=ParentEventKind.PARENT_SCHOOL, starts_in=timedelta(days=14),
             questions=False):
        start = now + starts_in
        if school == "own":
            school = make_school()
        event = ops.create_event(ops.EventData(
            title=title, kind=kind, school_id=school.id if school else None, starts_at=start,
            ends_at=start + timedelta(hours=2), mode=mode, hall_capacity=hall if mode != AttendanceMode.STREAM else None,
            stream_capacity=stream, stream_url=STREAM_URL if mode != AttendanceMode.HALL else "",
            location="Eikeli skole, aulaen", grades=list(grades), takes_questions=questions),
            actor=actor or admin, now=now if start > now else start - timedelta(days=60))  # a past one was made before
        db.session.commit()
        return event
    return make


def signup(event, n=1, *, mode=AttendanceMode.HALL, party=1, school_id=None, grade=None, now=NOW, locale="nb"):
    return ops.sign_up(event.id, ops.SignupData(name=f"Forelder {n}", email=f"forelder{n}@example.no", mode=mode,
                                                party_size=party, school_id=school_id, grade=grade, locale=locale),
                       now=now)


def outbox(kind=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def sent(message: OutboxMessage):
    """Return the mail as the worker would send it, parsed back by the standard library."""
    built = mail.build_email(message, mail.render(message), sender="Kommunen <post@kommune.test>", now=NOW)
    return message_from_bytes(built.as_bytes(), policy=default_policy)


def text_of(parsed) -> str:
    return parsed.get_body(("plain",)).get_content()


def manage_path(parsed) -> str:
    return re.search(r"https?://[^/\s]+(/foreldre/p/[A-Za-z0-9_-]+)", text_of(parsed)).group(1)


# --- seats: hall, stream, waitlist --------------------------------------------------

def test_hall_seats_counted_by_party_then_waitlist_then_promoted_in_order(make_event):
    event = make_event(hall=3)
    first = signup(event, 1, party=2)
    second = signup(event, 2, party=1)
    third = signup(event, 3, party=2)
    fourth = signup(event, 4, party=1)
    db.session.commit()
    assert (first.signup.state, second.signup.state) == (SignupState.CONFIRMED, SignupState.CONFIRMED)
    # A party of two at the head of the queue is not passed by one behind it.
    assert third.waitlisted and fourth.waitlisted
    assert (event.offering.seats_taken, event.offering.waitlist_length) == (3, 2)
    ops.cancel_signup(second.signup, now=NOW)
    db.session.commit()
    assert third.signup.state == SignupState.WAITLISTED  # one seat free, party of two waits
    ops.cancel_signup(first.signup, now=NOW)
    db.session.commit()
    assert third.signup.state == SignupState.CONFIRMED and fourth.signup.state == SignupState.CONFIRMED
    assert (event.offering.seats_taken, event.offering.waitlist_length) == (3, 0)
    promoted = outbox("parents.promoted")
    assert [m.recipient for m in promoted] == ["forelder3@example.no", "forelder4@example.no"]
    assert "Du har fått plass i salen" in sent(promoted[0])["Subject"]


def test_full_stream_is_refused_and_unlimited_stream_takes_everyone(make_event):
    limited = make_event(mode=AttendanceMode.STREAM, stream=2)
    signup(limited, 1, mode=AttendanceMode.STREAM)
    signup(limited, 2, mode=AttendanceMode.STREAM)
    with pytest.raises(ops.ParentError, match="Strømmingen er full"):
        signup(limited, 3, mode=AttendanceMode.STREAM)
    db.session.rollback()
    open_stream = make_event("Brukerforum", mode=AttendanceMode.STREAM, stream=None)
    for n in range(10):
        assert signup(open_stream, n, mode=AttendanceMode.STREAM).signup.state == SignupState.CONFIRMED
    assert open_stream.stream_taken == 10


def test_second_signup_with_same_email_updates_the_first(make_event):
    event = make_event(hall=5)
    first = signup(event, 1, party=1)
    again = ops.sign_up(event.id, ops.SignupData(name="Forelder Ny", email="FORELDER1@example.no",
                                                 mode=AttendanceMode.HALL, party_size=2), now=NOW)
    db.session.commit()
    assert again.updated and again.signup.id == first.signup.id
    rows = db.session.scalars(sa.select(ParentSignup)).all()
    assert len(rows) == 1 and rows[0].name == "Forelder Ny" and rows[0].party_size == 2
    assert event.offering.seats_taken == 2
    # The first mail's link no longer opens anything.
    assert ops.find_by_token(first.token) is None and ops.find_by_token(again.token).id == first.signup.id


def test_moving_to_stream_frees_the_hall_seat_for_the_waitlist(make_event):
    event = make_event(hall=1)
    first = signup(event, 1)
    waiting = signup(event, 2)
    ops.change_mode(first.signup, AttendanceMode.STREAM, 1, now=NOW)
    db.session.commit()
    assert waiting.signup.state == SignupState.CONFIRMED and first.signup.mode == AttendanceMode.STREAM
    assert (event.offering.seats_taken, event.stream_taken) == (1, 1)


def test_token_is_random_long_and_only_its_hash_is_stored(make_event):
    event = make_event()
    result = signup(event)
    db.session.commit()
    assert len(result.token) >= 32  # 256 random bits, url-safe
    row = db.session.get(ParentSignup, result.signup.id)
    assert row.token_hash != result.token and result.token not in str(db.session.execute(
        sa.select(ParentSignup.__table__)).all())


# --- mails ---------------------------------------------------------------------------

def test_confirmation_mail_in_the_parents_language_with_invitation_and_manage_link(make_event, client):
    event = make_event()
    signup(event, 1)
    db.session.commit()
    parsed = sent(outbox("parents.signed_up")[0])
    assert parsed["To"] == "forelder1@example.no"
    assert "Påmeld" in parsed["Subject"]
    body = text_of(parsed)
    assert "Hei Forelder 1" in body
    ics = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert ics and ics[0].get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(ics[0].get_content())
    vevent = calendar.walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == "Foreldreskole for 1. trinn"
    assert STREAM_URL not in body
    page = client.get(manage_path(parsed))
    assert page.status_code == 200 and "forelder1@example.no" in page.get_data(as_text=True)


def test_mail_is_written_in_nynorsk_and_english_for_those_who_signed_up_so(make_event):
    event = make_event()
    signup(event, 1, locale="nn")
    signup(event, 2, locale="en")
    db.session.commit()
    nn, en = (sent(m) for m in outbox("parents.signed_up"))
    assert "Endre, melde av eller slette påmeldinga, og sjå kva vi har lagra om deg:" in text_of(nn)
    assert "Change, cancel or delete your sign-up, and see what we hold about you:" in text_of(en)
    assert en["Subject"].startswith("Signed up") or "Foreldreskole for 1. trinn" in en["Subject"]


def test_stream_link_only_in_the_reminder_shortly_before_and_only_once(make_event, client):
    event = make_event(starts_in=timedelta(days=2))
    signup(event, 1, mode=AttendanceMode.STREAM)
    signup(event, 2, mode=AttendanceMode.HALL)
    db.session.commit()
    assert ops.queue_stream_reminders(NOW) == 0  # two days ahead: too early
    soon = event.offering.first_starts_at - timedelta(hours=2)
    assert ops.queue_stream_reminders(soon) == 1
    assert ops.queue_stream_reminders(soon + timedelta(minutes=30)) == 0
    db.session.commit()
    reminder = outbox("parents.stream_reminder")
    assert [m.recipient for m in reminder] == ["forelder1@example.no"]
    assert STREAM_URL in text_of(sent(reminder[0]))
    for path in ("/foreldre", f"/foreldre/{event.id}", f"/foreldre/skole/{event.offering.id}/plakat"):
        assert STREAM_URL not in client.get(path).get_data(as_text=True)


# --- the public pages --------------------------------------------------------------

def test_parent_list_filters_by_school_and_grade_without_signing_in(make_event, school, other_school, client):
    make_event("Foreldreskole Eikeli 1. trinn", school=school, grades=(1,))
    make_event("Foreldremøte Bekkestua 8. trinn", school=other_school, grades=(8,))
    make_event("Brukerforum for alle", school=None, grades=())
    everything = client.get("/foreldre").get_data(as_text=True)
    assert all(t in everything for t in ("Eikeli 1. trinn", "Bekkestua 8. trinn", "Brukerforum for alle"))
    at_eikeli = client.get(f"/foreldre?skole={school.id}").get_data(as_text=True)
    assert "Eikeli 1. trinn" in at_eikeli and "Brukerforum for alle" in at_eikeli and "Bekkestua" not in at_eikeli.split("<main")[1].split("</select>")[-1]
    eighth = client.get("/foreldre?trinn=8").get_data(as_text=True)
    assert "Bekkestua 8. trinn" in eighth and "Eikeli 1. trinn" not in eighth
    assert client.get("/foreldre?skole=99999999999999999999&trinn=-3").status_code == 200


def test_signup_form_asks_only_what_the_event_needs(make_event, school, client):
    own = make_event(school=school, grades=(1,), mode=AttendanceMode.HALL)
    page = client.get(f"/foreldre/{own.id}").get_data(as_text=True)
    assert 'name="name"' in page and 'name="email"' in page and 'name="party_size"' in page
    assert 'name="school_id"' not in page and 'name="grade"' not in page and 'name="mode"' not in page
    assert 'href="/foreldre/personvern"' in page
    municipal = make_event("Brukerforum", school=None, mode=AttendanceMode.STREAM, grades=())
    page = client.get(f"/foreldre/{municipal.id}").get_data(as_text=True)
    assert 'name="school_id"' in page and 'name="grade"' in page and 'name="party_size"' not in page
    assert client.get("/foreldre/personvern").status_code == 200


def test_signup_through_the_page_with_bad_input_keeps_what_was_typed(make_event, client):
    event = make_event("Brukerforum", school=None, mode=AttendanceMode.BOTH, grades=())
    response = client.post(f"/foreldre/{event.id}", data={"name": "Kari Nordmann", "email": "ikke-en-adresse",
                                                          "school_id": "999999999999", "grade": "17",
                                                          "mode": "tribune", "party_size": "9"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Skjemaet har feil som må rettes" in page and "Kari Nordmann" in page and "ikke-en-adresse" in page
    assert "Skriv en gyldig e-postadresse" in page and "Velg skolen barnet ditt går på." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ParentSignup)) == 0


def test_signup_through_the_page_and_full_hall_says_so(make_event, school, client):
    event = make_event(school=school, hall=1, mode=AttendanceMode.BOTH)
    ok = client.post(f"/foreldre/{event.id}", data={"name": "Kari", "email": "kari@example.no", "mode": "hall",
                                                    "party_size": "1"}, follow_redirects=True)
    assert "Du er påmeldt" in ok.get_data(as_text=True)
    page = client.get(f"/foreldre/{event.id}").get_data(as_text=True)
    assert "Salen er full." in page and "Du kan følge strømmingen" in page
    waiting = client.post(f"/foreldre/{event.id}", data={"name": "Ola", "email": "ola@example.no", "mode": "hall",
                                                         "party_size": "1"}, follow_redirects=True)
    assert "ventelisten" in waiting.get_data(as_text=True)


def test_honeypot_filled_keeps_nothing(make_event, school, client):
    event = make_event(school=school)
    response = client.post(f"/foreldre/{event.id}", data={"name": "Bot", "email": "bot@example.no", "mode": "hall",
                                                           "party_size": "1", "nettside": "http://spam"})
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ParentSignup)) == 0 and not outbox()


def test_burst_from_one_address_is_refused_in_norwegian_with_429(make_event, school, client):
    event = make_event(school=school, hall=500, mode=AttendanceMode.HALL)
    settings.set_value(ops.ADDRESS_LIMIT.key, "5")
    db.session.commit()
    codes = [client.post(f"/foreldre/{event.id}", data={"name": f"P {n}", "email": f"p{n}@example.no",
                                                        "party_size": "1"}).status_code for n in range(7)]
    assert codes[:5] == [303] * 5 and codes[5:] == [429, 429]
    page = client.post(f"/foreldre/{event.id}", data={"name": "Siste", "email": "siste@example.no",
                                                      "party_size": "1"}).get_data(as_text=True)
    assert "for mange påmeldinger fra denne nettadressen" in page and "Siste" in page
    set_clock(NOW + timedelta(hours=2))
    assert client.post(f"/foreldre/{event.id}", data={"name": "Senere", "email": "senere@example.no",
                                                      "party_size": "1"}).status_code == 303


def test_same_email_is_limited_per_day(make_event, school):
    make_event(school=school)
    for _ in range(settings.get(ops.EMAIL_LIMIT.key)):
        ops.check_limits("10.0.0.1", "a@example.no", NOW)
    with pytest.raises(ops.TooMany, match="denne e-postadressen"):
        ops.check_limits("10.0.0.2", "a@example.no", NOW)


# --- the manage link ---------------------------------------------------------------

def test_manage_link_changes_cancels_and_deletes_and_wrong_or_used_links_are_404(make_event, school, client):
    event = make_event(school=school, hall=2)
    result = signup(event, 1)
    db.session.commit()
    assert client.get("/foreldre/p/" + "A" * 43).status_code == 404
    assert client.get("/foreldre/p/x").status_code == 404
    response = client.get(f"/foreldre/p/{result.token}")
    page = response.get_data(as_text=True)
    assert "Dette har vi lagret om deg" in page and "Forelder 1" in page
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    changed = client.post(f"/foreldre/p/{result.token}/endre", data={"mode": "stream", "party_size": "1"})
    assert changed.status_code == 303
    assert client.get(f"/foreldre/p/{result.token}").status_code == 404  # the change mailed a new link
    token = manage_path(sent(outbox("parents.signed_up")[-1])).rsplit("/", 1)[1]
    assert client.post(f"/foreldre/p/{token}/avmeld").status_code == 303
    assert db.session.get(ParentSignup, result.signup.id).state == SignupState.CANCELLED
    assert client.post(f"/foreldre/p/{token}/slett").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ParentSignup)) == 0
    assert client.get(f"/foreldre/p/{token}").status_code == 404
    assert all(m.recipient == "" for m in outbox())


@pytest.mark.parametrize("action, form", [("avmeld", {}), ("endre", {"mode": "stream", "party_size": "1"})],
                         ids=["cancelling", "changing"])
def test_a_parent_acting_as_the_organiser_deletes_the_event_is_told_it_is_gone(
        app, make_event, admin, client, monkeypatch, action, form):
    """PostgreSQL: the event is deleted in the catalogue after the page found the sign-up, before the seat lock."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite: the page takes the write lock at its first statement, so no deletion comes between")
    event = make_event(hall=2)
    result = signup(event, 1)
    offering_id, admin_id = event.offering_id, admin.id
    db.session.commit()

    def delete_event():
        offering_ops.delete_offering(db.session.get(Offering, offering_id), actor=db.session.get(User, admin_id),
                                     now=NOW)

    ran = before_first_call(monkeypatch, ops, "_lock", lambda: commit_elsewhere(app, delete_event))
    answer = client.post(f"/foreldre/p/{result.token}/{action}", data=form)
    assert ran == [True] and answer.status_code == 303
    assert answer.headers["Location"] == f"/foreldre/p/{result.token}"
    page = client.get(answer.headers["Location"])
    assert page.status_code == 404  # the sign-up went with the event
    assert '<p class="ds-paragraph">Arrangementet finnes ikke.</p>' in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ParentSignup)) == 0
    assert outbox("parents.cancelled") == [] and len(outbox("parents.signed_up")) == 1  # no mail of a change


# --- organisers ----------------------------------------------------------------------

def test_leader_creates_events_for_own_school_only(leader, school, other_school, login):
    c = login(leader)
    form = {"title": "Foreldremøte 5. trinn", "kind": "parent_meeting", "school_id": str(school.id),
            "grades": ["5"], "day": "2026-10-06", "start": "18:00", "end": "19:30", "mode": "hall",
            "location": "Aulaen", "hall_capacity": "80"}
    response = c.post("/foreldre/arrangor/nytt", data=form)
    assert response.status_code == 303
    created = db.session.scalar(sa.select(Offering).where(Offering.title == "Foreldremøte 5. trinn"))
    assert created is not None and created.organiser == "Eikeli skole" and created.capacity == 80
    refused = c.post("/foreldre/arrangor/nytt", data={**form, "school_id": str(other_school.id)})
    assert refused.status_code == 400 and "Velg bare blant alternativene" in refused.get_data(as_text=True)
    with pytest.raises(Exception):
        ops.create_event(ops.EventData(title="x", kind=ParentEventKind.PARENT_MEETING, school_id=other_school.id,
                                       starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=3, hours=1),
                                       mode=AttendanceMode.HALL, hall_capacity=3, location="x"), actor=leader, now=NOW)


def test_door_list_and_csv_for_the_organiser_only(make_event, leader, school, make_user, login):
    event = make_event(school=school, actor=leader)
    signup(event, 1)
    ops.sign_up(event.id, ops.SignupData(name="=HYPERLINK(1)", email="x@example.no", mode=AttendanceMode.HALL),
                now=NOW)
    db.session.commit()
    c = login(leader)
    assert "Forelder 1" in c.get(f"/foreldre/arrangor/{event.id}").get_data(as_text=True)
    csv_text = c.get(f"/foreldre/arrangor/{event.id}/deltakere.csv").get_data(as_text=True)
    assert "forelder1@example.no" in csv_text and "'=HYPERLINK(1)" in csv_text
    stranger = login(make_user("Annen Rektor", roles=(Role.LEADER,)))
    assert stranger.get(f"/foreldre/arrangor/{event.id}").status_code == 403
    assert stranger.get(f"/foreldre/arrangor/{event.id}/deltakere.csv").status_code == 403


def test_questions_are_kept_apart_and_shown_without_who_asked(make_event, leader, school, login, client):
    event = make_event("Brukerforum", school=school, actor=leader, kind=ParentEventKind.USER_FORUM, questions=True)
    signup(event, 1)
    db.session.commit()
    assert client.post(f"/foreldre/{event.id}/sporsmal", data={"q-question": "Hvor lenge bruker elevene skjerm?"}
                       ).status_code == 303
    page = login(leader).get(f"/foreldre/arrangor/{event.id}").get_data(as_text=True)
    questions_part = page.split("Spørsmål på forhånd")[1]
    assert "Hvor lenge bruker elevene skjerm?" in questions_part and "Forelder 1" not in questions_part


def test_poster_has_a_qr_code_of_the_schools_link(school, client):
    page = client.get(f"/foreldre/skole/{school.id}/plakat").get_data(as_text=True)
    assert "<svg" in page and f"/foreldre?skole={school.id}" in page
    assert client.get("/foreldre/skole/99999/plakat").status_code == 404


# --- forgetting ----------------------------------------------------------------------

def _text_values() -> str:
    """Every text value of every table, joined: what a search of the database would find."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON))]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)):
            found.extend(str(v) for v in row if v is not None)
    return "\n".join(found)


def test_purge_after_retention_forgets_every_parent_and_keeps_the_counts(make_event, school, other_school,
                                                                        leader, admin, login):
    event = make_event("Brukerforum", school=None, grades=(), hall=2, mode=AttendanceMode.BOTH, questions=True)
    kept = make_event("Senere møte", school=school, actor=leader, starts_in=timedelta(days=60))
    signup(event, 1, party=2, school_id=school.id, grade=3)
    signup(event, 2, school_id=other_school.id, grade=8)  # waitlisted: not reached
    signup(event, 3, mode=AttendanceMode.STREAM, school_id=school.id, grade=3)
    later = signup(kept, 9)
    ops.add_question(event, "Et spørsmål fra Forelder 1", now=NOW)
    ops.record_attendance(event, {s.id for s in ops.door_list(event) if s.name == "Forelder 1"}, actor=admin)
    db.session.commit()
    before = ops.counts(event)
    assert before == {"hall": 2, "stream": 1, "waiting": 1, "attended": 2}
    start = NOW
    figures_before = ops.plan_figures([school.id, other_school.id], start, start + timedelta(days=30))
    end = max(s.ends_at for s in event.offering.sessions)
    assert ops.purge(end + timedelta(days=29)).events == 0  # not yet
    report = ops.purge(end + timedelta(days=31))
    db.session.commit()
    assert report.events == 1 and report.signups == 3
    values = _text_values()
    for n in (1, 2, 3):
        assert f"Forelder {n}" not in values and f"forelder{n}@example.no" not in values
    assert "forelder9@example.no" in values  # the later event keeps its sign-ups
    assert ops.counts(event) == {**before, "waiting": 0}
    assert ops.plan_figures([school.id, other_school.id], start, start + timedelta(days=30)) == figures_before
    assert figures_before[school.id] == {"events": 0, "reached": 3, "attended": 2}
    page = login(leader).get(f"/foreldre/arrangor/{kept.id}").get_data(as_text=True)
    assert "Forelder 9" in page
    admin_page = login(admin)
    gone = admin_page.get(f"/foreldre/arrangor/{event.id}")
    assert "Deltakerlisten ble slettet" in gone.get_data(as_text=True)
    assert admin_page.get(f"/foreldre/arrangor/{event.id}/deltakere.csv").status_code == 410
    assert ops.find_by_token(later.token) is not None


def test_plan_figures_count_the_schools_own_events_in_the_period(make_event, school, other_school, leader):
    own = make_event(school=school, actor=leader, hall=10)
    make_event("Utenfor perioden", school=school, actor=leader, starts_in=timedelta(days=200))
    signup(own, 1, party=2)
    db.session.commit()
    figures = ops.plan_figures([school.id, other_school.id], NOW, NOW + timedelta(days=90))
    assert figures == {school.id: {"events": 1, "reached": 2, "attended": 0},
                       other_school.id: {"events": 0, "reached": 0, "attended": 0}}
    assert ops.plan_figures([school.id], NOW, NOW + timedelta(days=90), event_ids=[]) == {
        school.id: {"events": 0, "reached": 0, "attended": 0}}


def test_parent_list_query_count_does_not_grow_with_events(make_event, make_school, client):
    from sqlalchemy import event as sa_event
    counts = []
    for n in (2, 8):
        for i in range(n):
            make_event(f"Møte {n}-{i}", school=make_school() if i % 2 else None, grades=(1, 2))
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        sa_event.listen(db.engine, "before_cursor_execute", listener)
        page = client.get("/foreldre").get_data(as_text=True)
        sa_event.remove(db.engine, "before_cursor_execute", listener)
        assert f"Møte {n}-{n - 1}" in page
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_parent_list_is_paged(make_event, client):
    for i in range(23):
        make_event(f"Kveld {i:02d}", school=None, starts_in=timedelta(days=3 + i))
    first = client.get("/foreldre").get_data(as_text=True)
    assert "Kveld 00" in first and "Kveld 19" in first and "Kveld 20" not in first and "side=2" in first
    second = client.get("/foreldre?side=2").get_data(as_text=True)
    assert "Kveld 20" in second and "Kveld 22" in second and "Kveld 19" not in second
    assert client.get("/foreldre?side=99999999999999").status_code == 200


def test_a_new_event_shows_in_the_list_at_once(make_event, client):
    make_event("Første kveld", school=None)
    assert "Første kveld" in client.get("/foreldre").get_data(as_text=True)
    make_event("Andre kveld", school=None)
    assert "Andre kveld" in client.get("/foreldre").get_data(as_text=True)


def test_demo_programme_shows_its_home_school_rows_for_parents(app, client, now):
    from catalog.demo import load_demo
    from lms.people.demo import load_people
    load_people(now)
    load_demo(now)
    db.session.commit()
    first = db.session.scalar(sa.select(sa.func.count()).select_from(ops.ParentEvent))
    load_demo(now)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ops.ParentEvent)) == first >= 4
    page = client.get("/foreldre").get_data(as_text=True)
    assert "Foreldreskole" in page and "Brukerforum/webinar" in page
    assert "video.kommune.example" not in page


def test_cancelling_the_offering_in_the_catalogue_tells_every_parent(make_event, admin):
    from catalog.offerings import operations as offering_ops
    event = make_event(hall=1)
    signup(event, 1)
    signup(event, 2)  # waiting
    signup(event, 3, mode=AttendanceMode.STREAM)
    db.session.commit()
    offering_ops.cancel_offering(event.offering, actor=admin, now=NOW, reason="Foredragsholderen er syk.")
    db.session.commit()
    assert {s.state for s in db.session.scalars(sa.select(ParentSignup))} == {SignupState.CANCELLED}
    told = outbox("parents.cancelled")
    assert sorted(m.recipient for m in told) == [f"forelder{n}@example.no" for n in (1, 2, 3)]
    parsed = sent(told[0])
    assert parsed["Subject"].startswith("Avlyst") and "Foredragsholderen er syk." in text_of(parsed)
    assert (event.offering.seats_taken, event.offering.waitlist_length, event.stream_taken) == (0, 0, 0)


def test_cron_commands_purge_and_remind(app, make_event):
    event = make_event(starts_in=timedelta(days=-40))
    db.session.add(ParentSignup(event_id=event.id, name="Gammel Forelder", email="gammel@example.no",
                                email_key="gammel@example.no", mode=AttendanceMode.HALL, party_size=1,
                                state=SignupState.CONFIRMED, token_hash="0" * 64, created_at=NOW))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["parents", "purge"])
    assert result.exit_code == 0 and "1 arrangementer ryddet, 1 påmeldinger slettet" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ParentSignup)) == 0
    result = runner.invoke(args=["parents", "remind"])
    assert result.exit_code == 0 and "0 strømmelenker" in result.output


def test_catalogue_page_of_a_parent_offering_points_parents_to_their_sign_up(make_event, client):
    event = make_event()
    page = client.get(f"/kurs/{event.offering_id}").get_data(as_text=True)
    assert "Foresatte melder seg på under «For foreldre», uten konto." in page and 'href="/foreldre"' in page
    assert STREAM_URL not in page


def test_a_parent_signing_up_in_english_gets_the_mail_over_smtp_and_manages_with_it(app, smtp, make_event, client):
    event = make_event("Foreldreskole", mode=AttendanceMode.HALL)
    client.post("/sprak", data={"lang": "en"})
    response = client.post(f"/foreldre/{event.id}", data={"name": "Emma Parent", "email": "emma@example.no",
                                                          "party_size": "2"}, follow_redirects=True)
    assert "Thank you! You are signed up." in response.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    [received] = smtp.inbox.messages
    assert received["To"] == "emma@example.no" and received["Subject"] == "Enrolled: Foreldreskole"
    text = received.get_body(("plain",)).get_content()
    assert "Hi Emma Parent" in text and "Number coming: 2" in text
    [invitation] = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    vevent = icalendar.Calendar.from_ical(invitation.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == "Foreldreskole" and "emma@example.no" in str(vevent["ATTENDEE"])
    path = re.search(r"https?://[^/\s]+(/foreldre/p/[A-Za-z0-9_-]+)", text).group(1)
    assert "What we hold about you" in client.get(path).get_data(as_text=True)


def test_each_parent_waiting_for_the_hall_sees_their_own_place_on_the_manage_page_and_moves_up(make_event, school,
                                                                                               client):
    """Those who join at the same moment are served in the order they signed up."""
    event = make_event(school=school, hall=1, mode=AttendanceMode.HALL)
    seated, *waiting = [signup(event, n) for n in range(1, 5)]

    def shown(result) -> str:
        page = client.get(f"/foreldre/p/{result.token}").get_data(as_text=True)
        return page.split("<strong>", 1)[1].split("</p>", 1)[0]
    assert "ventelisten" not in shown(seated)
    assert [shown(w).split("– ")[1] for w in waiting] == [
        "nummer 1 på ventelisten", "nummer 2 på ventelisten", "nummer 3 på ventelisten"]
    ops.cancel_signup(waiting[1].signup, now=NOW)
    db.session.commit()
    assert [shown(w).split("– ")[1] for w in (waiting[0], waiting[2])] == [
        "nummer 1 på ventelisten", "nummer 2 på ventelisten"]


def test_a_parents_place_counts_only_those_who_joined_this_halls_waitlist_before_them(make_event, school, client):
    """Someone waiting for another event is not ahead, and those who joined later are not either."""
    other = make_event("Foreldremøte for 2. trinn", school=school, hall=1, mode=AttendanceMode.HALL)
    signup(other, 10), signup(other, 11)  # one seated there, one waiting there from the start
    event = make_event(school=school, hall=1, mode=AttendanceMode.HALL)
    signup(event, 1)  # takes the one seat
    waiting = [signup(event, n, now=NOW + timedelta(minutes=n)) for n in (2, 3, 4)]
    db.session.commit()

    def place(result) -> str:
        page = client.get(f"/foreldre/p/{result.token}").get_data(as_text=True)
        return page.split("<strong>", 1)[1].split("</p>", 1)[0].split("– ")[1]
    assert [place(w) for w in waiting] == [
        "nummer 1 på ventelisten", "nummer 2 på ventelisten", "nummer 3 på ventelisten"]


@pytest.mark.parametrize("how", ["manage page", "signing up again"])
def test_a_parent_moving_from_the_stream_to_a_full_hall_is_put_on_its_waitlist_not_told_of_a_clash(
        make_event, school, client, how):
    """Found by mutation testing: the move answered 409 "Endret samtidig" though nobody else changed anything."""
    event = make_event(school=school, hall=1, mode=AttendanceMode.BOTH, stream=5)
    signup(event, 1)  # takes the hall's one seat
    watching = signup(event, 2, mode=AttendanceMode.STREAM)
    db.session.commit()
    if how == "manage page":
        moved = client.post(f"/foreldre/p/{watching.token}/endre", data={"mode": "hall", "party_size": "1"})
    else:
        moved = client.post(f"/foreldre/{event.id}", data={"name": "Forelder 2", "email": "forelder2@example.no",
                                                            "mode": "hall", "party_size": "1"})
    assert moved.status_code == 303
    db.session.expire_all()
    after = db.session.get(ParentSignup, watching.signup.id)
    assert (after.state, after.mode) == (SignupState.WAITLISTED, AttendanceMode.HALL)
    assert after.waitlisted_at is not None and db.session.get(type(event), event.id).stream_taken == 0
    token = manage_path(sent(outbox("parents.signed_up")[-1])).rsplit("/", 1)[1]
    assert "nummer 1 på ventelisten" in client.get(f"/foreldre/p/{token}").get_data(as_text=True)


GOOD_EVENT = dict(title="Foreldreskole for 1. trinn", kind=ParentEventKind.PARENT_SCHOOL, mode=AttendanceMode.BOTH,
                  hall_capacity=40, stream_capacity=None, stream_url=STREAM_URL, location="Aulaen", grades=[1])


@pytest.mark.parametrize(("change", "message"), [
    ({"title": "  "}, "Arrangementet må ha en tittel."),
    ({"mode": AttendanceMode.HALL, "hall_capacity": None}, "Skriv hvor mange plasser det er i salen."),
    ({"mode": AttendanceMode.HALL, "hall_capacity": 0}, "Skriv hvor mange plasser det er i salen."),
    ({"hall_capacity": -3}, "Skriv hvor mange plasser det er i salen."),
    ({"mode": AttendanceMode.HALL, "location": " "}, "Skriv hvor arrangementet holdes."),
    ({"location": ""}, "Skriv hvor arrangementet holdes."),
    ({"mode": AttendanceMode.STREAM, "hall_capacity": None, "stream_url": " "}, "Skriv lenken til strømmingen."),
    ({"stream_url": ""}, "Skriv lenken til strømmingen."),
    ({"stream_capacity": 0}, "Plasser på strømmingen må være minst 1, eller tomt for ingen grense."),
    ({"grades": [1, 11]}, "Velg trinn mellom 1 og 10."),
    ({"grades": [0]}, "Velg trinn mellom 1 og 10."),
], ids=["no title", "hall without seats", "hall of no seats", "both with fewer than none", "hall without a place",
        "both without a place", "stream without a link", "both without a link", "stream of no places",
        "grade 11", "grade 0"])
def test_an_event_missing_what_parents_need_is_refused_word_for_word_and_nothing_is_published(
        change, message, admin, school):
    """The operation's own refusals, as any caller meets them (the organiser's form refuses most of these first)."""
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Offering))
    start = NOW + timedelta(days=10)
    data = ops.EventData(**{**GOOD_EVENT, **change}, school_id=school.id, starts_at=start,
                         ends_at=start + timedelta(hours=2))
    with pytest.raises(ops.ParentError) as refused:
        ops.create_event(data, actor=admin, now=NOW)
    assert str(refused.value) == message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == before


def test_the_smallest_event_parents_can_come_to_is_taken(admin, school):
    """One seat in the hall, one place on the stream, a place and grades 1 and 10: the bounds themselves are allowed."""
    start = NOW + timedelta(days=10)
    event = ops.create_event(ops.EventData(**{**GOOD_EVENT, "hall_capacity": 1, "stream_capacity": 1,
                                              "grades": [1, 10]}, school_id=school.id, starts_at=start,
                                           ends_at=start + timedelta(hours=2)), actor=admin, now=NOW)
    db.session.commit()
    assert event.stream_capacity == 1 and event.offering.capacity == 1
    stream_only = ops.create_event(ops.EventData(**{**GOOD_EVENT, "title": "Strømmet foreldremøte",
                                                    "mode": AttendanceMode.STREAM, "hall_capacity": None,
                                                    "location": ""}, school_id=school.id, starts_at=start,
                                                 ends_at=start + timedelta(hours=2)), actor=admin, now=NOW)
    db.session.commit()
    assert stream_only.mode == AttendanceMode.STREAM and stream_only.offering.location == ""


@pytest.mark.parametrize(("where", "change", "message"), [
    ("own", {"name": "   "}, "Skriv navnet ditt."),
    ("own", {"name": "N" * (ops.NAME_LENGTH + 1)}, f"Navnet kan ha høyst {ops.NAME_LENGTH} tegn."),
    ("hall only", {"mode": AttendanceMode.STREAM}, "Velg om du kommer i salen eller følger strømmingen."),
    ("municipality", {"school_id": None}, "Velg skolen barnet ditt går på."),
    ("municipality", {"school_id": 987654}, "Velg skolen barnet ditt går på."),
    ("two grades", {"grade": None}, "Velg trinnet barnet ditt går på."),
    ("two grades", {"grade": 3}, "Velg trinnet barnet ditt går på."),
    ("own", {"party_size": 3}, "Velg hvor mange dere kommer (1 eller 2)."),
    ("own", {"party_size": 0}, "Velg hvor mange dere kommer (1 eller 2)."),
], ids=["no name", "name too long", "stream at a hall-only event", "no school", "a school that is not there",
        "no grade", "a grade the event is not for", "three in the party", "nobody in the party"])
def test_a_sign_up_missing_what_the_event_needs_is_refused_word_for_word_and_takes_no_place(
        where, change, message, make_event, school):
    """The operation's own refusals, as any caller meets them (the sign-up form refuses most of these first)."""
    event = {"own": lambda: make_event(school=school),
             "hall only": lambda: make_event(school=school, mode=AttendanceMode.HALL),
             "municipality": lambda: make_event(school=None),
             "two grades": lambda: make_event(school=school, grades=(1, 2))}[where]()
    school_id = school.id if where == "two grades" else None
    data = {"name": "Forelder 1", "email": "forelder1@example.no", "mode": AttendanceMode.HALL,
            "school_id": school_id, "grade": 1, "party_size": 1, **change}
    with pytest.raises(ops.ParentError) as refused:
        ops.sign_up(event.id, ops.SignupData(**data), now=NOW)
    assert str(refused.value) == message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ParentSignup)) == 0


def test_a_sign_up_takes_what_the_event_decides_and_a_name_of_the_longest_length(make_event, school):
    """A one-grade school event records its school and grade for the parent; the longest name is taken whole."""
    event = make_event(school=school, grades=(4,))
    longest = "N" * ops.NAME_LENGTH
    ops.sign_up(event.id, ops.SignupData(name=longest, email="lang@example.no", mode=AttendanceMode.HALL,
                                         school_id=None, grade=None, party_size=2), now=NOW)
    db.session.commit()
    taken = db.session.scalar(sa.select(ParentSignup))
    assert (taken.name, taken.school_id, taken.grade, taken.party_size) == (longest, school.id, 4, 2)


def test_a_new_event_is_in_the_catalogue_as_parents_expect_it(admin, leader, school, client):
    """What create_event writes is what the catalogue, the plan's area 6 and the calendars read."""
    start = NOW + timedelta(days=10)
    event = ops.create_event(ops.EventData(
        title="  Foreldreskole: skjermtid  ", kind=ParentEventKind.PARENT_SCHOOL, school_id=school.id,
        starts_at=start, ends_at=start + timedelta(hours=2), mode=AttendanceMode.BOTH, hall_capacity=40,
        stream_capacity=100, stream_url=f" {STREAM_URL} ", location=" Eikeli skole, aulaen ",
        description=" Om skjerm og søvn. ", grades=[2, 1, 2], takes_questions=True), actor=leader, now=NOW)
    db.session.commit()
    offering = event.offering
    assert (offering.title, offering.theme, offering.target_group_text, offering.organiser, offering.location,
            offering.description, offering.capacity, offering.plan_area) == (
        "Foreldreskole: skjermtid", "Samarbeid hjem-skole", "Foreldre", "Eikeli skole", "Eikeli skole, aulaen",
        "Om skjerm og søvn.", 40, 6)
    assert (offering.responsible_id, offering.created_at, offering.updated_at) == (leader.id, NOW, NOW)
    assert offering.schedule.owner_kind == "catalog.offering"
    assert [(s.starts_at, s.ends_at) for s in offering.schedule.sessions] == [(start, start + timedelta(hours=2))]
    assert (event.stream_capacity, event.stream_url, event.created_by_id, event.created_at, event.grades) == (
        100, STREAM_URL, leader.id, NOW, [1, 2])
    page = client.get(f"/kurs/{offering.id}").get_data(as_text=True)
    assert "Foreldreskole: skjermtid" in page and "Samarbeid hjem-skole" in page and "Eikeli skole, aulaen" in page

    stream_only = ops.create_event(ops.EventData(
        title="Foreldremøte på nett", kind=ParentEventKind.PARENT_MEETING, school_id=None, starts_at=start,
        ends_at=start + timedelta(hours=1), mode=AttendanceMode.STREAM, stream_url=STREAM_URL,
        location="Ingen sal"), actor=admin, now=NOW)
    hall_only = ops.create_event(ops.EventData(
        title="Foreldremøte i salen", kind=ParentEventKind.PARENT_MEETING, school_id=school.id, starts_at=start,
        ends_at=start + timedelta(hours=1), mode=AttendanceMode.HALL, hall_capacity=30, location="Aulaen",
        stream_capacity=50, stream_url=STREAM_URL), actor=admin, now=NOW)
    db.session.commit()
    # A stream-only event has no hall (its one seat is never taken); a hall-only one keeps no stream.
    assert (stream_only.offering.capacity, stream_only.offering.location, stream_only.offering.organiser) == (
        1, "", ops.MUNICIPALITY)
    assert (hall_only.stream_capacity, hall_only.stream_url) == (None, "")


@pytest.mark.parametrize("case", ["another school's leader", "a school that is not there", "ends before it starts"])
def test_an_event_the_organiser_may_not_make_is_refused_word_for_word(case, leader, admin, other_school):
    start = NOW + timedelta(days=10)
    actor, school_id, ends, error, message = {
        "another school's leader": (leader, other_school.id, start + timedelta(hours=1), PermissionDenied,
                                    "Du kan bare lage foreldrearrangementer for skoler du leder."),
        "a school that is not there": (admin, 987654, start + timedelta(hours=1), ops.ParentError,
                                       "Skolen finnes ikke."),
        "ends before it starts": (admin, other_school.id, start - timedelta(hours=1), ops.ParentError,
                                  "Sluttidspunktet må være etter starttidspunktet."),
    }[case]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Offering))
    with pytest.raises(error) as refused:
        ops.create_event(ops.EventData(title="Foreldremøte", kind=ParentEventKind.PARENT_MEETING, school_id=school_id,
                                       starts_at=start, ends_at=ends, mode=AttendanceMode.HALL, hall_capacity=30,
                                       location="Aulaen"), actor=actor, now=NOW)
    assert str(refused.value) == message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == before


def test_plan_figures_count_an_event_from_the_first_moment_of_the_period_and_not_at_its_end_nor_called_off(
        make_event, school, leader, admin):
    """The period is [start, end): an evening starting at its first moment counts, one starting as it ends does not,
    and one called off never counts, nor do the parents who had signed up for it."""
    from catalog.offerings import operations as offering_ops

    held = make_event("Holdt", school=school, actor=leader, starts_in=timedelta(days=14))
    called_off = make_event("Avlyst", school=school, actor=leader, starts_in=timedelta(days=14, hours=3))
    signup(held, 1, party=2)
    signup(called_off, 2)
    db.session.commit()
    start = held.offering.sessions[0].starts_at
    empty = {"events": 0, "reached": 0, "attended": 0}
    assert ops.plan_figures([school.id], start, start + timedelta(days=1))[school.id] == {
        "events": 2, "reached": 3, "attended": 0}
    assert ops.plan_figures([school.id], start - timedelta(days=1), start)[school.id] == empty
    assert ops.plan_figures([school.id], start + timedelta(hours=1), start + timedelta(days=1))[school.id] == {
        "events": 1, "reached": 1, "attended": 0}  # the later one alone
    # The plan's measure links name its events: only those count.
    assert ops.plan_figures([school.id], start, start + timedelta(days=1), event_ids=[called_off.id])[school.id] \
        == {"events": 1, "reached": 1, "attended": 0}
    offering_ops.cancel_offering(called_off.offering, actor=admin, now=NOW, reason="Foredragsholderen er syk.")
    db.session.commit()
    assert ops.plan_figures([school.id], start, start + timedelta(days=1))[school.id] == {
        "events": 1, "reached": 2, "attended": 0}
    assert ops.plan_figures([school.id], start, start + timedelta(days=1), event_ids=[called_off.id])[school.id] \
        == empty
    # Its one session called off, the event is not held either, though the offering stands.
    offering_ops.cancel_session(held.offering, held.offering.sessions[0], actor=admin, now=NOW, reason="Snøstorm.")
    db.session.commit()
    assert held.offering.status != called_off.offering.status
    assert ops.plan_figures([school.id], start, start + timedelta(days=1))[school.id]["events"] == 0


# --- forgetting: what is kept, when, and of which mails ---------------------------------

def _purge_time(event, after):
    """The moment ``after`` past the retention days after the event's last session."""
    end = max(s.ends_at for s in event.offering.sessions)
    return end + timedelta(days=settings.get(ops.RETENTION_DAYS.key)) + after


def test_purge_keeps_one_count_per_school_grade_and_mode_summing_every_sign_up_in_it(
        make_event, school, other_school, admin):
    """What is kept of the parents is their numbers: people, sign-ups and attended, per child's school, grade and mode."""
    from catalog.parents.models import ParentTally

    event = make_event("Brukerforum", school=None, grades=(), hall=5, mode=AttendanceMode.BOTH)
    signup(event, 1, party=2, school_id=school.id, grade=3)
    signup(event, 2, party=1, school_id=school.id, grade=3)
    signup(event, 3, party=1, school_id=school.id, grade=4)
    signup(event, 4, mode=AttendanceMode.STREAM, school_id=other_school.id, grade=3)
    present = {s.id for s in ops.door_list(event) if s.name in ("Forelder 1", "Forelder 2")}
    ops.record_attendance(event, present, actor=admin)
    db.session.commit()
    report = ops.purge(_purge_time(event, timedelta(seconds=1)))
    db.session.commit()
    kept = {(t.school_id, t.grade, t.mode, t.people, t.signups, t.attended)
            for t in db.session.scalars(sa.select(ParentTally).where(ParentTally.event_id == event.id))}
    assert kept == {(school.id, 3, AttendanceMode.HALL, 3, 2, 3), (school.id, 4, AttendanceMode.HALL, 1, 1, 0),
                    (other_school.id, 3, AttendanceMode.STREAM, 1, 1, 0)}
    assert (report.events, report.signups) == (1, 4)
    assert ops.counts(event) == {"hall": 4, "stream": 1, "waiting": 0, "attended": 3}


def test_purge_takes_an_event_only_once_its_retention_days_are_fully_past_and_only_once(make_event, app):
    first = make_event("Første kveld", hall=2)
    second = make_event("Andre kveld", hall=2)
    signup(first, 1)
    signup(second, 2)
    db.session.commit()
    assert ops.purge(_purge_time(first, timedelta(0))).events == 0  # the last day itself still keeps them
    at = _purge_time(first, timedelta(seconds=1))
    report = ops.purge(at)
    db.session.commit()
    assert (report.events, report.signups) == (2, 2)
    again = ops.purge(at + timedelta(days=1))
    db.session.commit()
    assert (again.events, again.signups) == (0, 0)
    assert (first.purged_at, second.purged_at) == (at, at)
    result = app.test_cli_runner().invoke(args=["parents", "purge"])
    assert result.exit_code == 0 and "0 arrangementer ryddet, 0 påmeldinger slettet" in result.output


def test_a_purged_event_shows_in_the_catalogue_with_no_seat_taken_and_nobody_waiting(make_event, client):
    event = make_event(hall=2, mode=AttendanceMode.HALL)
    for n in (1, 2, 3):
        signup(event, n)
    db.session.commit()
    at = _purge_time(event, timedelta(seconds=1))
    set_clock(at)
    page = client.get(f"/kurs/{event.offering_id}").get_data(as_text=True)
    assert "2 av 2 tatt" in page and "1 venter" in page  # what the purge must clear
    ops.purge(at)
    db.session.commit()
    page = client.get(f"/kurs/{event.offering_id}").get_data(as_text=True)
    assert "0 av 2 tatt" in page and "0 venter" in page


def test_purge_forgets_the_mails_of_the_event_and_those_past_retention_and_keeps_the_rest(make_event):
    """A mail about a purged event loses its address however recent; another event's only once it is old."""
    event = make_event("Over", hall=2)
    kept = make_event("Senere", hall=5, starts_in=timedelta(days=60))
    late = signup(event, 1)
    db.session.commit()
    end = max(s.ends_at for s in event.offering.sessions)
    retention = timedelta(days=settings.get(ops.RETENTION_DAYS.key))
    at = end + retention + timedelta(hours=1)
    cutoff = at - retention
    ops.cancel_signup(late.signup, now=end + timedelta(days=1))  # after the event: a recent mail about it
    signup(kept, 2, now=NOW)  # long ago
    signup(kept, 3, now=cutoff)  # exactly the retention days ago
    db.session.commit()
    report = ops.purge(at)
    db.session.commit()
    [cancelled] = outbox("parents.cancelled")
    assert (cancelled.recipient, cancelled.body_text, cancelled.params) == ("", "", {})
    assert cancelled.failed_at == at and cancelled.sent_at is None  # never sent to nobody
    assert [m.recipient for m in outbox("parents.signed_up")] == ["", "", "forelder3@example.no"]
    assert report.mails == 3


def test_purge_deletes_the_attempts_older_than_the_longest_limit_and_keeps_the_rest(make_event):
    from catalog.parents.models import ParentAttempt

    make_event()
    at = NOW + timedelta(days=3)
    for when in (at - timedelta(days=1, seconds=1), at - ops.ATTEMPT_WINDOW, at - timedelta(hours=1)):
        ops.check_limits("10.0.0.1", "a@example.no", when)
    db.session.commit()
    ops.purge(at)
    db.session.commit()
    assert sorted(db.session.scalars(sa.select(ParentAttempt.at))) == [at - ops.ATTEMPT_WINDOW,
                                                                       at - timedelta(hours=1)]


# --- questions in advance ------------------------------------------------------------

@pytest.mark.parametrize(("case", "message"), [
    ("takes none", "Dette arrangementet tar ikke imot spørsmål på forhånd."),
    ("started", "Spørsmål kan bare sendes før arrangementet starter."),
    ("blank", "Skriv spørsmålet ditt."),
    ("too long", f"Spørsmålet kan ha høyst {ops.QUESTION_LENGTH} tegn."),
], ids=["takes none", "started", "blank", "too long"])
def test_a_question_the_event_cannot_take_is_refused_word_for_word_and_nothing_is_kept(case, message, make_event):
    """The operation's own refusals, as any caller meets them (the question form refuses the last two first)."""
    from catalog.parents.models import ParentQuestion

    event = make_event("Brukerforum", kind=ParentEventKind.USER_FORUM, questions=case != "takes none")
    now = event.offering.first_starts_at + timedelta(minutes=1) if case == "started" else NOW
    text = {"blank": "  \n ", "too long": "S" * (ops.QUESTION_LENGTH + 1)}.get(case, "Hvor lenge varer det?")
    with pytest.raises(ops.ParentError) as refused:
        ops.add_question(event, text, now=now)
    assert str(refused.value) == message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ParentQuestion)) == 0


def test_questions_are_listed_to_the_organiser_in_the_order_they_were_sent_and_the_longest_is_kept_whole(
        make_event, leader, school, login):
    """The order is that of the times the questions came in, even when a later one was written first."""
    event = make_event("Brukerforum", school=school, actor=leader, kind=ParentEventKind.USER_FORUM, questions=True)
    longest = "L" * ops.QUESTION_LENGTH
    set_clock(NOW + timedelta(minutes=10))
    ops.add_question(event, "Sendt sist", now=NOW + timedelta(minutes=5))
    ops.add_question(event, longest, now=NOW + timedelta(minutes=2))
    db.session.commit()
    page = login(leader).get(f"/foreldre/arrangor/{event.id}").get_data(as_text=True)
    listed = re.findall(r"<li>([^<]*)</li>", page.split("Spørsmål på forhånd")[1])
    assert listed == [longest, "Sendt sist"]


# --- limits over time ----------------------------------------------------------------

def test_the_address_limit_counts_that_address_over_the_last_hour_and_refuses_word_for_word(make_event):
    """The times are the caller's: the clock stands at NOW meanwhile."""
    make_event()
    settings.set_value(ops.ADDRESS_LIMIT.key, "2")
    at = NOW + timedelta(hours=5)
    ops.check_limits("10.0.0.1", "a@example.no", at)
    ops.check_limits("10.0.0.1", "b@example.no", at)
    with pytest.raises(ops.TooMany) as refused:
        ops.check_limits("10.0.0.1", "c@example.no", at + timedelta(minutes=59))
    assert str(refused.value) == ("Det er sendt for mange påmeldinger fra denne nettadressen den siste timen. "
                                  "Vent litt og prøv igjen, eller kontakt skolen.")
    ops.check_limits("10.0.0.2", "c@example.no", at + timedelta(minutes=59))  # another address
    ops.check_limits("10.0.0.1", "c@example.no", at + timedelta(hours=1))  # an hour on, the two are past


def test_the_email_limit_counts_that_address_over_the_last_day_and_refuses_word_for_word(make_event):
    """The times are the caller's: the clock stands at NOW meanwhile."""
    make_event()
    settings.set_value(ops.EMAIL_LIMIT.key, "2")
    at = NOW + timedelta(hours=5)
    ops.check_limits("10.0.0.1", "a@example.no", at)
    ops.check_limits("10.0.0.2", "a@example.no", at)
    with pytest.raises(ops.TooMany) as refused:
        ops.check_limits("10.0.0.3", "a@example.no", at + timedelta(hours=23))
    assert str(refused.value) == ("Det er sendt for mange påmeldinger med denne e-postadressen det siste døgnet. "
                                  "Bruk lenken i e-posten du har fått for å endre påmeldingen.")
    ops.check_limits("10.0.0.4", "b@example.no", at + timedelta(hours=23))  # another e-mail
    ops.check_limits("10.0.0.5", "a@example.no", at + ops.ATTEMPT_WINDOW)  # a day on, the two are past


def test_limits_of_one_let_the_first_attempt_through_and_refuse_the_second(make_event):
    make_event()
    settings.set_value(ops.ADDRESS_LIMIT.key, "1")
    settings.set_value(ops.EMAIL_LIMIT.key, "1")
    ops.check_limits("10.0.0.1", "a@example.no", NOW)
    with pytest.raises(ops.TooMany, match="denne nettadressen"):
        ops.check_limits("10.0.0.1", "b@example.no", NOW)
    with pytest.raises(ops.TooMany, match="denne e-postadressen"):
        ops.check_limits("10.0.0.2", "a@example.no", NOW)


def test_questions_have_no_email_and_meet_only_the_address_limit(make_event, school, client):
    """More questions than the e-mail limit allows sign-ups, from one browser, are all taken."""
    event = make_event("Brukerforum", school=school, kind=ParentEventKind.USER_FORUM, questions=True)
    many = settings.get(ops.EMAIL_LIMIT.key) + 1
    codes = [client.post(f"/foreldre/{event.id}/sporsmal", data={"q-question": f"Spørsmål {n}"}).status_code
             for n in range(many)]
    assert codes == [303] * many
    assert len(ops.questions(event)) == many


# --- changing and signing up again ----------------------------------------------------

@pytest.mark.parametrize(("case", "message"), [
    ("cancelled", "Påmeldingen er avmeldt. Meld deg på igjen fra arrangementssiden."),
    ("started", "Tilbudet har allerede startet."),
    ("the same", "Påmeldingen er allerede slik."),
    ("full stream", "Strømmingen er full."),
], ids=["cancelled", "started", "the same", "full stream"])
def test_a_change_the_rules_refuse_is_refused_word_for_word_and_the_place_is_kept(case, message, make_event):
    event = make_event(hall=3, stream=1)
    result = signup(event, 1)
    signup(event, 2, mode=AttendanceMode.STREAM)  # the stream's one place
    if case == "cancelled":
        ops.cancel_signup(result.signup, now=NOW)
    db.session.commit()
    mode = AttendanceMode.HALL if case == "the same" else AttendanceMode.STREAM
    now = event.offering.first_starts_at + timedelta(minutes=1) if case == "started" else NOW
    with pytest.raises(ops.ParentError) as refused:
        ops.change_mode(result.signup, mode, 1, now=now)
    assert str(refused.value) == message
    db.session.rollback()
    kept = db.session.get(ParentSignup, result.signup.id)
    state = SignupState.CANCELLED if case == "cancelled" else SignupState.CONFIRMED
    assert (kept.state, kept.mode, kept.party_size) == (state, AttendanceMode.HALL, 1)
    assert (event.offering.seats_taken, event.stream_taken) == (0 if case == "cancelled" else 1, 1)


def test_a_parent_refused_a_full_stream_keeps_the_hall_seat_they_had(make_event):
    """The refusal puts the sign-up back as it was, in the same transaction, for the caller to go on with."""
    event = make_event(hall=3, stream=1)
    result = signup(event, 1, party=2)
    signup(event, 2, mode=AttendanceMode.STREAM)
    before = result.signup.waitlisted_at
    with pytest.raises(ops.ParentError, match="Strømmingen er full."):
        ops.change_mode(result.signup, AttendanceMode.STREAM, 1, now=NOW)
    assert (result.signup.state, result.signup.mode, result.signup.party_size, result.signup.waitlisted_at) == (
        SignupState.CONFIRMED, AttendanceMode.HALL, 2, before)


def test_a_parent_of_a_municipal_evening_changes_how_they_come_keeping_school_and_grade_and_is_mailed_the_change(
        make_event, school):
    """The times are the caller's: the clock stands at NOW meanwhile."""
    event = make_event("Foreldrekveld", school=None, grades=(), hall=5)
    result = signup(event, 1, school_id=school.id, grade=3)
    db.session.commit()
    ops.change_mode(result.signup, AttendanceMode.HALL, 2, now=NOW)
    assert (result.signup.mode, result.signup.party_size, event.offering.seats_taken) == (AttendanceMode.HALL, 2, 2)
    later = NOW + timedelta(hours=2)
    ops.change_mode(result.signup, AttendanceMode.STREAM, 1, now=later)
    db.session.commit()
    changed = db.session.get(ParentSignup, result.signup.id)
    assert (changed.state, changed.mode, changed.school_id, changed.grade) == (
        SignupState.CONFIRMED, AttendanceMode.STREAM, school.id, 3)
    assert (event.offering.seats_taken, event.stream_taken) == (0, 1)
    mailed = sent(outbox("parents.signed_up")[-1])
    assert mailed["Subject"] == "Endret påmelding: Foreldrekveld"
    assert mailed["Message-ID"].startswith(f"<{later:%Y%m%d%H%M%S}.")


def test_signing_up_for_an_event_not_there_or_started_is_refused_word_for_word(make_event):
    event = make_event()
    with pytest.raises(ops.ParentError) as refused:
        ops.sign_up(987654, ops.SignupData(name="Forelder 1", email="forelder1@example.no",
                                           mode=AttendanceMode.HALL), now=NOW)
    assert str(refused.value) == "Arrangementet finnes ikke."
    with pytest.raises(ops.ParentError) as refused:
        signup(event, 1, now=event.offering.first_starts_at)
    assert str(refused.value) == "Tilbudet har allerede startet."
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ParentSignup)) == 0


def test_the_same_email_at_another_event_is_a_sign_up_of_its_own(make_event):
    first, second = make_event("Første kveld"), make_event("Andre kveld")
    one, other = signup(first, 1), signup(second, 1)
    db.session.commit()
    assert (one.updated, other.updated) == (False, False) and one.signup.id != other.signup.id
    assert (other.signup.event_id, first.offering.seats_taken, second.offering.seats_taken) == (second.id, 1, 1)


def test_a_parent_who_cancelled_and_signs_up_again_is_signed_up_anew(make_event):
    event = make_event("Foreldrekveld", hall=2)
    first = signup(event, 1)
    ops.cancel_signup(first.signup, now=NOW)
    again = signup(event, 1)
    db.session.commit()
    assert not again.updated and again.signup.id != first.signup.id
    assert (first.signup.state, again.signup.state, event.offering.seats_taken) == (
        SignupState.CANCELLED, SignupState.CONFIRMED, 1)
    assert sent(outbox("parents.signed_up")[-1])["Subject"] == "Påmeldt: Foreldrekveld"


def test_signing_up_again_with_the_same_choices_keeps_the_place_and_the_page_says_which(make_event, school, client):
    event = make_event("Foreldrekveld", school=school, hall=1, mode=AttendanceMode.HALL)
    for n in (1, 2, 3):
        signup(event, n)  # one seated, two waiting
    db.session.commit()
    page = client.post(f"/foreldre/{event.id}", data={"name": "Forelder To", "email": "forelder2@example.no",
                                                      "party_size": "1"}, follow_redirects=True)
    assert "Salen er full, så du står som nr. 1 på ventelisten til salen." in page.get_data(as_text=True)
    page = client.post(f"/foreldre/{event.id}", data={"name": "Forelder En", "email": "forelder1@example.no",
                                                      "party_size": "1"}, follow_redirects=True)
    assert "Påmeldingen din er oppdatert." in page.get_data(as_text=True)
    db.session.expire_all()
    assert (event.offering.seats_taken, event.offering.waitlist_length) == (1, 2)
    assert [s.name for s in ops.waiting_list(event)] == ["Forelder To", "Forelder 3"]
    mails = outbox("parents.signed_up")
    assert sent(mails[-1])["Subject"] == "Endret påmelding: Foreldrekveld"
    assert sent(mails[-2])["Subject"] == "Venteliste: Foreldrekveld"


def test_the_manage_page_shows_when_the_parent_signed_up_and_the_mail_is_of_that_moment(make_event, client):
    """The times are the caller's: the clock stands at NOW (10:00 in Oslo) meanwhile."""
    event = make_event()
    result = signup(event, 1, now=NOW + timedelta(hours=2))
    db.session.commit()
    page = client.get(f"/foreldre/p/{result.token}").get_data(as_text=True)
    assert "kl. 12:00" in page.split("<dt>Påmeldt</dt>", 1)[1].split("</dd>", 1)[0]
    assert sent(outbox("parents.signed_up")[-1])["Message-ID"].startswith("<20260901100000.")


# --- the stream reminders ---------------------------------------------------------------

def test_the_reminder_goes_to_each_confirmed_stream_parent_of_a_session_held_within_the_hours_and_once(
        make_event, admin, app):
    """The window is (now, now + the hours]: a session starting at its far end is reminded, one starting now is not.
    The times are the caller's: the clock stands at NOW meanwhile."""
    from catalog.offerings import operations as offering_ops

    event = make_event("Strømmet kveld", starts_in=timedelta(days=2))
    called_off = make_event("Avlyst økt", starts_in=timedelta(days=2))
    first, second = signup(event, 1, mode=AttendanceMode.STREAM), signup(event, 2, mode=AttendanceMode.STREAM)
    ops.cancel_signup(signup(event, 3, mode=AttendanceMode.STREAM).signup, now=NOW)
    signup(event, 4)  # in the hall: no link
    signup(called_off, 5, mode=AttendanceMode.STREAM)
    offering_ops.cancel_session(called_off.offering, called_off.offering.sessions[0], actor=admin, now=NOW,
                                reason="Foredragsholderen er syk.")
    db.session.commit()
    start = event.offering.first_starts_at
    hours = timedelta(hours=settings.get(ops.STREAM_REMINDER_HOURS.key))
    assert ops.queue_stream_reminders(start - hours - timedelta(seconds=1)) == 0
    assert ops.queue_stream_reminders(start - hours) == 2
    db.session.commit()
    reminders = outbox("parents.stream_reminder")
    assert [m.recipient for m in reminders] == ["forelder1@example.no", "forelder2@example.no"]
    mailed = sent(reminders[0])
    assert mailed["Message-ID"].startswith(f"<{start - hours:%Y%m%d%H%M%S}.")
    manage = db.session.get(ParentSignup, first.signup.id)
    assert ops.find_by_token(manage_path(mailed).rsplit("/", 1)[1]) == manage  # the reminder's link opens hers
    late = signup(event, 6, mode=AttendanceMode.STREAM)
    assert ops.queue_stream_reminders(start - timedelta(hours=1)) == 1  # the new one only, past those reminded
    signup(event, 7, mode=AttendanceMode.STREAM, now=start - timedelta(minutes=30))
    assert ops.queue_stream_reminders(start) == 0  # started: too late
    db.session.commit()
    assert [m.recipient for m in outbox("parents.stream_reminder")] == [
        "forelder1@example.no", "forelder2@example.no", "forelder6@example.no"]
    assert second.signup.id < late.signup.id


def test_the_reminder_of_the_sooner_session_is_sent_first(make_event):
    """The worker sends the oldest mail first: the parents whose session starts sooner are queued first."""
    from lms.mail.operations import send_pending

    later = make_event("Senere kveld", starts_in=timedelta(days=2, hours=1))
    sooner = make_event("Tidligere kveld", starts_in=timedelta(days=2))
    signup(later, 1, mode=AttendanceMode.STREAM)  # signed up first, for the later session
    signup(sooner, 2, mode=AttendanceMode.STREAM)
    db.session.commit()
    send_pending()  # the confirmations
    assert ops.queue_stream_reminders(sooner.offering.first_starts_at - timedelta(hours=1)) == 2
    db.session.commit()
    assert send_pending(limit=1).sent == 1
    db.session.expire_all()
    assert {m.recipient: m.sent_at is not None for m in outbox("parents.stream_reminder")} == {
        "forelder2@example.no": True, "forelder1@example.no": False}


# --- the hall's waitlist -----------------------------------------------------------------

def test_the_first_to_join_the_halls_waitlist_is_first_even_when_an_older_sign_up_joins_it_later(
        make_event, school, client):
    """A parent moving from the stream to the full hall queues behind those already waiting, though signed up first."""
    event = make_event(school=school, hall=1, stream=5)
    moving = signup(event, 1, mode=AttendanceMode.STREAM)
    seated = signup(event, 2)
    waiting = signup(event, 3)
    token = ops.change_mode(moving.signup, AttendanceMode.HALL, 1, now=NOW + timedelta(minutes=1))
    db.session.commit()

    def place(token) -> str:
        page = client.get(f"/foreldre/p/{token}").get_data(as_text=True)
        return page.split("<strong>", 1)[1].split("</p>", 1)[0].split("– ")[1]
    assert [place(waiting.token), place(token)] == ["nummer 1 på ventelisten", "nummer 2 på ventelisten"]
    ops.cancel_signup(seated.signup, now=NOW + timedelta(minutes=2))
    db.session.commit()
    assert (waiting.signup.state, moving.signup.state) == (SignupState.CONFIRMED, SignupState.WAITLISTED)
    assert [m.recipient for m in outbox("parents.promoted")] == ["forelder3@example.no"]


def test_a_seat_freed_after_the_start_is_given_to_nobody(make_event):
    event = make_event(hall=1)
    seated, waiting = signup(event, 1), signup(event, 2)
    db.session.commit()
    ops.cancel_signup(seated.signup, now=event.offering.first_starts_at + timedelta(minutes=1))
    db.session.commit()
    assert waiting.signup.state == SignupState.WAITLISTED and not outbox("parents.promoted")
    assert (event.offering.seats_taken, event.offering.waitlist_length) == (0, 1)


def test_a_seat_freed_is_given_only_to_those_waiting_for_the_same_event(make_event):
    event, other = make_event("Første kveld", hall=1), make_event("Andre kveld", hall=1)
    seated = signup(event, 1)
    signup(other, 2)
    waiting_elsewhere = signup(other, 3)
    db.session.commit()
    ops.cancel_signup(seated.signup, now=NOW)
    db.session.commit()
    assert waiting_elsewhere.signup.state == SignupState.WAITLISTED and not outbox("parents.promoted")
    assert (event.offering.seats_taken, other.offering.seats_taken, other.offering.waitlist_length) == (0, 1, 1)


def test_the_promoted_parent_is_mailed_their_own_manage_link_at_the_moment_the_seat_came(make_event, client):
    """The times are the caller's: the clock stands at NOW meanwhile."""
    event = make_event(hall=1)
    seated, waiting = signup(event, 1), signup(event, 2)
    db.session.commit()
    when = NOW + timedelta(hours=1)
    ops.cancel_signup(seated.signup, now=when)
    db.session.commit()
    [promoted] = outbox("parents.promoted")
    mailed = sent(promoted)
    assert mailed["Message-ID"].startswith(f"<{when:%Y%m%d%H%M%S}.")
    page = client.get(manage_path(mailed)).get_data(as_text=True)
    assert "Dette har vi lagret om deg" in page and "Forelder 2" in page
    assert ops.find_by_token(waiting.token) is None  # the older link is spent


# --- the parents' list ----------------------------------------------------------------------

def test_the_parent_list_is_soonest_first_without_cancelled_events_until_three_hours_after_the_start(
        make_event, admin):
    from catalog.offerings import operations as offering_ops

    make_event("Om tre dager", starts_in=timedelta(days=3))
    first = make_event("I morgen", starts_in=timedelta(days=1))
    make_event("I morgen også", starts_in=timedelta(days=1))
    offering_ops.cancel_offering(make_event("Avlyst", starts_in=timedelta(days=2)).offering, actor=admin, now=NOW,
                                 reason="Foredragsholderen er syk.")
    db.session.commit()
    assert [e.offering.title for e in ops.upcoming(NOW)] == ["I morgen", "I morgen også", "Om tre dager"]
    three_hours_on = first.offering.first_starts_at + timedelta(hours=3)
    assert [e.offering.title for e in ops.upcoming(three_hours_on)] == ["I morgen", "I morgen også", "Om tre dager"]
    assert [e.offering.title for e in ops.upcoming(three_hours_on + timedelta(seconds=1))] == ["Om tre dager"]


def test_two_evenings_at_one_moment_are_listed_in_the_order_they_were_made_also_after_one_was_moved(
        make_event, admin, client):
    """The older evening is moved to the younger one's start: on PostgreSQL its offering's row is then written last."""
    older = make_event("Flyttet hit", starts_in=timedelta(days=2))
    younger = make_event("Her fra før", starts_in=timedelta(days=1))
    [session] = older.offering.schedule.sessions
    offering_ops.update_session(older.offering, session, actor=admin, now=NOW,
                                starts_at=younger.offering.first_starts_at,
                                ends_at=younger.offering.first_starts_at + timedelta(hours=2))
    db.session.commit()
    assert [e.offering.title for e in ops.upcoming(NOW)] == ["Flyttet hit", "Her fra før"]
    page = _body(client.get("/foreldre"))
    assert page.index("Flyttet hit") < page.index("Her fra før")


def test_the_parent_list_for_a_grade_has_that_grades_events_and_those_for_every_grade(make_event):
    make_event("For 3. trinn", grades=(3, 4))
    make_event("For alle trinn", grades=())
    make_event("For 8. trinn", grades=(8,))
    db.session.commit()
    assert [e.offering.title for e in ops.upcoming(NOW, grade=3)] == ["For 3. trinn", "For alle trinn"]


def test_the_poster_lists_the_schools_first_two_hundred_events_soonest_first(make_event, school, client):
    for n in range(201):
        make_event(f"Kveld nr. {n:03d}", school=school, starts_in=timedelta(days=1, minutes=n))
    page = client.get(f"/foreldre/skole/{school.id}/plakat").get_data(as_text=True)
    assert "Kveld nr. 000" in page and "Kveld nr. 199" in page and "Kveld nr. 200" not in page


def test_raising_the_halls_seats_in_the_catalogue_gives_them_to_the_parents_waiting(make_event, admin, school,
                                                                                      client):
    """Found by mutation testing: the catalogue's new capacity went only to its own waitlist, and parents kept
    waiting beside free seats (and the next parent was put behind them)."""
    from catalog.offerings import operations as offering_ops
    from catalog.offerings.models import TargetGroup

    event = make_event("Foreldrekveld", school=school, hall=1, mode=AttendanceMode.HALL)
    seated, first, second = signup(event, 1), signup(event, 2), signup(event, 3)
    db.session.commit()
    o = event.offering
    offering_ops.update_offering(o, offering_ops.OfferingData(
        title=o.title, kind=o.kind, capacity=2, school_year=o.school_year, theme=o.theme, description=o.description,
        organiser=o.organiser, target_groups=[TargetGroup.PARENTS], target_group_text=o.target_group_text,
        plan_area=o.plan_area, location=o.location, responsible_id=o.responsible_id), actor=admin, now=NOW)
    db.session.commit()
    assert (seated.signup.state, first.signup.state, second.signup.state) == (
        SignupState.CONFIRMED, SignupState.CONFIRMED, SignupState.WAITLISTED)
    assert (event.offering.seats_taken, event.offering.waitlist_length) == (2, 1)
    assert [m.recipient for m in outbox("parents.promoted")] == ["forelder2@example.no"]


# --- verdicts of the open mutants (2026-12-02, third session) ---------------------------------------------

def _body(response) -> str:
    return response.get_data(as_text=True)


def test_the_sign_up_page_says_the_hall_or_the_stream_is_full_only_when_it_is(make_event, client):
    event = make_event(hall=2, stream=2)
    page = _body(client.get(f"/foreldre/{event.id}"))
    assert "Salen er full." not in page and "Strømmingen er full." not in page
    signup(event, 1)
    signup(event, 2, mode=AttendanceMode.STREAM)
    db.session.commit()
    page = _body(client.get(f"/foreldre/{event.id}"))  # one seat and one stream place left
    assert "Salen er full." not in page and "Strømmingen er full." not in page
    assert signup(event, 3, party=2).waitlisted  # a party of two waits for two seats, one is free
    db.session.commit()
    page = _body(client.get(f"/foreldre/{event.id}"))
    assert "<strong>Salen er full.</strong> Du kan følge strømmingen, eller stå på venteliste til salen." in page
    signup(event, 4, mode=AttendanceMode.STREAM)
    db.session.commit()
    page = _body(client.get(f"/foreldre/{event.id}"))
    assert "<strong>Strømmingen er full.</strong>" in page
    assert "<strong>Salen er full.</strong> Du kan stå på venteliste og får e-post hvis du får plass." in page


def _door(login, user, event) -> str:
    return _body(login(user).get(f"/foreldre/arrangor/{event.id}"))


def _door_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="present" value="(\d+)"', page)]


def _waiting_names(page: str) -> list[str]:
    part = page.split("Venteliste til salen</h2>", 1)[1].split("</ol>", 1)[0]
    return re.findall(r"<li>([^<(]+) \(", part)


def test_the_door_list_is_the_hall_then_the_stream_by_name_and_the_waitlist_is_in_the_order_people_joined(
        make_event, admin, login):
    """Names sort apart from the order of signing up; two parents of one name keep theirs, whatever their e-mail.

    A parent who asks again with the same choices gets a new link, which rewrites their row: on PostgreSQL a
    row rewritten comes later from the table, so only the order asked for keeps the list as it was.
    """
    event = make_event(hall=4)
    other = make_event("Et annet møte", hall=1)
    per = ops.sign_up(event.id, ops.SignupData(name="Per Olsen", email="per@example.no", mode=AttendanceMode.STREAM),
                      now=NOW)
    first_kari = ops.sign_up(event.id, ops.SignupData(name="Kari Berg", email="kari2@example.no",
                                                      mode=AttendanceMode.HALL, party_size=2), now=NOW)
    anne = ops.sign_up(event.id, ops.SignupData(name="Anne Aas", email="anne@example.no",
                                                mode=AttendanceMode.STREAM), now=NOW)
    second_kari = ops.sign_up(event.id, ops.SignupData(name="Kari Berg", email="kari1@example.no",
                                                       mode=AttendanceMode.HALL), now=NOW)
    berit = ops.sign_up(event.id, ops.SignupData(name="Berit Dahl", email="berit@example.no",
                                                 mode=AttendanceMode.HALL), now=NOW)
    # The hall is full: Ola joins its waitlist, then Per moves to the hall a minute on (an older sign-up
    # joining later), then Eva, at the same moment as Per.
    ola = ops.sign_up(event.id, ops.SignupData(name="Ola Nes", email="ola@example.no", mode=AttendanceMode.HALL),
                      now=NOW)
    ops.change_mode(per.signup, AttendanceMode.HALL, 1, now=NOW + timedelta(minutes=1))
    eva = ops.sign_up(event.id, ops.SignupData(name="Eva Lie", email="eva@example.no", mode=AttendanceMode.HALL),
                      now=NOW)
    signup(other, 1)
    signup(other, 2)  # waiting for the other event's hall
    db.session.commit()
    assert eva.signup.waitlisted_at == per.signup.waitlisted_at and per.signup.id < eva.signup.id
    for again in (first_kari, per):  # a new link each: their rows are rewritten
        data = again.signup
        ops.sign_up(event.id, ops.SignupData(name=data.name, email=data.email, mode=data.mode,
                                             party_size=data.party_size), now=NOW + timedelta(minutes=2))
    db.session.commit()
    page = _door(login, admin, event)
    assert _door_ids(page) == [berit.signup.id, first_kari.signup.id, second_kari.signup.id, anne.signup.id]
    assert _waiting_names(page) == ["Ola Nes", "Per Olsen", "Eva Lie"]
    assert ola.signup.id < eva.signup.id


def test_the_door_page_of_a_stream_only_event_counts_no_hall_no_waitlist_and_nobody_come_yet(make_event, admin,
                                                                                          login):
    event = make_event(mode=AttendanceMode.STREAM, stream=5)
    signup(event, 1, mode=AttendanceMode.STREAM)
    db.session.commit()
    assert "I salen: 0 · Strømming: 1 · Venteliste: 0 · Møtte: 0" in _door(login, admin, event)


def test_attendance_counts_those_of_this_event_who_came_and_kept_their_place(make_event, admin, leader, school,
                                                                            login):
    event = make_event(school=school, actor=leader, hall=5)
    other = make_event("Et annet møte", hall=5)
    came = signup(event, 1, party=2)
    left = signup(event, 2)
    elsewhere = signup(other, 3)
    assert ops.record_attendance(event, {came.signup.id, left.signup.id}, actor=leader) == 2
    ops.record_attendance(other, {elsewhere.signup.id}, actor=admin)
    ops.cancel_signup(left.signup, now=NOW)  # marked at the door, then cancelled: no longer counted
    db.session.commit()
    assert "I salen: 2 · Strømming: 0 · Venteliste: 0 · Møtte: 2" in _door(login, leader, event)
    with pytest.raises(PermissionDenied) as refused:
        ops.record_attendance(other, set(), actor=leader)
    assert str(refused.value) == "Du kan ikke føre oppmøte for dette arrangementet."
    db.session.rollback()
    assert db.session.get(ParentSignup, elsewhere.signup.id).attended is True


def test_plan_figures_add_up_every_event_a_schools_parents_were_reached_at(make_event, make_school, school,
                                                                          leader):
    first = make_event(school=school, actor=leader, hall=10)
    second = make_event("Foreldremøte", school=school, actor=leader, hall=10, starts_in=timedelta(days=20))
    came = signup(first, 1, party=2)
    signup(second, 2)
    ops.record_attendance(first, {came.signup.id}, actor=leader)
    ops.record_attendance(second, set(), actor=leader)
    db.session.commit()
    period = (NOW, NOW + timedelta(days=90))
    assert ops.plan_figures([school.id], *period) == {school.id: {"events": 2, "reached": 3, "attended": 2}}
    assert ops.plan_figures([school.id], *period, event_ids=[second.id]) == {
        school.id: {"events": 1, "reached": 1, "attended": 0}}
    many = [school.id] + [make_school().id for _ in range(200)]
    assert len(many) > 200  # lms.plugins.MANY_SCHOOLS: every school's rows are read
    assert ops.plan_figures(many, *period)[school.id] == {"events": 2, "reached": 3, "attended": 2}


def test_the_cancellation_mails_are_of_the_moment_the_parent_or_the_catalogue_cancelled(make_event, admin):
    """The clock stands at NOW meanwhile; a mail's Message-ID carries the moment it was queued."""
    from catalog.offerings import operations as offering_ops
    event = make_event(hall=2)
    other = make_event("Et annet møte", hall=2)
    parent = signup(event, 1)
    gone = signup(event, 2)
    elsewhere = signup(other, 3)
    ops.cancel_signup(gone.signup, now=NOW + timedelta(hours=2))
    db.session.commit()
    [own] = outbox("parents.cancelled")
    assert sent(own)["Message-ID"].startswith("<20260901100000.")
    offering_ops.cancel_offering(event.offering, actor=admin, now=NOW + timedelta(hours=3), reason="Syk.")
    db.session.commit()
    told = outbox("parents.cancelled")
    assert [m.recipient for m in told] == ["forelder2@example.no", "forelder1@example.no"]  # nobody twice
    assert sent(told[1])["Message-ID"].startswith("<20260901110000.")
    assert parent.signup.state == SignupState.CANCELLED
    assert db.session.get(ParentSignup, elsewhere.signup.id).state == SignupState.CONFIRMED


def test_deleting_a_sign_up_forgets_its_mails_whole_never_sends_the_rest_and_gives_the_seat_on(make_event, smtp,
                                                                                                   send):
    event = make_event(hall=1)
    parent = signup(event, 1)
    db.session.commit()
    send()  # the confirmation went
    ops.change_mode(parent.signup, AttendanceMode.STREAM, 1, now=NOW)
    ops.change_mode(parent.signup, AttendanceMode.HALL, 1, now=NOW)
    waiting = signup(event, 2)
    db.session.commit()
    assert waiting.waitlisted
    smtp.inbox.refuse["forelder1@example.no"] = "451 4.2.1 forelder1@example.no: mailbox busy"
    send()  # the change waits for another try
    first, changed, back, _waited = outbox()
    assert first.sent_at is not None and "forelder1@example.no" in changed.last_error
    later = NOW + timedelta(hours=5)
    ops.delete_signup(parent.signup, now=later)
    db.session.commit()
    for message in (first, changed, back):
        db.session.refresh(message)
        assert (message.recipient, message.subject, message.body_text, message.params, message.last_error) == (
            "", "", "", {}, "")
    assert first.sent_at is not None and first.failed_at is None  # it was sent: not made a failure
    assert changed.failed_at == later and changed.sent_at is None  # never sent now
    assert db.session.get(ParentSignup, waiting.signup.id).state == SignupState.CONFIRMED
    assert [m.recipient for m in outbox("parents.promoted")] == ["forelder2@example.no"]


def test_a_party_at_the_head_of_the_waitlist_leaving_lets_the_next_into_the_seat_it_could_not_take(make_event):
    event = make_event(hall=3)
    signup(event, 1, party=2)
    head = signup(event, 2, party=2)
    behind = signup(event, 3)
    db.session.commit()
    assert head.waitlisted and behind.waitlisted  # one seat is free; the party of two waits for two
    ops.cancel_signup(head.signup, now=NOW)
    db.session.commit()
    assert behind.signup.state == SignupState.CONFIRMED
    assert (event.offering.seats_taken, event.offering.waitlist_length) == (3, 0)


def test_a_sign_up_for_an_event_whose_parents_were_forgotten_is_refused_word_for_word(make_event):
    event = make_event(hall=2)
    db.session.commit()
    ops.purge(_purge_time(event, timedelta(seconds=1)))
    db.session.commit()
    with pytest.raises(ops.ParentError) as refused:
        signup(event, 1, now=_purge_time(event, timedelta(seconds=2)))
    assert str(refused.value) == "Arrangementet er over."


def test_a_sign_up_cancelled_twice_is_refused_word_for_word_the_second_time(make_event):
    event = make_event(hall=2)
    result = signup(event, 1)
    ops.cancel_signup(result.signup, now=NOW)
    db.session.commit()
    with pytest.raises(ops.ParentError) as refused:
        ops.cancel_signup(result.signup, now=NOW)
    assert str(refused.value) == "Påmeldingen er allerede avmeldt."
    assert len(outbox("parents.cancelled")) == 1


def test_the_limits_count_each_address_and_each_email_apart(make_event):
    make_event()
    settings.set_value(ops.ADDRESS_LIMIT.key, "1")
    settings.set_value(ops.EMAIL_LIMIT.key, "1")
    ops.check_limits("10.0.0.1", "a@example.no", NOW)
    ops.check_limits("10.0.0.2", "b@example.no", NOW)  # neither the address nor the e-mail has been used
    with pytest.raises(ops.TooMany, match="denne nettadressen"):
        ops.check_limits("10.0.0.2", "c@example.no", NOW)


def test_purge_forgets_only_parents_mails_and_each_of_them_once(make_event, make_offering, make_user):
    from catalog.enrollment import operations as enrollment_ops
    event = make_event(hall=2)
    teacher = make_user("Tina Lærer", email="tina@skole.test")
    enrollment_ops.enroll(make_offering().id, teacher, actor=teacher, now=NOW)
    signup(event, 1)
    db.session.commit()
    at = _purge_time(event, timedelta(seconds=1))
    assert ops.purge(at).mails == 1
    db.session.commit()
    assert ops.purge(at + timedelta(days=1)).mails == 0
    db.session.commit()
    assert "tina@skole.test" in [m.recipient for m in outbox()]  # the catalogue's mail is not the parents'


def test_a_parent_who_read_the_clock_first_but_got_the_hall_second_queues_behind(make_event, client):
    """As in the catalogue: the time a request reads comes before the lock, so it may be earlier."""
    event = make_event(hall=1)
    signup(event, 1)
    later = signup(event, 2, now=NOW + timedelta(seconds=2))
    earlier = signup(event, 3, now=NOW + timedelta(seconds=1))
    db.session.commit()
    assert earlier.signup.waitlisted_at == later.signup.waitlisted_at
    assert [s.id for s in ops.waiting_list(event)] == [later.signup.id, earlier.signup.id]
    assert earlier.position == 2


def test_questions_are_listed_in_the_order_of_the_time_they_were_sent(make_event, leader, school, login):
    event = make_event("Brukerforum", school=school, actor=leader, kind=ParentEventKind.USER_FORUM, questions=True)
    ops.add_question(event, "Sendt sist", now=NOW + timedelta(hours=2))
    ops.add_question(event, "Sendt først", now=NOW + timedelta(hours=1))
    db.session.commit()
    part = _door(login, leader, event).split("Spørsmål på forhånd</h2>", 1)[1]
    assert re.findall(r"<li>([^<]+)</li>", part.split("</ol>", 1)[0]) == ["Sendt først", "Sendt sist"]


def test_two_questions_sent_at_one_moment_are_listed_in_the_order_they_were_sent_also_where_a_purge_made_room(
        make_event, leader, school, login):
    """On PostgreSQL the second is written where a purged event's questions lay, once the table is vacuumed."""
    past = make_event("Forrige forum", school=school, actor=leader, kind=ParentEventKind.USER_FORUM, questions=True,
                      starts_in=timedelta(days=1))
    for n in (1, 2):
        ops.add_question(past, f"Gammelt spørsmål {n}", now=NOW)
    event = make_event("Brukerforum", school=school, actor=leader, kind=ParentEventKind.USER_FORUM, questions=True,
                       starts_in=timedelta(days=200))
    moment = _purge_time(past, timedelta(seconds=1))
    ops.add_question(event, "Sendt først", now=moment)
    assert ops.purge(moment).events == 1
    db.session.commit()
    vacuum("parent_question")  # as autovacuum does after a purge
    ops.add_question(event, "Sendt sist", now=moment)
    db.session.commit()
    part = _door(login, leader, event).split("Spørsmål på forhånd</h2>", 1)[1]
    assert re.findall(r"<li>([^<]+)</li>", part.split("</ol>", 1)[0]) == ["Sendt først", "Sendt sist"]


def test_the_organisers_page_shows_their_schools_by_name_and_their_events_newest_first(
        make_event, make_school, make_user, admin, login):
    bekk, alna = make_school("Bekkestua skole"), make_school("Alna skole")
    leader = make_user("Lise Leder", roles=(Role.LEADER,), school=bekk)
    soon = make_event("Kveld ved Bekkestua", school=bekk, actor=leader, starts_in=timedelta(days=3))
    late = make_event("Senere ved Bekkestua", school=bekk, actor=leader, starts_in=timedelta(days=9))
    make_event("Kveld ved Alna", school=alna)
    db.session.commit()
    titles = re.compile(r'href="/foreldre/arrangor/\d+"[^>]*>([^<]+)</a>')
    page = _body(login(leader).get("/foreldre/arrangor"))
    assert titles.findall(page) == ["Senere ved Bekkestua", "Kveld ved Bekkestua"]
    assert (soon.id, late.id) and "Alna skole" not in page
    page = _body(login(admin).get("/foreldre/arrangor"))
    assert set(titles.findall(page)) == {"Senere ved Bekkestua", "Kveld ved Bekkestua", "Kveld ved Alna"}
    shown = re.findall(r'<li><span[^>]*>([^<]+)</span>: <a class="ds-link" href="[^"]*skole=', page)
    assert shown == sorted(shown) and {"Alna skole", "Bekkestua skole"} <= set(shown)
    teacher = make_user("Tor Lærer", roles=(Role.TEACHER,))
    assert login(teacher).get("/foreldre/arrangor").status_code == 403


def test_the_organisers_page_lists_their_five_hundred_newest_events(school, leader, login, now):
    """One school's five hundred and one evenings: the soonest is left off, the page is not without end."""
    for day in range(1, 502):
        start = now + timedelta(days=day)
        ops.create_event(ops.EventData(
            title=f"Kveld {day}", kind=ParentEventKind.PARENT_SCHOOL, school_id=school.id, starts_at=start,
            ends_at=start + timedelta(hours=2), mode=AttendanceMode.HALL, hall_capacity=30, stream_capacity=None,
            stream_url="", location="Eikeli skole, aulaen", grades=[1], takes_questions=False), actor=leader, now=now)
    db.session.commit()
    page = _body(login(leader).get("/foreldre/arrangor"))
    titles = re.findall(r'href="/foreldre/arrangor/\d+"[^>]*>([^<]+)</a>', page)
    assert titles == [f"Kveld {day}" for day in range(501, 1, -1)]


def test_a_municipal_evening_offers_the_schools_by_name(make_event, make_school, client):
    make_school("Østre skole"), make_school("Bekkestua skole"), make_school("Alna skole")
    event = make_event("Foreldreskole for alle", school=None, grades=())
    form = _body(client.get(f"/foreldre/{event.id}"))
    names = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>',
                       form.split('name="school_id"', 1)[1].split("</select>", 1)[0])
    assert [n for n in names if n in ("Østre skole", "Bekkestua skole", "Alna skole")] == [
        "Alna skole", "Bekkestua skole", "Østre skole"]


def test_of_two_who_joined_the_halls_waitlist_at_one_moment_the_first_gets_the_seat_after_asking_again(make_event):
    """Asking again with the same choices keeps the place; the new link rewrites the row, which on
    PostgreSQL then comes later from the table: only the order asked for keeps the first first."""
    event = make_event(hall=1)
    taken = signup(event, 1)
    first = signup(event, 2)
    second = signup(event, 3)
    db.session.commit()
    assert first.signup.waitlisted_at == second.signup.waitlisted_at and first.signup.id < second.signup.id
    again = signup(event, 2, now=NOW + timedelta(minutes=1))
    assert again.updated and again.signup.state == SignupState.WAITLISTED and again.position == 1
    ops.cancel_signup(taken.signup, now=NOW + timedelta(minutes=2))
    db.session.commit()
    assert [m.recipient for m in outbox("parents.promoted")] == ["forelder2@example.no"]
    assert db.session.get(ParentSignup, second.signup.id).state == SignupState.WAITLISTED



def test_the_reminders_of_one_session_are_queued_in_the_order_its_parents_signed_up(make_event):
    """The first asks again with the same choices: the new link rewrites the row, which on PostgreSQL then
    comes later from the table, and their addresses sort the other way; only the order asked for holds."""
    event = make_event("Strømmet kveld", starts_in=timedelta(days=2))
    first = signup(event, 9, mode=AttendanceMode.STREAM)
    signup(event, 1, mode=AttendanceMode.STREAM)
    again = signup(event, 9, mode=AttendanceMode.STREAM, now=NOW + timedelta(minutes=1))
    db.session.commit()
    assert again.updated and again.signup.id == first.signup.id
    assert ops.queue_stream_reminders(event.offering.first_starts_at - timedelta(hours=1)) == 2
    db.session.commit()
    assert [m.recipient for m in outbox("parents.stream_reminder")] == ["forelder9@example.no",
                                                                        "forelder1@example.no"]


# --- the evening moved or called off in the catalogue -------------------------------------------

def _invitation(parsed):
    """Return the mail's calendar part: its METHOD and its one VEVENT, read by icalendar."""
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_content())
    [vevent] = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), vevent


def test_parents_seated_or_waiting_are_mailed_the_updated_invitation_when_the_evening_is_moved(
        make_event, admin, client):
    event = make_event(hall=1, mode=AttendanceMode.HALL)
    signup(event, 1)
    signup(event, 2)  # waiting for the hall
    ops.cancel_signup(signup(event, 3).signup, now=NOW)  # gone: not told
    db.session.commit()
    _, first = _invitation(sent(outbox("parents.signed_up")[0]))
    session = event.offering.sessions[0]
    offering_ops.update_session(event.offering, session, actor=admin, now=NOW,
                                starts_at=session.starts_at + timedelta(days=1),
                                ends_at=session.ends_at + timedelta(days=1), location="Gymsalen")
    db.session.commit()
    told = outbox("parents.changed")
    assert [m.recipient for m in told] == ["forelder1@example.no", "forelder2@example.no"]
    parsed = sent(told[0])
    assert parsed["Subject"] == "Endret: Foreldreskole for 1. trinn"
    body = text_of(parsed)
    assert "Tid eller sted for «Foreldreskole for 1. trinn» er endret." in body
    assert "onsdag 16. september 2026 kl. 10:00" in body
    method, moved = _invitation(parsed)
    assert method == "REQUEST" and str(moved["UID"]) == str(first["UID"])
    assert int(moved["SEQUENCE"]) > int(first["SEQUENCE"])
    assert moved.decoded("DTSTART") == session.starts_at and str(moved["LOCATION"]) == "Gymsalen"
    assert str(moved["STATUS"]) == "CONFIRMED"
    _, waiting = _invitation(sent(told[1]))
    assert str(waiting["STATUS"]) == "TENTATIVE"  # still only waiting for the hall
    # The mail's own manage link opens the sign-up.
    assert client.get(manage_path(parsed)).status_code == 200


def test_an_offering_change_that_moves_no_session_mails_no_parent(make_event, admin):
    # Going ahead below the minimum, say, tells the catalogue's listeners of a change, but not of a new time.
    event = make_event(hall=5)
    signup(event, 1)
    db.session.commit()
    offering_ops.go_ahead(event.offering, actor=admin, now=NOW)
    db.session.commit()
    assert outbox("parents.changed") == [] and outbox("parents.cancelled") == []


def test_a_courses_session_moved_or_called_off_is_no_parents_business(make_offering, make_user, admin):
    from catalog.enrollment import operations as enrollment_ops
    course = make_offering("Kurs i digital vurdering")
    teacher = make_user("Tor Lærer")
    enrollment_ops.enroll(course.id, teacher, actor=teacher, now=NOW)
    db.session.commit()
    session = course.sessions[0]
    offering_ops.update_session(course, session, actor=admin, now=NOW, starts_at=session.starts_at + timedelta(days=1),
                                ends_at=session.ends_at + timedelta(days=1), title=session.title,
                                location="Rom 2", online_url=session.online_url)
    offering_ops.cancel_session(course, session, actor=admin, now=NOW, reason="Sykdom")
    db.session.commit()
    assert [m.kind for m in outbox() if m.kind.startswith("parents.")] == []
    assert {m.recipient for m in outbox()} == {teacher.email}


def test_saving_the_evenings_session_unchanged_mails_no_parent(make_event, admin):
    event = make_event(hall=5)
    signup(event, 1)
    db.session.commit()
    session = event.offering.sessions[0]
    offering_ops.update_session(event.offering, session, actor=admin, now=NOW, starts_at=session.starts_at,
                                ends_at=session.ends_at, title=session.title, location=session.location,
                                online_url=session.online_url)
    db.session.commit()
    assert outbox("parents.changed") == [] and outbox("parents.cancelled") == []


@pytest.mark.parametrize("locale, message, tag", [
    ("nb", "Arrangementet er avlyst.", "Avlyst"),
    ("nn", "Arrangementet er avlyst.", "Avlyst"),
    ("en", "The event has been called off.", "Cancelled"),
])
def test_calling_off_the_evenings_only_session_cancels_every_parent_and_closes_sign_up(
        locale, message, tag, make_event, admin, client):
    event = make_event(hall=1)
    signup(event, 1)
    signup(event, 2)  # waiting for the hall
    signup(event, 3, mode=AttendanceMode.STREAM)
    db.session.commit()
    _, first = _invitation(sent(outbox("parents.signed_up")[0]))
    offering_ops.cancel_session(event.offering, event.offering.sessions[0], actor=admin, now=NOW,
                                reason="Snøstorm.")
    db.session.commit()
    told = outbox("parents.cancelled")
    assert [m.recipient for m in told] == [f"forelder{n}@example.no" for n in (1, 2, 3)]
    parsed = sent(told[0])
    assert parsed["Subject"] == "Avlyst: Foreldreskole for 1. trinn"
    assert "«Foreldreskole for 1. trinn» er avlyst" in text_of(parsed) and "Snøstorm." in text_of(parsed)
    method, called_off = _invitation(parsed)
    assert method == "CANCEL" and str(called_off["UID"]) == str(first["UID"])
    assert int(called_off["SEQUENCE"]) > int(first["SEQUENCE"]) and str(called_off["STATUS"]) == "CANCELLED"
    assert {s.state for s in db.session.scalars(sa.select(ParentSignup))} == {SignupState.CANCELLED}
    assert (event.offering.seats_taken, event.offering.waitlist_length, event.stream_taken) == (0, 0, 0)
    client.set_cookie("kp_lang", locale)
    page = client.get(f"/foreldre/{event.id}").get_data(as_text=True)
    assert message in page and tag in page and 'action="/foreldre/%d"' % event.id not in page
    late = client.post(f"/foreldre/{event.id}",
                       data={"name": "Kari", "email": "kari@example.no", "party_size": "1", "mode": "hall"})
    assert late.status_code == 400 and message in late.get_data(as_text=True)
    with pytest.raises(ops.ParentError, match=message):
        signup(event, 4)


def test_calling_off_one_of_two_sessions_mails_the_change_and_sign_up_stays_open_until_the_last(
        make_event, admin):
    event = make_event(hall=5, mode=AttendanceMode.HALL)
    first_session = event.offering.sessions[0]
    second_session = offering_ops.add_session(
        event.offering, actor=admin, now=NOW, starts_at=first_session.starts_at + timedelta(days=7),
        ends_at=first_session.ends_at + timedelta(days=7))
    db.session.commit()
    signup(event, 1)
    db.session.commit()
    offering_ops.cancel_session(event.offering, first_session, actor=admin, now=NOW)
    db.session.commit()
    [changed] = outbox("parents.changed")
    assert "(avlyst)" in text_of(sent(changed)) and outbox("parents.cancelled") == []
    assert ops.signup_problem(event, NOW) is None
    assert signup(event, 2).signup.state == SignupState.CONFIRMED
    db.session.commit()
    offering_ops.cancel_session(event.offering, second_session, actor=admin, now=NOW)
    db.session.commit()
    assert [m.recipient for m in outbox("parents.cancelled")] == ["forelder1@example.no", "forelder2@example.no"]
    assert ops.signup_problem(event, NOW) == "Arrangementet er avlyst."


# --- a party that changes its size keeps its place -----------------------------------------------

def _state_on_manage_page(client, token) -> str:
    page = client.get(f"/foreldre/p/{token}").get_data(as_text=True)
    return " ".join(page.split("<strong>", 1)[1].split("</p>", 1)[0].replace("</strong>", "").split())


def _come_alone(how, client, result, event):
    """Have the parent say they now come alone: on the manage page, or by signing up again."""
    if how == "manage page":
        response = client.post(f"/foreldre/p/{result.token}/endre", data={"mode": "hall", "party_size": "1"})
    else:
        response = client.post(f"/foreldre/{event.id}", data={
            "name": result.signup.name, "email": result.signup.email, "mode": "hall", "party_size": "1"})
    assert response.status_code == 303
    db.session.expire_all()
    mail = [m for m in outbox("parents.signed_up") if m.recipient == result.signup.email][-1]
    return sent(mail)


@pytest.mark.parametrize("how", ["manage page", "signing up again"])
def test_the_head_of_the_halls_waitlist_who_now_comes_alone_keeps_its_place_and_gets_the_free_seat(
        how, make_event, client):
    event = make_event(hall=2, mode=AttendanceMode.HALL)
    signup(event, 1, party=1, now=NOW)
    head = signup(event, 2, party=2, now=NOW + timedelta(minutes=1))  # one seat left, they need two: waits
    behind = signup(event, 3, party=1, now=NOW + timedelta(minutes=2))  # waits behind them
    db.session.commit()
    assert _state_on_manage_page(client, head.token) == "På venteliste til salen – nummer 1 på ventelisten"
    parsed = _come_alone(how, client, head, event)
    assert parsed["Subject"] == "Endret påmelding: Foreldreskole for 1. trinn"
    assert "Du er påmeldt «Foreldreskole for 1. trinn»." in text_of(parsed)
    assert "Antall som kommer: 1" in text_of(parsed)
    assert _state_on_manage_page(client, manage_path(parsed).rsplit("/", 1)[1]) == "Påmeldt"
    assert outbox("parents.promoted") == []  # one mail, with one link that works
    assert _state_on_manage_page(client, behind.token) == "På venteliste til salen – nummer 1 på ventelisten"
    assert (event.offering.seats_taken, event.offering.waitlist_length) == (2, 1)


@pytest.mark.parametrize("how", ["manage page", "signing up again"])
def test_a_party_further_down_the_waitlist_who_now_comes_alone_keeps_its_place_behind_the_head(
        how, make_event, client):
    event = make_event(hall=2, mode=AttendanceMode.HALL)
    signup(event, 1, party=1, now=NOW)
    head = signup(event, 2, party=2, now=NOW + timedelta(minutes=1))
    second = signup(event, 3, party=2, now=NOW + timedelta(minutes=2))
    third = signup(event, 4, party=1, now=NOW + timedelta(minutes=3))
    db.session.commit()
    set_clock(NOW + timedelta(minutes=10))  # they change their mind after everyone else joined
    parsed = _come_alone(how, client, second, event)
    assert "Du står på ventelisten til salen" in text_of(parsed)
    token = manage_path(parsed).rsplit("/", 1)[1]
    assert _state_on_manage_page(client, token) == "På venteliste til salen – nummer 2 på ventelisten"
    assert _state_on_manage_page(client, head.token) == "På venteliste til salen – nummer 1 på ventelisten"
    assert _state_on_manage_page(client, third.token) == "På venteliste til salen – nummer 3 på ventelisten"
    assert (event.offering.seats_taken, event.offering.waitlist_length) == (1, 3)


@pytest.mark.parametrize("how", ["manage page", "signing up again"])
def test_a_seated_party_of_two_who_now_comes_alone_keeps_its_seat_and_gives_the_other_to_the_head(
        how, make_event, client):
    event = make_event(hall=2, mode=AttendanceMode.HALL)
    seated = signup(event, 1, party=2, now=NOW)
    pair = signup(event, 2, party=2, now=NOW + timedelta(minutes=1))  # the head: needs two
    single = signup(event, 3, party=1, now=NOW + timedelta(minutes=2))
    db.session.commit()
    parsed = _come_alone(how, client, seated, event)
    assert _state_on_manage_page(client, manage_path(parsed).rsplit("/", 1)[1]) == "Påmeldt"
    # The head of the queue still waits for two seats; the one behind it is not let past.
    assert _state_on_manage_page(client, pair.token) == "På venteliste til salen – nummer 1 på ventelisten"
    assert _state_on_manage_page(client, single.token) == "På venteliste til salen – nummer 2 på ventelisten"
    assert (event.offering.seats_taken, event.offering.waitlist_length) == (1, 2)


@pytest.mark.parametrize("how", ["manage page", "signing up again"])
def test_a_seated_party_that_comes_fewer_gives_the_seat_to_the_head_and_the_hall_stays_counted(how, make_event, client):
    event = make_event(hall=4, mode=AttendanceMode.HALL)
    signup(event, 1, party=2, now=NOW)
    shrinking = signup(event, 2, party=2, now=NOW + timedelta(minutes=1))
    head = signup(event, 3, party=1, now=NOW + timedelta(minutes=2))
    behind = signup(event, 4, party=1, now=NOW + timedelta(minutes=3))
    db.session.commit()
    _come_alone(how, client, shrinking, event)
    # Two, one and the head's one fill the four seats; the head is told, the one behind it still waits.
    assert (head.signup.state, behind.signup.state) == (SignupState.CONFIRMED, SignupState.WAITLISTED)
    assert [m.recipient for m in outbox("parents.promoted")] == ["forelder3@example.no"]
    assert _state_on_manage_page(client, behind.token) == "På venteliste til salen – nummer 1 på ventelisten"
    assert (event.offering.seats_taken, event.offering.waitlist_length) == (4, 1)
    late = signup(event, 5, party=1, now=NOW + timedelta(minutes=5))
    assert late.signup.state == SignupState.WAITLISTED


# --- the organiser's form: when -------------------------------------------------------------------

def _event_form(school, **change):
    return {"title": "Foreldremøte for 5. trinn", "kind": "parent_meeting", "school_id": str(school.id),
            "grades": ["5"], "day": "2026-10-06", "start": "18:00", "end": "19:30", "mode": "hall",
            "location": "Aulaen", "hall_capacity": "80", **change}


@pytest.mark.parametrize("day, start, published", [
    ("2026-08-01", "18:00", False),  # a month ago (NOW is 1 September 2026, 10:00 in Oslo)
    ("2026-09-01", "10:00", False),  # this very minute
    ("2026-09-01", "10:01", True),  # in a minute
], ids=["last month", "now", "in a minute"])
def test_a_parent_event_is_published_only_ahead_in_time_and_a_past_one_is_refused_keeping_what_was_typed(
        day, start, published, leader, school, login):
    response = login(leader).post("/foreldre/arrangor/nytt", data=_event_form(school, day=day, start=start,
                                                                              end="23:00"))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Offering))
    if published:
        assert response.status_code == 303 and count == 1
        return
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and count == 0
    assert "Velg et tidspunkt fram i tid." in page
    assert 'value="Foreldremøte for 5. trinn"' in page and 'value="2026-' in page and "Aulaen" in page


def test_creating_a_parent_event_that_has_begun_is_refused_word_for_word(admin, school):
    start = NOW - timedelta(minutes=1)
    with pytest.raises(ops.ParentError) as refused:
        ops.create_event(ops.EventData(**GOOD_EVENT, school_id=school.id, starts_at=start,
                                       ends_at=start + timedelta(hours=2)), actor=admin, now=NOW)
    assert str(refused.value) == "Velg et tidspunkt fram i tid."


@pytest.mark.parametrize("day, start, end, message", [
    ("2027-03-28", "02:30", "04:00", "Klokka stilles fram én time natt til 28. mars 2027, så 02:30 finnes ikke den dagen."),
    ("2027-03-28", "01:00", "02:15", "Klokka stilles fram én time natt til 28. mars 2027, så 02:15 finnes ikke den dagen."),
    ("2026-10-25", "02:30", "04:00", "Klokka stilles tilbake én time natt til 25. oktober 2026, så 02:30 kommer to ganger"),
], ids=["start in the March hour", "end in the March hour", "start in the October hour"])
def test_a_parent_event_in_the_hour_the_clock_skips_or_repeats_is_refused_as_other_forms_do(
        day, start, end, message, leader, school, login):
    response = login(leader).post("/foreldre/arrangor/nytt", data=_event_form(
        school, title="Nattforum", kind="user_forum", day=day, start=start, end=end, mode="stream",
        stream_url="https://video.example/x"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and 'value="Nattforum"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0


def test_a_parent_event_on_the_night_summer_time_starts_is_stored_at_the_time_typed(leader, school, login):
    response = login(leader).post("/foreldre/arrangor/nytt", data=_event_form(
        school, day="2027-03-28", start="03:00", end="04:00"))
    assert response.status_code == 303
    offering = db.session.scalar(sa.select(Offering))
    assert offering.first_starts_at.astimezone(timezone.utc) == datetime(2027, 3, 28, 1, 0, tzinfo=timezone.utc)


# --- what the mails say of the stream -------------------------------------------------------------

@pytest.mark.parametrize("locale, later", [
    ("nb", "Lenken får du på e-post like før start."),
    ("nn", "Lenkja får du på e-post like før start."),
    ("en", "You get the link by e-mail shortly before it starts."),
])
def test_the_stream_reminder_gives_the_link_and_does_not_say_it_comes_later(locale, later, make_event):
    event = make_event(starts_in=timedelta(days=2), mode=AttendanceMode.STREAM)
    signup(event, 1, mode=AttendanceMode.STREAM, locale=locale)
    db.session.commit()
    confirmation = text_of(sent(outbox("parents.signed_up")[0]))
    assert later in confirmation and STREAM_URL not in confirmation  # the confirmation: the link comes later
    ops.queue_stream_reminders(event.offering.first_starts_at - timedelta(hours=2))
    db.session.commit()
    body = text_of(sent(outbox("parents.stream_reminder")[0]))
    assert STREAM_URL in body and later not in body


@pytest.mark.parametrize("locale, page_locale, shown", [
    ("nb", "nb", "Bokmål"), ("nn", "nn", "Nynorsk"), ("en", "nb", "English"), ("nn", "en", "Nynorsk"),
])
def test_the_manage_page_names_the_mail_language_in_words(locale, page_locale, shown, make_event, client):
    event = make_event(hall=5)
    result = signup(event, 1, locale=locale)
    db.session.commit()
    client.set_cookie("kp_lang", page_locale)
    page = client.get(f"/foreldre/p/{result.token}").get_data(as_text=True)
    [language] = re.findall(r"<dt>(?:Språk i e-post|Language of e-mails)</dt>(<dd[^>]*>[^<]*</dd>)", page)
    assert language == f'<dd lang="{locale}">{shown}</dd>'
