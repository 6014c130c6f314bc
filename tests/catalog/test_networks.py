"""Networks: who takes part (from the staff lists), who sees what, gatherings, minutes, carried back, plan figures."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

import icalendar
import pytest
import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.models import Gathering, Network, NetworkFeedToken, NetworkKind, NetworkResource
from events.feeds import feed_events
from lms.audit.operations import history
from lms.db import db, set_clock
from lms.i18n import OSLO
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from lms.people.models import Membership, Role
from tests.conftest import NOW

GATHERING_START = datetime.combine(date(2026, 10, 6), time(12), tzinfo=OSLO)


def body(response) -> str:
    return response.get_data(as_text=True)


def said(response, message: str) -> bool:
    """Tell whether the page says ``message`` word for word, as a message or an error of its own."""
    return f">{message}</" in body(response)


def mails_to(user):
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == user.email)
                              .order_by(OutboxMessage.id))
    return [render(m) for m in rows]


def ics_event(mail):
    (attachment,) = mail.attachments
    calendar = icalendar.Calendar.from_ical(attachment.data)
    (event,) = calendar.walk("VEVENT")
    return attachment, calendar, event


@pytest.fixture
def world(make_school, make_user, admin):
    eikeli = make_school("Eikeli skole", district="Øst", focus_areas_text="Lesing\nVurdering")
    furulund = make_school("Furulund skole", district="Vest", focus_areas_text="Lesing")
    outside = make_school("Hosle skole")
    w = SimpleNamespace(admin=admin, eikeli=eikeli, furulund=furulund, outside=outside)
    w.leader = make_user("Line Leder", roles=(Role.LEADER,), school=eikeli)
    w.supervisor = make_user("Dina Veileder", school=eikeli, is_digital_supervisor=True)
    w.teacher = make_user("Tor Lærer", school=eikeli)
    w.furulund_leader = make_user("Frode Leder", roles=(Role.LEADER,), school=furulund)
    w.outside_leader = make_user("Olav Utenfor", roles=(Role.LEADER,), school=outside)
    w.outside_supervisor = make_user("Ulla Utenfor", school=outside, is_digital_supervisor=True)
    w.network = ops.create_network(ops.NetworkData(
        name="Nettverk for digital profesjonsutøvelse", target_group_text="Skoleledere og digitale veiledere",
        include_leaders=True, include_digital_supervisors=True, school_ids=[eikeli.id, furulund.id]),
        actor=admin, now=NOW)
    db.session.commit()
    return w


def names(network) -> list[str]:
    return sorted(user.name for user, _school in ops.participants(network))


def test_participants_follow_the_staff_lists_by_role_and_flag(world, make_user):
    assert names(world.network) == ["Dina Veileder", "Frode Leder", "Line Leder"]
    newcomer = make_user("Nina Ny", school=world.furulund)
    assert "Nina Ny" not in names(world.network)
    newcomer.is_digital_supervisor = True
    db.session.flush()
    assert "Nina Ny" in names(world.network)


def test_environment_teachers_take_part_where_the_network_includes_them(world, make_user):
    miljo = make_user("Mia Miljø", school=world.eikeli, is_environment_teacher=True)
    assert "Mia Miljø" not in names(world.network)
    world.network.include_environment_teachers = True
    db.session.flush()
    assert miljo.name in names(world.network)


def test_network_page_shows_schools_and_people_to_participants(world, login):
    page = body(login(world.supervisor).get(f"/nettverk/{world.network.id}"))
    assert "Nettverk for digital profesjonsutøvelse" in page
    assert "Eikeli skole" in page and "Furulund skole" in page and "Frode Leder" in page
    assert "Hosle skole" not in page


@pytest.mark.parametrize("who", ["outside_leader", "outside_supervisor", "teacher"])
def test_nobody_outside_the_network_sees_its_page_or_gatherings(world, login, who):
    g = ops.add_gathering(world.network, starts_at=GATHERING_START, ends_at=GATHERING_START + timedelta(hours=2),
                          location="Rådhuset", host_school_id=None, actor=world.admin, now=NOW)
    db.session.commit()
    client = login(getattr(world, who))
    assert client.get(f"/nettverk/{world.network.id}").status_code == 403
    assert client.get(f"/nettverk/{world.network.id}/samlinger/{g.id}").status_code == 403
    assert client.post(f"/nettverk/{world.network.id}/ressurser", data={"title": "x", "note": "y"}).status_code == 403


def test_only_admins_and_the_coordinator_manage_a_network(world, login):
    assert login(world.leader).get(f"/nettverk/{world.network.id}/endre").status_code == 403
    assert login(world.leader).get(f"/nettverk/{world.network.id}/samlinger/ny").status_code == 403
    world.network.coordinator_id = world.leader.id
    db.session.commit()
    assert login(world.leader).get(f"/nettverk/{world.network.id}/samlinger/ny").status_code == 200


def test_mine_nettverk_lists_a_persons_and_their_schools_networks(world, login):
    assert "Nettverk for digital profesjonsutøvelse" in body(login(world.supervisor).get("/nettverk"))
    assert "Ingen samling planlagt." in body(login(world.supervisor).get("/nettverk"))
    add_gathering(world)
    assert "Neste samling: tirsdag 6. oktober 2026 kl. 12:00" in body(login(world.supervisor).get("/nettverk"))
    assert "Skolen din er med." not in body(login(world.supervisor).get("/nettverk"))
    assert "Nettverk for digital profesjonsutøvelse" not in body(login(world.outside_leader).get("/nettverk"))
    assert "ikke med i noe nettverk" in body(login(world.teacher).get("/nettverk"))
    assert 'href="/nettverk"' in body(login(world.teacher).get("/nettverk"))


def test_a_leader_sees_their_schools_network_even_when_leaders_do_not_take_part(world, login):
    world.network.include_leaders = False
    db.session.commit()
    page = body(login(world.leader).get("/nettverk"))
    assert "Nettverk for digital profesjonsutøvelse" in page and "Skolen din er med." in page
    assert login(world.leader).get(f"/nettverk/{world.network.id}").status_code == 200


def test_admin_creates_a_network_and_bad_input_keeps_what_was_typed(world, login):
    client = login(world.admin)
    refused = client.post("/nettverk/ny", data={"name": "Digiråd-nettverk", "kind": "group", "school_year": "",
                                                "include_leaders": "y", "school_ids": [str(world.eikeli.id)]})
    assert refused.status_code == 400
    assert "En samarbeidsgruppe hører til et skoleår." in body(refused) and 'value="Digiråd-nettverk"' in body(refused)
    nothing = client.post("/nettverk/ny", data={"name": "Tomt", "kind": "municipality"})
    assert "Velg minst én gruppe som deltar fra skolene." in body(nothing)
    done = client.post("/nettverk/ny", data={"name": "Digiråd-nettverk", "kind": "municipality",
                                             "include_leaders": "y", "school_ids": [str(world.eikeli.id)]})
    assert done.status_code == 303
    network = db.session.scalar(sa.select(Network).where(Network.name == "Digiråd-nettverk"))
    assert network.school_ids == [world.eikeli.id]


@pytest.mark.parametrize("lang, municipal, group", [("nb", "Kommunalt nettverk", "Samarbeidsgruppe"),
                                                     ("en", "Municipality network", "Collaboration group")])
def test_the_network_forms_offer_the_kinds_in_the_readers_language(world, login, lang, municipal, group):
    client = login(world.admin)
    client.post("/sprak", data={"lang": lang})
    refused = client.post("/nettverk/ny", data={"name": "", "kind": "group"})
    for page in (body(client.get("/nettverk/ny")), body(client.get(f"/nettverk/{world.network.id}/endre")),
                 body(refused)):
        kinds = re.findall(r'<option[^>]*value="(municipality|group)"[^>]*>([^<]*)</option>', page)
        assert [label for _value, label in kinds] == [municipal, group]


def test_shared_resources_are_links_and_sanitised_markdown(world, login):
    client = login(world.leader)
    response = client.post(f"/nettverk/{world.network.id}/ressurser", data={
        "title": "Dubestemmer", "url": "https://dubestemmer.no", "note": "**Viktig** <script>alert(1)</script>"})
    assert response.status_code == 303
    page = body(client.get(f"/nettverk/{world.network.id}"))
    assert 'href="https://dubestemmer.no"' in page and "<strong>Viktig</strong>" in page
    assert "<script>alert(1)" not in page
    refused = client.post(f"/nettverk/{world.network.id}/ressurser", data={"title": "Tom ressurs", "url": "", "note": ""})
    assert refused.status_code == 400 and "Skriv en lenke eller et notat." in body(refused)
    assert 'value="Tom ressurs"' in body(refused)


@pytest.mark.parametrize("url", ["http://dubestemmer.no", "dubestemmer.no", "ftp://dubestemmer.no/fil"])
def test_a_resource_link_must_be_https_on_the_page_and_in_the_rule(world, login, url):
    client = login(world.leader)
    refused = client.post(f"/nettverk/{world.network.id}/ressurser", data={"title": "Dubestemmer", "url": url,
                                                                          "note": ""})
    assert refused.status_code == 400
    assert "Skriv en fullstendig nettadresse som begynner med https://." in body(refused)
    assert 'value="Dubestemmer"' in body(refused)
    # The form refuses first; the rule refuses the same for any other caller.
    with pytest.raises(ops.NetworkError) as rule:
        ops.add_resource(world.network, title="Dubestemmer", url=url, note="", actor=world.leader, now=NOW)
    assert str(rule.value) == "Skriv en fullstendig nettadresse som begynner med https://."
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NetworkResource)) == 0


# --- gatherings ------------------------------------------------------------------------------

def add_gathering(world, start=GATHERING_START, host=None):
    g = ops.add_gathering(world.network, starts_at=start, ends_at=start + timedelta(hours=2), location="Rådhuset",
                          host_school_id=host, actor=world.admin, now=NOW)
    db.session.commit()
    return g


def test_a_gathering_invites_every_participant_with_an_ics_request(world):
    g = add_gathering(world)
    (mail,) = mails_to(world.supervisor)
    assert mail.subject == "Samling: Nettverk for digital profesjonsutøvelse"
    assert "tirsdag 6. oktober 2026 kl. 12:00" in mail.text
    attachment, calendar, event = ics_event(mail)
    assert attachment.content_type.startswith("text/calendar; method=REQUEST")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]).startswith(f"kp-gathering-{g.session_id}-person-{world.supervisor.id}@")
    assert mails_to(world.teacher) == [] and mails_to(world.outside_supervisor) == []
    assert [e.uid for e in feed_events("person", world.supervisor.id, NOW)] == [str(event["UID"])]
    assert feed_events("person", world.teacher.id, NOW) == []
    (school_event,) = feed_events("school", world.eikeli.id, NOW)
    assert school_event.summary == "Nettverk for digital profesjonsutøvelse"
    assert feed_events("school", world.outside.id, NOW) == []


def test_a_called_off_gathering_is_cancelled_by_mail_and_in_the_feed(world, login):
    g = add_gathering(world)
    response = login(world.admin).post(f"/nettverk/{world.network.id}/samlinger/{g.id}/avlys")
    assert response.status_code == 303
    first, cancel = mails_to(world.supervisor)
    _a, calendar, event = ics_event(cancel)
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) > int(ics_event(first)[2]["SEQUENCE"])
    (feed_event,) = feed_events("person", world.supervisor.id, NOW)
    assert feed_event.cancelled


def test_a_called_off_gathering_leaves_the_feeds_a_month_after_and_an_edit_of_its_network_brings_it_not_back(world):
    from catalog.networks.calendar import network_events
    g = add_gathering(world, GATHERING_START + timedelta(days=80))
    ops.cancel_gathering(g, actor=world.admin, now=NOW)
    db.session.commit()

    def shown(at):
        return [feed_events("person", world.supervisor.id, at), feed_events("school", world.eikeli.id, at),
                network_events(world.network.id, at)]
    assert [[e.cancelled for e in events] for events in shown(NOW + timedelta(days=29))] == [[True]] * 3
    later = NOW + timedelta(days=40)
    set_clock(later)
    assert shown(later) == [[], [], []]
    ops.update_network(world.network, ops.NetworkData(
        name="Nytt navn", description="Ny beskrivelse", include_leaders=True, include_digital_supervisors=True,
        school_ids=world.network.school_ids), actor=world.admin, now=later)
    db.session.commit()
    assert shown(later) == [[], [], []]


def test_a_participant_says_they_cannot_come_and_their_leader_sees_it(world, login):
    g = add_gathering(world)
    client = login(world.supervisor)
    assert client.post(f"/nettverk/{world.network.id}/samlinger/{g.id}/kommer-ikke").status_code == 303
    (event,) = feed_events("person", world.supervisor.id, NOW)
    assert event.cancelled
    page = body(login(world.leader).get(f"/nettverk/{world.network.id}/samlinger/{g.id}"))
    row = re.search(r"<th scope=\"row\">Eikeli skole</th>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells[0].strip() == "Line Leder" and cells[1].strip() == "Dina Veileder"
    assert "Frode Leder" not in page  # another school's people are not the leader's to see
    client.post(f"/nettverk/{world.network.id}/samlinger/{g.id}/kommer-ikke", data={"kommer": "ja"})
    (event,) = feed_events("person", world.supervisor.id, NOW)
    assert not event.cancelled
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(minutes=5))
    late = client.post(f"/nettverk/{world.network.id}/samlinger/{g.id}/kommer-ikke", follow_redirects=True)
    assert "Samlingen har begynt; meld fra til verten i stedet." in body(late)
    assert not ops.absent_ids(g)


def test_attendance_by_person_or_count_and_plan_figures(world, login, app):
    g = add_gathering(world, host=world.eikeli.id)
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(days=2)
    set_clock(later)
    client = login(world.admin)
    response = client.post(f"/nettverk/{world.network.id}/samlinger/{g.id}/oppmote", data={
        "present": [str(world.leader.id), str(world.supervisor.id)], f"count-{world.furulund.id}": "12"})
    assert response.status_code == 303
    page = body(client.get(f"/nettverk/{world.network.id}/samlinger/{g.id}"))
    assert "12 personer" in page
    ops.record_carried_back(g, school_id=world.eikeli.id, shared_on=later.date(), place="Fellestid",
                            reached=25, note="", actor=world.leader, now=later)
    db.session.commit()
    start, end = datetime(2026, 8, 1, tzinfo=timezone.utc), datetime(2027, 8, 1, tzinfo=timezone.utc)
    figures = ops.plan_figures([world.eikeli.id, world.furulund.id, world.outside.id], start, end)
    assert figures[world.eikeli.id] == {"gatherings": 1, "attended": 2, "carried_back": 1, "carried_back_reached": 25}
    assert figures[world.furulund.id] == {"gatherings": 1, "attended": 12, "carried_back": 0, "carried_back_reached": 0}
    assert figures[world.outside.id]["gatherings"] == 0
    assert ops.plan_figures([world.eikeli.id], start, end, network_ids=[])[world.eikeli.id]["gatherings"] == 0


def test_minutes_by_the_host_others_add_until_published_archive_links_previous(world, login):
    first = add_gathering(world, host=world.eikeli.id)
    second = add_gathering(world, GATHERING_START + timedelta(days=60), host=world.eikeli.id)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=70))
    host = login(world.leader)
    other = login(world.furulund_leader)
    url = f"/nettverk/{world.network.id}/samlinger/{first.id}"
    assert other.post(url + "/referat", data={"text": "Mitt referat"}).status_code == 403
    assert other.post(url + "/referat/tillegg", data={"text": "For tidlig"}).status_code == 400
    assert host.post(url + "/referat", data={"text": "# Referat\n\nVi delte **erfaringer**."}).status_code == 303
    assert other.post(url + "/referat/tillegg", data={"text": "Husk Dubestemmer."}).status_code == 303
    assert host.post(url + "/referat", data={"text": "# Referat\n\nVi delte **erfaringer**.",
                                             "publish": "1"}).status_code == 303
    refused = other.post(url + "/referat/tillegg", data={"text": "Etter publisering"})
    assert refused.status_code == 400 and "Referatet er publisert" in body(refused)
    assert "Etter publisering" in body(refused)
    page = body(other.get(url))
    assert "<strong>erfaringer</strong>" in page and "Husk Dubestemmer." in page
    second_url = f"/nettverk/{world.network.id}/samlinger/{second.id}"
    host.post(second_url + "/referat", data={"text": "Andre referat", "publish": "1"})
    archive = body(other.get(f"/nettverk/{world.network.id}"))
    section = archive.split('id="referater"')[1].split("</section>")[0]
    assert section.index("5. desember 2026") < section.index("6. oktober 2026")
    assert f'samlinger/{first.id}#referat">6. oktober 2026' in section


def test_carried_back_is_recorded_per_school_and_missing_schools_listed(world, login):
    g = add_gathering(world)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=3))
    url = f"/nettverk/{world.network.id}/samlinger/{g.id}"
    client = login(world.leader)
    page = body(client.get(url))
    assert "Ikke registrert ennå: Eikeli skole, Furulund skole" in page
    refused = client.post(url + "/delt", data={"school_id": str(world.eikeli.id), "shared_on": "2026-10-01",
                                               "place": "Trinnmøte", "reached": "8"})
    assert refused.status_code == 400 and "kan ikke være før samlingen" in body(refused)
    assert 'value="Trinnmøte"' in body(refused)
    other_school = client.post(url + "/delt", data={"school_id": str(world.furulund.id), "shared_on": "2026-10-07",
                                                    "place": "Trinnmøte", "reached": "8"})
    assert other_school.status_code == 403
    assert client.post(url + "/delt", data={"school_id": str(world.eikeli.id), "shared_on": "2026-10-07",
                                            "place": "Trinnmøte", "reached": "8"}).status_code == 303
    page = body(client.get(url))
    assert "Eikeli skole: 7. oktober 2026, Trinnmøte, 8 personer" in page
    assert "Ikke registrert ennå: Furulund skole" in page


@pytest.mark.parametrize("locale, host", [("nn", "Vertsskule: Eikeli skole"), ("en", "Host school: Eikeli skole"),
                                          (None, "Vertsskole: Eikeli skole")], ids=["nynorsk", "english", "none-chosen"])
def test_the_network_feed_is_written_in_the_language_its_person_chose(world, login, client, locale, host):
    # A calendar app asks without the browser's cookie, so the link's person decides, as for the personal feed.
    add_gathering(world, host=world.eikeli.id)
    world.supervisor.locale = locale
    db.session.commit()
    page = body(login(world.supervisor).post(f"/nettverk/{world.network.id}/kalenderlenke"))
    (url,) = re.findall(r"<code>https?://[^/]+(/nettverk/kalender/[^<]+\.ics)</code>", page)
    client.post("/sprak", data={"lang": "nb"})
    (event,) = icalendar.Calendar.from_ical(client.get(url).data).walk("VEVENT")
    assert host in str(event["DESCRIPTION"])


def test_the_network_feed_opens_with_its_token_only(world, login, client):
    add_gathering(world)
    response = login(world.supervisor).post(f"/nettverk/{world.network.id}/kalenderlenke")
    (url,) = re.findall(r"<code>https?://[^/]+(/nettverk/kalender/[^<]+\.ics)</code>", body(response))
    feed = client.get(url)
    assert feed.status_code == 200 and feed.content_type.startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Nettverk for digital profesjonsutøvelse"
    assert client.get("/nettverk/kalender/feil.ics").status_code == 404
    assert client.get(url, headers={"If-None-Match": feed.headers["ETag"]}).status_code == 304
    # Each participant has their own link: another's new link leaves this one working.
    login(world.leader).post(f"/nettverk/{world.network.id}/kalenderlenke")
    assert client.get(url).status_code == 200
    # A new link of one's own stops the old one, and so does leaving the network.
    again = login(world.supervisor).post(f"/nettverk/{world.network.id}/kalenderlenke")
    (new_url,) = re.findall(r"<code>https?://[^/]+(/nettverk/kalender/[^<]+\.ics)</code>", body(again))
    assert client.get(url).status_code == 404 and client.get(new_url).status_code == 200
    world.supervisor.is_digital_supervisor = False
    db.session.commit()
    assert client.get(new_url).status_code == 404


def test_gathering_form_refuses_bad_times_with_a_message(world, login):
    client = login(world.admin)
    response = client.post(f"/nettverk/{world.network.id}/samlinger/ny", data={
        "day": "2026-10-06", "start": "14:00", "end": "12:00", "location": "Rådhuset"})
    assert response.status_code == 400 and "Sluttid må være etter starttid." in body(response)
    assert 'value="Rådhuset"' in body(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Gathering)) == 0


def test_a_deactivated_person_leaves_the_network(world):
    world.supervisor.active = False
    db.session.flush()
    assert "Dina Veileder" not in names(world.network)


def test_kind_labels():
    assert NetworkKind.GROUP.label == "Samarbeidsgruppe"


def test_plan_figures_take_one_query_for_many_schools(world, make_school):
    schools = [make_school() for _ in range(20)]
    counter = []

    def count(*_args):
        counter.append(1)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        figures = ops.plan_figures([s.id for s in schools], NOW, NOW + timedelta(days=365))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(figures) == 20 and len(counter) == 1


@pytest.mark.parametrize("day, start", [("2027-03-28", "02:30"), ("2026-10-25", "02:30")],
                         ids=["skipped-in-march", "twice-in-october"])
def test_a_gathering_at_a_time_the_clock_skips_or_repeats_is_refused_and_kept(app, day, start):
    from werkzeug.datastructures import MultiDict

    from catalog.networks.forms import GatheringForm

    with app.test_request_context("/", method="POST"):
        form = GatheringForm(MultiDict({"day": day, "start": start, "end": "04:00"}), meta={"csrf": False})
        assert not form.validate()
        said = " ".join(form.start.errors)
        assert said.startswith("Klokka stilles") and f"så {start} " in said
        assert form.start.raw_data == [start]


# --- attendance: who records it, from when, and whom ------------------------------------------

def attended(gathering) -> dict[str, object]:
    """Return each member school's recorded attendance as the gathering page shows it: names, or a count."""
    return {t.school.name: t.attended_count or [u.name for u in t.attended] for t in ops.turnout(gathering)}


def test_only_the_host_schools_leaders_and_the_coordinator_record_attendance(world, login, make_user):
    g = add_gathering(world, host=world.eikeli.id)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(hours=1))
    url = f"/nettverk/{world.network.id}/samlinger/{g.id}/oppmote"
    refused = login(world.furulund_leader).post(url, data={"present": [str(world.furulund_leader.id)]})
    assert refused.status_code == 403
    assert said(refused, "Bare vertsskolens ledere og nettverkets koordinator fører oppmøte.")
    assert attended(g) == {"Eikeli skole": [], "Furulund skole": []}
    assert login(world.leader).post(url, data={"present": [str(world.leader.id)]}).status_code == 303
    assert attended(g) == {"Eikeli skole": ["Line Leder"], "Furulund skole": []}
    coordinator = make_user("Kari Koordinator", school=world.outside)
    world.network.coordinator_id = coordinator.id
    db.session.commit()
    assert login(coordinator).post(url, data={"present": [str(world.furulund_leader.id)]}).status_code == 303
    assert attended(g) == {"Eikeli skole": [], "Furulund skole": ["Frode Leder"]}


def test_attendance_is_recorded_from_the_minute_the_gathering_begins(world, login):
    g = add_gathering(world, host=world.eikeli.id)
    url = f"/nettverk/{world.network.id}/samlinger/{g.id}/oppmote"
    set_clock(GATHERING_START.astimezone(timezone.utc) - timedelta(minutes=1))
    early = login(world.leader).post(url, data={"present": [str(world.leader.id)]}, follow_redirects=True)
    assert said(early, "Oppmøte føres når samlingen har begynt.")
    assert attended(g)["Eikeli skole"] == []
    set_clock(GATHERING_START.astimezone(timezone.utc))
    on_time = login(world.leader).post(url, data={"present": [str(world.leader.id)]}, follow_redirects=True)
    assert said(on_time, "Oppmøtet er lagret.")
    assert attended(g)["Eikeli skole"] == ["Line Leder"]


@pytest.mark.parametrize("people, counts, message", [
    ("teacher", {}, "Bare nettverkets deltakere kan føres som til stede."),
    (None, {"outside": 5}, "Skolen er ikke med i nettverket."),
    (None, {"furulund": 0}, "Antallet må være mellom 1 og 10 000."),
    (None, {"furulund": 10001}, "Antallet må være mellom 1 og 10 000."),
], ids=["not-a-participant", "not-a-member-school", "no-one", "more-than-10000"])
def test_attendance_names_only_participants_and_counts_member_schools_from_1_to_10000(world, people, counts,
                                                                                          message):
    # The page reads only member schools' whole numbers up to 10 000, so only a direct call meets these refusals.
    g = add_gathering(world, host=world.eikeli.id)
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(hours=3)
    ops.record_attendance(g, user_ids={world.leader.id}, school_counts={world.furulund.id: 3}, actor=world.admin,
                          now=later)
    before = attended(g)
    with pytest.raises(ops.NetworkError) as refused:
        ops.record_attendance(g, user_ids={getattr(world, people).id} if people else set(),
                              school_counts={getattr(world, s).id: n for s, n in counts.items()}, actor=world.admin,
                              now=later)
    assert str(refused.value) == message
    assert attended(g) == before == {"Eikeli skole": ["Line Leder"], "Furulund skole": 3}


def test_a_participant_at_two_member_schools_is_counted_for_the_first_of_them_by_name(world, make_school, make_user):
    """A leader at Furulund who also leads Aasen, a member school added later, is one person at the gathering:
    counted once, for the member school first by name (Aasen), not for the one the database holds first."""
    from catalog.networks.models import NetworkSchool

    aasen = make_school("Aasen skole")
    db.session.add(NetworkSchool(network_id=world.network.id, school_id=aasen.id))
    both = make_user("Bente Begge", roles=(Role.LEADER,), school=world.furulund)
    db.session.add(Membership(user_id=both.id, school_id=aasen.id, role=Role.LEADER))
    db.session.commit()
    db.session.expire_all()
    g = add_gathering(world, host=world.eikeli.id)
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(hours=3)
    ops.record_attendance(g, user_ids={both.id}, school_counts={}, actor=world.admin, now=later)
    assert attended(g) == {"Aasen skole": ["Bente Begge"], "Eikeli skole": [], "Furulund skole": []}


@pytest.mark.parametrize("count", [1, 10000])
def test_a_school_count_of_one_and_of_ten_thousand_is_recorded(world, count):
    g = add_gathering(world, host=world.eikeli.id)
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(hours=3)
    ops.record_attendance(g, user_ids=set(), school_counts={world.furulund.id: count}, actor=world.admin, now=later)
    assert attended(g) == {"Eikeli skole": [], "Furulund skole": count}


# --- minutes: who writes, adds and publishes them, and when ---------------------------------------

def test_the_minutes_are_written_by_the_host_from_the_start_and_not_changed_once_published(world, login):
    g = add_gathering(world, host=world.eikeli.id)
    url = f"/nettverk/{world.network.id}/samlinger/{g.id}/referat"
    set_clock(GATHERING_START.astimezone(timezone.utc) - timedelta(minutes=1))
    early = login(world.leader).post(url, data={"text": "Skrevet for tidlig"})
    assert early.status_code == 400 and said(early, "Referatet skrives etter samlingen.")
    set_clock(GATHERING_START.astimezone(timezone.utc))
    not_host = login(world.furulund_leader).post(url, data={"text": "Ikke mitt referat"})
    assert not_host.status_code == 403 and said(not_host, "Bare vertsskolens ledere skriver referatet.")
    assert login(world.leader).post(url, data={"text": "Referat fra start", "publish": "1"}).status_code == 303
    again = login(world.leader).post(url, data={"text": "Endret etterpå"})
    assert again.status_code == 400 and said(again, "Referatet er publisert og kan ikke endres.")
    db.session.expire_all()
    assert db.session.get(Gathering, g.id).minutes == "Referat fra start"


def test_additions_come_after_the_hosts_minutes_and_before_they_are_published(world, login):
    g = add_gathering(world, host=world.eikeli.id)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=1))
    url = f"/nettverk/{world.network.id}/samlinger/{g.id}/referat"
    early = login(world.furulund_leader).post(url + "/tillegg", data={"text": "For tidlig"})
    assert early.status_code == 400 and said(early, "Vertsskolen har ikke skrevet referatet ennå.")
    login(world.leader).post(url, data={"text": "Referat"})
    assert login(world.furulund_leader).post(url + "/tillegg", data={"text": "Husk fristen."}).status_code == 303
    page = body(login(world.leader).get(f"/nettverk/{world.network.id}/samlinger/{g.id}"))
    assert "Tillegg fra Frode Leder" in page and "Husk fristen." in page
    login(world.leader).post(url, data={"text": "Referat", "publish": "1"})
    late = login(world.furulund_leader).post(url + "/tillegg", data={"text": "For sent"})
    assert late.status_code == 400
    assert said(late, "Referatet er publisert; det kan ikke lenger legges til.")
    assert "For sent" not in body(login(world.leader).get(f"/nettverk/{world.network.id}/samlinger/{g.id}"))


def test_an_empty_addition_and_empty_minutes_are_refused_by_the_operations_too(world):
    # The page's forms refuse blank text first; a direct call meets the operations' own refusals.
    g = add_gathering(world, host=world.eikeli.id)
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(days=1)
    with pytest.raises(ops.NetworkError) as empty_minutes:
        ops.publish_minutes(g, actor=world.leader, now=later)
    assert str(empty_minutes.value) == "Skriv referatet før det publiseres."
    assert g.minutes_published_at is None
    ops.write_minutes(g, "Referat", actor=world.leader, now=later)
    with pytest.raises(ops.NetworkError) as empty_addition:
        ops.add_to_minutes(g, "  \n ", actor=world.furulund_leader, now=later)
    assert str(empty_addition.value) == "Skriv det du vil legge til."
    assert g.additions == []


def test_only_the_host_publishes_the_minutes_and_publishing_again_keeps_the_first_time(world):
    g = add_gathering(world, host=world.eikeli.id)
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(days=1)
    ops.write_minutes(g, "Referat", actor=world.leader, now=later)
    with pytest.raises(ops.PermissionDenied) as refused:
        ops.publish_minutes(g, actor=world.furulund_leader, now=later)
    assert str(refused.value) == "Bare vertsskolens ledere publiserer referatet."
    assert g.minutes_published_at is None
    ops.publish_minutes(g, actor=world.leader, now=later)
    ops.publish_minutes(g, actor=world.leader, now=later + timedelta(days=3))
    db.session.commit()
    assert db.session.get(Gathering, g.id).minutes_published_at == later


def test_recording_attendance_again_replaces_that_gatherings_record_and_leaves_the_others(world):
    first = add_gathering(world, host=world.eikeli.id)
    second = add_gathering(world, GATHERING_START + timedelta(days=7), host=world.eikeli.id)
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(days=8)
    ops.record_attendance(first, user_ids={world.leader.id}, school_counts={}, actor=world.admin, now=later)
    ops.record_attendance(second, user_ids={world.supervisor.id}, school_counts={world.furulund.id: 4},
                          actor=world.admin, now=later)
    ops.record_attendance(second, user_ids={world.leader.id}, school_counts={}, actor=world.admin, now=later)
    db.session.commit()
    assert attended(first) == {"Eikeli skole": ["Line Leder"], "Furulund skole": []}
    assert attended(second) == {"Eikeli skole": ["Line Leder"], "Furulund skole": []}


# --- saying one cannot come -----------------------------------------------------------------------

def sequence_of(gathering) -> int:
    db.session.expire_all()
    return db.session.get(Gathering, gathering.id).session.sequence


def test_only_participants_say_they_cannot_come_and_a_leader_who_only_sees_the_network_is_refused(world, login):
    world.network.include_leaders = False
    g = add_gathering(world)
    refused = login(world.leader).post(f"/nettverk/{world.network.id}/samlinger/{g.id}/kommer-ikke")
    assert refused.status_code == 403 and said(refused, "Bare nettverkets deltakere kan melde fra om dette.")
    assert ops.absent_ids(g) == set()


def test_from_the_minute_a_gathering_begins_nobody_says_they_cannot_come(world, login):
    g = add_gathering(world)
    set_clock(GATHERING_START.astimezone(timezone.utc))
    late = login(world.supervisor).post(f"/nettverk/{world.network.id}/samlinger/{g.id}/kommer-ikke",
                                        follow_redirects=True)
    assert said(late, "Samlingen har begynt; meld fra til verten i stedet.")
    assert ops.absent_ids(g) == set()


def test_saying_the_same_twice_changes_nothing_and_coming_is_what_one_starts_as(world):
    g = add_gathering(world)
    start = sequence_of(g)
    ops.say_cannot_come(g, world.supervisor, NOW, cannot=False)
    assert ops.absent_ids(g) == set() and sequence_of(g) == start
    ops.say_cannot_come(g, world.supervisor, NOW)  # cannot come, as the call means without saying
    db.session.commit()
    assert ops.absent_ids(g) == {world.supervisor.id} and sequence_of(g) == start + 1
    ops.say_cannot_come(g, world.supervisor, NOW, cannot=True)
    db.session.commit()
    assert ops.absent_ids(g) == {world.supervisor.id} and sequence_of(g) == start + 1
    ops.say_cannot_come(g, world.supervisor, NOW, cannot=False)
    db.session.commit()
    assert ops.absent_ids(g) == set() and sequence_of(g) == start + 2


# --- carried back: who records it, for which school, and what -------------------------------------

def carried(gathering) -> dict[str, tuple]:
    """Return each school's record of sharing at home, as the gathering page lists it."""
    db.session.expire_all()
    return {t.school.name: (t.carried_back.shared_on, t.carried_back.place, t.carried_back.reached)
            for t in ops.turnout(db.session.get(Gathering, gathering.id)) if t.carried_back}


def carry_back(g, world, school, actor, *, day=date(2026, 10, 7), place="Fellestid", reached=8,
               now=GATHERING_START.astimezone(timezone.utc) + timedelta(days=3)):
    return ops.record_carried_back(g, school_id=school.id, shared_on=day, place=place, reached=reached, note="",
                                   actor=actor, now=now)


def test_a_school_records_its_own_sharing_and_the_coordinator_any_member_schools(world, login, make_user):
    g = add_gathering(world)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=3))
    url = f"/nettverk/{world.network.id}/samlinger/{g.id}/delt"
    form = {"school_id": str(world.furulund.id), "shared_on": "2026-10-07", "place": "Trinnmøte", "reached": "8"}
    refused = login(world.leader).post(url, data=form)
    assert refused.status_code == 403
    assert said(refused, "Bare skolens ledere fører hvordan skolen delte det den lærte.")
    coordinator = make_user("Kari Koordinator", school=world.outside)
    world.network.coordinator_id = coordinator.id
    db.session.commit()
    assert login(coordinator).post(url, data=form).status_code == 303
    assert carried(g) == {"Furulund skole": (date(2026, 10, 7), "Trinnmøte", 8)}


def test_only_a_member_school_has_its_sharing_recorded(world, login):
    g = add_gathering(world)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=3))
    refused = login(world.admin).post(f"/nettverk/{world.network.id}/samlinger/{g.id}/delt", data={
        "school_id": str(world.outside.id), "shared_on": "2026-10-07", "place": "Trinnmøte", "reached": "8"})
    assert refused.status_code == 400 and said(refused, "Skolen er ikke med i nettverket.")
    assert carried(g) == {}


NIGHT_GATHERING = datetime.combine(date(2026, 10, 6), time(0, 30), tzinfo=OSLO)  # 5 October in UTC


@pytest.mark.parametrize("day, now, message", [
    (date(2026, 10, 5), datetime(2026, 10, 7, 12, tzinfo=timezone.utc), "Delingen på skolen kan ikke være før samlingen."),
    (date(2026, 10, 6), datetime(2026, 10, 7, 12, tzinfo=timezone.utc), None),
    (date(2026, 10, 8), datetime.combine(date(2026, 10, 8), time(0, 30), tzinfo=OSLO), None),
    (date(2026, 10, 9), datetime.combine(date(2026, 10, 8), time(23, 30), tzinfo=OSLO),
     "Delingen på skolen kan ikke være i fremtiden."),
], ids=["the-day-before-in-oslo", "the-gathering-day-in-oslo", "today-in-oslo", "tomorrow-in-oslo"])
def test_sharing_is_dated_from_the_gathering_day_to_today_in_oslo_time(world, day, now, message):
    g = add_gathering(world, NIGHT_GATHERING)
    if message is None:
        carry_back(g, world, world.eikeli, world.leader, day=day, now=now.astimezone(timezone.utc))
        assert carried(g) == {"Eikeli skole": (day, "Fellestid", 8)}
        return
    with pytest.raises(ops.NetworkError) as refused:
        carry_back(g, world, world.eikeli, world.leader, day=day, now=now.astimezone(timezone.utc))
    assert str(refused.value) == message
    assert carried(g) == {}


@pytest.mark.parametrize("place, reached, message", [
    (" \t", 8, "Skriv hvor det ble delt (for eksempel fellestid eller trinnmøte)."),
    ("Fellestid", -1, "Antallet må være mellom 0 og 10 000."),
    ("Fellestid", 10001, "Antallet må være mellom 0 og 10 000."),
], ids=["no-place", "fewer-than-none", "more-than-10000"])
def test_sharing_names_a_place_and_reaches_0_to_10000(world, place, reached, message):
    # The page's form refuses these first; a direct call meets the operation's own refusals.
    g = add_gathering(world)
    with pytest.raises(ops.NetworkError) as refused:
        carry_back(g, world, world.eikeli, world.leader, place=place, reached=reached)
    assert str(refused.value) == message
    assert carried(g) == {}


@pytest.mark.parametrize("reached", [0, 10000])
def test_sharing_that_reached_nobody_or_ten_thousand_is_recorded_with_its_place_trimmed(world, reached):
    g = add_gathering(world)
    carry_back(g, world, world.eikeli, world.leader, place="  Trinnmøte ", reached=reached)
    assert carried(g) == {"Eikeli skole": (date(2026, 10, 7), "Trinnmøte", reached)}


def test_a_schools_record_is_corrected_in_place_and_other_schools_and_gatherings_keep_theirs(world):
    first = add_gathering(world)
    second = add_gathering(world, GATHERING_START + timedelta(days=1))
    carry_back(first, world, world.eikeli, world.leader, reached=8)
    carry_back(first, world, world.furulund, world.furulund_leader, reached=5)
    carry_back(second, world, world.eikeli, world.leader, reached=3)
    carry_back(first, world, world.eikeli, world.leader, day=date(2026, 10, 8), place="Trinnmøte", reached=9)
    assert carried(first) == {"Eikeli skole": (date(2026, 10, 8), "Trinnmøte", 9),
                              "Furulund skole": (date(2026, 10, 7), "Fellestid", 5)}
    assert carried(second) == {"Eikeli skole": (date(2026, 10, 7), "Fellestid", 3)}


# --- the network's calendar links -------------------------------------------------------------

def test_a_new_network_link_is_audited_when_by_whom_and_for_which_network(world):
    later = NOW + timedelta(hours=1)
    ops.issue_network_feed_token(world.network, actor=world.supervisor, now=later)
    row = db.session.scalars(sa.select(NetworkFeedToken)).one()
    assert (row.network_id, row.user_id, row.created_at, row.revoked_at) == (
        world.network.id, world.supervisor.id, later, None)
    (entry,) = history("network_feed_token", row.id)
    assert (entry.from_state, entry.to_state, entry.at, entry.note, entry.actor_id) == (
        None, "live", later, f"network {world.network.id}", world.supervisor.id)


def test_a_new_link_to_one_network_leaves_ones_link_to_another_working(world):
    other = ops.create_network(ops.NetworkData(name="Digiråd", include_digital_supervisors=True,
                                               school_ids=[world.eikeli.id]), actor=world.admin, now=NOW)
    kept = ops.issue_network_feed_token(other, actor=world.supervisor, now=NOW)
    ops.issue_network_feed_token(world.network, actor=world.supervisor, now=NOW)
    assert ops.network_for_feed_token(kept) == (other, None)


# --- who sees and who changes a network ---------------------------------------------------------

def test_a_draft_group_is_hidden_from_its_schools_until_published_but_not_from_its_coordinator(world, login,
                                                                                               make_user):
    coordinator = make_user("Kari Koordinator", school=world.outside)
    draft = ops.create_network(ops.NetworkData(
        name="Samarbeidsgruppe 1", kind=NetworkKind.GROUP, school_year=2026, coordinator_id=coordinator.id,
        include_leaders=True, include_teachers=True, school_ids=[world.eikeli.id, world.furulund.id]),
        actor=None, now=NOW, published=False)
    db.session.commit()
    hidden = login(world.leader).get(f"/nettverk/{draft.id}")
    assert hidden.status_code == 403 and said(hidden, "Bare nettverkets deltakere har tilgang til denne siden.")
    assert login(coordinator).get(f"/nettverk/{draft.id}").status_code == 200
    assert login(world.admin).get(f"/nettverk/{draft.id}").status_code == 200
    ops.publish_groups(2026, actor=world.admin, now=NOW)
    db.session.commit()
    assert login(world.leader).get(f"/nettverk/{draft.id}").status_code == 200
    assert login(world.teacher).get(f"/nettverk/{draft.id}").status_code == 200


def test_an_unpublished_municipal_network_is_seen_by_its_participants(world, login):
    world.network.published_at = None
    db.session.commit()
    assert login(world.supervisor).get(f"/nettverk/{world.network.id}").status_code == 200
    assert login(world.outside_leader).get(f"/nettverk/{world.network.id}").status_code == 403


def test_the_coordinator_takes_part_and_a_leader_who_is_refused_changes_is_told_why(world, login, make_user):
    g = add_gathering(world)
    refused = login(world.leader).get(f"/nettverk/{world.network.id}/endre")
    assert said(refused, "Bare programadministratorer og nettverkets koordinator kan endre nettverket.")
    coordinator = make_user("Kari Koordinator", school=world.outside)
    world.network.coordinator_id = coordinator.id
    db.session.commit()
    assert login(coordinator).post(f"/nettverk/{world.network.id}/samlinger/{g.id}/kommer-ikke").status_code == 303
    assert ops.absent_ids(g) == {coordinator.id}


def test_a_link_stops_when_its_person_is_deactivated_even_a_member_schools_leader(world):
    token = ops.issue_network_feed_token(world.network, actor=world.leader, now=NOW)
    assert ops.network_for_feed_token(token) == (world.network, None)
    assert ops.network_for_feed_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    world.leader.active = False
    db.session.flush()
    assert ops.network_for_feed_token(token) is None


def test_the_coordinator_writes_and_publishes_the_minutes_of_a_gathering_no_school_hosts(world, login, make_user):
    coordinator = make_user("Kari Koordinator", school=world.outside)
    world.network.coordinator_id = coordinator.id
    g = add_gathering(world)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=1))
    url = f"/nettverk/{world.network.id}/samlinger/{g.id}/referat"
    assert login(world.leader).post(url, data={"text": "Ikke mitt"}).status_code == 403
    assert login(coordinator).post(url, data={"text": "Koordinatorens referat", "publish": "1"}).status_code == 303
    assert "Koordinatorens referat" in body(login(world.supervisor).get(f"/nettverk/{world.network.id}/samlinger/{g.id}"))


def test_a_schools_people_come_by_name_on_the_gathering_page(world, make_user):
    make_user("Anne Veileder", school=world.eikeli, is_digital_supervisor=True)  # joins last, first by name
    g = add_gathering(world)
    coming = {t.school.name: [u.name for u in t.coming] for t in ops.turnout(g)}
    assert coming == {"Eikeli skole": ["Anne Veileder", "Dina Veileder", "Line Leder"], "Furulund skole": ["Frode Leder"]}


def test_a_refused_attendance_is_shown_as_an_error_and_the_saved_one_as_a_notice(world, login):
    """A refusal is announced at once (role="alert", in the error colour); what went well is a polite status."""
    g = add_gathering(world, host=world.eikeli.id)
    url = f"/nettverk/{world.network.id}/samlinger/{g.id}/oppmote"
    set_clock(GATHERING_START.astimezone(timezone.utc) - timedelta(minutes=1))
    early = body(login(world.leader).post(url, data={"present": [str(world.leader.id)]}, follow_redirects=True))
    assert re.search(r'data-color="danger" role="alert">\s*<p class="ds-paragraph">Oppmøte føres når samlingen '
                     r'har begynt\.</p>', early)
    set_clock(GATHERING_START.astimezone(timezone.utc))
    bad_count = body(login(world.leader).post(url, data={f"count-{world.eikeli.id}": "mange"}, follow_redirects=True))
    assert re.search(r'data-color="danger" role="alert">\s*<p class="ds-paragraph">Skriv antallet som et helt tall '
                     r'mellom 1 og 10 000\.</p>', bad_count)
    saved = body(login(world.leader).post(url, data={"present": [str(world.leader.id)]}, follow_redirects=True))
    assert re.search(r'data-color="success" role="status">\s*<p class="ds-paragraph">Oppmøtet er lagret\.</p>', saved)
