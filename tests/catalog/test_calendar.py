"""The catalogue's dates in calendars: personal and school feeds, public feeds, mails with .ics, reminders."""
from datetime import datetime, timedelta, timezone

import icalendar
import pytest
import sqlalchemy as sa

from catalog import calendar
from catalog.enrollment import operations as ops
from catalog.offerings import operations as offering_ops
from catalog.offerings import search
from catalog.offerings.models import OfferingKind
from lms.db import db, set_clock
from lms.i18n import OSLO
from lms.mail.models import OutboxMessage
from lms.mail.operations import render, send_pending
from lms.people.models import Role
from lms.settings import operations as settings
from tests.events.conftest import libical_reader as libical_reader  # the fixtures, for this module's tests
from tests.events.conftest import read_with_libical as read_with_libical


def _mails_to(user):
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == user.email)
                              .order_by(OutboxMessage.id))
    return [render(m) for m in rows]


def _vevents(attachment):
    cal = icalendar.Calendar.from_ical(attachment.data)
    return cal, [c for c in cal.walk("VEVENT")]


def _merged(mails):
    """Return (methods, events) of several per-session mails, each of which must carry exactly one event."""
    methods, events = set(), []
    for mail in mails:
        (attachment,) = mail.attachments
        cal, (event,) = _vevents(attachment)
        methods.add(str(cal["METHOD"]))
        events.append(event)
    return methods, events


def test_person_feed_has_the_seat_then_cancels_it_for_30_days(make_offering, make_user, now, app):
    offering = make_offering(sessions=2)
    kari = make_user()
    enrollment = ops.enroll(offering.id, kari, actor=kari, now=now)
    with app.test_request_context():
        events = calendar.person_events(kari.id, now)
        assert [e.cancelled for e in events] == [False, False]
        uid, sequence = events[0].uid, events[0].sequence
        assert f"person-{kari.id}" in uid
        ops.cancel_enrollment(enrollment, actor=kari, now=now + timedelta(hours=1))
        cancelled = calendar.person_events(kari.id, now + timedelta(hours=2))
        assert [e.cancelled for e in cancelled] == [True, True]
        assert cancelled[0].uid == uid and cancelled[0].sequence > sequence
        assert calendar.person_events(kari.id, now + timedelta(days=29)) != []
        assert calendar.person_events(kari.id, now + timedelta(days=32)) == []
        # Enrolling again brings the same event back, with a higher sequence still.
        ops.enroll(offering.id, kari, actor=kari, now=now + timedelta(days=2))
        again = calendar.person_events(kari.id, now + timedelta(days=2))
        assert not again[0].cancelled and again[0].uid == uid and again[0].sequence > cancelled[0].sequence


def test_waitlisted_person_has_nothing_in_the_calendar_until_given_the_seat(make_offering, make_user, now, app):
    offering = make_offering(capacity=1)
    first, second = make_user(), make_user()
    seat = ops.enroll(offering.id, first, actor=first, now=now)
    waiting = ops.enroll(offering.id, second, actor=second, now=now)
    with app.test_request_context():
        assert calendar.person_events(second.id, now) == []
        ops.cancel_enrollment(seat, actor=first, now=now)
        assert calendar.person_events(second.id, now) == []  # offered, not yet accepted
        ops.accept_offer(waiting, actor=second, now=now)
        assert [e.cancelled for e in calendar.person_events(second.id, now)] == [False]


def test_moved_session_raises_sequence_and_mails_the_participants(make_offering, make_user, admin, now, app):
    offering = make_offering()
    kari = make_user(locale="en")
    ops.enroll(offering.id, kari, actor=kari, now=now)
    session = offering.sessions[0]
    with app.test_request_context():
        before = calendar.person_events(kari.id, now)[0]
        start = session.starts_at + timedelta(days=1)
        offering_ops.update_session(offering, session, actor=admin, now=now + timedelta(minutes=5), starts_at=start,
                                    ends_at=start + timedelta(hours=2), location="Biblioteket")
        after = calendar.person_events(kari.id, now + timedelta(minutes=6))[0]
        assert after.sequence == before.sequence + 1 and after.location == "Biblioteket"
        changed = _mails_to(kari)[-1]
    assert changed.subject == f"Changed: {offering.title}"
    cal, (event,) = _vevents(changed.attachments[0])
    assert cal["METHOD"] == "REQUEST"
    assert event["UID"] == after.uid and int(event["SEQUENCE"]) == after.sequence
    assert event.decoded("DTSTART").astimezone(OSLO) == start.astimezone(OSLO)


def test_enrollment_mail_carries_an_invitation_and_cancellation_a_cancel(make_offering, make_user, now, app):
    """Issue 15, finding 5: one invitation object per session (one UID each), one mail each."""
    offering = make_offering(sessions=3)
    kari = make_user()
    enrollment = ops.enroll(offering.id, kari, actor=kari, now=now)
    ops.cancel_enrollment(enrollment, actor=kari, now=now + timedelta(hours=1))
    with app.test_request_context():
        mails = _mails_to(kari)
        feed = calendar.person_events(kari.id, now + timedelta(hours=1))
    assert len(mails) == 6
    confirmations, cancellations = mails[:3], mails[3:]
    assert [m.subject for m in confirmations] == [f"Påmeldt: {offering.title} (økt {n} av 3)" for n in (1, 2, 3)]
    assert all("Hei" in m.text and "Hver økt kommer i sin egen e-post" in m.text for m in confirmations)
    invite_methods, invited = _merged(confirmations)
    cancel_methods, withdrawn = _merged(cancellations)
    assert invite_methods == {"REQUEST"} and cancel_methods == {"CANCEL"}
    assert all("method=CANCEL" in m.attachments[0].content_type for m in cancellations)
    assert [e["UID"] for e in invited] == [e["UID"] for e in withdrawn] == [e.uid for e in feed]
    assert len({str(e["UID"]) for e in invited}) == 3
    assert all(int(c["SEQUENCE"]) > int(i["SEQUENCE"]) for i, c in zip(invited, withdrawn))
    assert all(str(e["STATUS"]) == "CANCELLED" for e in withdrawn)
    assert kari.email in str(invited[0]["ATTENDEE"])


def test_a_one_session_offering_sends_one_mail_without_a_part_number(make_offering, make_user, now, app):
    offering = make_offering(sessions=1)
    kari = make_user()
    ops.enroll(offering.id, kari, actor=kari, now=now)
    with app.test_request_context():
        (mail,) = _mails_to(kari)
    assert mail.subject == f"Påmeldt: {offering.title}"
    assert "Hver økt" not in mail.text


def test_mail_is_written_in_the_recipients_language(make_offering, make_user, now, app):
    offering = make_offering(capacity=1)
    nb, en = make_user(), make_user(locale="en")
    ops.enroll(offering.id, nb, actor=nb, now=now)
    ops.enroll(offering.id, en, actor=en, now=now)
    with app.test_request_context():
        (waiting,) = _mails_to(en)
    assert "number 1" in waiting.text and "waitlist" in waiting.text and "Hi" in waiting.text
    assert "provisional" in waiting.text


def test_waiting_holds_the_dates_tentatively_until_the_seat_or_the_cancellation(make_offering, make_user, now, app):
    offering = make_offering(capacity=1, sessions=2)
    first, second, third = make_user(), make_user(), make_user()
    seat = ops.enroll(offering.id, first, actor=first, now=now)
    waiting = ops.enroll(offering.id, second, actor=second, now=now)
    leaving = ops.enroll(offering.id, third, actor=third, now=now)
    ops.cancel_enrollment(seat, actor=first, now=now)          # second is offered the seat
    ops.accept_offer(waiting, actor=second, now=now)
    with app.test_request_context():
        feed_then = calendar.person_events(second.id, now)
    ops.cancel_enrollment(leaving, actor=third, now=now)       # third leaves the waitlist
    with app.test_request_context():
        mails = _mails_to(second)
        joined, offered, got = mails[0:2], mails[2:4], mails[4:6]
        feed = calendar.person_events(second.id, now)
        third_mails = _mails_to(third)
        third_joined, third_left = third_mails[0:2], third_mails[2:4]
    assert len(mails) == len(third_mails) + 2 == 6  # one mail per session

    def read(mails):
        methods, events = _merged(mails)
        (method,) = methods
        return method, {str(e["STATUS"]) for e in events}, [int(e["SEQUENCE"]) for e in events], \
            [str(e["UID"]) for e in events]

    assert read(joined)[:2] == ("REQUEST", {"TENTATIVE"})
    assert read(offered)[:2] == ("REQUEST", {"TENTATIVE"})
    assert read(got)[:2] == ("REQUEST", {"CONFIRMED"})
    assert all(g > h for g, h in zip(read(got)[2], read(offered)[2]))
    assert read(got)[3] == read(joined)[3] == [e.uid for e in feed]
    # The invitation says what the feed said when it was sent; the feed only rises after.
    assert read(got)[2] == [e.sequence for e in feed_then]
    assert all(f >= g for f, g in zip([e.sequence for e in feed], read(got)[2]))
    assert read(third_left)[:2] == ("CANCEL", {"CANCELLED"})
    assert all(c > j for c, j in zip(read(third_left)[2], read(third_joined)[2]))
    with app.test_request_context():
        assert calendar.person_events(third.id, now) == []  # never had a seat: nothing in the feed


def test_school_feed_shows_each_session_once_with_who_takes_part(make_offering, make_user, make_school, now, app):
    school = make_school("Eikeli skole")
    offering = make_offering()
    kari = make_user("Kari Lærer", school=school)
    ola = make_user("Ola Lærer", school=school)
    elsewhere = make_user("Per Annen")
    for person in (kari, ola, elsewhere):
        ops.enroll(offering.id, person, actor=person, now=now)
    with app.test_request_context():
        (event,) = calendar.school_events(school.id, now)
        assert "Kari Lærer" in event.description and "Ola Lærer" in event.description
        assert "Per Annen" not in event.description
        for enrollment in db.session.scalars(sa.select(ops.Enrollment).where(
                ops.Enrollment.user_id.in_([kari.id, ola.id]))):
            ops.cancel_enrollment(enrollment, actor=enrollment.user, now=now)
        (gone,) = calendar.school_events(school.id, now)
    assert gone.cancelled and gone.sequence > event.sequence and gone.uid == event.uid


def test_public_feed_filters_and_keeps_a_cancelled_offering_as_cancelled(make_offering, admin, now, app):
    course = make_offering("Kurs i vurdering", kind=OfferingKind.COURSE)
    workshop = make_offering("Verksted", kind=OfferingKind.WORKSHOP)
    with app.test_request_context():
        only_courses = calendar.public_events(search.CatalogFilter(kind=OfferingKind.COURSE), now)
        assert [e.summary for e in only_courses] == ["Kurs i vurdering"]
        offering_ops.cancel_offering(workshop, actor=admin, now=now, reason="")
        (cancelled,) = calendar.public_events(search.CatalogFilter(kind=OfferingKind.WORKSHOP), now)
    assert cancelled.cancelled
    assert course.id != workshop.id


def test_reminders_are_queued_once_per_person_and_session(make_offering, make_user, now, app):
    offering = make_offering(starts_in=timedelta(days=5))
    early, late = make_user(), make_user()
    ops.enroll(offering.id, early, actor=early, now=now)
    assert ops.queue_reminders(now) == 0  # five days away: not yet
    reminder_time = now + timedelta(days=3, hours=12)
    ops.enroll(offering.id, late, actor=late, now=reminder_time)  # inside the window: the confirmation will do
    assert ops.queue_reminders(reminder_time) == 1
    assert ops.queue_reminders(reminder_time + timedelta(hours=1)) == 0
    with app.test_request_context():
        reminder = _mails_to(early)[-1]
        assert _mails_to(late)[-1].subject.startswith("Påmeldt:")
    assert reminder.subject.startswith("Påminnelse:")
    assert reminder.attachments and b"METHOD:REQUEST" in reminder.attachments[0].data


def _reminders_to(user) -> list:
    return [m for m in _mails_to(user) if m.subject.startswith("Påminnelse:")]


@pytest.mark.parametrize("days,before_start,confirmed_before,reminded", [
    (2, timedelta(days=2, seconds=1), timedelta(days=30), False),
    (2, timedelta(days=2), timedelta(days=30), True),
    (2, timedelta(days=2), timedelta(days=2), True),
    (2, timedelta(seconds=0), timedelta(days=30), False),
    (1, timedelta(days=1), timedelta(days=30), True),
], ids=["a-second-before-the-window", "as-the-window-opens", "seated-as-the-window-opens", "as-the-session-starts",
        "one-day-setting"])
def test_a_reminder_goes_out_from_the_reminder_days_before_the_session_until_it_starts(
        make_offering, make_user, now, app, days, before_start, confirmed_before, reminded):
    settings.set_value(ops.REMINDER_DAYS.key, str(days))
    offering = make_offering("Kurs i vurdering", starts_in=timedelta(days=30))
    starts = offering.live_sessions[0].starts_at
    kari = make_user("Kari Påminnes")
    ops.enroll(offering.id, kari, actor=kari, now=starts - confirmed_before)
    assert ops.queue_reminders(starts - before_start) == int(reminded)
    with app.test_request_context():
        assert [m.subject.startswith("Påminnelse: Kurs i vurdering") for m in _reminders_to(kari)] == (
            [True] if reminded else [])


def reminders_sent_after_one() -> dict[str, bool]:
    """Let the worker send one mail, then tell per recipient whether their reminder went."""
    assert send_pending(limit=1).sent == 1
    db.session.expire_all()
    return {m.recipient: m.sent_at is not None for m in db.session.scalars(sa.select(OutboxMessage))
            if render(m).subject.startswith("Påminnelse:")}


def test_the_session_starting_first_is_reminded_first_when_a_sending_run_stops_short(make_offering, make_user,
                                                                                      now, app, monkeypatch):
    """The mail worker sends the oldest mail first, a batch at a time: the reminders are queued soonest session
    first, whoever signed up first."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "")  # the worker prints the mail instead of sending it
    settings.set_value(ops.REMINDER_DAYS.key, "7")
    later = make_offering("Kurs om fem uker", starts_in=timedelta(days=34))
    sooner = make_offering("Kurs om fire uker", starts_in=timedelta(days=30))
    kari, ola = make_user("Kari Senere"), make_user("Ola Snart")
    ops.enroll(later.id, kari, actor=kari, now=now)  # signed up first, for the later course
    ops.enroll(sooner.id, ola, actor=ola, now=now)
    db.session.commit()
    assert send_pending().sent == 2  # the confirmations
    assert ops.queue_reminders(now + timedelta(days=28)) == 2
    db.session.commit()
    sent = reminders_sent_after_one()
    assert sent == {ola.email: True, kari.email: False}


def test_of_those_at_one_session_the_first_to_sign_up_is_reminded_first_whoever_came_last_time(
        make_offering, make_user, admin, now, app, monkeypatch):
    """Reminders for one session are queued in the order people signed up, whether or not they came to the
    session before (the attendance changes their state, which the database may sort them by)."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "")  # the worker prints the mail instead of sending it
    settings.set_value(ops.REMINDER_DAYS.key, "7")
    offering = make_offering("Nettverk i vurdering", sessions=2, starts_in=timedelta(days=30))
    first, second = offering.live_sessions
    kari, ola = make_user("Kari Først"), make_user("Ola Etter")
    ops.enroll(offering.id, kari, actor=kari, now=now)
    came = ops.enroll(offering.id, ola, actor=ola, now=now)
    ops.record_attendance(first, offering, {came.id}, actor=admin, now=first.starts_at)
    db.session.commit()
    send_pending()  # the confirmations
    assert ops.queue_reminders(second.starts_at - timedelta(days=6)) == 2
    db.session.commit()
    sent = reminders_sent_after_one()
    assert sent == {kari.email: True, ola.email: False}


def test_a_cancelled_session_is_not_reminded_and_the_next_one_is(make_offering, make_user, admin, now, app):
    offering = make_offering("Kurs i vurdering", sessions=2, starts_in=timedelta(days=30))
    first, second = offering.live_sessions
    kari = make_user("Kari Påminnes")
    ops.enroll(offering.id, kari, actor=kari, now=now)
    offering_ops.cancel_session(offering, first, actor=admin, now=now, reason="Sykdom")
    assert ops.queue_reminders(first.starts_at - timedelta(days=1)) == 0
    assert ops.queue_reminders(second.starts_at - timedelta(days=1)) == 1
    with app.test_request_context():
        assert len(_reminders_to(kari)) == 1


@pytest.mark.parametrize("days,told", [("0", "0 påminnelser lagt i utboksen."),
                                       ("2", "2 påminnelser lagt i utboksen.")], ids=["reminders-off", "two-reminded"])
def test_the_reminder_command_tells_how_many_it_queued_and_none_when_reminders_are_off(
        make_offering, make_user, now, app, days, told):
    settings.set_value(ops.REMINDER_DAYS.key, days)
    offering = make_offering("Kurs i vurdering", starts_in=timedelta(days=30))
    people = [make_user(), make_user()]
    for person in people:
        ops.enroll(offering.id, person, actor=person, now=now)
    db.session.commit()
    set_clock(offering.live_sessions[0].starts_at - timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["catalog", "remind"])
    assert result.exit_code == 0 and result.output.strip() == told
    with app.test_request_context():
        assert [len(_reminders_to(p)) for p in people] == ([0, 0] if days == "0" else [1, 1])


def test_leader_sees_the_school_feed_for_their_staff_only(make_user, make_school, make_offering, now, app):
    school = make_school()
    leader = make_user(roles=(Role.LEADER,), school=school)
    offering = make_offering()
    ops.enroll(offering.id, leader, actor=leader, now=now)
    with app.test_request_context():
        assert len(calendar.school_events(school.id, now)) == 1
        assert calendar.school_events(make_school().id, now) == []


def _oslo(day, hour):
    from datetime import datetime
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=OSLO)


def test_personal_feed_over_http_follows_the_seat(make_offering, make_user, admin, now, app):
    from datetime import date

    from events import operations as events_ops
    from events.models import FeedScope

    offering = make_offering("Lesing i alle fag", sessions=0, publish=False)
    for day in (date(2026, 10, 27), date(2027, 4, 6)):  # after the October change, after the March one
        offering_ops.add_session(offering, actor=admin, now=now, starts_at=_oslo(day, 14),
                                 ends_at=_oslo(day, 16), location="Rådhuset")
    offering_ops.publish(offering, actor=admin, now=now)
    kari = make_user()
    enrollment = ops.enroll(offering.id, kari, actor=kari, now=now)
    token = events_ops.issue_feed_token(FeedScope.PERSON, kari.id, actor=kari, now=now)
    db.session.commit()
    client = app.test_client()
    response = client.get(f"/kalender/{token}.ics")
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("private")
    events = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    assert [(e.decoded("DTSTART").astimezone(OSLO).hour, str(e["STATUS"])) for e in events] == [
        (14, "CONFIRMED"), (14, "CONFIRMED")]
    assert [e.decoded("DTSTART").utcoffset().total_seconds() / 3600 for e in events] == [1, 2]
    assert client.get(f"/kalender/{token}.ics", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304

    ops.cancel_enrollment(enrollment, actor=kari, now=now)
    db.session.commit()
    changed = client.get(f"/kalender/{token}.ics", headers={"If-None-Match": response.headers["ETag"]})
    assert changed.status_code == 200
    cancelled = icalendar.Calendar.from_ical(changed.data).walk("VEVENT")
    assert [str(e["STATUS"]) for e in cancelled] == ["CANCELLED", "CANCELLED"]
    assert [e["UID"] for e in cancelled] == [e["UID"] for e in events]
    assert all(int(c["SEQUENCE"]) > int(e["SEQUENCE"]) for e, c in zip(events, cancelled))


def test_offering_page_offers_each_session_and_a_subscription(make_offering, client):
    offering = make_offering(sessions=2)
    page = client.get(f"/kurs/{offering.id}").get_data(as_text=True)
    for session in offering.sessions:
        assert f"/kurs/{offering.id}/okter/{session.id}.ics" in page
    assert f"webcal://localhost/kurs/{offering.id}/kalender.ics" in page
    single = client.get(f"/kurs/{offering.id}/okter/{offering.sessions[1].id}.ics")
    assert single.headers["Content-Type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(single.data).walk("VEVENT")
    assert event.decoded("DTSTART") == offering.sessions[1].starts_at
    whole = client.get(f"/kurs/{offering.id}/kalender.ics")
    assert len(icalendar.Calendar.from_ical(whole.data).walk("VEVENT")) == 2


def test_catalogue_feed_keeps_the_filters_of_the_page(make_offering, client):
    make_offering("Kurs i vurdering", kind=OfferingKind.COURSE)
    make_offering("Verksted i koding", kind=OfferingKind.WORKSHOP)
    page = client.get("/kurs?type=workshop&uke=2026-W40").get_data(as_text=True)
    assert "webcal://localhost/kurs/kalender.ics?type=workshop" in page and "uke=" not in page.split("webcal://")[1][:80]
    feed = client.get("/kurs/kalender.ics?type=workshop")
    assert [str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(feed.data).walk("VEVENT")] == ["Verksted i koding"]
    assert client.get("/kurs/kalender.ics?type=workshop", headers={"If-None-Match": feed.headers["ETag"]}).status_code == 304


def test_a_session_file_downloaded_before_enrolling_is_the_event_the_invitation_updates(
        make_offering, make_user, login, client, now, app):
    """Issue 15, finding 8: the download, the invitation and the personal feed are one event."""
    from events import operations as events_ops
    from events.models import FeedScope

    offering = make_offering()
    kari = make_user()
    token = events_ops.issue_feed_token(FeedScope.PERSON, kari.id, actor=kari, now=now)
    db.session.commit()
    path = f"/kurs/{offering.id}/okter/{offering.sessions[0].id}.ics"
    anonymous = icalendar.Calendar.from_ical(client.get(path).data).walk("VEVENT")[0]
    signed_in = login(kari)
    before = icalendar.Calendar.from_ical(signed_in.get(path).data).walk("VEVENT")[0]
    ops.enroll(offering.id, kari, actor=kari, now=now)
    db.session.commit()
    after = icalendar.Calendar.from_ical(signed_in.get(path).data).walk("VEVENT")[0]
    with app.test_request_context():
        (invitation,) = _mails_to(kari)
    _cal, (invited,) = _vevents(invitation.attachments[0])
    (fed,) = icalendar.Calendar.from_ical(client.get(f"/kalender/{token}.ics").data).walk("VEVENT")
    assert "public" in str(anonymous["UID"])
    assert str(before["UID"]) == str(after["UID"]) == str(invited["UID"]) == str(fed["UID"])
    assert f"person-{kari.id}" in str(before["UID"])
    # Enrolling raised SEQUENCE, so the invitation updates the event downloaded before.
    assert int(invited["SEQUENCE"]) > int(before["SEQUENCE"])
    assert int(after["SEQUENCE"]) == int(invited["SEQUENCE"]) == int(fed["SEQUENCE"])


def test_every_kind_of_feed_reads_the_same_in_four_parsers(make_offering, make_user, make_school, admin, now, app,
                                                          request):
    """Person, school, catalogue and offering feeds, a single .ics and the invitations: 14:00 Oslo either side
    of both changes, and both occurrences of the October hour that happens twice, in icalendar, vobject,
    ical.js (Thunderbird) and libical (Evolution)."""
    from datetime import date

    import vobject

    from events import operations as events_ops
    from events.models import FeedScope
    from tests.events.conftest import read_with_icaljs

    read_with_libical = request.getfixturevalue("read_with_libical")
    utc = timezone.utc
    days = [(date(2026, 10, 24), 2), (date(2026, 10, 26), 1), (date(2027, 3, 27), 1), (date(2027, 3, 29), 2)]
    # 02:30 on 25 October 2026, first in summer time (00:30 UTC), then again in winter time (01:30 UTC).
    repeated = [datetime(2026, 10, 25, 0, 30, tzinfo=utc), datetime(2026, 10, 25, 1, 30, tzinfo=utc)]
    offering = make_offering("Vurdering gjennom året", sessions=0, publish=False, kind=OfferingKind.WORKSHOP)
    for day, _offset in days:
        offering_ops.add_session(offering, actor=admin, now=now, starts_at=_oslo(day, 14), ends_at=_oslo(day, 16))
    for start in repeated:
        offering_ops.add_session(offering, actor=admin, now=now, starts_at=start, ends_at=start + timedelta(minutes=45))
    offering_ops.publish(offering, actor=admin, now=now)
    school = make_school()
    kari = make_user(school=school)
    ops.enroll(offering.id, kari, actor=kari, now=now)
    leader = make_user(roles=(Role.LEADER,), school=school)
    person_token = events_ops.issue_feed_token(FeedScope.PERSON, kari.id, actor=kari, now=now)
    school_token = events_ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=leader, now=now)
    db.session.commit()
    starts = sorted([_oslo(day, 14).astimezone(utc) for day, _offset in days] + repeated)
    client = app.test_client()
    feeds = {
        "person": f"/kalender/{person_token}.ics",
        "school": f"/kalender/{school_token}.ics",
        "catalogue": "/kurs/kalender.ics?type=workshop",
        "offering": f"/kurs/{offering.id}/kalender.ics",
    }
    expected = [(day.year, day.month, day.day, 14, 0, offset) for day, offset in days]

    def afternoons(times):
        return [(t.year, t.month, t.day, t.hour, t.minute, t.utcoffset().total_seconds() / 3600)
                for t in times if t.hour == 14]

    for kind, path in feeds.items():
        body = client.get(path).data
        ours = [e.decoded("DTSTART") for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]
        assert afternoons(ours) == expected, kind
        assert [t.astimezone(utc) for t in ours] == starts, kind
        theirs = [e.dtstart.value for e in vobject.readOne(body.decode()).vevent_list]
        assert afternoons(theirs) == expected, kind
        assert [t.astimezone(utc) for t in theirs] == starts, kind
        read = read_with_icaljs(body)
        assert read["method"] == "PUBLISH", kind
        assert [(*e["start"]["local"], e["start"]["utcOffsetSeconds"] / 3600) for e in read["events"]
                if e["start"]["local"][3] == 14] == expected
        assert [datetime.fromtimestamp(e["start"]["unix"], utc) for e in read["events"]] == starts, kind
        by_libical = read_with_libical(body)
        assert by_libical["method"] == "PUBLISH", kind
        assert [e["start"] for e in by_libical["events"]] == starts, kind
    single = client.get(f"/kurs/{offering.id}/okter/{offering.sessions[1].id}.ics").data
    (event,) = vobject.readOne(single.decode()).vevent_list
    assert event.dtstart.value.astimezone(utc) == starts[1]
    assert [e["start"] for e in read_with_libical(single)["events"]] == [starts[1]]
    with app.test_request_context():
        invitations = _mails_to(kari)
    assert len(invitations) == len(starts)
    for mail, start in zip(invitations, starts):
        read = read_with_libical(mail.attachments[0].data)
        assert read["method"] == "REQUEST"
        assert [e["start"] for e in read["events"]] == [start]
        assert [datetime.fromtimestamp(e["start"]["unix"], utc) for e in read_with_icaljs(
            mail.attachments[0].data)["events"]] == [start]


def test_feed_read_in_one_statement_still_refuses_wrong_and_revoked_links(make_offering, make_user, now, app):
    from events import operations as events_ops
    from events.models import FeedScope

    offering = make_offering()
    kari = make_user()
    ops.enroll(offering.id, kari, actor=kari, now=now)
    old = events_ops.issue_feed_token(FeedScope.PERSON, kari.id, actor=kari, now=now)
    new = events_ops.issue_feed_token(FeedScope.PERSON, kari.id, actor=kari, now=now)
    db.session.commit()
    client = app.test_client()
    assert client.get(f"/kalender/{old}.ics").status_code == 404
    assert client.get(f"/kalender/{new[:-1]}x.ics").status_code == 404
    assert client.get(f"/kalender/{'a' * 300}.ics").status_code == 404
    (event,) = icalendar.Calendar.from_ical(client.get(f"/kalender/{new}.ics").data).walk("VEVENT")
    assert f"person-{kari.id}" in str(event["UID"])


def test_one_sequence_everywhere_that_never_goes_down(make_offering, make_user, make_school, now, app):
    """Issue 15, finding 7: the same SEQUENCE in mail, personal, school and public feed; staff leaving lowers none."""
    from lms.people.models import Membership

    school = make_school()
    offering = make_offering(sessions=2)
    kari, ola = make_user(school=school), make_user(school=school)
    ops.enroll(offering.id, ola, actor=ola, now=now)
    kari_seat = ops.enroll(offering.id, kari, actor=kari, now=now)

    def sequences():
        with app.test_request_context():
            return {"kari": [e.sequence for e in calendar.person_events(kari.id, now)],
                    "school": [e.sequence for e in calendar.school_events(school.id, now)],
                    "public": [e.sequence for e in calendar.offering_events(offering.id, now)]}

    first = sequences()
    assert first["kari"] == first["school"] == first["public"]
    with app.test_request_context():
        invitations = _mails_to(kari)
    assert [int(e["SEQUENCE"]) for e in _merged(invitations)[1]] == first["kari"]

    db.session.execute(sa.delete(Membership).where(Membership.user_id == ola.id))  # ola leaves the school
    db.session.flush()
    left = sequences()
    assert all(after >= before for after, before in zip(left["school"], first["school"]))

    ops.cancel_enrollment(kari_seat, actor=kari, now=now)
    cancelled = sequences()
    with app.test_request_context():
        cancels = _mails_to(kari)[2:]
    sent = [int(e["SEQUENCE"]) for e in _merged(cancels)[1]]
    assert sent == cancelled["kari"] == cancelled["school"] == cancelled["public"]
    assert all(c > f for c, f in zip(sent, first["kari"]))


def test_dtstamp_is_when_a_mail_or_download_is_written_and_a_feeds_change_time(
        make_offering, make_user, login, client, now, app):
    """Issue 15, finding 9 (RFC 5545 3.8.7.2): DTSTAMP is when the object was made, not when the event changed."""
    from events import operations as events_ops
    from events.models import FeedScope
    from lms.db import set_clock

    offering = make_offering()
    kari = make_user()
    ops.enroll(offering.id, kari, actor=kari, now=now)
    token = events_ops.issue_feed_token(FeedScope.PERSON, kari.id, actor=kari, now=now)
    db.session.commit()
    later = now + timedelta(hours=3)
    set_clock(later)  # the worker writes the mail, and the person downloads the file, three hours on
    with app.test_request_context():
        (invitation,) = _mails_to(kari)
    _cal, (invited,) = _vevents(invitation.attachments[0])
    downloaded = icalendar.Calendar.from_ical(
        login(kari).get(f"/kurs/{offering.id}/okter/{offering.sessions[0].id}.ics").data).walk("VEVENT")[0]
    (fed,) = icalendar.Calendar.from_ical(client.get(f"/kalender/{token}.ics").data).walk("VEVENT")
    for event in (invited, downloaded):
        assert event.decoded("DTSTAMP") == later
        assert event.decoded("LAST-MODIFIED") <= now
    assert fed.decoded("DTSTAMP") == fed.decoded("LAST-MODIFIED") <= now


def test_cancelling_an_offering_mails_each_participant_the_sequence_their_feed_then_shows(
        make_offering, make_user, admin, now, app):
    """SEQUENCE is raised in SQL for each cancelled seat, while the sessions stay loaded through the loop:
    every cancellation says what the feed said when it was queued, and the last one what it says now."""
    offering = make_offering(sessions=2)
    people = [make_user() for _ in range(3)]
    for person in people:
        ops.enroll(offering.id, person, actor=person, now=now)
    db.session.commit()
    offering_ops.cancel_offering(db.session.get(type(offering), offering.id), actor=admin, now=now, reason="Sykdom")
    with app.test_request_context():
        fed = [e.sequence for e in calendar.person_events(people[-1].id, now)]
        cancelled = [[int(e["SEQUENCE"]) for e in _merged(_mails_to(person)[2:])[1]] for person in people]
    assert cancelled[-1] == fed
    assert all(later > earlier for first, then in zip(cancelled, cancelled[1:]) for earlier, later in zip(first, then))


def test_joining_the_waitlist_and_leaving_it_each_update_the_event_the_person_already_has(
        make_offering, make_user, login, now, app):
    """A download before signing up, the held dates, their withdrawal: one event, each a higher SEQUENCE."""
    offering = make_offering(capacity=1)
    first, kari = make_user(), make_user()
    ops.enroll(offering.id, first, actor=first, now=now)
    db.session.commit()
    before = icalendar.Calendar.from_ical(
        login(kari).get(f"/kurs/{offering.id}/okter/{offering.sessions[0].id}.ics").data).walk("VEVENT")[0]
    waiting = ops.enroll(offering.id, kari, actor=kari, now=now)
    ops.cancel_enrollment(waiting, actor=kari, now=now)
    with app.test_request_context():
        held, withdrawn = _mails_to(kari)
    _cal, (hold,) = _vevents(held.attachments[0])
    _cal, (gone,) = _vevents(withdrawn.attachments[0])
    assert str(hold["STATUS"]) == "TENTATIVE" and str(gone["STATUS"]) == "CANCELLED"
    assert str(before["UID"]) == str(hold["UID"]) == str(gone["UID"])
    assert int(before["SEQUENCE"]) < int(hold["SEQUENCE"]) < int(gone["SEQUENCE"])


def test_attendance_and_completion_leave_the_event_in_the_calendars_as_it_was(
        make_offering, make_user, make_school, admin, now, app):
    """Only a change the calendar shows raises SEQUENCE: a calendar app takes a higher one as a new version."""
    school = make_school()
    offering = make_offering(sessions=2)
    kari = make_user(school=school)
    seat = ops.enroll(offering.id, kari, actor=kari, now=now)

    def sequences():
        with app.test_request_context():
            return ([e.sequence for e in calendar.person_events(kari.id, now)],
                    [e.sequence for e in calendar.school_events(school.id, now)])

    enrolled = sequences()
    first = offering.sessions[0]
    ops.record_attendance(first, offering, {seat.id}, actor=admin, now=first.starts_at)
    ops.record_attendance(first, offering, set(), actor=admin, now=first.starts_at)  # corrected: not there
    ops.mark_completed(offering, {seat.id}, actor=admin, now=first.ends_at)
    assert db.session.get(type(seat), seat.id).state.value == "completed"
    assert sequences() == enrolled
