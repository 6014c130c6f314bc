"""A network's gatherings: planning, inviting, changing and calling off, the page's lists and the minutes archive.

What these protect: only a network's managers plan, change and call off its
gatherings, with a member school as host and in words when refused; everyone
invited (the participants and the coordinator, while active) hears of each;
a change or a cancellation made by another request between a look and the
network's lock is seen; the network page lists the upcoming gatherings
soonest first and the ten latest without minutes newest first; and the
archive page lists every published minutes of the network, newest first, each
linking to the one before, two gatherings at one time in the order they were
added.
"""
from __future__ import annotations

import re
from datetime import timedelta, timezone

import pytest
import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.models import Gathering
from events.models import Session, SessionStatus
from lms.auth.operations import PermissionDenied
from lms.db import db, set_clock
from lms.mail.models import OutboxMessage
from lms.people.models import User
from tests.catalog.test_networks import GATHERING_START, add_gathering, body, mails_to, said
from tests.catalog.test_networks import world as world  # the fixture, for this module's tests
from tests.conftest import NOW, nothing_changes, vacuum
from tests.interleave import commit_elsewhere, reading_request

NETWORK = "Nettverk for digital profesjonsutøvelse"
MANAGERS_ONLY = "Bare programadministratorer og nettverkets koordinator kan endre nettverket."
HOST_OUTSIDE = "Vertsskolen må være en av nettverkets skoler."
END_BEFORE_START = "Sluttidspunktet må være etter starttidspunktet."
CANCELLED = "Samlingen er avlyst og kan ikke endres. Legg inn en ny samling i stedet."
BEGUN = "Samlingen har begynt eller er over og kan ikke lenger endres."
IN_THE_PAST = "Velg et tidspunkt fram i tid."


def outbox_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


def gathering_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Gathering))


def sequence_of(g) -> int:
    return db.session.scalar(sa.select(Session.sequence).where(Session.id == g.session_id))


def status_of(g) -> SessionStatus:
    return db.session.scalar(sa.select(Session.status).where(Session.id == g.session_id))


def subjects(user) -> list[str]:
    return [m.subject for m in mails_to(user)]


def publish(*gatherings) -> None:
    for g in gatherings:
        g.minutes, g.minutes_published_at = "Referat", NOW
    db.session.commit()


def linked_ids(html: str) -> list[int]:
    """Return the gatherings a part of a page links to, in the order it lists them."""
    return [int(i) for i in re.findall(r'/samlinger/(\d+)"', html)]


def archive_rows(html: str) -> list[tuple]:
    """Return the archive's entries as listed: (gathering, its day, the one before, that one's day)."""
    rows = []
    for gathering_id, day, rest in re.findall(
            r'<li><a class="ds-link" href="[^"]*/samlinger/(\d+)#referat">Referat fra ([^<]+)</a>(.*?)</li>', html,
            re.S):
        previous = re.search(r'/samlinger/(\d+)#referat">([^<]+)</a>', rest)
        rows.append((int(gathering_id), day, *((int(previous.group(1)), previous.group(2)) if previous
                                               else (None, None))))
    return rows


def archive_page(client, world) -> str:
    response = client.get(f"/nettverk/{world.network.id}/referater")
    assert response.status_code == 200
    return body(response)




# --- the minutes archive ----------------------------------------------------------------------------

def test_the_archive_page_lists_every_published_minutes_newest_first_each_linking_to_the_one_before(world, login):
    # Added in another order than they take place, so that the order of the rows in the table does not help.
    december = add_gathering(world, GATHERING_START + timedelta(days=60))
    october = add_gathering(world, GATHERING_START)
    november = add_gathering(world, GATHERING_START + timedelta(days=30))
    without_minutes = add_gathering(world, GATHERING_START + timedelta(days=7))
    other = ops.create_network(ops.NetworkData(name="Digiråd", include_digital_supervisors=True,
                                               school_ids=[world.eikeli.id]), actor=world.admin, now=NOW)
    elsewhere = ops.add_gathering(other, starts_at=GATHERING_START + timedelta(days=1),
                                  ends_at=GATHERING_START + timedelta(days=1, hours=2), location="Rådhuset",
                                  host_school_id=None, actor=world.admin, now=NOW)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=70))
    publish(december, october, november, elsewhere)
    page = archive_page(login(world.supervisor), world)
    assert archive_rows(page) == [
        (december.id, "5. desember 2026", november.id, "5. november 2026"),
        (november.id, "5. november 2026", october.id, "6. oktober 2026"),
        (october.id, "6. oktober 2026", None, None)]
    assert f"/samlinger/{without_minutes.id}#" not in page and f"/samlinger/{elsewhere.id}#" not in page


def test_an_archive_without_published_minutes_says_so(world, login):
    add_gathering(world)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=1))
    response = login(world.supervisor).get(f"/nettverk/{world.network.id}/referater")
    assert archive_rows(body(response)) == [] and said(response, "Ingen referater er publisert ennå.")


def test_two_gatherings_at_one_time_are_archived_in_the_order_they_were_added(world, login):
    """Two gatherings at the same time (in two places) are listed the one added last first, wherever the database
    holds them: on PostgreSQL the second fills the place a failed request's gathering left, once a vacuum (autovacuum,
    here by hand) has freed it, and its minutes, published first, are written before the first's, so it is read
    first."""
    ops.add_gathering(world.network, starts_at=GATHERING_START, ends_at=GATHERING_START + timedelta(hours=2),
                      location="Aulaen", host_school_id=None, actor=world.admin, now=NOW)
    db.session.rollback()  # a request that failed after writing
    first = add_gathering(world, GATHERING_START)
    vacuum("gathering", "session", "outbox_message")
    second = add_gathering(world, GATHERING_START)
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=1))
    publish(second)
    publish(first)
    client = login(world.supervisor)
    assert archive_rows(archive_page(client, world)) == [
        (second.id, "6. oktober 2026", first.id, "6. oktober 2026"), (first.id, "6. oktober 2026", None, None)]
    section = body(client.get(f"/nettverk/{world.network.id}")).split('id="referater"')[1].split("</section>")[0]
    assert [row[0] for row in archive_rows(section)] == [second.id, first.id]


# --- the network page's lists ------------------------------------------------------------------------

def test_the_page_lists_upcoming_soonest_first_and_the_ten_latest_without_minutes_newest_first(world, login):
    # Added out of order, so that neither the order of the ids nor that of the table can stand in for the dates.
    day = {k: add_gathering(world, GATHERING_START + timedelta(days=k)) for k in (5, 0, 10, 3, 8, 1, 6, 9, 2, 7, 4)}
    published = add_gathering(world, GATHERING_START + timedelta(days=11))
    later, sooner = add_gathering(world, GATHERING_START + timedelta(days=30)), add_gathering(
        world, GATHERING_START + timedelta(days=20))
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=15))
    publish(published)
    page = body(login(world.supervisor).get(f"/nettverk/{world.network.id}"))
    upcoming = page.split('id="samlinger"')[1].split("</ul>")[0]
    assert linked_ids(upcoming) == [sooner.id, later.id]
    past = page.split("<details>")[1].split("</details>")[0]
    # Eleven are over without minutes: all are counted, the newest ten listed, and the page says so.
    assert "Tidligere samlinger uten publisert referat (11)" in past and "De 10 siste vises." in past
    assert linked_ids(past) == [day[k].id for k in range(10, 0, -1)]  # the oldest, day[0], is not listed
    archive = page.split('id="referater"')[1].split("</section>")[0]
    assert [row[0] for row in archive_rows(archive)] == [published.id]


def test_the_pages_archive_lists_the_newest_six_and_links_the_sixth_to_the_seventh(world, login):
    weeks = [add_gathering(world, GATHERING_START + timedelta(days=7 * k)) for k in range(7)]
    set_clock(GATHERING_START.astimezone(timezone.utc) + timedelta(days=50))
    publish(*weeks)
    page = body(login(world.supervisor).get(f"/nettverk/{world.network.id}"))
    archive = page.split('id="referater"')[1].split("</section>")[0]
    rows = archive_rows(archive)
    assert [row[0] for row in rows] == [g.id for g in weeks[:0:-1]]
    assert rows[-1] == (weeks[1].id, "13. oktober 2026", weeks[0].id, "6. oktober 2026")
    assert "Alle referater (7)" in archive


# --- who plans, changes and calls off, and who hears of it ------------------------------------------

def test_the_coordinator_plans_and_calls_off_a_gathering_and_is_invited_to_it_like_the_participants(
        world, login, make_user):
    coordinator = make_user("Kari Koordinator", school=world.outside)  # takes part by being the coordinator
    world.network.coordinator_id = coordinator.id
    db.session.commit()
    mine = login(coordinator)
    planned = mine.post(f"/nettverk/{world.network.id}/samlinger/ny", data={
        "day": "2026-10-06", "start": "12:00", "end": "14:00", "location": "Rådhuset", "host_school_id": "0"})
    assert planned.status_code == 303
    g = db.session.scalars(sa.select(Gathering)).one()
    everyone = (world.leader, world.supervisor, world.furulund_leader, coordinator)
    for person in everyone:
        assert subjects(person) == [f"Samling: {NETWORK}"]
    assert subjects(world.teacher) == [] and subjects(world.outside_leader) == []

    refused = login(world.leader).post(f"/nettverk/{world.network.id}/samlinger/{g.id}/avlys")
    assert refused.status_code == 403 and said(refused, MANAGERS_ONLY)
    assert status_of(g) == SessionStatus.SCHEDULED and subjects(world.supervisor) == [f"Samling: {NETWORK}"]

    assert mine.post(f"/nettverk/{world.network.id}/samlinger/{g.id}/avlys").status_code == 303
    assert status_of(g) == SessionStatus.CANCELLED
    for person in everyone:
        assert subjects(person) == [f"Samling: {NETWORK}", f"Avlyst: samling i {NETWORK}"]


def test_a_deactivated_coordinator_is_sent_nothing(world, make_user):
    coordinator = make_user("Kari Koordinator", school=world.outside)
    world.network.coordinator_id = coordinator.id
    coordinator.active = False
    db.session.commit()
    add_gathering(world)
    assert subjects(coordinator) == [] and subjects(world.supervisor) == [f"Samling: {NETWORK}"]


@pytest.mark.parametrize("who, host, hours, error, message", [
    ("leader", None, 2, PermissionDenied, MANAGERS_ONLY),
    ("admin", "outside", 2, ops.NetworkError, HOST_OUTSIDE),
    ("admin", None, 0, ops.NetworkError, END_BEFORE_START),
], ids=["not-a-manager", "host-outside-the-network", "ends-as-it-starts"])
def test_a_gathering_is_planned_by_a_manager_with_a_member_school_as_host_and_an_end_after_its_start(
        world, who, host, hours, error, message):
    # The pages refuse these first (the new-gathering page is for managers, its form checks the times), so only a
    # direct call, as any other caller makes, meets the operation's own refusals.
    with pytest.raises(error) as refused:
        ops.add_gathering(world.network, starts_at=GATHERING_START, ends_at=GATHERING_START + timedelta(hours=hours),
                          location="Rådhuset", host_school_id=getattr(world, host).id if host else None,
                          actor=getattr(world, who), now=NOW)
    assert str(refused.value) == message
    db.session.rollback()
    assert (gathering_count(), outbox_count()) == (0, 0)


#: A change that is refused, and what it is told.
REFUSED_CHANGES = {"host-outside-the-network": HOST_OUTSIDE, "moved-to-now": IN_THE_PAST,
                   "ends-as-it-starts": END_BEFORE_START, "cancelled": CANCELLED, "at-the-minute-it-begins": BEGUN}


@pytest.mark.parametrize("case", REFUSED_CHANGES)
def test_a_change_is_refused_in_words_and_changes_nothing(world, case):
    g = add_gathering(world)
    moved = GATHERING_START + timedelta(days=2)
    change = {"starts_at": moved, "ends_at": moved + timedelta(hours=2), "location": "Aulaen",
              "host_school_id": None, "now": NOW}
    if case == "host-outside-the-network":
        change["host_school_id"] = world.outside.id
    elif case == "moved-to-now":
        change.update(starts_at=NOW, ends_at=NOW + timedelta(hours=2))
    elif case == "ends-as-it-starts":
        change["ends_at"] = moved
    elif case == "cancelled":
        ops.cancel_gathering(g, actor=world.admin, now=NOW)
        db.session.commit()
    else:
        change["now"] = GATHERING_START.astimezone(timezone.utc)
    before = (outbox_count(), sequence_of(g))
    with pytest.raises(ops.NetworkError) as refused:
        ops.update_gathering(g, actor=world.admin, **change)
    assert str(refused.value) == REFUSED_CHANGES[case]
    db.session.rollback()
    session = db.session.get(Session, g.session_id)
    assert (outbox_count(), sequence_of(g), session.starts_at, session.location) == (
        *before, GATHERING_START, "Rådhuset")


def test_a_gathering_is_changed_until_the_minute_it_begins_and_to_any_time_after_now(world):
    g = add_gathering(world)
    now = GATHERING_START.astimezone(timezone.utc) - timedelta(minutes=1)
    assert ops.editing_problem(g, now) is None and ops.editing_problem(g, now + timedelta(minutes=1)) == BEGUN
    soon = now + timedelta(seconds=1)
    assert ops.update_gathering(g, starts_at=soon, ends_at=soon + timedelta(hours=2),
                                location="Aulaen", host_school_id=None, actor=world.admin, now=now)
    db.session.commit()
    assert sequence_of(g) == 1 and subjects(world.supervisor) == [f"Samling: {NETWORK}", f"Endret samling: {NETWORK}"]


def test_calling_off_or_moving_one_gathering_leaves_the_networks_others_as_they_were(world, login):
    first, second = add_gathering(world), add_gathering(world, GATHERING_START + timedelta(days=7))
    admin = login(world.admin)
    assert admin.post(f"/nettverk/{world.network.id}/samlinger/{second.id}/avlys").status_code == 303
    assert (status_of(first), status_of(second)) == (SessionStatus.SCHEDULED, SessionStatus.CANCELLED)
    assert admin.post(f"/nettverk/{world.network.id}/samlinger/{first.id}/endre", data={
        "day": "2026-10-08", "start": "13:00", "end": "15:00", "location": "Aulaen"}).status_code == 303
    moved, kept = db.session.get(Session, first.session_id), db.session.get(Session, second.session_id)
    db.session.refresh(moved)
    db.session.refresh(kept)
    assert (moved.location, moved.sequence, kept.location, kept.sequence) == ("Aulaen", 1, "Rådhuset", 1)


# --- after a gathering was called off ------------------------------------------------------------

NOT_HELD = "Samlingen ble avlyst. Oppmøte, referat og deling føres bare for samlinger som ble holdt."
FORMS = ("Registrer oppmøte", "Lagre referatet", "Registrer hvordan skolen delte det den lærte")


def _after_the_gathering(world, *, cancelled: bool):
    """A gathering hosted by Eikeli, called off (or not), and the clock two days after its start."""
    g = add_gathering(world, host=world.eikeli.id)
    if cancelled:
        ops.cancel_gathering(g, actor=world.admin, now=NOW)
        db.session.commit()
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(days=2)
    set_clock(later)
    return g, later, f"/nettverk/{world.network.id}/samlinger/{g.id}"


@pytest.mark.parametrize("who", ["admin", "leader"])
@pytest.mark.parametrize("cancelled", [False, True])
def test_a_called_off_gathering_offers_no_attendance_minutes_or_sharing(world, login, who, cancelled):
    _g, _later, url = _after_the_gathering(world, cancelled=cancelled)
    page = body(login(getattr(world, who)).get(url))
    assert [form in page for form in FORMS] == [not cancelled] * 3


@pytest.mark.parametrize("who", ["admin", "leader"])
def test_a_called_off_gathering_takes_no_attendance_minutes_or_sharing_and_says_why(world, login, who):
    _g, later, url = _after_the_gathering(world, cancelled=True)
    client = login(getattr(world, who))
    with nothing_changes():
        attendance = client.post(url + "/oppmote", data={"present": [str(world.leader.id)],
                                                         f"count-{world.furulund.id}": "12"}, follow_redirects=True)
        minutes = client.post(url + "/referat", data={"text": "Referat", "publish": "1"})
        sharing = client.post(url + "/delt", data={"school_id": str(world.eikeli.id),
                                                   "shared_on": later.date().isoformat(), "place": "Fellestid",
                                                   "reached": "5"})
    assert attendance.status_code == 200 and said(attendance, NOT_HELD)
    assert (minutes.status_code, sharing.status_code) == (400, 400)
    assert NOT_HELD in body(minutes) and NOT_HELD in body(sharing)
    assert "Lagre oppmøtet" not in body(attendance)


def test_minutes_written_before_a_gathering_was_called_off_take_no_addition_and_are_not_published(world, login):
    g, later, url = _after_the_gathering(world, cancelled=False)
    ops.write_minutes(g, "Vi rakk bare første punkt.", actor=world.leader, now=later)
    ops.cancel_gathering(g, actor=world.admin, now=later)
    db.session.commit()
    with nothing_changes():
        added = login(world.supervisor).post(url + "/referat/tillegg", data={"text": "Og mer"})
        with pytest.raises(ops.NetworkError) as refused:
            ops.publish_minutes(g, actor=world.leader, now=later)
    assert added.status_code == 400 and NOT_HELD in body(added)
    assert str(refused.value) == NOT_HELD


def test_a_called_off_gathering_without_minutes_says_none_will_be_written(world, login):
    _g, _later, url = _after_the_gathering(world, cancelled=True)
    page = body(login(world.supervisor).get(url))
    assert "Samlingen ble avlyst, så det skrives ikke noe referat." in page
    assert "Vertsskolen skriver referatet etter samlingen." not in page


def test_a_called_off_gathering_says_why_in_the_persons_language(world, login):
    _g, _later, url = _after_the_gathering(world, cancelled=True)
    client = login(world.leader)
    client.post("/sprak", data={"lang": "nn"})
    refused = client.post(url + "/oppmote", data={"present": [str(world.leader.id)]}, follow_redirects=True)
    assert said(refused, "Samlinga vart avlyst. Oppmøte, referat og deling blir berre førte for samlingar som vart "
                         "haldne.")


def test_a_called_off_gathering_is_refused_by_the_operations_too(world):
    g, later, _url = _after_the_gathering(world, cancelled=True)
    refusals = []
    with nothing_changes():
        for call in (lambda: ops.record_attendance(g, user_ids={world.leader.id}, school_counts={}, actor=world.admin,
                                                   now=later),
                     lambda: ops.write_minutes(g, "Referat", actor=world.leader, now=later),
                     lambda: ops.record_carried_back(g, school_id=world.eikeli.id, shared_on=later.date(),
                                                     place="Fellestid", reached=5, note="", actor=world.leader,
                                                     now=later)):
            with pytest.raises(ops.NetworkError) as refused:
                call()
            refusals.append(str(refused.value))
    assert refusals == [NOT_HELD] * 3


# --- another request between the look and the lock --------------------------------------------------

def _after_a_cancellation_elsewhere(app, world, operation):
    """Read the gathering in a request, let another request call it off and commit, then run ``operation`` on the
    gathering as read; return what it raised (None if nothing)."""
    g = add_gathering(world)
    gathering_id, network_id, admin_id = g.id, world.network.id, world.admin.id
    db.session.commit()
    with reading_request(app):
        mine = ops.get_gathering(ops.get_network(network_id), gathering_id)
        assert mine.session.status == SessionStatus.SCHEDULED  # this request has read it
        commit_elsewhere(app, lambda: ops.cancel_gathering(db.session.get(Gathering, gathering_id),
                                                           actor=db.session.get(User, admin_id), now=NOW))
        try:
            operation(mine, db.session.get(User, admin_id))
        except ops.NetworkError as err:
            db.session.rollback()
            return err, mine
        db.session.commit()
    return None, mine


def test_a_change_after_another_requests_cancellation_is_refused(app, world):
    moved = GATHERING_START + timedelta(days=2)
    refused, g = _after_a_cancellation_elsewhere(app, world, lambda mine, admin: ops.update_gathering(
        mine, starts_at=moved, ends_at=moved + timedelta(hours=2), location="Aulaen", host_school_id=None,
        actor=admin, now=NOW))
    assert str(refused) == CANCELLED
    assert subjects(world.supervisor) == [f"Samling: {NETWORK}", f"Avlyst: samling i {NETWORK}"]
    assert sequence_of(g) == 1


def test_calling_off_what_another_request_has_just_called_off_sends_nothing_more(app, world):
    refused, g = _after_a_cancellation_elsewhere(app, world, lambda mine, admin: ops.cancel_gathering(
        mine, actor=admin, now=NOW))
    assert refused is None
    assert subjects(world.supervisor) == [f"Samling: {NETWORK}", f"Avlyst: samling i {NETWORK}"]
    assert sequence_of(g) == 1
