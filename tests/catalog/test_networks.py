"""Networks: who takes part (from the staff lists), who sees what, gatherings, minutes, carried back, plan figures."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

import icalendar
import pytest
import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.models import Gathering, Network, NetworkKind
from events.feeds import feed_events
from lms.db import db, set_clock
from lms.i18n import OSLO
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from lms.people.models import Role
from tests.conftest import NOW

GATHERING_START = datetime.combine(date(2026, 10, 6), time(12), tzinfo=OSLO)


def body(response) -> str:
    return response.get_data(as_text=True)


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
