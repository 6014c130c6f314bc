"""Booking mails through the outbox: who is told what at each step, with invitations and cancellations."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from types import SimpleNamespace

import icalendar
import pytest
import sqlalchemy as sa

from lighthouse.bookings import operations as ops
from lms.db import db
from lms.i18n import OSLO
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from lms.people.models import Role

START = datetime.combine(date(2026, 9, 8), time(12), tzinfo=OSLO).astimezone(timezone.utc)
LATER = datetime.combine(date(2026, 9, 15), time(13, 30), tzinfo=OSLO).astimezone(timezone.utc)


@pytest.fixture
def world(make_profile, make_bookable, make_window, make_user, make_school):
    profile = make_profile("Frida Fyrtårn")
    offering = make_bookable(profile, title="Veiledning i brøk")
    make_window(profile)
    school = make_school("Bekkestua skole")
    leader = make_user("Line Leder", roles=(Role.LEADER,), school=school)
    teacher = make_user("Tor Lærer", school=school)
    return SimpleNamespace(profile=profile, offering=offering, school=school, leader=leader, teacher=teacher,
                           lighthouse=profile.user)


def mails_to(user):
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == user.email)
                              .order_by(OutboxMessage.id))
    return [render(m) for m in rows]


def ics(mail):
    (attachment,) = mail.attachments
    calendar = icalendar.Calendar.from_ical(attachment.data)
    (event,) = calendar.walk("VEVENT")
    return attachment, calendar, event


def request(world, now, **kw):
    return ops.request_booking(world.offering.id, world.school.id, actor=world.leader, starts_at=START,
                               participants_count=4, now=now, note="Vi vil jobbe med brøk.", **kw)


def test_a_request_is_mailed_to_the_fyrtarn(world, now):
    request(world, now)
    (mail,) = mails_to(world.lighthouse)
    assert mail.subject == "Ny bestilling: Veiledning i brøk fra Bekkestua skole"
    assert "tirsdag 8. september 2026 kl. 12:00" in mail.text and "Vi vil jobbe med brøk." in mail.text
    assert mail.attachments == ()
    assert mails_to(world.leader) == []


def test_confirmation_invites_the_leader_and_named_participants(world, now):
    booking = request(world, now, participant_ids=[world.teacher.id])
    ops.confirm_booking(booking, actor=world.lighthouse, now=now, location="Personalrommet")
    (leader_mail,) = mails_to(world.leader)
    (teacher_mail,) = mails_to(world.teacher)
    assert leader_mail.subject.startswith("Bekreftet: Veiledning i brøk")
    assert "Fyrtårn Frida Fyrtårn har bekreftet" in leader_mail.text and "Personalrommet" in leader_mail.text
    assert teacher_mail.subject.startswith("Du er med: Veiledning i brøk")
    # The booking's page is the leader's and the fyrtårn's, so only their mails link to it.
    assert "/bestillinger/" in leader_mail.text and "/bestillinger/" not in teacher_mail.text
    for mail, audience in ((leader_mail, f"school-{world.school.id}"), (teacher_mail, f"person-{world.teacher.id}")):
        attachment, calendar, event = ics(mail)
        assert "method=REQUEST" in attachment.content_type and str(calendar["METHOD"]) == "REQUEST"
        assert f"kp-booking-{booking.id}-{audience}@" in str(event["UID"])
        assert event.decoded("DTSTART").astimezone(OSLO).hour == 12 and str(event["STATUS"]) == "CONFIRMED"
    assert len(mails_to(world.lighthouse)) == 1  # only the request


def test_decline_tells_the_leader_the_reason(world, now):
    booking = request(world, now)
    ops.decline_booking(booking, actor=world.lighthouse, now=now, reason="Jeg er på kurs den uken.")
    (mail,) = mails_to(world.leader)
    assert mail.subject == "Avslått: Veiledning i brøk"
    assert "Begrunnelse: Jeg er på kurs den uken." in mail.text and mail.attachments == ()


def test_a_proposal_tells_the_leader_the_new_time_and_the_answer_goes_back(world, now):
    booking = request(world, now)
    ops.propose_time(booking, actor=world.lighthouse, now=now, starts_at=LATER, answer="Passer bedre.")
    (mail,) = mails_to(world.leader)
    assert mail.subject == "Nytt tidspunkt foreslått: Veiledning i brøk"
    assert "tirsdag 15. september 2026 kl. 13:30" in mail.text and "tirsdag 8. september 2026 kl. 12:00" in mail.text
    assert "Melding fra fyrtårnet: Passer bedre." in mail.text
    ops.accept_proposal(booking, actor=world.leader, now=now)
    confirmed = mails_to(world.lighthouse)[-1]
    assert "har godtatt tidspunktet du foreslo" in confirmed.text
    _attachment, _calendar, event = ics(confirmed)
    assert f"person-{world.lighthouse.id}" in str(event["UID"])


def test_a_rejected_proposal_is_mailed_to_the_fyrtarn(world, now):
    booking = request(world, now)
    ops.propose_time(booking, actor=world.lighthouse, now=now, starts_at=LATER)
    ops.reject_proposal(booking, actor=world.leader, now=now, reason="Planleggingsdag")
    mail = mails_to(world.lighthouse)[-1]
    assert mail.subject == "Forslaget ble avvist: Veiledning i brøk" and "Planleggingsdag" in mail.text


def test_cancellation_by_the_school_withdraws_the_dates_with_a_higher_sequence(world, now):
    booking = request(world, now, participant_ids=[world.teacher.id])
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    (invite,) = mails_to(world.teacher)  # sent before the cancellation
    ops.cancel_booking(booking, actor=world.leader, now=now, reason="Sykdom i personalet")
    fyrtarn_mail = mails_to(world.lighthouse)[-1]
    unsent_invite, cancel = mails_to(world.teacher)
    assert unsent_invite.attachments == ()  # still unsent when cancelled: it no longer invites
    assert fyrtarn_mail.subject.startswith("Avlyst: Veiledning i brøk")
    assert "Bekkestua skole har avlyst" in fyrtarn_mail.text and "Sykdom i personalet" in fyrtarn_mail.text
    _a, _c, invited = ics(invite)
    attachment, calendar, cancelled = ics(cancel)
    assert "method=CANCEL" in attachment.content_type and str(calendar["METHOD"]) == "CANCEL"
    assert str(cancelled["UID"]) == str(invited["UID"]) and str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > int(invited["SEQUENCE"])
    assert len(mails_to(world.leader)) == 1  # the school did it and is not told again


def test_cancellation_by_the_fyrtarn_is_mailed_to_the_leader(world, now):
    booking = request(world, now)
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    ops.cancel_booking(booking, actor=world.lighthouse, now=now, reason="Syk")
    mail = mails_to(world.leader)[-1]
    assert "Fyrtårn Frida Fyrtårn har avlyst" in mail.text and "Begrunnelse: Syk" in mail.text
    _a, calendar, _e = ics(mail)
    assert str(calendar["METHOD"]) == "CANCEL"


def test_people_named_after_confirmation_get_the_invitation_and_those_taken_off_a_cancellation(world, make_user,
                                                                                                    now):
    booking = request(world, now, participant_ids=[world.teacher.id])
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    (first,) = mails_to(world.teacher)
    colleague = make_user("Kari Kollega", school=world.school)
    ops.name_participants(booking, [colleague.id], actor=world.leader, now=now)
    (invite,) = mails_to(colleague)
    assert str(ics(invite)[1]["METHOD"]) == "REQUEST"
    _first, removed = mails_to(world.teacher)
    assert "ikke lenger med" in removed.text
    assert int(ics(removed)[2]["SEQUENCE"]) > int(ics(first)[2]["SEQUENCE"])


def test_mail_is_written_in_the_recipients_language(world, now):
    world.lighthouse.locale = "en"
    request(world, now)
    message = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == world.lighthouse.email)).one()
    assert message.locale == "en" and message.kind == "lighthouse.booking"
    assert render(message).subject  # rendered under the English locale without error


@pytest.mark.parametrize("step", ["school cancels", "school accepts the proposal"])
def test_the_organiser_of_a_mailed_invitation_is_never_its_recipient(world, now, step):
    """Issue 15, finding 6: clients ignore a CANCEL or REQUEST for a meeting "you" organise."""
    booking = request(world, now)
    if step == "school cancels":
        ops.confirm_booking(booking, actor=world.lighthouse, now=now, location="Personalrommet")
        ops.cancel_booking(booking, actor=world.leader, now=now, reason="Syk")
        method = "CANCEL"
    else:
        ops.propose_time(booking, actor=world.lighthouse, now=now, starts_at=LATER)
        ops.accept_proposal(booking, actor=world.leader, now=now)
        method = "REQUEST"
    mail = mails_to(world.lighthouse)[-1]
    _attachment, calendar, event = ics(mail)
    assert str(calendar["METHOD"]) == method
    assert str(event["ATTENDEE"]).lower() == f"mailto:{world.lighthouse.email}".lower()
    assert str(event["ORGANIZER"]).lower() != str(event["ATTENDEE"]).lower()
    assert str(event["ORGANIZER"]).startswith("mailto:noreply@")
    assert event["ORGANIZER"].params["CN"] == "Kompetanseportalen"
    # To the school, the fyrtårn stays the organiser: they own the meeting.
    leader_calendars = [ics(m) for m in mails_to(world.leader) if m.attachments]
    for _a, _c, leader_event in leader_calendars:
        assert str(leader_event["ORGANIZER"]).lower() == f"mailto:{world.lighthouse.email}".lower()


def test_a_bookings_sequence_is_the_same_in_its_mails_and_feeds_and_only_rises(world, now):
    """Issue 15, finding 7, for bookings: every mail says what the recipient's feed says."""
    from lighthouse.bookings import calendar

    booking = request(world, now, participant_ids=[world.teacher.id])
    ops.confirm_booking(booking, actor=world.lighthouse, now=now, location="Personalrommet")
    confirmed = {"lighthouse": calendar.person_events(world.lighthouse.id, now)[0].sequence,
                 "teacher": calendar.person_events(world.teacher.id, now)[0].sequence,
                 "school": calendar.school_events(world.school.id, now)[0].sequence}
    ops.cancel_booking(booking, actor=world.leader, now=now, reason="Syk")
    feeds = {"lighthouse": calendar.person_events(world.lighthouse.id, now)[0].sequence,
             "teacher": calendar.person_events(world.teacher.id, now)[0].sequence,
             "school": calendar.school_events(world.school.id, now)[0].sequence}
    for who, user in (("lighthouse", world.lighthouse), ("teacher", world.teacher)):
        _a, cal, event = ics(mails_to(user)[-1])
        assert str(cal["METHOD"]) == "CANCEL"
        assert int(event["SEQUENCE"]) == feeds[who] > confirmed[who], who
    assert feeds["school"] > confirmed["school"]
