"""The network page and Mine nettverk are kept rendered per process: they must never show what has changed since.

Each test reads a page once (so it is kept), changes what it shows the way
another instance of the platform would (straight in the database, where
this process hears of nothing), and reads the page again. The pages are read
in a fixed number of statements whatever the number of gatherings.
"""
from __future__ import annotations

import re
from datetime import timedelta, timezone

import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.models import Gathering, MinutesAddition, NetworkResource, NetworkSchool
from catalog.networks.views import page_cache
from events.models import Session, SessionStatus
from lms.db import db, set_clock
from lms.lti.operations import frame_origins
from tests.catalog.test_networks import GATHERING_START, add_gathering, body
from tests.catalog.test_networks import world as world  # the fixture, for this module's tests
from tests.conftest import count_statements, NOW, PASSWORD
from tests.lms.conftest import make_app as make_app  # the fixture, for this module's tests


def page(client, world) -> str:
    response = client.get(f"/nettverk/{world.network.id}")
    assert response.status_code == 200
    return body(response)


def main(html: str) -> str:
    return html[html.index('<main'):html.index("</main>")]


def test_the_networks_own_fields_and_its_coordinator_are_shown_at_once(world, login, make_user):
    client = login(world.supervisor)
    before = page(client, world)
    assert "Skoleledere og digitale veiledere" in before and "Koordinator" not in before
    coordinator = make_user("Kari Koordinator")
    world.network.name = "Nettverk for digital praksis"
    world.network.description = "Vi deler **erfaringer**."
    world.network.target_group_text = "Ledere"
    world.network.timing = "To ganger i året"
    world.network.organiser = "Utdanningsetaten"
    world.network.coordinator_id = coordinator.id
    db.session.commit()
    after = page(client, world)
    for shown in ("Nettverk for digital praksis", "<strong>erfaringer</strong>", "Ledere", "To ganger i året",
                  "Utdanningsetaten", "Kari Koordinator"):
        assert shown in after
    coordinator.name = "Kari Koordinator Berg"
    db.session.commit()
    assert "Kari Koordinator Berg" in page(client, world)


def test_schools_and_people_follow_the_staff_lists_at_once(world, login, make_user, make_school):
    client = login(world.supervisor)
    assert "Nina Ny" not in page(client, world)
    make_user("Nina Ny", school=world.furulund, is_digital_supervisor=True)
    world.furulund.name = "Furulund barneskole"
    db.session.commit()
    after = page(client, world)
    assert "Nina Ny" in after and "Furulund barneskole" in after
    extra = make_school("Østre skole")
    db.session.add(NetworkSchool(network_id=world.network.id, school_id=extra.id))
    db.session.commit()
    assert "Østre skole" in page(client, world)


def test_a_moved_changed_cancelled_or_published_gathering_is_shown_at_once(world, login):
    g = add_gathering(world)
    client = login(world.supervisor)
    before = page(client, world)
    assert "tirsdag 6. oktober 2026 kl. 12:00–14:00" in before and "Rådhuset" in before
    session = db.session.get(Session, g.session_id)
    session.starts_at += timedelta(days=1, hours=1)
    session.ends_at += timedelta(days=1, hours=1)
    session.location = "Aulaen"
    g.host_school_id = world.furulund.id
    db.session.commit()
    moved = page(client, world)
    assert "onsdag 7. oktober 2026 kl. 13:00–15:00" in moved and "Aulaen" in moved
    assert "vert: Furulund skole" in moved and "Rådhuset" not in moved
    world.furulund.name = "Furulund barneskole"
    db.session.commit()
    assert "vert: Furulund barneskole" in page(client, world)
    session.status = SessionStatus.CANCELLED
    db.session.commit()
    cancelled = main(page(client, world))
    assert "Avlyst</span>" in cancelled and "Jeg kan ikke komme" not in cancelled
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=5))
    g.minutes, g.minutes_published_at = "Referat", NOW
    db.session.commit()
    archive = page(client, world).split('id="referater"')[1].split("</section>")[0]
    assert f'samlinger/{g.id}#referat">Referat fra 7. oktober 2026' in archive


def test_time_moves_a_gathering_from_upcoming_to_earlier_without_minutes(world, login):
    add_gathering(world)
    client = login(world.supervisor)
    assert "Ingen samlinger er planlagt." not in page(client, world)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(hours=3))
    after = page(client, world)
    assert "Ingen samlinger er planlagt." in after and "Tidligere samlinger uten publisert referat (1)" in after


def test_the_archive_shows_the_newest_six_and_counts_them_all(world, login):
    first = add_gathering(world)
    for k in range(1, 8):
        add_gathering(world, GATHERING_START + timedelta(days=7 * k))
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=70))
    client = login(world.supervisor)
    assert "Ingen referater er publisert ennå." in page(client, world)
    for g in db.session.scalars(sa.select(Gathering)):
        g.minutes, g.minutes_published_at = "Referat", NOW
    db.session.commit()
    archive = page(client, world).split('id="referater"')[1].split("</section>")[0]
    assert archive.count("Referat fra") == 6 and "Alle referater (8)" in archive
    assert f"samlinger/{first.id}#" not in archive
    assert archive.index("Referat fra 24. november 2026") < archive.index("Referat fra 17. november 2026")
    assert "forrige:" in archive.split("Referat fra 27. oktober 2026")[1]
    db.session.execute(sa.update(Gathering).values(minutes_published_at=None).where(Gathering.id != first.id))
    db.session.commit()
    archive = page(client, world).split('id="referater"')[1].split("</section>")[0]
    assert archive.count("Referat fra") == 1 and "Alle referater" not in archive
    shown = page(client, world)
    assert "Tidligere samlinger uten publisert referat (7)" in shown and "siste vises." not in shown


def test_a_resource_added_or_changed_elsewhere_is_shown_at_once(world, login):
    client = login(world.supervisor)
    assert "Ingen ressurser er delt ennå." in page(client, world)
    resource = NetworkResource(network_id=world.network.id, title="Dubestemmer", url="https://dubestemmer.no",
                               note="", created_at=NOW)
    db.session.add(resource)
    db.session.commit()
    assert 'href="https://dubestemmer.no"' in page(client, world)
    resource.note = "**Les** dette."
    db.session.commit()
    assert "<strong>Les</strong> dette." in page(client, world)


def test_resources_come_newest_first_beside_the_gatherings_and_the_gatherings_stay_as_they_were(world, login):
    # The page reads its gatherings and its resources in one answer: neither may take the other's place.
    client = login(world.supervisor)
    for title, created, in (("Eldst", NOW - timedelta(days=3)), ("Samme dag A", NOW - timedelta(days=1)),
                            ("Samme dag B", NOW - timedelta(days=1)), ("Nyest", NOW)):
        db.session.add(NetworkResource(network_id=world.network.id, title=title, url="https://dubestemmer.no",
                                       note="", created_at=created))
    add_gathering(world, GATHERING_START)
    db.session.commit()
    body = page(client, world)
    # Newest first; of two the same day, the one added last first.
    positions = [body.index(f">{title}<") for title in ("Nyest", "Samme dag B", "Samme dag A", "Eldst")]
    assert positions == sorted(positions)
    earlier = add_gathering(world, GATHERING_START - timedelta(days=7))  # added last, held first
    db.session.commit()
    body = page(client, world)
    upcoming = body[body.index("Kommende samlinger"):]
    upcoming = upcoming[:upcoming.index("</ul>")]
    assert upcoming.count("<li>") == 2
    assert upcoming.index(f'/samlinger/{earlier.id}"') < upcoming.index(f'/samlinger/{earlier.id - 1}"')
    assert body.count(">Nyest<") == 1


def test_each_reader_gets_their_own_buttons_and_absences(world, login):
    g = add_gathering(world)
    supervisor, leader, admin = login(world.supervisor), login(world.leader), login(world.admin)
    assert "Jeg kan ikke komme" in main(page(supervisor, world))
    assert "Endre nettverket" not in page(supervisor, world) and "Endre nettverket" in page(admin, world)
    assert "Jeg kan ikke komme" not in main(page(admin, world))
    ops.say_cannot_come(g, world.supervisor, NOW)
    db.session.commit()
    assert "Jeg kommer likevel" in page(supervisor, world)
    assert "Jeg kan ikke komme" in main(page(leader, world)) and "Jeg kommer likevel" not in page(leader, world)


def test_a_gathering_that_has_begun_offers_no_cannot_come_even_on_a_page_kept_from_before(world, login):
    # Listed among the upcoming until it is over, but from its start the host is to be told instead.
    add_gathering(world)
    client = login(world.supervisor)
    set_clock(GATHERING_START.astimezone(timezone.utc) - timedelta(minutes=1))
    assert "Jeg kan ikke komme" in main(page(client, world))
    for after in (timedelta(0), timedelta(minutes=30)):
        set_clock(GATHERING_START.astimezone(timezone.utc) + after)
        shown = main(page(client, world))
        assert "Kommende samlinger" in shown and "Rådhuset" in shown and "Jeg kan ikke komme" not in shown


def test_each_language_gets_its_own(world, login):
    add_gathering(world)
    client = login(world.supervisor)
    assert "Kommende samlinger" in page(client, world)
    client.set_cookie("kp_lang", "nn")
    assert "Komande samlingar" in page(client, world)
    client.set_cookie("kp_lang", "en")
    english = page(client, world)
    assert "Upcoming gatherings" in english and "Tuesday 6 October 2026, 12:00–14:00" in english


def test_each_session_gets_its_own_csrf_token_in_the_kept_page(world, make_app):
    network_id, emails = world.network.id, [world.supervisor.email, world.leader.email]
    db.session.commit()
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    clients = [csrf_app.test_client() for _ in emails]
    for client, email in zip(clients, emails):
        sign_in = body(client.get("/logg-inn"))
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', sign_in).group(1)
        assert client.post("/logg-inn", data={"email": email, "password": PASSWORD,
                                              "csrf_token": token}).status_code == 302
    tokens = []
    for client in clients:
        shown = body(client.get(f"/nettverk/{network_id}"))
        form = shown.split('id="ressurser"')[1]
        tokens.append(re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1))
        assert "\x00" not in shown
    assert tokens[0] != tokens[1]
    refused = clients[1].post(f"/nettverk/{network_id}/ressurser", data={
        "title": "Feil nøkkel", "note": "x", "csrf_token": tokens[0]})
    assert refused.status_code == 400
    for client, token, title in zip(clients, tokens, ("Fra veilederen", "Fra lederen")):
        assert client.post(f"/nettverk/{network_id}/ressurser", data={
            "title": title, "note": "x", "csrf_token": token}).status_code == 303


def header(html: str) -> str:
    return html[:html.index('<main')]


def test_the_kept_page_has_each_readers_own_header_name_and_address(world, login, make_user):
    """Two readers with the same page (taking part, no absences) each see their own name and the page's own address."""
    other = make_user("Siri Veileder", school=world.eikeli, is_digital_supervisor=True)
    first, second = login(world.supervisor), login(other)
    path = f"/nettverk/{world.network.id}"
    for client, name in ((first, "Dina Veileder"), (second, "Siri Veileder")):
        assert f"Velkommen, {name}." in main(body(client.get(path)))  # the sign-in's message, once
    mine_first = body(first.get(path + "?fra=epost"))
    mine_second = body(second.get(path))
    assert main(mine_first) == main(mine_second)  # one kept page, rendered once
    assert "Dina Veileder" in header(mine_first) and "Siri Veileder" not in header(mine_first)
    assert "Siri Veileder" in header(mine_second) and "Dina Veileder" not in header(mine_second)
    assert f'name="next" value="{path}?fra=epost"' in mine_first
    assert f'name="next" value="{path}?"' in mine_second
    other.name = "Siri Veileder Berg"
    db.session.commit()
    assert "Siri Veileder Berg" in header(body(second.get(path)))


def test_a_message_flashed_before_the_kept_page_is_shown_once(world, login):
    client = login(world.supervisor)
    path = f"/nettverk/{world.network.id}"
    assert "Lagret i en annen fane." not in page(client, world)
    with client.session_transaction() as browser:
        browser["_flashes"] = [("success", "Lagret i en annen fane.")]
    shown = page(client, world)
    assert 'role="status"' in main(shown) and "Lagret i en annen fane." in main(shown)
    again = page(client, world)
    assert "Lagret i en annen fane." not in again and 'role="status"' not in main(again)
    with client.session_transaction() as browser:
        browser["_flashes"] = [("success", "Lagret i en annen fane.")]
    assert "Lagret i en annen fane." in main(body(client.get("/nettverk")))
    assert "Lagret i en annen fane." not in body(client.get(path))


def test_mine_nettverk_kept_whole_has_each_readers_menu(world, login):
    leader, admin = login(world.leader), login(world.admin)
    world.network.coordinator_id = world.admin.id
    db.session.commit()
    leader_page, admin_page = body(leader.get("/nettverk")), body(admin.get("/nettverk"))
    assert "Line Leder" in header(leader_page) and "Planoversikt" not in header(leader_page)
    assert "Planoversikt" in header(admin_page) and "Line Leder" not in header(admin_page)
    leader.set_cookie("kp_lang", "nn")
    assert "Mine nettverk" in body(leader.get("/nettverk")) and 'lang="nn"' in body(leader.get("/nettverk"))


def mine(client) -> str:
    response = client.get("/nettverk")
    assert response.status_code == 200
    return main(body(response))


def test_mine_nettverk_shows_a_rename_a_new_gathering_and_the_admin_links_at_once(world, login):
    client = login(world.leader)
    assert "Nettverk for digital profesjonsutøvelse" in mine(client) and "Ingen samling planlagt." in mine(client)
    world.network.name = "Digitalt nettverk"
    db.session.commit()
    assert "Digitalt nettverk" in mine(client)
    g = add_gathering(world)
    assert "Neste samling: tirsdag 6. oktober 2026 kl. 12:00" in mine(client)
    session = db.session.get(Session, g.session_id)
    session.starts_at += timedelta(days=2)
    session.ends_at += timedelta(days=2)
    db.session.commit()
    assert "Neste samling: torsdag 8. oktober 2026 kl. 12:00" in mine(client)
    world.network.include_leaders = False
    db.session.commit()
    assert "Skolen din er med." in mine(client)
    assert "Sett sammen samarbeidsgrupper" not in mine(client)
    world.network.coordinator_id = world.admin.id
    db.session.commit()
    assert "Sett sammen samarbeidsgrupper" in mine(login(world.admin))
    client.set_cookie("kp_lang", "en")
    assert "Next gathering: Thursday 8 October 2026, 12:00" in mine(client)


def test_the_pages_take_as_many_statements_for_sixty_gatherings_as_for_two(world, login, app):
    client = login(world.supervisor)
    leader = login(world.leader)
    for k in range(2):
        add_gathering(world, GATHERING_START + timedelta(days=7 * k))
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=1))
    frame_origins()  # the LMS origins read as of the new time, not counted with the first page below
    db.session.commit()
    few = count_statements(lambda: page(client, world)), count_statements(lambda: mine(leader))
    for k in range(2, 60):
        g = add_gathering(world, GATHERING_START + timedelta(days=7 * k))
        if k % 2:
            g.minutes, g.minutes_published_at = "Referat", NOW
            g.additions.append(MinutesAddition(author_id=world.leader.id, text="Tillegg", created_at=NOW))
        ops.create_network(ops.NetworkData(name=f"Nettverk {k}", school_ids=[world.eikeli.id]), actor=None, now=NOW)
    db.session.commit()
    page_cache.invalidate()
    many = count_statements(lambda: page(client, world)), count_statements(lambda: mine(leader))
    assert many == few
    assert "Kommende samlinger" in page(client, world) and "Nettverk 59" in mine(leader)
