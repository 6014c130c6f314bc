"""Editing a network gathering: the form, who may, what cannot be edited, and what reaches mail and feeds.

A change of time, place or host school raises the session's one SEQUENCE:
every invited person gets a new version of their own event (same UID), and
the personal, school and network feeds show the new time with that SEQUENCE.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import icalendar
import pytest
import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.models import Gathering, NetworkKind
from events.feeds import feed_events
from events.models import Session
from lms.db import db, set_clock
from lms.i18n import OSLO
from lms.mail.models import OutboxMessage
from tests.catalog.test_networks import GATHERING_START, add_gathering, body, ics_event, mails_to
from tests.catalog.test_networks import world as world  # the fixture, for this module's tests
from tests.conftest import NOW
from tests.events.conftest import libical_reader as libical_reader  # the fixtures, for this module's tests
from tests.events.conftest import read_with_icaljs
from tests.events.conftest import read_with_libical as read_with_libical
from tests.lms.test_mail import SmtpServer, _tree

MOVED = {"day": "2026-10-08", "start": "13:00", "end": "15:30", "location": "Aulaen"}
MOVED_START = datetime(2026, 10, 8, 13, 0, tzinfo=OSLO)


def edit_url(world, g) -> str:
    return f"/nettverk/{world.network.id}/samlinger/{g.id}/endre"


def sequence_of(g) -> int:
    return db.session.scalar(sa.select(Session.sequence).where(Session.id == g.session_id))


def outbox_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


def network_feed_url(world, login) -> str:
    """Return the path of a new link to the network's feed, made by the supervisor."""
    page = body(login(world.supervisor).post(f"/nettverk/{world.network.id}/kalenderlenke"))
    (url,) = re.findall(r"<code>https?://[^/]+(/nettverk/kalender/[^<]+\.ics)</code>", page)
    return url


def test_the_edit_form_shows_the_gathering_and_a_change_reaches_page_mail_and_every_feed(world, login, client):
    g = add_gathering(world)
    feed_url = network_feed_url(world, login)
    before = client.get(feed_url)
    (old_feed_event,) = icalendar.Calendar.from_ical(before.data).walk("VEVENT")
    admin = login(world.admin)
    assert 'href="/nettverk/%d/samlinger/%d/endre"' % (world.network.id, g.id) in body(
        admin.get(f"/nettverk/{world.network.id}/samlinger/{g.id}"))
    form = body(admin.get(edit_url(world, g)))
    assert "Endre samlingen" in form
    for value in ('value="2026-10-06"', 'value="12:00"', 'value="14:00"', 'value="Rådhuset"'):
        assert value in form
    assert '<option selected value="0">Ingen vertsskole</option>' in form

    done = admin.post(edit_url(world, g), data={**MOVED, "host_school_id": str(world.eikeli.id)},
                      follow_redirects=True)
    page = body(done)
    assert "Samlingen er endret, og deltakerne får oppdatert invitasjon." in page
    assert "torsdag 8. oktober 2026 kl. 13:00–15:30" in page and "Aulaen" in page and "Eikeli skole" in page

    invitation, change = mails_to(world.supervisor)
    assert change.subject == "Endret samling: Nettverk for digital profesjonsutøvelse"
    assert "Ny tid og sted: torsdag 8. oktober 2026 kl. 13:00–15:30, Aulaen." in change.text
    attachment, calendar, event = ics_event(change)
    _a, _c, first = ics_event(invitation)
    assert attachment.content_type.startswith("text/calendar; method=REQUEST")
    assert str(calendar["METHOD"]) == "REQUEST" and str(event["STATUS"]) == "CONFIRMED"
    assert str(event["UID"]) == str(first["UID"])
    assert int(event["SEQUENCE"]) == int(first["SEQUENCE"]) + 1 == sequence_of(g)
    assert event.decoded("DTSTART") == MOVED_START and str(event["LOCATION"]) == "Aulaen"
    assert "Vertsskole: Eikeli skole" in str(event["DESCRIPTION"])
    # Everyone invited hears of it, nobody else.
    assert [m.subject.split(":")[0] for m in mails_to(world.leader)] == ["Samling", "Endret samling"]
    assert [m.subject.split(":")[0] for m in mails_to(world.furulund_leader)] == ["Samling", "Endret samling"]
    assert mails_to(world.teacher) == [] and mails_to(world.outside_leader) == []

    (mine,) = feed_events("person", world.supervisor.id, NOW)
    assert (mine.uid, mine.sequence, mine.starts_at, mine.location) == (
        str(event["UID"]), int(event["SEQUENCE"]), MOVED_START, "Aulaen")
    for school in (world.eikeli, world.furulund):
        (school_event,) = feed_events("school", school.id, NOW)
        assert school_event.starts_at == MOVED_START and school_event.sequence == sequence_of(g)
    after = client.get(feed_url)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert client.get(feed_url, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
    (feed_event,) = icalendar.Calendar.from_ical(after.data).walk("VEVENT")
    assert str(feed_event["UID"]) == str(old_feed_event["UID"])
    assert int(feed_event["SEQUENCE"]) == int(old_feed_event["SEQUENCE"]) + 1
    assert feed_event.decoded("DTSTART") == MOVED_START
    assert feed_event.decoded("DTEND") == datetime(2026, 10, 8, 15, 30, tzinfo=OSLO)
    assert "torsdag 8. oktober 2026 kl. 13:00" in body(login(world.supervisor).get("/nettverk"))


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on loopback, with the app's mail settings pointed at it."""
    server = SmtpServer()
    server.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_SECURITY": "none",
                       "SMTP_TIMEOUT": 10.0, "MAIL_FROM": "Kompetanseportalen <kurs@kommune.test>"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


def send_mail(app):
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output


def test_the_changed_invitation_arrives_over_smtp_as_calendar_clients_read_it(world, login, app, smtp,
                                                                             read_with_libical):
    g = add_gathering(world)
    send_mail(app)
    smtp.inbox.messages.clear()
    assert login(world.admin).post(edit_url(world, g), data=MOVED).status_code == 303
    send_mail(app)
    received = {m["To"]: m for m in smtp.inbox.messages}
    assert set(received) == {world.leader.email, world.supervisor.email, world.furulund_leader.email}
    message = received[world.supervisor.email]
    assert message["Subject"] == "Endret samling: Nettverk for digital profesjonsutøvelse"
    assert _tree(message) == ("multipart/mixed",
                              ("multipart/alternative", "text/plain", "text/calendar;method=REQUEST"),
                              "application/ics")
    assert "Ny tid og sted: torsdag 8. oktober 2026 kl. 13:00–15:30, Aulaen." in message.get_body(
        ("plain",)).get_content()
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"][0].get_payload(decode=True)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "invitasjon.ics" and attachment.get_payload(decode=True) == inline
    (event,) = icalendar.Calendar.from_ical(inline).walk("VEVENT")
    uid = f"kp-gathering-{g.session_id}-person-{world.supervisor.id}@"
    assert str(event["UID"]).startswith(uid) and int(event["SEQUENCE"]) == 1
    assert "mailto:" + world.supervisor.email in str(event["ATTENDEE"])
    by_libical = read_with_libical(inline)
    assert by_libical["method"] == "REQUEST"
    assert [(e["uid"].startswith(uid), e["start"], e["status"], e["sequence"]) for e in by_libical["events"]] == [
        (True, MOVED_START.astimezone(timezone.utc), "CONFIRMED", 1)]
    by_icaljs = read_with_icaljs(inline)
    assert by_icaljs["method"] == "REQUEST"
    assert [datetime.fromtimestamp(e["start"]["unix"], timezone.utc) for e in by_icaljs["events"]] == [
        MOVED_START.astimezone(timezone.utc)]


def test_who_said_they_cannot_come_keeps_that_after_a_change(world, login):
    g = add_gathering(world)
    supervisor = login(world.supervisor)
    assert supervisor.post(f"/nettverk/{world.network.id}/samlinger/{g.id}/kommer-ikke").status_code == 303
    (before,) = feed_events("person", world.supervisor.id, NOW)
    assert login(world.admin).post(edit_url(world, g), data=MOVED).status_code == 303
    assert world.supervisor.id in ops.absent_ids(g)
    (mine,) = feed_events("person", world.supervisor.id, NOW)
    assert mine.cancelled and mine.uid == before.uid and mine.sequence > before.sequence
    assert mine.starts_at == MOVED_START
    _invitation, change = mails_to(world.supervisor)
    assert "Du har meldt at du ikke kommer, og det gjelder fortsatt." in change.text
    assert "Ny tid og sted: torsdag 8. oktober 2026 kl. 13:00–15:30, Aulaen." in change.text
    _a, calendar, event = ics_event(change)
    # Their own event as their feed has it: cancelled for them, with the feed's UID and SEQUENCE.
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (mine.uid, mine.sequence)
    page = body(supervisor.get(f"/nettverk/{world.network.id}/samlinger/{g.id}"))
    assert "Du har meldt at du ikke kommer." in page and "Jeg kommer likevel" in page
    leader_page = body(login(world.leader).get(f"/nettverk/{world.network.id}/samlinger/{g.id}"))
    row = re.search(r"<th scope=\"row\">Eikeli skole</th>(.*?)</tr>", leader_page, re.S).group(1)
    assert re.findall(r"<td>(.*?)</td>", row, re.S)[1].strip() == "Dina Veileder"
    # The others are invited anew.
    _first, leaders_change = mails_to(world.leader)
    assert str(ics_event(leaders_change)[1]["METHOD"]) == "REQUEST"


def test_sequence_only_rises_through_changes_and_a_cancellation(world, login):
    g = add_gathering(world)
    admin = login(world.admin)
    assert admin.post(edit_url(world, g), data=MOVED).status_code == 303
    assert admin.post(edit_url(world, g), data={**MOVED, "start": "14:00", "end": "16:00"}).status_code == 303
    assert admin.post(edit_url(world, g), data={**MOVED, "start": "14:00", "end": "16:00",
                                                 "host_school_id": str(world.furulund.id)}).status_code == 303
    assert admin.post(f"/nettverk/{world.network.id}/samlinger/{g.id}/avlys").status_code == 303
    sequences = [int(ics_event(m)[2]["SEQUENCE"]) for m in mails_to(world.supervisor)]
    assert sequences == [0, 1, 2, 3, 4]
    (mine,) = feed_events("person", world.supervisor.id, NOW)
    assert mine.cancelled and mine.sequence == 4 == sequence_of(g)


def test_one_sequence_for_everyone_that_never_falls_however_often_someone_changes_their_mind(world, login):
    g = add_gathering(world)
    supervisor = login(world.supervisor)
    url = f"/nettverk/{world.network.id}/samlinger/{g.id}/kommer-ikke"
    seen = []
    for data in ({}, {"kommer": "ja"}, {}):
        assert supervisor.post(url, data=data).status_code == 303
        (mine,) = feed_events("person", world.supervisor.id, NOW)
        (leaders,) = feed_events("person", world.leader.id, NOW)
        seen.append((mine.sequence, mine.cancelled))
        assert leaders.sequence == mine.sequence == sequence_of(g) and not leaders.cancelled
    assert seen == [(1, True), (2, False), (3, True)]
    assert login(world.admin).post(edit_url(world, g), data=MOVED).status_code == 303
    (mine,) = feed_events("person", world.supervisor.id, NOW)
    _invitation, change = mails_to(world.supervisor)
    _a, calendar, event = ics_event(change)
    assert (str(calendar["METHOD"]), int(event["SEQUENCE"]), mine.sequence, mine.cancelled) == ("CANCEL", 4, 4, True)
    _first, leaders_change = mails_to(world.leader)
    assert int(ics_event(leaders_change)[2]["SEQUENCE"]) == 4


def test_saving_without_a_change_sends_nothing(world, login):
    g = add_gathering(world)
    queued = outbox_count()
    admin = login(world.admin)
    same = {"day": "2026-10-06", "start": "12:00", "end": "14:00", "location": " Rådhuset ", "host_school_id": "0"}
    done = admin.post(edit_url(world, g), data=same, follow_redirects=True)
    assert "Samlingen er lagret. Tid og sted er som før, så ingen får ny invitasjon." in body(done)
    assert outbox_count() == queued and sequence_of(g) == 0


def test_only_admins_and_the_coordinator_edit_a_gathering(world, login):
    g = add_gathering(world)
    for who in (world.leader, world.supervisor, world.outside_leader, world.teacher):
        client = login(who)
        assert client.get(edit_url(world, g)).status_code == 403
        assert client.post(edit_url(world, g), data=MOVED).status_code == 403
    assert "Endre samlingen" not in body(login(world.leader).get(f"/nettverk/{world.network.id}/samlinger/{g.id}"))
    assert sequence_of(g) == 0 and len(mails_to(world.supervisor)) == 1
    world.network.coordinator_id = world.leader.id
    db.session.commit()
    assert login(world.leader).post(edit_url(world, g), data=MOVED).status_code == 303
    assert sequence_of(g) == 1


def test_a_gathering_of_another_network_is_not_found(world, login):
    other = ops.create_network(ops.NetworkData(name="Digiråd", school_ids=[world.eikeli.id]), actor=world.admin,
                               now=NOW)
    g = add_gathering(world)
    db.session.commit()
    assert login(world.admin).get(f"/nettverk/{other.id}/samlinger/{g.id}/endre").status_code == 404


def test_a_cancelled_gathering_cannot_be_edited(world, login):
    g = add_gathering(world)
    admin = login(world.admin)
    admin.post(f"/nettverk/{world.network.id}/samlinger/{g.id}/avlys")
    queued, sequence = outbox_count(), sequence_of(g)
    shown = admin.get(edit_url(world, g), follow_redirects=True)
    assert "Samlingen er avlyst og kan ikke endres. Legg inn en ny samling i stedet." in body(shown)
    assert "Endre samlingen" not in body(shown)
    refused = admin.post(edit_url(world, g), data=MOVED)
    assert refused.status_code == 400
    assert "Samlingen er avlyst og kan ikke endres." in body(refused) and 'value="Aulaen"' in body(refused)
    assert (outbox_count(), sequence_of(g)) == (queued, sequence)


def test_a_gathering_that_has_begun_cannot_be_edited(world, login):
    g = add_gathering(world)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(minutes=1))
    admin = login(world.admin)
    shown = admin.get(edit_url(world, g), follow_redirects=True)
    assert "Samlingen har begynt eller er over og kan ikke lenger endres." in body(shown)
    refused = admin.post(edit_url(world, g), data={**MOVED, "day": "2026-11-10"})
    assert refused.status_code == 400 and "Samlingen har begynt eller er over" in body(refused)
    assert 'value="2026-11-10"' in body(refused) and 'value="Aulaen"' in body(refused)
    assert sequence_of(g) == 0


@pytest.mark.parametrize("change, message", [
    ({"start": "16:00", "end": "15:00"}, "Sluttid må være etter starttid."),
    ({"day": "2026-10-25", "start": "02:30", "end": "04:00"}, "Klokka stilles tilbake én time natt til"),
    ({"day": "2027-03-28", "start": "02:30", "end": "04:00"}, "Klokka stilles fram én time natt til"),
    ({"day": "2026-08-20"}, "Velg et tidspunkt fram i tid."),
    ({"day": "", "start": "kl. 9"}, "Velg en dato."),
    ({"host_school_id": "outside"}, "Vertsskolen må være en av nettverkets skoler."),
], ids=["end-before-start", "october-hour", "march-hour", "in-the-past", "no-day", "outside-host"])
def test_bad_input_is_refused_in_norwegian_keeping_what_was_typed(world, login, change, message):
    g = add_gathering(world)
    queued = outbox_count()
    if change.get("host_school_id") == "outside":
        change = {**change, "host_school_id": str(world.outside.id)}
    refused = login(world.admin).post(edit_url(world, g), data={**MOVED, "location": "Aulaen på Eikeli", **change})
    assert refused.status_code == 400
    assert message in body(refused) and 'value="Aulaen på Eikeli"' in body(refused)
    assert (outbox_count(), sequence_of(g)) == (queued, 0)
    session = db.session.get(Session, g.session_id)
    db.session.refresh(session)
    assert session.starts_at == GATHERING_START and session.location == "Rådhuset"


def test_the_round_page_shows_where_an_agreed_gathering_stands_after_a_change(world, login, make_school):
    group = ops.create_network(ops.NetworkData(
        name="Samarbeidsgruppe 1", kind=NetworkKind.GROUP, school_year=2026, include_leaders=True,
        school_ids=[world.eikeli.id, world.furulund.id]), actor=world.admin, now=NOW)
    round_ = ops.create_round(school_year=2026, title="Høstsamling", window_start=GATHERING_START.date(),
                              window_end=GATHERING_START.date() + timedelta(days=9), actor=world.admin, now=NOW)
    proposal = ops.propose_date(round_, group.id, starts_at=GATHERING_START, ends_at=GATHERING_START + timedelta(hours=2),
                                host_school_id=world.eikeli.id, location="", actor=world.leader, now=NOW)
    ops.confirm_proposal(proposal.id, actor=world.furulund_leader, now=NOW)
    db.session.commit()
    gathering = db.session.get(Gathering, proposal.gathering_id)
    url = f"/nettverk/{group.id}/samlinger/{gathering.id}/endre"
    assert login(world.admin).post(url, data={**MOVED, "host_school_id": str(world.furulund.id)}).status_code == 303
    page = body(login(world.leader).get(f"/nettverk/{group.id}/runder/{round_.id}"))
    assert "Avtalt: torsdag 8. oktober 2026 kl. 13:00, vert Furulund skole." in page


def test_the_change_is_written_in_each_persons_language(world, login):
    world.furulund_leader.locale = "en"
    world.leader.locale = "nn"
    g = add_gathering(world)
    assert login(world.admin).post(edit_url(world, g), data=MOVED).status_code == 303
    english = mails_to(world.furulund_leader)[-1]
    assert english.subject == "Gathering changed: Nettverk for digital profesjonsutøvelse"
    assert "New time and place: Thursday 8 October 2026, 13:00–15:30, Aulaen." in english.text
    nynorsk = mails_to(world.leader)[-1]
    assert nynorsk.subject == "Endra samling: Nettverk for digital profesjonsutøvelse"
    assert "Ny tid og stad: torsdag 8. oktober 2026 kl. 13:00–15:30, Aulaen." in nynorsk.text
