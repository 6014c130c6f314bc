"""The offering page's shared part is kept rendered per process: it must never show what has changed since.

Each test reads the page once (so the part is cached), changes what it shows
the way another instance of the platform would (straight in the database,
where this process hears of nothing), and reads the page again.
"""
import re
from datetime import timedelta

from flask import template_rendered

from catalog.enrollment import operations as ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings import operations as offering_ops
from events.models import SessionStatus
from lms.db import db
from tests.conftest import PASSWORD
from tests.lms.conftest import make_app as make_app  # the fixture, for this module's tests


def page(client, offering) -> str:
    response = client.get(f"/kurs/{offering.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_edited_description_is_shown_at_once(client, make_offering):
    offering = make_offering(description="Vi ser på **vurdering** med nettbrett.")
    assert "<strong>vurdering</strong>" in page(client, offering)
    offering.description = "Vi ser på **kildekritikk** i stedet."
    db.session.commit()
    shown = page(client, offering)
    assert "<strong>kildekritikk</strong>" in shown and "vurdering</strong>" not in shown


def test_a_moved_and_a_cancelled_session_are_shown_at_once(client, make_offering):
    offering = make_offering(sessions=2)
    first, second = offering.sessions
    before = page(client, offering)
    assert before.count("Legg til i kalenderen") == 2 and "Avlyst</strong>" not in before
    first.starts_at += timedelta(days=1, hours=1)
    first.ends_at += timedelta(days=1, hours=1)
    second.status = SessionStatus.CANCELLED
    db.session.commit()
    after = page(client, offering)
    assert first.starts_at.isoformat() in after and "Avlyst</strong>" in after
    assert after.count("Legg til i kalenderen") == 1


def test_a_meeting_of_the_series_that_fills_up_is_shown_full_on_the_others_page(client, admin, make_offering, now):
    autumn = make_offering("Nettverksmøte: Kildekritikk", capacity=2)
    spring = offering_ops.add_next_in_series(autumn, actor=admin, now=now)
    start = now + timedelta(days=150)
    offering_ops.add_session(spring, actor=admin, now=now, starts_at=start, ends_at=start + timedelta(hours=2))
    offering_ops.publish(spring, actor=admin, now=now)
    db.session.commit()
    def springs_line():
        return page(client, autumn).split(f'href="/kurs/{spring.id}"')[1].split("</li>")[0]

    assert "2 ledige plasser" in springs_line()
    spring.seats_taken = 2
    db.session.commit()
    assert "Fullt" in springs_line() and "ledige plasser" not in springs_line()


def test_each_language_gets_its_own(client, make_offering):
    offering = make_offering()
    assert "Om tilbudet" in page(client, offering)
    client.set_cookie("kp_lang", "nn")
    assert "Om tilbodet" in page(client, offering)
    client.set_cookie("kp_lang", "en")
    assert "About" in page(client, offering) and "Om tilbudet" not in page(client, offering)


def test_the_waitlisted_and_the_enrolled_read_their_own_calendar_note(login, make_offering, make_user, now):
    offering = make_offering(capacity=1)
    seated, waiting = make_user(), make_user()
    assert ops.enroll(offering.id, seated, actor=seated, now=now).state == EnrollmentState.ENROLLED
    assert ops.enroll(offering.id, waiting, actor=waiting, now=now).state == EnrollmentState.WAITLISTED
    db.session.commit()
    note = "Datoene er ikke bekreftet for deg"
    assert note in page(login(waiting), offering)
    assert note not in page(login(seated), offering)
    assert note in page(login(waiting), offering)


def test_the_organisers_links_never_reach_anyone_else(client, login, admin, make_offering):
    offering = make_offering()
    assert "Avlys økten" in page(login(admin), offering)
    assert "Avlys økten" not in page(client, offering)
    assert "Avlys økten" in page(login(admin), offering)


def test_the_facts_and_the_top_follow_seats_deadlines_target_groups_and_a_cancellation(client, make_offering, now):
    from catalog.offerings.models import OfferingStatus, OfferingTargetGroup, TargetGroup

    offering = make_offering("Kildekritikk", capacity=10)
    first = page(client, offering)
    assert "10 ledige plasser" in first and "Påmeldingsfrist" not in first and "Avlyst" not in first
    offering.seats_taken = 9
    offering.registration_closes_at = now + timedelta(days=3)
    db.session.commit()
    second = page(client, offering)
    assert "1 ledig plass" in second and "Påmeldingsfrist" in second

    def facts() -> str:
        return page(client, offering).split('class="kp-facts"')[1].split("</dl>")[0]

    assert "Skoleledere" not in facts()
    db.session.add(OfferingTargetGroup(offering_id=offering.id, group=TargetGroup.LEADERS))  # nothing else changes
    db.session.commit()
    db.session.expire(offering)
    assert "Skoleledere" in facts()
    offering.status = OfferingStatus.CANCELLED
    offering.cancel_reason = "For få påmeldte."
    db.session.commit()
    third = page(client, offering)
    assert "Tilbudet er avlyst." in third and "For få påmeldte." in third


def test_a_visitors_kept_page_sets_no_cookie_links_back_to_itself_and_shows_a_message_once(client, make_offering):
    """A visitor's page is kept whole, layout included: it is still the visitor's own page."""
    offering = make_offering(title="Kildekritikk i praksis")
    for _ in range(2):  # made, then kept
        response = client.get(f"/kurs/{offering.id}")
        shown = response.get_data(as_text=True)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        assert "<title>Kildekritikk i praksis – Kompetanseportalen</title>" in shown
        assert f'href="/logg-inn?next=/kurs/{offering.id}"' in shown
        assert "\x00" not in shown
    with client.session_transaction() as browser:
        browser["_flashes"] = [("success", "Du er logget ut.")]
    assert "Du er logget ut." in page(client, offering)
    assert "Du er logget ut." not in page(client, offering)


def test_a_visitor_and_a_signed_in_teacher_never_get_each_others_page(client, login, make_user, make_offering):
    offering = make_offering()
    teacher = login(make_user("Tina Lærer"))
    assert "Logg inn for å melde deg på" in page(client, offering)
    signed_in = page(teacher, offering)
    assert "Meld meg på" in signed_in and "Logg inn for å melde deg på" not in signed_in and "Tina Lærer" in signed_in
    visitor = page(client, offering)
    assert "Logg inn for å melde deg på" in visitor and "Tina Lærer" not in visitor


def aside(html: str) -> str:
    return html[html.index('id="pamelding"'):html.index("</aside>")]


def test_each_teacher_gets_their_own_enroll_box_and_header_on_the_kept_page(login, make_user, make_offering, now):
    offering = make_offering(capacity=1)
    enrolled, other = make_user("Eva Påmeldt"), make_user("Ola Venter")
    eva, ola = login(enrolled), login(other)
    for client in (eva, ola):
        page(client, offering)  # the sign-in's message, shown once
    assert "Meld meg på" in aside(page(eva, offering)) and "Meld meg på" in aside(page(ola, offering))
    ops.enroll(offering.id, enrolled, actor=enrolled, now=now)
    db.session.commit()
    eva_page, ola_page = page(eva, offering), page(ola, offering)
    assert "Du er påmeldt." in aside(eva_page) and "Eva Påmeldt" in eva_page and "Ola Venter" not in eva_page
    assert "Sett meg på ventelisten" in aside(ola_page) and "Du er påmeldt." not in ola_page
    assert "Ola Venter" in ola_page and "Eva Påmeldt" not in ola_page
    ops.enroll(offering.id, other, actor=other, now=now)
    db.session.commit()
    assert "Du står som nummer 1 på ventelisten." in aside(page(ola, offering))
    assert "Du er påmeldt." in aside(page(eva, offering))


def test_each_teacher_enrolls_with_their_own_token_from_the_kept_page(make_app, make_user, make_offering):
    offering_id = make_offering().id
    emails = [make_user("Tone Lærer").email, make_user("Per Lærer").email]
    db.session.commit()
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    clients = [csrf_app.test_client() for _ in emails]
    tokens = []
    for client, email in zip(clients, emails):
        sign_in = client.get("/logg-inn").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', sign_in).group(1)
        assert client.post("/logg-inn", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
        shown = client.get(f"/kurs/{offering_id}").get_data(as_text=True)
        tokens.append(re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', aside(shown)).group(1))
        assert "\x00" not in shown
    assert tokens[0] != tokens[1]
    assert clients[1].post(f"/kurs/{offering_id}/pamelding", data={"csrf_token": tokens[0]}).status_code == 400
    assert "Meld meg på" in aside(clients[1].get(f"/kurs/{offering_id}").get_data(as_text=True))
    for client, token in zip(clients, tokens):
        done = client.post(f"/kurs/{offering_id}/pamelding", data={"csrf_token": token}, follow_redirects=True)
        assert "Du er påmeldt «Digital vurdering»." in done.get_data(as_text=True)
        assert "Du er påmeldt." in aside(client.get(f"/kurs/{offering_id}").get_data(as_text=True))


def test_the_page_is_kept_once_for_every_teacher_who_reads_it_each_with_their_own_header(
        login_welcomed, make_user, make_offering):
    offering = make_offering()
    clients = {name: login_welcomed(make_user(name)) for name in ("Eva Leser", "Ola Leser", "Kari Leser")}
    rendered = []

    def seen(_app, template=None, **_extra):
        rendered.append(template.name)
    template_rendered.connect(seen)
    try:
        pages = {name: page(client, offering) for name, client in clients.items()}
    finally:
        template_rendered.disconnect(seen)
    # The page is made for the first reader; the others get it with their own header and enroll box put in.
    assert rendered.count("catalog/offerings/show.html") == 1
    assert rendered.count("catalog/offerings/_enroll_box.html") == 3
    for name, html in pages.items():
        header = html[:html.index("<main")]
        assert name in header and all(other not in html for other in clients if other != name)
        assert "Meld meg på" in html
