"""The booking pages as a school leader on an iPad and a fyrtårn on a phone use them."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from lighthouse.bookings import operations as ops
from lighthouse.bookings.models import Booking, BookingState, Venue
from lms.db import db, set_clock
from lms.i18n import OSLO
from lms.people.models import Membership, Role, User
from tests.conftest import count_statements

#: The first free time of the default window: Tuesday 8 September 2026, 12:00 in Oslo (week 37).
FIRST = datetime(2026, 9, 8, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def scene(make_school, make_user, make_profile, make_bookable, make_window):
    """A school with its leader and a teacher, and a fyrtårn with a guidance offering on Tuesdays 12-15."""
    school = make_school("Nordby skole")
    leader = make_user("Liv Leder", roles=(Role.LEADER,), school=school)
    teacher = make_user("Tor Lærer", roles=(Role.TEACHER,), school=school)
    profile = make_profile("Frida Fyrtårn")
    offering = make_bookable(profile, title="Veiledning i matematikk", max_participants=10)
    make_window(profile)
    other_school = make_school("Sørby skole")
    other_leader = make_user("Ola Annenleder", roles=(Role.LEADER,), school=other_school)
    db.session.commit()
    return SimpleNamespace(school=school, leader=leader, teacher=teacher, profile=profile, offering=offering,
                           fyrtarn=profile.user, other_school=other_school, other_leader=other_leader)


def _form(scene, **overrides):
    data = {"school_id": str(scene.school.id), "starts_at": FIRST.isoformat(), "participants_count": "6",
            "venue": "at_school", "note": "Vi vil jobbe med begrepslæring på 5. trinn."}
    data.update(overrides)
    return data


def _request(scene, client=None, **overrides) -> Booking:
    client = client or pytest.fail("no client")
    response = client.post(f"/bestillinger/ny/{scene.offering.id}", data=_form(scene, **overrides))
    assert response.status_code == 303, response.get_data(as_text=True)
    booking_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return db.session.get(Booking, booking_id)


def _body(response) -> str:
    return response.get_data(as_text=True)


# --- asking ---------------------------------------------------------------------------------

def test_booking_form_shows_the_offering_and_free_times_by_week(scene, login):
    page = _body(login(scene.leader).get(f"/bestillinger/ny/{scene.offering.id}"))
    assert "Veiledning i matematikk" in page
    assert "Frida Fyrtårn" in page
    assert "Uke 37, 2026" in page
    assert f'value="{FIRST.isoformat()}"' in page
    assert "tirsdag 8. september 2026 kl. 12:00" in page
    assert "kan navngi deltakerne nå eller senere" in page
    assert "Tor Lærer" in page  # the school's staff can be named now


def test_later_times_link_moves_the_list(scene, login):
    client = login(scene.leader)
    page = _body(client.get(f"/bestillinger/ny/{scene.offering.id}"))
    assert "?fra=2026-10-27" in page or "fra=2026-10-27" in page
    later = _body(client.get(f"/bestillinger/ny/{scene.offering.id}?fra=2026-11-02"))
    assert "Uke 45, 2026" in later
    assert "Uke 37, 2026" not in later
    assert "Tidligere tider" in later
    # Nonsense in the address is ignored.
    assert client.get(f"/bestillinger/ny/{scene.offering.id}?fra=2026-13-45").status_code == 200
    assert client.get(f"/bestillinger/ny/{scene.offering.id}?fra=i+morgen&skole=abc").status_code == 200


def test_leader_books_a_free_time_and_sees_it_requested(scene, login):
    client = login(scene.leader)
    response = client.post(f"/bestillinger/ny/{scene.offering.id}", data=_form(scene))
    assert response.status_code == 303
    booking = db.session.scalars(db.select(Booking)).one()
    assert response.headers["Location"].endswith(f"/bestillinger/{booking.id}")
    assert booking.state == BookingState.REQUESTED
    assert booking.starts_at == FIRST
    assert booking.note == "Vi vil jobbe med begrepslæring på 5. trinn."
    page = _body(client.get(f"/bestillinger/{booking.id}"))
    assert "Forespørselen er sendt til Frida Fyrtårn" in page
    assert "Forespurt" in page
    assert "begrepslæring" in page
    listing = _body(client.get("/bestillinger"))
    assert "Venter på svar" in listing
    assert "Forespurt" in listing
    assert "Venter på svar fra fyrtårnet" in listing
    assert "uke 37" in listing


def test_leader_can_name_participants_when_booking(scene, login):
    booking = _request(scene, login(scene.leader), participant_ids=[str(scene.teacher.id)])
    assert [p.name for p in booking.participants] == ["Tor Lærer"]


def test_offering_for_either_venue_asks_where(scene, login, make_bookable):
    online_only = make_bookable(scene.profile, title="Digital økt", venue=Venue.ONLINE)
    db.session.commit()
    client = login(scene.leader)
    assert 'name="venue"' in _body(client.get(f"/bestillinger/ny/{scene.offering.id}"))
    assert 'name="venue"' not in _body(client.get(f"/bestillinger/ny/{online_only.id}"))
    booking = _request(scene, client, venue="online")
    assert booking.venue == Venue.ONLINE


def test_second_request_for_the_same_time_gets_a_clear_message(scene, login):
    _request(scene, login(scene.leader))
    response = login(scene.other_leader).post(
        f"/bestillinger/ny/{scene.offering.id}",
        data=_form(scene, school_id=str(scene.other_school.id), note="Vi rekker det før høstferien."))
    assert response.status_code == 409
    page = _body(response)
    assert "Tidspunktet er nettopp tatt av en annen skole. Velg et annet." in page
    assert "Du valgte tirsdag 8. september 2026 kl. 12:00, som ikke er ledig" in page
    assert f'value="{FIRST.isoformat()}"' not in page  # the time is no longer offered
    assert "Vi rekker det før høstferien." in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 1


def test_bad_input_keeps_what_was_typed_and_answers_in_norwegian(scene, login):
    client = login(scene.leader)
    response = client.post(f"/bestillinger/ny/{scene.offering.id}", data=_form(
        scene, starts_at="neste tirsdag", participants_count="mange", note="Husk prosjektor."))
    assert response.status_code == 400
    page = _body(response)
    assert "Husk prosjektor." in page
    assert 'value="mange"' in page
    assert "Skriv et helt tall." in page
    assert "Velg et av de ledige tidspunktene." in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize("overrides, message", [
    ({"participants_count": "40"}, "Skriv et tall fra 1 til 10."),
    ({"participants_count": "0"}, "Skriv et tall fra 1 til 10."),
    ({"participants_count": ""}, "Dette feltet må fylles ut."),
    ({"starts_at": ""}, "Velg et av de ledige tidspunktene."),
    ({"starts_at": "2026-09-08T12:00:00"}, "Velg et av de ledige tidspunktene."),
    ({"starts_at": "99999-01-01T00:00:00+00:00"}, "Velg et av de ledige tidspunktene."),
    ({"school_id": "abc"}, "Velg en skole fra listen."),
    ({"school_id": "99999999999999999999"}, "Velg en skole fra listen."),
    ({"participant_ids": ["x"]}, "Velg bare blant de ansatte i listen."),
])
def test_garbage_in_the_form_is_refused_without_error(scene, login, overrides, message):
    response = login(scene.leader).post(f"/bestillinger/ny/{scene.offering.id}", data=_form(scene, **overrides))
    assert response.status_code == 400
    assert message in _body(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0


def test_a_time_outside_the_windows_is_refused_on_the_form(scene, login):
    response = login(scene.leader).post(f"/bestillinger/ny/{scene.offering.id}",
                                        data=_form(scene, starts_at="2026-09-09T10:00:00+00:00"))
    assert response.status_code == 400
    assert "begrepslæring" in _body(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0


def test_leader_cannot_book_for_another_school(scene, login):
    client = login(scene.leader)
    response = client.post(f"/bestillinger/ny/{scene.offering.id}",
                           data=_form(scene, school_id=str(scene.other_school.id)))
    assert response.status_code == 400
    assert "Velg en skole fra listen." in _body(response)
    # Staff of another school cannot be named either.
    response = client.post(f"/bestillinger/ny/{scene.offering.id}",
                           data=_form(scene, participant_ids=[str(scene.other_leader.id)]))
    assert "Velg bare blant de ansatte i listen." in _body(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0


def test_teacher_cannot_book(scene, login):
    client = login(scene.teacher)
    response = client.get(f"/bestillinger/ny/{scene.offering.id}")
    assert response.status_code == 403
    assert "Bare skoleledere kan bestille" in _body(response)
    assert client.post(f"/bestillinger/ny/{scene.offering.id}", data=_form(scene)).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0


def test_unknown_offering_is_404(scene, login):
    client = login(scene.leader)
    assert client.get("/bestillinger/ny/999999").status_code == 404
    assert client.get("/bestillinger/ny/99999999999999999999").status_code == 404


def test_no_free_times_say_why(scene, login, make_bookable, make_profile):
    lonely = make_bookable(make_profile("Uten Tider"), title="Kurs uten tider")
    db.session.commit()
    page = _body(login(scene.leader).get(f"/bestillinger/ny/{lonely.id}"))
    assert "ikke lagt inn tider" in page


def test_no_free_times_when_release_time_is_used_up(scene, login, make_bookable, make_profile, make_window):
    busy = make_profile("Full Kalender", approved_hours=0)
    make_window(busy)
    offering = make_bookable(busy, title="Veiledning uten timer")
    db.session.commit()
    page = _body(login(scene.leader).get(f"/bestillinger/ny/{offering.id}"))
    assert "frikjøpte tid" in page


def test_anonymous_visitors_are_sent_to_sign_in(scene, client):
    for url in ("/bestillinger", f"/bestillinger/ny/{scene.offering.id}"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/logg-inn" in response.headers["Location"]


# --- answering ------------------------------------------------------------------------------

def test_fyrtarn_sees_the_request_and_confirms(scene, login):
    booking = _request(scene, login(scene.leader))
    client = login(scene.fyrtarn)
    listing = _body(client.get("/bestillinger"))
    assert "Nye forespørsler" in listing
    assert "Nordby skole" in listing
    assert "Svar skolen" in listing
    page = _body(client.get(f"/bestillinger/{booking.id}"))
    assert "Bekreft bestillingen" in page
    assert "Avslå bestillingen" in page
    assert "mangler kapasitet" in page
    response = client.post(f"/bestillinger/{booking.id}/bekreft", data={"location": "Møterom 2"})
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.state == BookingState.CONFIRMED
    assert booking.location == "Møterom 2"
    page = _body(client.get(f"/bestillinger/{booking.id}"))
    assert "Bestillingen er bekreftet" in page
    assert "Møterom 2" in page
    assert "Legg til i kalenderen" in page
    # The school sees it confirmed, with the time in its calendar.
    leader = login(scene.leader)
    assert "Bekreftet" in _body(leader.get("/bestillinger"))
    ics = leader.get(f"/bestillinger/{booking.id}.ics")
    assert ics.status_code == 200
    assert ics.mimetype == "text/calendar"
    assert "attachment" in ics.headers["Content-Disposition"]
    assert b"BEGIN:VEVENT" in ics.data


def test_ics_is_only_for_confirmed_bookings(scene, login):
    booking = _request(scene, login(scene.leader))
    assert login(scene.leader).get(f"/bestillinger/{booking.id}.ics").status_code == 404


def test_confirm_with_a_bad_link_keeps_it_and_says_why(scene, login):
    booking = _request(scene, login(scene.leader), venue="online")
    response = login(scene.fyrtarn).post(f"/bestillinger/{booking.id}/bekreft",
                                         data={"online_url": "teams møte"})
    assert response.status_code == 200
    page = _body(response)
    assert "https://" in page
    assert 'value="teams møte"' in page
    db.session.refresh(booking)
    assert booking.state == BookingState.REQUESTED


def test_decline_shows_the_reason_to_the_school(scene, login):
    booking = _request(scene, login(scene.leader))
    client = login(scene.fyrtarn)
    empty = client.post(f"/bestillinger/{booking.id}/avsla", data={"reason": ""})
    assert empty.status_code == 200
    assert "Skriv en kort begrunnelse til skolen." in _body(empty)
    response = client.post(f"/bestillinger/{booking.id}/avsla",
                           data={"reason": "Jeg er på kurs hele oktober.", "for_capacity": "y"})
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.state == BookingState.DECLINED
    assert booking.declined_for_capacity
    page = _body(login(scene.leader).get(f"/bestillinger/{booking.id}"))
    assert "Avslått" in page
    assert "Jeg er på kurs hele oktober." in page
    assert "Tidligere" in _body(login(scene.leader).get("/bestillinger"))


def test_proposal_round_trip_accepted(scene, login):
    booking = _request(scene, login(scene.leader))
    fyrtarn = login(scene.fyrtarn)
    page = _body(fyrtarn.get(f"/bestillinger/{booking.id}"))
    later = FIRST + timedelta(days=7)
    assert f'value="{later.isoformat()}"' in page
    response = fyrtarn.post(f"/bestillinger/{booking.id}/foresla",
                            data={"starts_at": later.isoformat(), "answer": "Uken etter passer bedre."})
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.state == BookingState.PROPOSED
    leader = login(scene.leader)
    listing = _body(leader.get("/bestillinger"))
    assert "Nytt tidspunkt foreslått – svar fra dere" in listing
    assert "Godta eller avvis" in listing
    page = _body(leader.get(f"/bestillinger/{booking.id}"))
    assert "Uken etter passer bedre." in page
    assert "Godta tidspunktet" in page
    assert leader.post(f"/bestillinger/{booking.id}/godta").status_code == 303
    db.session.refresh(booking)
    assert booking.state == BookingState.CONFIRMED
    assert booking.starts_at == later
    history = _body(leader.get(f"/bestillinger/{booking.id}"))
    assert "Historikk" in history
    assert "Nytt tidspunkt foreslått → Bekreftet" in history


def test_proposal_rejected_frees_the_time(scene, login):
    booking = _request(scene, login(scene.leader))
    later = FIRST + timedelta(days=7)
    login(scene.fyrtarn).post(f"/bestillinger/{booking.id}/foresla", data={"starts_at": later.isoformat()})
    response = login(scene.leader).post(f"/bestillinger/{booking.id}/avvis", data={"reason": "Passer ikke."})
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.state == BookingState.REJECTED


def test_propose_garbage_time_is_refused_on_the_page(scene, login):
    booking = _request(scene, login(scene.leader))
    response = login(scene.fyrtarn).post(f"/bestillinger/{booking.id}/foresla",
                                         data={"starts_at": "snart", "answer": "Kanskje senere?"})
    assert response.status_code == 200
    page = _body(response)
    assert "Velg et av de ledige tidspunktene." in page
    assert "Kanskje senere?" in page


def test_school_cannot_answer_for_the_fyrtarn(scene, login):
    booking = _request(scene, login(scene.leader))
    response = login(scene.leader).post(f"/bestillinger/{booking.id}/bekreft", data={})
    assert response.status_code == 403
    db.session.refresh(booking)
    assert booking.state == BookingState.REQUESTED


def test_another_schools_leader_gets_403(scene, login):
    booking = _request(scene, login(scene.leader))
    other = login(scene.other_leader)
    assert other.get(f"/bestillinger/{booking.id}").status_code == 403
    assert other.get(f"/bestillinger/{booking.id}.ics").status_code == 403
    assert other.post(f"/bestillinger/{booking.id}/avlys", data={"reason": "Ups"}).status_code == 403
    assert other.post(f"/bestillinger/{booking.id}/godta").status_code == 403
    db.session.refresh(booking)
    assert booking.state == BookingState.REQUESTED


def test_unknown_booking_is_404(scene, login):
    client = login(scene.leader)
    assert client.get("/bestillinger/424242").status_code == 404
    assert client.get("/bestillinger/99999999999999999999").status_code == 404
    assert client.post("/bestillinger/424242/avlys", data={"reason": "x"}).status_code == 404


# --- cancelling and following up --------------------------------------------------------------

def test_school_cancels_before_the_deadline(scene, login):
    booking = _request(scene, login(scene.leader))
    client = login(scene.leader)
    page = _body(client.get(f"/bestillinger/{booking.id}"))
    assert "Avlys bestillingen" in page
    assert "Avbestillingsfrist" in page
    empty = client.post(f"/bestillinger/{booking.id}/avlys", data={"reason": "  "})
    assert empty.status_code == 200
    assert "Skriv hvorfor bestillingen avlyses." in _body(empty)
    assert client.post(f"/bestillinger/{booking.id}/avlys", data={"reason": "Sykdom i kollegiet."}).status_code == 303
    db.session.refresh(booking)
    assert booking.state == BookingState.CANCELLED
    assert "Sykdom i kollegiet." in _body(login(scene.fyrtarn).get(f"/bestillinger/{booking.id}"))


def test_cancel_is_not_offered_after_the_deadline(scene, login):
    booking = _request(scene, login(scene.leader))
    db.session.commit()
    set_clock(ops.cancellation_deadline(booking) + timedelta(minutes=1))
    page = _body(login(scene.leader).get(f"/bestillinger/{booking.id}"))
    assert "Avlys bestillingen" not in page
    assert "Avbestillingsfristen er ute" in page


def test_feedback_and_record_after_the_session(scene, login):
    booking = _request(scene, login(scene.leader))
    login(scene.fyrtarn).post(f"/bestillinger/{booking.id}/bekreft", data={"location": "Aula"})
    set_clock(booking.ends_at + timedelta(hours=1))
    leader = login(scene.leader)
    assert "Gi tilbakemelding" in _body(leader.get("/bestillinger"))
    bad = leader.post(f"/bestillinger/{booking.id}/tilbakemelding", data={"rating": "9", "comment": "Nyttig!"})
    assert bad.status_code == 200
    assert "Velg en karakter fra 1 til 5." in _body(bad)
    assert "Nyttig!" in _body(bad)
    assert leader.post(f"/bestillinger/{booking.id}/tilbakemelding",
                       data={"rating": "5", "comment": "Nyttig!"}).status_code == 303
    fyrtarn = login(scene.fyrtarn)
    assert "Registrer hva som ble gjort" in _body(fyrtarn.get(f"/bestillinger/{booking.id}"))
    assert fyrtarn.post(f"/bestillinger/{booking.id}/gjennomfort",
                        data={"text": "Gikk gjennom brøk med konkreter."}).status_code == 303
    db.session.refresh(booking)
    assert booking.state == BookingState.COMPLETED
    assert booking.feedback_rating == 5
    page = _body(leader.get(f"/bestillinger/{booking.id}"))
    assert "5 av 5" in page
    assert "Gikk gjennom brøk med konkreter." in page


def test_leader_names_participants_later(scene, login, make_user):
    booking = _request(scene, login(scene.leader))
    client = login(scene.leader)
    response = client.post(f"/bestillinger/{booking.id}/deltakere", data={"participant_ids": [str(scene.teacher.id)]})
    assert response.status_code == 303
    db.session.refresh(booking)
    assert [p.name for p in booking.participants] == ["Tor Lærer"]
    refused = client.post(f"/bestillinger/{booking.id}/deltakere",
                          data={"participant_ids": [str(scene.other_leader.id)]})
    assert refused.status_code == 200
    assert "Velg bare blant de ansatte i listen." in _body(refused)


# --- the lists -----------------------------------------------------------------------------------

def test_teacher_sees_an_explanation_instead_of_bookings(scene, login):
    response = login(scene.teacher).get("/bestillinger")
    assert response.status_code == 200
    assert "verken skoleleder eller fyrtårn" in _body(response)


def test_admin_sees_every_booking_paginated(scene, login, admin, app, monkeypatch):
    _request(scene, login(scene.leader))
    _request(scene, login(scene.other_leader), school_id=str(scene.other_school.id),
             starts_at=(FIRST + timedelta(days=7)).isoformat())
    client = login(admin)
    page = _body(client.get("/bestillinger"))
    assert "Alle bestillinger" in page
    assert "Nordby skole" in page and "Sørby skole" in page
    only = _body(client.get("/bestillinger?status=confirmed"))
    assert "Ingen bestillinger." in only
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)
    # Latest start first: Sørby's week-later booking, then Nordby's; a page past the end shows the last.
    first, second, beyond = (_body(client.get(f"/bestillinger?side={n}")) for n in (1, 2, 99))
    assert "Side 1 av 2" in first and "Sørby skole" in first and "Nordby skole" not in first
    assert "Side 2 av 2" in second and "Nordby skole" in second and "Sørby skole" not in second
    assert "Side 2 av 2" in beyond and "Nordby skole" in beyond
    assert client.get("/bestillinger?side=abc&status=zzz").status_code == 200
    assert client.get(f"/bestillinger/ny/{scene.offering.id}").status_code == 200


GARBAGE = {"starts_at": "2026-02-30T25:61:00+99:00", "reason": "x" * 5000, "rating": "fem", "comment": "<script>",
           "participant_ids": ["-1", "99999999999999999999", "abc"], "location": "y" * 400,
           "online_url": "javascript:alert(1)", "text": "", "answer": "z" * 3000, "for_capacity": "kanskje"}


@pytest.mark.parametrize("action", ["bekreft", "avsla", "foresla", "godta", "avvis", "avlys", "deltakere",
                                    "tilbakemelding", "gjennomfort"])
def test_garbage_to_every_answer_is_never_a_server_error(scene, login, action):
    booking = _request(scene, login(scene.leader))
    before = (booking.state, booking.starts_at, booking.updated_at)
    for user in (scene.leader, scene.fyrtarn):
        response = login(user).post(f"/bestillinger/{booking.id}/{action}", data=GARBAGE)
        # The form refuses the garbage before any rule is asked, except where only the button travels: the
        # fyrtårn accepting the school's answer to its own proposal is not theirs to give.
        expected = 403 if (action, user) == ("godta", scene.fyrtarn) else 200
        assert response.status_code == expected, (user.name, response.status_code)
        if response.status_code == 200:
            assert "Skjemaet har feil" in _body(response) or "Ingen handlinger" not in _body(response)
    db.session.expire_all()
    kept = db.session.get(Booking, booking.id)
    assert (kept.state, kept.starts_at, kept.updated_at) == before


def test_a_form_without_its_csrf_token_is_refused(scene, login, app):
    client = login(scene.leader)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/bestillinger/ny/{scene.offering.id}", data=_form(scene))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0


def test_free_times_after_the_autumn_clock_change_keep_oslo_time(scene, login):
    page = _body(login(scene.leader).get(f"/bestillinger/ny/{scene.offering.id}?fra=2026-10-26"))
    assert "Uke 44, 2026" in page
    # 12:00 in Oslo is 11:00 UTC once summer time has ended on 25 October.
    assert 'value="2026-10-27T11:00:00+00:00"' in page
    assert "tirsdag 27. oktober 2026 kl. 12:00–13:30" in page


def test_leader_of_two_schools_chooses_which_one_books(scene, login):
    scene.leader.memberships.append(Membership(role=Role.LEADER, school=scene.other_school))
    db.session.commit()
    client = login(scene.leader)
    page = _body(client.get(f"/bestillinger/ny/{scene.offering.id}?skole={scene.other_school.id}"))
    assert 'name="school_id"' in page and "<select" in page
    assert "Ola Annenleder" in page  # the staff of the school chosen in the address
    booking = _request(scene, client, school_id=str(scene.other_school.id))
    assert booking.school_id == scene.other_school.id
    assert "Sørby skole" in _body(client.get("/bestillinger"))


def _statements(client, url: str) -> int:
    db.session.commit()
    db.session.expunge_all()

    def read():
        assert client.get(url).status_code == 200
    return count_statements(read)


def test_booking_lists_do_not_query_per_booking(scene, login, admin, now, make_profile, make_bookable, make_window):
    leader, fyrtarn, boss = login(scene.leader), login(scene.fyrtarn), login(admin)
    ids = SimpleNamespace(school=scene.school.id, other_school=scene.other_school.id, leader=scene.leader.id,
                          admin=admin.id, teacher=scene.teacher.id, offering=scene.offering.id,
                          profile=scene.profile.id)
    counts = []
    for n in (2, 6):
        for _i in range(n):
            # Each from its own fyrtårn to the school, and as many to the scene's fyrtårn from another school.
            profile = make_profile()
            make_window(profile)
            offering = make_bookable(profile)
            ops.request_booking(offering.id, ids.school, actor=db.session.get(User, ids.leader), starts_at=FIRST,
                                participants_count=3, now=now, participant_ids=[ids.teacher])
        taken = db.session.scalar(sa.select(sa.func.count()).select_from(Booking)
                                  .where(Booking.profile_id == ids.profile))
        for k in range(n):
            ops.request_booking(ids.offering, ids.other_school, actor=db.session.get(User, ids.admin),
                                starts_at=(FIRST.astimezone(OSLO) + timedelta(days=7 * (taken + k))),
                                participants_count=2, now=now)
        counts.append((_statements(leader, "/bestillinger"), _statements(fyrtarn, "/bestillinger"),
                       _statements(boss, "/bestillinger")))
    assert counts[0] == counts[1]


def test_every_form_carries_its_csrf_token_and_ids_are_unique(scene, login, app):
    leader, fyrtarn = login(scene.leader), login(scene.fyrtarn)
    booking = _request(scene, leader)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        pages = [_body(fyrtarn.get(f"/bestillinger/{booking.id}")), _body(leader.get(f"/bestillinger/{booking.id}")),
                 _body(leader.get(f"/bestillinger/ny/{scene.offering.id}"))]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    for page in pages:
        assert page.count('method="post"') >= 1
        assert page.count('name="csrf_token"') == page.count('method="post"')
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_a_later_time_stays_chosen_when_the_form_comes_back(scene, login):
    later = datetime(2026, 11, 10, 11, 0, tzinfo=timezone.utc)  # 12:00 in Oslo, week 46
    client = login(scene.leader)
    form = _body(client.get(f"/bestillinger/ny/{scene.offering.id}?fra=2026-11-02"))
    assert f'action="/bestillinger/ny/{scene.offering.id}?fra=2026-11-02"' in form
    response = client.post(f"/bestillinger/ny/{scene.offering.id}?fra=2026-11-02",
                           data=_form(scene, starts_at=later.isoformat(), participants_count="tolv"))
    assert response.status_code == 400
    page = _body(response)
    assert f'value="{later.isoformat()}" checked' in page
    assert "Skriv et helt tall." in page


def test_fyrtarn_may_propose_the_time_next_to_the_one_asked_for(scene, login):
    booking = _request(scene, login(scene.leader))
    next_door = FIRST + timedelta(minutes=90)  # 13:30 the same day, inside the request's own buffer
    page = _body(login(scene.fyrtarn).get(f"/bestillinger/{booking.id}"))
    assert f'value="{next_door.isoformat()}"' in page
    assert f'value="{FIRST.isoformat()}"' not in page


# --- the cancellation deadline, posted -------------------------------------------------------------

def _confirmed(scene, login) -> Booking:
    booking = _request(scene, login(scene.leader))
    assert login(scene.fyrtarn).post(f"/bestillinger/{booking.id}/bekreft", data={"location": "Aula"}).status_code == 303
    db.session.commit()
    return booking


def _what_a_cancellation_would_change() -> tuple[int, int, int]:
    from lms.audit.models import AuditEntry
    from lms.mail.models import OutboxMessage
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (
        AuditEntry, OutboxMessage, Booking))


@pytest.mark.parametrize("side", ["leader", "fyrtarn"])
def test_either_side_cancels_through_the_page_a_second_before_the_deadline(scene, login, side):
    booking = _confirmed(scene, login)
    set_clock(ops.cancellation_deadline(booking) - timedelta(seconds=1))
    client = login(getattr(scene, side))
    assert "Avlys bestillingen" in _body(client.get(f"/bestillinger/{booking.id}"))
    response = client.post(f"/bestillinger/{booking.id}/avlys", data={"reason": "Sykdom i kollegiet."})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).state == BookingState.CANCELLED


@pytest.mark.parametrize("side", ["leader", "fyrtarn"])
@pytest.mark.parametrize("after", [timedelta(0), timedelta(seconds=1), timedelta(hours=47)],
                         ids=["at-the-deadline", "a-second-after", "an-hour-before-the-start"])
def test_neither_side_cancels_from_the_deadline_on_and_nothing_changes(scene, login, side, after):
    booking = _confirmed(scene, login)
    before = _what_a_cancellation_would_change()
    set_clock(ops.cancellation_deadline(booking) + after)
    client = login(getattr(scene, side))
    assert "Avlys bestillingen" not in _body(client.get(f"/bestillinger/{booking.id}"))
    response = client.post(f"/bestillinger/{booking.id}/avlys", data={"reason": "Sykdom i kollegiet."})
    assert response.status_code == 200
    # The deadline is 48 hours before Tuesday 12:00: Sunday 12:00 in Oslo.
    assert "Fristen for å avlyse var søndag 6. september 2026 kl. 12:00. Ta kontakt direkte." in _body(response)
    db.session.expire_all()
    kept = db.session.get(Booking, booking.id)
    assert (kept.state, kept.cancel_reason, kept.cancelled_by) == (BookingState.CONFIRMED, "", None)
    assert _what_a_cancellation_would_change() == before
    assert "BEGIN:VEVENT" in _body(login(scene.leader).get(f"/bestillinger/{booking.id}.ics"))


@pytest.mark.parametrize("after", [timedelta(0), timedelta(hours=47)], ids=["at-the-deadline", "an-hour-before"])
def test_an_admin_cancels_after_the_deadline_for_the_fyrtarn(scene, login, admin, after):
    booking = _confirmed(scene, login)
    set_clock(ops.cancellation_deadline(booking) + after)
    response = login(admin).post(f"/bestillinger/{booking.id}/avlys", data={"reason": "Fyrtårnet er sykmeldt."})
    assert response.status_code == 303
    db.session.expire_all()
    cancelled = db.session.get(Booking, booking.id)
    assert (cancelled.state, cancelled.cancel_reason) == (BookingState.CANCELLED, "Fyrtårnet er sykmeldt.")
    assert "Fyrtårnet er sykmeldt." in _body(login(scene.leader).get(f"/bestillinger/{booking.id}"))


def test_a_fyrtarn_whose_semester_is_full_can_still_propose_another_time(scene, login):
    """The request's own 90 minutes are counted free when the fyrtårn proposes a time instead of it."""
    from lighthouse.profiles.models import ReleaseTime
    release = db.session.scalars(sa.select(ReleaseTime).where(ReleaseTime.profile_id == scene.profile.id)).one()
    release.approved_minutes = 90
    db.session.commit()
    booking = _request(scene, login(scene.leader))
    assert ops.release_time_left(scene.profile.id, booking.semester) == 0
    later = FIRST + timedelta(days=7)
    fyrtarn = login(scene.fyrtarn)
    assert f'value="{later.isoformat()}"' in _body(fyrtarn.get(f"/bestillinger/{booking.id}"))
    response = fyrtarn.post(f"/bestillinger/{booking.id}/foresla", data={"starts_at": later.isoformat()})
    assert response.status_code == 303
    db.session.expire_all()
    proposed = db.session.get(Booking, booking.id)
    assert (proposed.state, proposed.starts_at) == (BookingState.PROPOSED, later)
    assert ops.held_minutes(scene.profile.id, proposed.semester) == 90
    # The semester stays full for everyone else.
    other = _body(login(scene.other_leader).get(f"/bestillinger/ny/{scene.offering.id}"))
    assert "frikjøpte tid dette semesteret er brukt opp" in other


# --- what the booking page tells afterwards (found by mutation testing, tests/MUTANTS.md) ----------------

_HISTORY_ROW = re.compile(r"<tr>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*</tr>")


def _history(client, booking) -> list[tuple[str, str, str]]:
    """Return the booking page's history as (who, change, note), oldest first."""
    page = _body(client.get(f"/bestillinger/{booking.id}"))
    table = page.split('id="historikk"', 1)[1].split("</table>", 1)[0]
    return [tuple(html.unescape(cell) for cell in row[1:]) for row in _HISTORY_ROW.findall(table)]


def _propose_next_week(scene, login, booking) -> None:
    response = login(scene.fyrtarn).post(f"/bestillinger/{booking.id}/foresla",
                                         data={"starts_at": (booking.starts_at + timedelta(days=7)).isoformat()})
    assert response.status_code == 303, _body(response)


def test_the_history_says_who_declined_and_why(scene, login):
    booking = _request(scene, login(scene.leader))
    assert login(scene.fyrtarn).post(f"/bestillinger/{booking.id}/avsla",
                                     data={"reason": "Jeg er på kurs den uka."}).status_code == 303
    assert _history(login(scene.leader), booking)[1:] == [
        ("Frida Fyrtårn", "Forespurt → Avslått", "Jeg er på kurs den uka.")]


def test_a_proposal_turned_down_with_or_without_a_reason_says_just_that(scene, login):
    silent = _request(scene, login(scene.leader))
    reasoned = _request(scene, login(scene.leader), starts_at=(FIRST + timedelta(days=14)).isoformat())
    for booking in (silent, reasoned):
        _propose_next_week(scene, login, booking)
    leader = login(scene.leader)
    for booking, reason in ((silent, ""), (reasoned, "Passer ikke for oss.")):
        assert leader.post(f"/bestillinger/{booking.id}/avvis", data={"reason": reason}).status_code == 303
        assert _history(leader, booking)[-1] == ("Liv Leder", "Nytt tidspunkt foreslått → Forslag avvist", reason)
    assert "Begrunnelse for avlysningen" not in _body(leader.get(f"/bestillinger/{silent.id}"))
    assert "Passer ikke for oss." in _body(leader.get(f"/bestillinger/{reasoned.id}")).split(
        "Begrunnelse for avlysningen", 1)[1]


def test_a_low_rating_without_a_comment_and_the_fyrtarns_record_are_in_the_history(scene, login):
    booking = _confirmed(scene, login)
    set_clock(booking.ends_at)  # from the moment the session is over
    leader = login(scene.leader)
    assert leader.post(f"/bestillinger/{booking.id}/tilbakemelding", data={"rating": "1", "comment": ""}).status_code == 303
    assert login(scene.fyrtarn).post(f"/bestillinger/{booking.id}/gjennomfort",
                                     data={"text": "Gikk gjennom brøk med konkreter."}).status_code == 303
    page = _body(leader.get(f"/bestillinger/{booking.id}"))
    assert '<p class="ds-paragraph">1 av 5</p>' in page
    assert _history(leader, booking)[2:] == [
        ("Liv Leder", "Bekreftet → Gjennomført", "Tilbakemelding: 1 av 5."),
        ("Frida Fyrtårn", "Gjennomført → Gjennomført", "Fyrtårnet har ført hva som ble gjort.")]


def test_participants_fill_the_offering_not_more_and_each_change_raises_the_invitation(scene, login, make_user,
                                                                                        make_bookable):
    offering = make_bookable(scene.profile, title="Veiledning for to", max_participants=2)
    staff = [scene.teacher] + [make_user(name, school=scene.school) for name in ("Kari Kollega", "Per Pedagog")]
    db.session.commit()
    leader = login(scene.leader)
    response = leader.post(f"/bestillinger/ny/{offering.id}", data=_form(scene, participants_count="2"))
    assert response.status_code == 303, _body(response)
    booking = db.session.scalars(sa.select(Booking).where(Booking.offering_id == offering.id)).one()
    assert login(scene.fyrtarn).post(f"/bestillinger/{booking.id}/bekreft", data={"location": "Aula"}).status_code == 303

    def sequence() -> int:
        return int(re.search(r"^SEQUENCE:(\d+)", leader.get(f"/bestillinger/{booking.id}.ics").get_data(as_text=True),
                             re.M).group(1))

    def name(*people):
        return leader.post(f"/bestillinger/{booking.id}/deltakere", data={"participant_ids": [str(p.id) for p in people]})

    first = sequence()
    assert name(staff[0], staff[1]).status_code == 303
    refused = name(*staff)
    assert "<li>Tilbudet har plass til høyst 2 deltakere.</li>" in _body(refused)
    assert name(staff[0], staff[2]).status_code == 303
    db.session.expire_all()
    assert sorted(p.name for p in db.session.get(Booking, booking.id).participants) == ["Per Pedagog", "Tor Lærer"]
    assert sequence() == first + 2
    assert [note for _who, _change, note in _history(leader, booking)[2:]] == [
        "Deltakere endret (2 lagt til, 0 fjernet).", "Deltakere endret (1 lagt til, 1 fjernet)."]


def test_the_nightly_run_completes_at_the_end_and_lets_a_request_lapse_at_its_start(scene, login, app):
    done = _confirmed(scene, login)
    lapsing = _request(scene, login(scene.leader), starts_at=(FIRST + timedelta(days=7)).isoformat())
    waiting = _request(scene, login(scene.leader), starts_at=(FIRST + timedelta(days=14)).isoformat())
    for clock, states in ((done.ends_at, [BookingState.COMPLETED, BookingState.REQUESTED, BookingState.REQUESTED]),
                          (lapsing.starts_at, [BookingState.COMPLETED, BookingState.CANCELLED, BookingState.REQUESTED])):
        set_clock(clock)
        assert app.test_cli_runner().invoke(args=["lighthouse", "complete"]).exit_code == 0
        db.session.expire_all()
        assert [db.session.get(Booking, b.id).state for b in (done, lapsing, waiting)] == states
    leader = login(scene.leader)
    assert _history(leader, done)[-1] == ("Systemet", "Bekreftet → Gjennomført", "")
    assert _history(leader, lapsing)[-1] == ("Systemet", "Forespurt → Avlyst", "Ble ikke besvart før tidspunktet.")
    assert "Ble ikke besvart før tidspunktet." in _body(leader.get(f"/bestillinger/{lapsing.id}")).split(
        "Begrunnelse for avlysningen", 1)[1]


def test_an_accepted_proposal_takes_place_at_the_school_or_online_as_asked(scene, login):
    at_school = _request(scene, login(scene.leader))
    online = _request(scene, login(scene.leader), venue="online", starts_at=(FIRST + timedelta(days=14)).isoformat())
    leader = login(scene.leader)
    for booking in (at_school, online):
        _propose_next_week(scene, login, booking)
        assert leader.post(f"/bestillinger/{booking.id}/godta").status_code == 303
    assert "<dd>På skolen som bestiller – Nordby skole</dd>" in _body(leader.get(f"/bestillinger/{at_school.id}"))
    assert "<dd>Digitalt</dd>" in _body(leader.get(f"/bestillinger/{online.id}"))


def _no_times_reason(login, scene, offering) -> str:
    """Return the message the booking form shows instead of free times."""
    page = _body(login(scene.leader).get(f"/bestillinger/ny/{offering.id}"))
    assert "Uke " not in page  # no free time is offered
    (reason,) = re.findall(r'<div class="ds-alert" data-color="info" role="status"><p class="ds-paragraph">([^<]*)</p>',
                           page)
    return html.unescape(reason)


NO_TIMES = {
    "no-windows": "Fyrtårnet har ikke lagt inn tider de kan bestilles i denne perioden. Se etter senere tider, "
                  "eller ta kontakt med fyrtårnet.",
    "no-hours": "Fyrtårnets frikjøpte tid dette semesteret er brukt opp. Se etter tider i neste semester.",
    "all-taken": "Alle tidene i denne perioden er bestilt, eller for nær i tid. Se etter senere tider.",
}


@pytest.mark.parametrize("windows, approved_hours, reason", [
    # The period shown is 1 September (today) to 27 October 2026 (Tuesdays): windows just outside it count not.
    ([(1, date(2026, 8, 17), date(2026, 8, 31)), (1, date(2026, 10, 28), date(2026, 12, 18))], 20, "no-windows"),
    # A Monday window whose last day is the first day of the period (a Tuesday): it counts, but has no time in it;
    # the two hours approved are exactly the offering's two hours.
    ([(0, date(2026, 8, 24), date(2026, 9, 1))], 2, "all-taken"),
    # A Monday window whose first day is the last day of the period.
    ([(0, date(2026, 10, 27), date(2026, 12, 18))], 20, "all-taken"),
    ([(1, date(2026, 8, 17), date(2026, 12, 18))], 0, "no-hours"),
], ids=["windows-outside-the-period", "a-window-ending-on-its-first-day", "a-window-starting-on-its-last-day",
        "no-hours-approved"])
def test_no_free_times_say_exactly_why(scene, login, make_profile, make_bookable, make_window, windows,
                                       approved_hours, reason):
    profile = make_profile("Tidløs Fyrtårn", approved_hours=approved_hours)
    offering = make_bookable(profile, title="To timers verksted", duration_minutes=120)
    for weekday, valid_from, valid_until in windows:
        make_window(profile, weekday=weekday, valid_from=valid_from, valid_until=valid_until)
    db.session.commit()
    assert _no_times_reason(login, scene, offering) == NO_TIMES[reason]


# --- the lists, the front page and the download (found by mutation testing, tests/MUTANTS.md) ----------

def _week(k: int) -> datetime:
    """Return 12:00 in Oslo on the Tuesday ``k`` weeks after the first free time (in UTC)."""
    return (FIRST.astimezone(OSLO) + timedelta(days=7 * k)).astimezone(timezone.utc)


def _ids_in(page: str, marker: str) -> list[int]:
    """Return the ids of the bookings linked between ``marker`` and the next heading or section end, in order."""
    part = re.split(r"<h3|</section>", page.split(marker, 1)[1], maxsplit=1)[0]
    return list(dict.fromkeys(int(i) for i in re.findall(r'href="/bestillinger/(\d+)"', part)))


def test_the_fyrtarns_front_page_lists_the_eight_soonest_requests_still_open_and_only_theirs(
        scene, login, now, make_profile, make_bookable, make_window):
    other = make_profile("Otto Fyrtårn")
    make_window(other)
    elsewhere = ops.request_booking(make_bookable(other).id, scene.school.id, actor=scene.leader, starts_at=_week(1),
                                    participants_count=3, now=now)
    # Ten requests, asked for out of order; the first of them (week 0) ends as the page is read.
    weeks = [4, 0, 9, 2, 7, 1, 5, 3, 8, 6]
    ids = {k: ops.request_booking(scene.offering.id, scene.school.id, actor=scene.leader, starts_at=_week(k),
                                  participants_count=3, now=now).id for k in weeks}
    db.session.commit()
    set_clock(_week(0) + timedelta(minutes=90))
    page = _body(login(scene.fyrtarn).get("/"))
    assert _ids_in(page, 'id="foresporsler"') == [ids[k] for k in range(1, 9)]
    assert elsewhere.id not in _ids_in(page, 'id="foresporsler"')


def test_the_leaders_front_page_lists_the_eight_newest_answers_and_only_the_schools(scene, login, now):
    bookings = [ops.request_booking(scene.offering.id, scene.school.id, actor=scene.leader, starts_at=_week(k),
                                    participants_count=3, now=now) for k in range(10)]
    other = ops.request_booking(scene.offering.id, scene.other_school.id, actor=scene.other_leader,
                                starts_at=_week(10), participants_count=3, now=now)
    # Answered one by one, in another order than they were asked for; the other school's answer comes last.
    for minutes, k in enumerate([5, 2, 9, 3, 7, 4, 8, 6], start=1):
        answer = ops.confirm_booking if k % 2 else (lambda b, **kw: ops.decline_booking(b, reason="Opptatt", **kw))
        answer(bookings[k], actor=scene.fyrtarn, now=now + timedelta(minutes=minutes))
    ops.confirm_booking(other, actor=scene.fyrtarn, now=now + timedelta(minutes=30))
    # The nightly run lets the first two lapse in one go: two answers at the same moment, the newest booking first.
    assert ops.expire_unanswered(_week(1)) == 2
    db.session.commit()
    page = _body(login(scene.leader).get("/"))
    assert _ids_in(page, 'id="svar-fra-fyrtarn"') == [b.id for b in (
        bookings[1], bookings[0], bookings[6], bookings[8], bookings[4], bookings[7], bookings[3], bookings[9])]


def test_the_schools_list_shows_equal_times_newest_request_first_and_the_past_latest_first(
        scene, login, now, make_profile, make_bookable, make_window):
    other = make_profile("Otto Fyrtårn")
    make_window(other)
    elsewhere = make_bookable(other)
    first = ops.request_booking(scene.offering.id, scene.school.id, actor=scene.leader, starts_at=_week(2),
                                participants_count=3, now=now)
    second = ops.request_booking(elsewhere.id, scene.school.id, actor=scene.leader, starts_at=_week(2),
                                 participants_count=3, now=now)
    later, earlier = (ops.request_booking(scene.offering.id, scene.school.id, actor=scene.leader, starts_at=_week(k),
                                          participants_count=3, now=now) for k in (5, 3))
    for booking in (later, earlier):
        ops.decline_booking(booking, actor=scene.fyrtarn, now=now, reason="Opptatt")
    db.session.commit()
    page = _body(login(scene.leader).get("/bestillinger"))
    assert _ids_in(page, 'id="skole-waiting"') == [second.id, first.id]
    assert _ids_in(page, 'id="skole-past"') == [later.id, earlier.id]


def test_the_fyrtarns_list_puts_proposals_before_confirmed_times_and_each_group_by_start(scene, login, now):
    def ask(k):
        return ops.request_booking(scene.offering.id, scene.school.id, actor=scene.leader, starts_at=_week(k),
                                   participants_count=3, now=now)
    late_request, early_request = ask(6), ask(4)
    late_confirmed, early_confirmed = ask(3), ask(1)
    for booking in (late_confirmed, early_confirmed):
        ops.confirm_booking(booking, actor=scene.fyrtarn, now=now)
    proposed = ask(7)
    ops.propose_time(proposed, actor=scene.fyrtarn, now=now, starts_at=_week(8))
    db.session.commit()
    page = _body(login(scene.fyrtarn).get("/bestillinger"))
    assert _ids_in(page, 'id="fyrtarn-incoming"') == [early_request.id, late_request.id]
    # What waits for the school's answer comes before what is settled, however late it is.
    assert _ids_in(page, 'id="fyrtarn-upcoming"') == [proposed.id, early_confirmed.id, late_confirmed.id]


def test_the_admins_list_pages_by_latest_start_filters_by_state_and_shows_no_pages_when_one_will_do(
        scene, login, admin, app, monkeypatch, now, make_profile, make_bookable, make_window):
    other = make_profile("Otto Fyrtårn")
    make_window(other)
    elsewhere = make_bookable(other)
    middle = ops.request_booking(scene.offering.id, scene.school.id, actor=admin, starts_at=_week(2),
                                 participants_count=3, now=now)
    first = ops.request_booking(scene.offering.id, scene.school.id, actor=admin, starts_at=_week(1),
                                participants_count=3, now=now)
    last, same_time = (ops.request_booking(offering.id, scene.school.id, actor=admin, starts_at=_week(3),
                                           participants_count=3, now=now) for offering in (scene.offering, elsewhere))
    ops.confirm_booking(first, actor=scene.fyrtarn, now=now)
    db.session.commit()
    client = login(admin)

    def listed(query=""):
        page = _body(client.get(f"/bestillinger{query}"))
        return _ids_in(page, 'id="alle"'), re.findall(r"Side \d+ av \d+", page)
    # Latest start first; of two at the same time, the newest request first.
    assert listed() == ([same_time.id, last.id, middle.id, first.id], [])
    assert listed("?status=requested") == ([same_time.id, last.id, middle.id], [])
    assert listed("?status=confirmed") == ([first.id], [])
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    assert listed("?side=2") == ([middle.id, first.id], ["Side 2 av 2"])
    assert listed("?status=requested&side=2") == ([middle.id], ["Side 2 av 2"])
    assert listed("?status=requested&side=1") == ([same_time.id, last.id], ["Side 1 av 2"])
    monkeypatch.setitem(app.config, "PAGE_SIZE", 4)
    assert listed() == ([same_time.id, last.id, middle.id, first.id], [])


def test_the_downloaded_invitation_is_the_confirmed_booking_named_for_the_offering_and_stamped_when_fetched(
        scene, login):
    booking = _confirmed(scene, login)
    fetched = datetime(2026, 9, 3, 7, 30, tzinfo=timezone.utc)
    set_clock(fetched)
    ics = login(scene.fyrtarn).get(f"/bestillinger/{booking.id}.ics").get_data(as_text=True)
    assert "X-WR-CALNAME:Veiledning i matematikk\r\n" in ics
    assert "STATUS:CONFIRMED\r\n" in ics and "CANCELLED" not in ics
    assert "DTSTAMP:20260903T073000Z\r\n" in ics
    # The fyrtårn's own feed's UID, so their calendar keeps one event.
    assert re.search(rf"^UID:kp-booking-{booking.id}-person-{scene.fyrtarn.id}@", ics, re.M)


def test_the_booking_form_offers_the_leaders_schools_and_their_active_staff_by_name(scene, login, make_school,
                                                                                   make_user):
    askim = make_school("Askim skole")  # after Nordby, first by name
    scene.leader.memberships.append(Membership(role=Role.LEADER, school=askim))
    make_user("Anne Ansatt", school=scene.school)
    make_user("Ivar Inaktiv", school=scene.school, active=False)
    db.session.commit()
    page = _body(login(scene.leader).get(f"/bestillinger/ny/{scene.offering.id}?skole={scene.school.id}"))
    schools = page.split('name="school_id"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r"<option[^>]*>([^<]*)</option>", schools) == ["Askim skole", "Nordby skole"]
    assert re.findall(r'<label class="ds-label" for="participant_ids-\d+">([^<]*)</label>', page) == [
        "Anne Ansatt", "Liv Leder", "Tor Lærer"]


def test_the_history_says_which_time_the_fyrtarn_proposed_and_why_the_school_cancelled(scene, login):
    booking = _request(scene, login(scene.leader))
    _propose_next_week(scene, login, booking)
    leader = login(scene.leader)
    assert leader.post(f"/bestillinger/{booking.id}/godta").status_code == 303
    assert leader.post(f"/bestillinger/{booking.id}/avlys", data={"reason": "Sykdom i kollegiet."}).status_code == 303
    assert _history(leader, booking)[1:] == [
        ("Frida Fyrtårn", "Forespurt → Nytt tidspunkt foreslått", "Foreslått tirsdag 15. september 2026 kl. 12:00."),
        ("Liv Leder", "Nytt tidspunkt foreslått → Bekreftet", "Forslaget er godtatt."),
        ("Liv Leder", "Bekreftet → Avlyst", "Sykdom i kollegiet.")]


def test_an_online_booking_confirmed_without_a_place_is_held_online_at_no_place(scene, login):
    booking = _request(scene, login(scene.leader), venue="online")
    response = login(scene.fyrtarn).post(f"/bestillinger/{booking.id}/bekreft",
                                         data={"online_url": "https://meet.kommune.no/veiledning"})
    assert response.status_code == 303, _body(response)
    page = _body(login(scene.leader).get(f"/bestillinger/{booking.id}"))
    assert "<dt>Hvor</dt><dd>Digitalt</dd>" in page
    assert '<a class="ds-link" href="https://meet.kommune.no/veiledning">Lenke til nettmøte</a>' in page


def test_opening_an_answer_reads_it_for_good(scene, login, now):
    booking = _request(scene, login(scene.leader))
    ops.confirm_booking(booking, actor=scene.fyrtarn, now=now)
    db.session.commit()
    leader = login(scene.leader)
    assert "Nytt svar" in _body(leader.get(f"/bestillinger/{booking.id}"))
    db.session.rollback()  # what the end of a request does with anything the page did not commit
    assert 'id="svar-fra-fyrtarn"' not in _body(leader.get("/"))
    assert "Nytt svar" not in _body(leader.get(f"/bestillinger/{booking.id}"))


def test_the_booking_with_the_largest_id_the_database_gives_is_found(scene, login, now):
    from lms.db import MAX_ID
    last = Booking(id=MAX_ID, offering_id=scene.offering.id, profile_id=scene.profile.id, school_id=scene.school.id,
                   starts_at=FIRST, ends_at=FIRST + timedelta(minutes=90), requested_starts_at=FIRST, semester="2026H",
                   minutes=90, participants_count=3, venue=Venue.AT_SCHOOL, state=BookingState.REQUESTED,
                   created_at=now)
    db.session.add(last)
    db.session.commit()
    leader = login(scene.leader)
    assert "Veiledning i matematikk" in _body(leader.get(f"/bestillinger/{MAX_ID}"))
    assert leader.get(f"/bestillinger/{MAX_ID + 1}").status_code == 404


def test_the_schools_own_answer_to_a_proposal_is_no_news_to_its_leaders(scene, login, now):
    booking = _request(scene, login(scene.leader))
    _propose_next_week(scene, login, booking)
    leader = login(scene.leader)
    assert "Nytt svar" in _body(leader.get(f"/bestillinger/{booking.id}"))  # the proposal, read
    set_clock(now + timedelta(hours=1))
    assert leader.post(f"/bestillinger/{booking.id}/godta").status_code == 303
    assert 'id="svar-fra-fyrtarn"' not in _body(leader.get("/"))
    assert "Nytt svar" not in _body(leader.get(f"/bestillinger/{booking.id}"))


def test_two_past_bookings_at_one_time_are_listed_to_the_fyrtarn_in_the_order_they_were_asked_for(scene, login, now):
    """On PostgreSQL a row rewritten later comes later from the table; the list must not follow that."""
    declined = _request(scene, login(scene.leader))
    ops.decline_booking(declined, actor=scene.fyrtarn, now=now, reason="Opptatt")
    db.session.commit()
    cancelled = _request(scene, login(scene.leader))  # the same time, free again
    ops.cancel_booking(cancelled, actor=scene.leader, now=now, reason="Feil dato")
    db.session.commit()
    assert "Avslått" in _body(login(scene.leader).get(f"/bestillinger/{declined.id}"))  # the answer read: rewritten
    page = _body(login(scene.fyrtarn).get("/bestillinger"))
    assert _ids_in(page, 'id="fyrtarn-past"') == [declined.id, cancelled.id]


def test_the_booking_page_says_who_asked_for_it_and_when(scene, login, admin):
    booking = _request(scene, login(admin))
    page = _body(login(scene.leader).get(f"/bestillinger/{booking.id}"))
    assert re.search(r"<dt>Bestilt av</dt><dd>Ada Admin, [^<]*2026[^<]*</dd>", page)


def test_a_booking_moved_by_a_proposal_to_another_ones_time_is_still_listed_before_it_as_asked_for_first(
        scene, login, now):
    """On PostgreSQL the proposal rewrites the older booking through its indexed start, so it then comes later
    from the table; only the order asked for keeps it first among the two at one time."""
    first = _request(scene, login(scene.leader), starts_at=(FIRST + timedelta(weeks=1)).isoformat())
    second = _request(scene, login(scene.leader))
    ops.decline_booking(second, actor=scene.fyrtarn, now=now, reason="Opptatt")
    ops.propose_time(first, actor=scene.fyrtarn, now=now, starts_at=FIRST)  # the time just freed
    ops.reject_proposal(first, actor=scene.leader, now=now)
    db.session.commit()
    assert first.starts_at == second.starts_at and first.id < second.id
    page = _body(login(scene.fyrtarn).get("/bestillinger"))
    assert _ids_in(page, 'id="fyrtarn-past"') == [first.id, second.id]
