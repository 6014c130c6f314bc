"""The booking rules: free times, requests, the fyrtårn's answers, cancellation and follow-up."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from catalog.offerings import operations as offering_ops
from events.models import Session, SessionStatus
from lighthouse.bookings import operations as ops
from lighthouse.bookings.models import TRANSITIONS, Booking, BookingSide, BookingState, Venue
from lms.audit.models import AuditEntry
from lms.db import db
from lms.i18n import OSLO
from lms.people.models import Role
from lms.settings import operations as settings
from tests.conftest import count_statements


def oslo(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=OSLO).astimezone(timezone.utc)


#: Tuesdays of the test semester (the frozen now is Tuesday 1 September 2026, 10:00 in Oslo).
TUE_8_SEP = date(2026, 9, 8)
TUE_15_SEP = date(2026, 9, 15)


@pytest.fixture
def world(make_profile, make_bookable, make_window, make_user, make_school):
    """A fyrtårn with 90-minute guidance on Tuesdays 12-15 in Oslo, and a school with a leader and staff."""
    profile = make_profile("Frida Fyrtårn")
    offering = make_bookable(profile)
    make_window(profile)
    school = make_school("Bekkestua skole")
    leader = make_user("Line Leder", roles=(Role.LEADER,), school=school)
    teacher = make_user("Tor Lærer", school=school)
    other_school = make_school("Hosle skole")
    stranger = make_user("Sara Fremmed", roles=(Role.LEADER,), school=other_school)
    return SimpleNamespace(profile=profile, offering=offering, school=school, leader=leader, teacher=teacher,
                           lighthouse=profile.user, stranger=stranger, other_school=other_school)


def semester_times(world, now, start=date(2026, 8, 17), end=date(2026, 12, 19)):
    return ops.free_times(world.offering, start=oslo(start, 0), end=oslo(end, 0), now=now)


def request(world, now, starts_at=None, **kw):
    kw.setdefault("participants_count", 5)
    return ops.request_booking(world.offering.id, world.school.id, actor=kw.pop("actor", world.leader),
                               starts_at=starts_at or oslo(TUE_8_SEP, 12), now=now, **kw)


def starts_in_oslo(times):
    return [t.starts_at.astimezone(OSLO).strftime("%Y-%m-%d %H:%M") for t in times]


# --- free times -----------------------------------------------------------------------------

def test_free_times_are_noon_in_oslo_on_both_sides_of_the_october_change(world, now):
    times = ops.free_times(world.offering, start=oslo(date(2026, 10, 19), 0), end=oslo(date(2026, 10, 28), 0),
                           now=now)
    assert starts_in_oslo(times) == ["2026-10-20 12:00", "2026-10-20 13:30", "2026-10-27 12:00", "2026-10-27 13:30"]
    # In UTC the same wall-clock time is an hour later once summer time has ended.
    assert [t.starts_at.hour for t in times] == [10, 11, 11, 12]
    assert all(t.ends_at - t.starts_at == timedelta(minutes=90) for t in times)


def test_free_times_are_noon_in_oslo_on_both_sides_of_the_march_change(world, make_window, now):
    from lighthouse.profiles.models import ReleaseTime
    db.session.add(ReleaseTime(profile_id=world.profile.id, semester="2027V", requested_minutes=600,
                               approved_minutes=600))
    make_window(world.profile, valid_from=date(2027, 1, 4), valid_until=date(2027, 6, 18))
    times = ops.free_times(world.offering, start=oslo(date(2027, 3, 22), 0), end=oslo(date(2027, 4, 1), 0), now=now)
    assert starts_in_oslo(times) == ["2027-03-23 12:00", "2027-03-23 13:30", "2027-03-30 12:00", "2027-03-30 13:30"]
    assert [t.starts_at.hour for t in times] == [11, 12, 10, 11]


def test_free_times_of_a_busy_semester_cost_a_fixed_number_of_queries(world, now):
    request(world, now)
    semester_times(world, now)  # loads what the request left expired
    one_booking = count_statements(lambda: semester_times(world, now))
    for week in range(1, 11):
        request(world, now, oslo(TUE_8_SEP + timedelta(weeks=week), 12))
    semester_times(world, now)
    eleven = count_statements(lambda: semester_times(world, now))
    assert eleven == one_booking
    # 15 Tuesdays of two slots; each held 12:00 also takes the 13:30 next to it (buffer).
    assert len(semester_times(world, now)) == 30 - 2 * 11


def test_free_times_start_after_the_minimum_notice(world, now):
    # Today (Tuesday) 12:00 is two hours away, under the 48 hours' notice.
    assert starts_in_oslo(semester_times(world, now))[:2] == ["2026-09-08 12:00", "2026-09-08 13:30"]
    world.offering.min_notice_hours = 24 * 8
    assert starts_in_oslo(semester_times(world, now))[0] == "2026-09-15 12:00"


def test_a_held_booking_and_its_buffer_take_the_neighbouring_slot(world, now):
    request(world, now)
    day = ops.free_times(world.offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23), now=now)
    assert day == []  # 13:30 starts right at 13:30, inside the 15 minutes' buffer
    world.offering.buffer_minutes = 0
    assert starts_in_oslo(ops.free_times(world.offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23),
                                         now=now)) == ["2026-09-08 13:30"]


def test_the_fyrtarns_own_catalogue_sessions_are_kept_clear_with_buffers(world, admin, make_offering, now):
    course = make_offering("Matematikk i praksis", sessions=0, publish=False, responsible_id=world.lighthouse.id)
    # 14:45-16:00 in Oslo: 13:30-15:00 would end within the 15 minutes before it.
    offering_ops.add_session(course, actor=admin, now=now, starts_at=oslo(TUE_8_SEP, 15, 10),
                             ends_at=oslo(TUE_8_SEP, 17))
    offering_ops.add_session(course, actor=admin, now=now, starts_at=oslo(TUE_15_SEP, 11),
                             ends_at=oslo(TUE_15_SEP, 12, 30))
    offering_ops.publish(course, actor=admin, now=now)
    day8 = ops.free_times(world.offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23), now=now)
    day15 = ops.free_times(world.offering, start=oslo(TUE_15_SEP, 0), end=oslo(TUE_15_SEP, 23), now=now)
    assert starts_in_oslo(day8) == ["2026-09-08 12:00"]
    assert starts_in_oslo(day15) == ["2026-09-15 13:30"]
    with pytest.raises(ops.BookingError):
        request(world, now, oslo(TUE_15_SEP, 12))
    # A cancelled course gives its times back.
    offering_ops.cancel_offering(course, actor=admin, now=now, reason="Utgår")
    assert len(ops.free_times(world.offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23), now=now)) == 2


def test_someone_elses_catalogue_sessions_do_not_count(world, admin, make_offering, now):
    course = make_offering("Annen manns kurs", sessions=0, publish=False)
    offering_ops.add_session(course, actor=admin, now=now, starts_at=oslo(TUE_8_SEP, 12), ends_at=oslo(TUE_8_SEP, 15))
    assert len(ops.free_times(world.offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23), now=now)) == 2


def test_inactive_offering_or_fyrtarn_has_no_free_times(world, now):
    world.offering.active = False
    assert semester_times(world, now) == []
    world.offering.active = True
    world.profile.active = False
    assert semester_times(world, now) == []


def test_window_only_applies_between_its_dates(world, make_window, now):
    times = semester_times(world, now)
    assert starts_in_oslo(times)[-1] == "2026-12-15 13:30"  # valid until Friday 18 December
    assert all(t.starts_at.astimezone(OSLO).weekday() == 1 for t in times)


# --- release time -------------------------------------------------------------------------------

def test_release_time_is_never_exceeded(make_profile, make_bookable, make_window, make_user, make_school, now):
    profile = make_profile(approved_hours=3)
    offering = make_bookable(profile, buffer_minutes=0)
    make_window(profile)
    school = make_school()
    leader = make_user(roles=(Role.LEADER,), school=school)
    for starts_at in (oslo(TUE_8_SEP, 12), oslo(TUE_15_SEP, 12)):
        ops.request_booking(offering.id, school.id, actor=leader, starts_at=starts_at, participants_count=3, now=now)
    assert ops.release_time_left(profile.id, "2026H") == 0
    assert ops.free_times(offering, start=oslo(TUE_8_SEP, 0), end=oslo(date(2026, 12, 19), 0), now=now) == []
    with pytest.raises(ops.BookingError, match="ikke flere timer igjen"):
        ops.request_booking(offering.id, school.id, actor=leader, starts_at=oslo(TUE_8_SEP, 13, 30),
                            participants_count=3, now=now)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 2


def test_no_approved_release_time_means_no_free_times(make_profile, make_bookable, make_window, now):
    profile = make_profile(approved_hours=None)
    offering = make_bookable(profile)
    make_window(profile)
    assert ops.free_times(offering, start=oslo(TUE_8_SEP, 0), end=oslo(date(2026, 12, 19), 0), now=now) == []


def test_a_declined_booking_gives_its_hours_back(world, now):
    before = ops.release_time_left(world.profile.id, "2026H")
    booking = request(world, now)
    assert ops.release_time_left(world.profile.id, "2026H") == before - 90
    ops.decline_booking(booking, actor=world.lighthouse, now=now, reason="Opptatt")
    assert ops.release_time_left(world.profile.id, "2026H") == before


# --- requests ------------------------------------------------------------------------------------

def test_a_leader_requests_a_free_time_and_holds_it(world, now):
    booking = request(world, now, note="Vi vil jobbe med brøk.", participant_ids=[world.teacher.id])
    assert booking.state == BookingState.REQUESTED
    assert booking.semester == "2026H" and booking.minutes == 90 and booking.venue == Venue.AT_SCHOOL
    assert booking.requested_starts_at == booking.starts_at == oslo(TUE_8_SEP, 12)
    assert [p.name for p in booking.participants] == ["Tor Lærer"]
    assert oslo(TUE_8_SEP, 12) not in [t.starts_at for t in semester_times(world, now)]


def test_only_leaders_of_the_school_or_admins_may_request(world, admin, now):
    with pytest.raises(ops.BookingNotAllowed):
        request(world, now, actor=world.stranger)
    with pytest.raises(ops.BookingNotAllowed):
        request(world, now, actor=world.teacher)
    assert request(world, now, actor=admin).state == BookingState.REQUESTED


@pytest.mark.parametrize("change, message", [
    ({"starts_at": datetime(2026, 9, 8, 10, 15, tzinfo=timezone.utc)}, "ikke et av fyrtårnets ledige tider"),
    ({"starts_at": datetime(2026, 9, 9, 10, 0, tzinfo=timezone.utc)}, "ikke et av fyrtårnets ledige tider"),
    ({"starts_at": datetime(2026, 9, 1, 10, 0, tzinfo=timezone.utc)}, "minst 48 timer"),
    ({"participants_count": 0}, "mellom 1 og 10"),
    ({"participants_count": 11}, "mellom 1 og 10"),
])
def test_a_request_outside_the_rules_is_refused_with_a_reason(world, now, change, message):
    with pytest.raises(ops.BookingError, match=message):
        request(world, now, **change)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_participants_must_be_staff_of_the_school(world, now):
    with pytest.raises(ops.BookingError, match="ansatte ved skolen"):
        request(world, now, participant_ids=[world.stranger.id])


def test_venue_must_be_one_the_offering_allows(world, now):
    world.offering.venue = Venue.ONLINE
    with pytest.raises(ops.BookingError, match="bare digitalt"):
        request(world, now, venue=Venue.AT_SCHOOL)
    assert request(world, now).venue == Venue.ONLINE


def test_a_second_school_cannot_take_a_held_time(world, make_user, now):
    request(world, now)
    other = make_user(roles=(Role.LEADER,), school=world.other_school)
    with pytest.raises(ops.BookingError, match="ikke et av fyrtårnets ledige tider|nettopp tatt"):
        ops.request_booking(world.offering.id, world.other_school.id, actor=other, starts_at=oslo(TUE_8_SEP, 12),
                            participants_count=2, now=now)


def test_the_index_turns_away_a_second_hold_that_slips_past_the_checks(world, make_user, now, monkeypatch):
    request(world, now)
    other = make_user(roles=(Role.LEADER,), school=world.other_school)
    monkeypatch.setattr(ops, "_slot_problem", lambda *a, **kw: None)
    with pytest.raises(ops.BookingError, match="nettopp tatt av en annen skole"):
        ops.request_booking(world.offering.id, world.other_school.id, actor=other, starts_at=oslo(TUE_8_SEP, 12),
                            participants_count=2, now=now)
    # Nothing half-done: one booking, one audit entry, and the transaction still usable.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.object_type == "lighthouse.booking")) == 1
    db.session.commit()


# --- the state machine -----------------------------------------------------------------------------

ALL_STATES = [None, *BookingState]


@pytest.mark.parametrize("start, target", [(a, b) for a in ALL_STATES for b in BookingState])
def test_transition_table(world, now, start, target):
    booking = Booking(offering_id=world.offering.id, profile_id=world.profile.id, school_id=world.school.id,
                      starts_at=oslo(TUE_8_SEP, 12), ends_at=oslo(TUE_8_SEP, 13, 30),
                      requested_starts_at=oslo(TUE_8_SEP, 12), semester="2026H", minutes=90, participants_count=1,
                      venue=Venue.AT_SCHOOL, state=BookingState.REQUESTED)
    if start is not None:
        booking.state = start
        db.session.add(booking)
        db.session.flush()
    if target in TRANSITIONS[start]:
        ops.transition(booking, target, actor=world.leader, now=now)
        assert booking.state == target
    else:
        with pytest.raises(ops.BookingError, match="kan ikke endres"):
            ops.transition(booking, target, actor=world.leader, now=now)


def audit_trail(booking):
    return [(e.from_state, e.to_state, e.actor_id) for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "lighthouse.booking", AuditEntry.object_id == booking.id)
        .order_by(AuditEntry.id))]


def test_every_step_is_audited_with_who_did_it(world, now):
    booking = request(world, now)
    ops.confirm_booking(booking, actor=world.lighthouse, now=now, location="Personalrommet")
    ops.cancel_booking(booking, actor=world.leader, now=now, reason="Sykdom")
    assert audit_trail(booking) == [(None, "requested", world.leader.id), ("requested", "confirmed", world.lighthouse.id),
                                    ("confirmed", "cancelled", world.leader.id)]


def test_confirmation_puts_the_session_in_the_calendar_kernel(world, now):
    booking = request(world, now)
    ops.confirm_booking(booking, actor=world.lighthouse, now=now, online_url="https://meet.example/abc")
    session = db.session.scalars(sa.select(Session).where(Session.schedule_id == booking.schedule_id)).one()
    assert (session.starts_at, session.ends_at) == (booking.starts_at, booking.ends_at)
    assert session.location == "Bekkestua skole" and session.online_url == "https://meet.example/abc"
    assert booking.state == BookingState.CONFIRMED


def test_only_the_fyrtarn_answers(world, now):
    booking = request(world, now)
    for answer in (lambda: ops.confirm_booking(booking, actor=world.leader, now=now),
                   lambda: ops.decline_booking(booking, actor=world.leader, now=now, reason="x"),
                   lambda: ops.propose_time(booking, actor=world.leader, now=now, starts_at=oslo(TUE_15_SEP, 12))):
        with pytest.raises(ops.BookingNotAllowed):
            answer()


def test_decline_needs_a_reason_and_can_be_for_capacity(world, now):
    booking = request(world, now)
    with pytest.raises(ops.BookingError, match="begrunnelse"):
        ops.decline_booking(booking, actor=world.lighthouse, now=now, reason="  ")
    ops.decline_booking(booking, actor=world.lighthouse, now=now, reason="Ingen timer igjen", for_capacity=True)
    assert (booking.state, booking.answer, booking.declined_for_capacity) == (
        BookingState.DECLINED, "Ingen timer igjen", True)
    with pytest.raises(ops.BookingError):
        ops.confirm_booking(booking, actor=world.lighthouse, now=now)


# --- proposals ------------------------------------------------------------------------------------

def test_a_proposed_time_is_held_and_the_asked_time_freed(world, now):
    booking = request(world, now)
    ops.propose_time(booking, actor=world.lighthouse, now=now, starts_at=oslo(TUE_15_SEP, 13, 30),
                     answer="Passer bedre for meg.")
    assert booking.state == BookingState.PROPOSED
    assert booking.starts_at == oslo(TUE_15_SEP, 13, 30) and booking.requested_starts_at == oslo(TUE_8_SEP, 12)
    free = [t.starts_at for t in semester_times(world, now)]
    assert oslo(TUE_8_SEP, 12) in free and oslo(TUE_15_SEP, 13, 30) not in free
    ops.accept_proposal(booking, actor=world.leader, now=now)
    assert booking.state == BookingState.CONFIRMED and booking.schedule_id is not None


def test_a_proposal_must_be_a_free_time(world, now):
    first = request(world, now)
    second = request(world, now, oslo(TUE_15_SEP, 12))
    with pytest.raises(ops.BookingError):
        ops.propose_time(second, actor=world.lighthouse, now=now, starts_at=oslo(TUE_8_SEP, 13, 30))
    with pytest.raises(ops.BookingError, match="ledige tider"):
        ops.propose_time(second, actor=world.lighthouse, now=now, starts_at=oslo(TUE_15_SEP, 12, 20))
    # Its own hold does not stand in the way of a neighbouring time.
    proposable = ops.free_times(world.offering, start=oslo(TUE_15_SEP, 0), end=oslo(TUE_15_SEP, 23), now=now,
                                exclude=second)
    assert starts_in_oslo(proposable) == ["2026-09-15 12:00", "2026-09-15 13:30"]
    ops.propose_time(second, actor=world.lighthouse, now=now, starts_at=oslo(TUE_15_SEP, 13, 30))
    assert second.state == BookingState.PROPOSED and first.state == BookingState.REQUESTED


def test_a_rejected_proposal_frees_the_time(world, now):
    booking = request(world, now)
    ops.propose_time(booking, actor=world.lighthouse, now=now, starts_at=oslo(TUE_15_SEP, 12))
    with pytest.raises(ops.BookingNotAllowed):
        ops.reject_proposal(booking, actor=world.stranger, now=now)
    ops.reject_proposal(booking, actor=world.leader, now=now, reason="Vi har planleggingsdag.")
    assert booking.state == BookingState.REJECTED
    assert oslo(TUE_15_SEP, 12) in [t.starts_at for t in semester_times(world, now)]


# --- cancellation ----------------------------------------------------------------------------------

def test_cancellation_deadline_is_48_hours_by_default_and_a_setting(world, now):
    booking = request(world, now)
    assert ops.cancellation_deadline(booking) == booking.starts_at - timedelta(hours=48)
    settings.set_value("lighthouse.cancel_hours", "24")
    assert ops.cancellation_deadline(booking) == booking.starts_at - timedelta(hours=24)


def test_either_side_cancels_before_the_deadline_with_a_reason(world, now):
    booking = request(world, now)
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    with pytest.raises(ops.BookingError, match="hvorfor"):
        ops.cancel_booking(booking, actor=world.leader, now=now, reason="")
    with pytest.raises(ops.BookingNotAllowed):
        ops.cancel_booking(booking, actor=world.stranger, now=now, reason="Tull")
    too_late = booking.starts_at - timedelta(hours=47)
    with pytest.raises(ops.BookingError, match="Fristen for å avlyse"):
        ops.cancel_booking(booking, actor=world.lighthouse, now=too_late, reason="Syk")
    ops.cancel_booking(booking, actor=world.lighthouse, now=now, reason="Syk")
    assert (booking.state, booking.cancelled_by, booking.cancel_reason) == (
        BookingState.CANCELLED, BookingSide.LIGHTHOUSE, "Syk")
    session = db.session.scalars(sa.select(Session).where(Session.schedule_id == booking.schedule_id)).one()
    assert session.status == SessionStatus.CANCELLED and session.sequence == 1
    assert oslo(TUE_8_SEP, 12) in [t.starts_at for t in semester_times(world, now)]


def test_the_school_cancels_a_request_as_the_school(world, now):
    booking = request(world, now)
    ops.cancel_booking(booking, actor=world.leader, now=now, reason="Feil dato")
    assert booking.cancelled_by == BookingSide.SCHOOL and booking.schedule_id is None


# --- participants and follow-up ---------------------------------------------------------------------

def test_participants_are_named_later_until_the_session_starts(world, make_user, now):
    booking = request(world, now)
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    colleague = make_user("Kari Kollega", school=world.school)
    ops.name_participants(booking, [world.teacher.id, colleague.id], actor=world.leader, now=now)
    assert sorted(p.name for p in booking.participants) == ["Kari Kollega", "Tor Lærer"]
    with pytest.raises(ops.BookingError, match="ansatte ved skolen"):
        ops.name_participants(booking, [world.stranger.id], actor=world.leader, now=now)
    with pytest.raises(ops.BookingNotAllowed):
        ops.name_participants(booking, [world.teacher.id], actor=world.lighthouse, now=now)
    with pytest.raises(ops.BookingError, match="begynt"):
        ops.name_participants(booking, [world.teacher.id], actor=world.leader, now=booking.starts_at)


def test_feedback_only_after_the_session_and_it_completes_the_booking(world, now):
    booking = request(world, now)
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    with pytest.raises(ops.BookingError, match="når økten er over"):
        ops.give_feedback(booking, actor=world.leader, now=booking.starts_at, rating=5)
    after = booking.ends_at + timedelta(hours=1)
    for rating in (0, 6):
        with pytest.raises(ops.BookingError, match="1 til 5"):
            ops.give_feedback(booking, actor=world.leader, now=after, rating=rating)
    ops.give_feedback(booking, actor=world.leader, now=after, rating=4, comment="Nyttig!")
    assert (booking.state, booking.feedback_rating, booking.feedback_comment) == (
        BookingState.COMPLETED, 4, "Nyttig!")
    ops.record_work(booking, actor=world.lighthouse, now=after, text="Gikk gjennom brøk med 5 lærere.")
    assert booking.work_record.startswith("Gikk gjennom") and booking.state == BookingState.COMPLETED
    assert [t for _f, t, _a in audit_trail(booking)] == ["requested", "confirmed", "completed", "completed"]


def test_no_feedback_on_a_booking_that_never_took_place(world, now):
    booking = request(world, now)
    with pytest.raises(ops.BookingError):
        ops.give_feedback(booking, actor=world.leader, now=booking.ends_at + timedelta(days=1), rating=3)


def test_the_fyrtarn_records_the_work_after_the_session(world, now):
    booking = request(world, now)
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    with pytest.raises(ops.BookingError):
        ops.record_work(booking, actor=world.lighthouse, now=now, text="Planlagt")
    with pytest.raises(ops.BookingNotAllowed):
        ops.record_work(booking, actor=world.leader, now=booking.ends_at, text="Ikke mitt")
    ops.record_work(booking, actor=world.lighthouse, now=booking.ends_at, text="Veiledning i klasserommet.")
    assert booking.state == BookingState.COMPLETED and booking.recorded_at == booking.ends_at


def test_complete_past_bookings_for_cron(world, now, app):
    done = request(world, now)
    ops.confirm_booking(done, actor=world.lighthouse, now=now)
    later = request(world, now, oslo(TUE_15_SEP, 12))
    ops.confirm_booking(later, actor=world.lighthouse, now=now)
    unanswered = request(world, now, oslo(date(2026, 9, 22), 12))
    assert ops.complete_past_bookings(oslo(TUE_8_SEP, 14)) == 1
    assert (done.state, later.state) == (BookingState.COMPLETED, BookingState.CONFIRMED)
    db.session.commit()
    from lms.db import set_clock
    set_clock(oslo(date(2026, 9, 23), 8))
    result = app.test_cli_runner().invoke(args=["lighthouse", "complete"])
    assert "1 bestillinger gjennomført, 1 ubesvarte" in result.output
    db.session.expire_all()
    assert (later.state, unanswered.state) == (BookingState.COMPLETED, BookingState.CANCELLED)


# --- reading -------------------------------------------------------------------------------------

def test_who_may_see_a_booking(world, admin, now):
    booking = request(world, now)
    for actor in (world.leader, world.lighthouse, admin):
        assert ops.get_booking(booking.id, actor) is booking
    for actor in (world.teacher, world.stranger):
        with pytest.raises(ops.BookingNotAllowed):
            ops.get_booking(booking.id, actor)
    with pytest.raises(ops.BookingNotFound):
        ops.get_booking(booking.id + 1000, world.leader)


def test_lists_for_the_school_and_the_fyrtarn(world, now):
    first = request(world, now)
    second = request(world, now, oslo(TUE_15_SEP, 12))
    ops.confirm_booking(first, actor=world.lighthouse, now=now)
    assert ops.bookings_for_schools([world.school.id]) == [second, first]
    assert ops.bookings_for_profile(world.profile.id) == [second, first]  # the open request first
    assert ops.bookings_for_schools([]) == []


# --- the fyrtårn's own catalogue course never overlaps a school's booking ---------------------

def test_own_course_session_cannot_take_a_booked_time_buffer_included(world, login, now):
    booking = request(world, now)  # Tuesday 8 September 12:00-13:30, 15 minutes' buffer
    ops.confirm_booking(booking, actor=world.lighthouse, now=now, location="Bekkestua skole")
    course = offering_ops.create_offering(offering_ops.OfferingData(
        title="Åpent kurs i brøk", kind=offering_ops.OfferingKind.COURSE, capacity=20, school_year=2026,
        target_groups=[offering_ops.TargetGroup.TEACHERS], responsible_id=world.lighthouse.id),
        actor=world.lighthouse, now=now)
    free = offering_ops.add_session(course, actor=world.lighthouse, now=now, starts_at=oslo(TUE_8_SEP, 14),
                                    ends_at=oslo(TUE_8_SEP, 15))
    db.session.commit()

    # Through the catalogue's own page: 13:40 is inside the booking's buffer.
    client = login(world.lighthouse)
    response = client.post(f"/kurs/{course.id}/okter/ny", data={
        "day": "2026-09-08", "start": "13:40", "end": "14:30", "location": "Rådhuset"})
    assert response.status_code == 400
    assert "overlapper dette tidspunktet" in response.get_data(as_text=True)
    with pytest.raises(offering_ops.OfferingError, match="overlapper"):
        offering_ops.update_session(course, free, actor=world.lighthouse, now=now, starts_at=oslo(TUE_8_SEP, 11),
                                    ends_at=oslo(TUE_8_SEP, 12, 30))
    db.session.rollback()
    assert [(s.starts_at, s.ends_at) for s in db.session.get(type(course), course.id).sessions] == \
        [(oslo(TUE_8_SEP, 14), oslo(TUE_8_SEP, 15))]

    # Once the school cancels, the time is the fyrtårn's again.
    ops.cancel_booking(db.session.get(Booking, booking.id), actor=world.leader, now=now, reason="Syk lærer")
    offering_ops.add_session(db.session.get(type(course), course.id), actor=world.lighthouse, now=now,
                             starts_at=oslo(TUE_8_SEP, 12), ends_at=oslo(TUE_8_SEP, 13))


def test_own_course_sessions_may_touch_a_booking_without_buffer_and_move_over_their_own_old_time(
        world, login, make_bookable, now):
    """Only schools' bookings hold a fyrtårn's own course back: not the course's own sessions, nor a buffer of 0."""
    tight = make_bookable(world.profile, title="Veiledning uten pause", buffer_minutes=0)
    booking = ops.request_booking(tight.id, world.school.id, actor=world.leader, starts_at=oslo(TUE_8_SEP, 12),
                                  participants_count=3, now=now)  # 12:00-13:30
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    course = offering_ops.create_offering(offering_ops.OfferingData(
        title="Åpent kurs i brøk", kind=offering_ops.OfferingKind.COURSE, capacity=20, school_year=2026,
        target_groups=[offering_ops.TargetGroup.TEACHERS], responsible_id=world.lighthouse.id),
        actor=world.lighthouse, now=now)
    session = offering_ops.add_session(course, actor=world.lighthouse, now=now, starts_at=oslo(TUE_8_SEP, 13, 30),
                                       ends_at=oslo(TUE_8_SEP, 14, 30))
    offering_ops.update_session(course, session, actor=world.lighthouse, now=now, starts_at=oslo(TUE_8_SEP, 13, 45),
                                ends_at=oslo(TUE_8_SEP, 14, 45))
    db.session.commit()
    assert [(s.starts_at, s.ends_at) for s in db.session.get(type(course), course.id).sessions] == [
        (oslo(TUE_8_SEP, 13, 45), oslo(TUE_8_SEP, 14, 45))]
    response = login(world.lighthouse).post(f"/kurs/{course.id}/okter/ny", data={
        "day": "2026-09-08", "start": "13:00", "end": "13:40", "location": "Rådhuset"})
    assert response.status_code == 400
    assert ("<li>Fyrtårnet har en bestilling fra en skole som overlapper dette tidspunktet (buffer medregnet).</li>"
            in response.get_data(as_text=True))


def test_other_organisers_sessions_are_not_held_back_by_bookings(world, make_offering, admin, now):
    booking = request(world, now)
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    course = make_offering("Kurs fra Oppvekst skole", sessions=0, publish=False)
    offering_ops.add_session(course, actor=admin, now=now, starts_at=oslo(TUE_8_SEP, 12), ends_at=oslo(TUE_8_SEP, 13))
    assert [s.starts_at for s in course.sessions] == [oslo(TUE_8_SEP, 12)]


# --- release time: part of it left, a full semester --------------------------------------------------

def test_two_hours_approved_hold_one_90_minute_booking_and_refuse_a_second(make_profile, make_bookable, make_window,
                                                                           make_user, make_school, now):
    profile = make_profile(approved_hours=2)
    offering = make_bookable(profile, buffer_minutes=0)
    make_window(profile)
    school = make_school()
    leader = make_user(roles=(Role.LEADER,), school=school)
    ops.request_booking(offering.id, school.id, actor=leader, starts_at=oslo(TUE_8_SEP, 12), participants_count=3,
                        now=now)
    assert ops.release_time_left(profile.id, "2026H") == 30
    whole_semester = dict(start=oslo(TUE_8_SEP, 0), end=oslo(date(2026, 12, 19), 0))
    assert ops.free_times(offering, now=now, **whole_semester) == []
    assert "brukt opp" in ops.why_no_free_times(offering, **whole_semester)
    for starts_at in (oslo(TUE_15_SEP, 12), oslo(TUE_8_SEP, 13, 30)):
        with pytest.raises(ops.BookingError, match=r"^Fyrtårnet har ikke flere timer igjen dette semesteret\.$"):
            ops.request_booking(offering.id, school.id, actor=leader, starts_at=starts_at, participants_count=3,
                                now=now)
    assert ops.held_minutes(profile.id, "2026H") == 90
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1


def test_a_30_minute_offering_still_fits_in_the_half_hour_left(make_profile, make_bookable, make_window, make_user,
                                                              make_school, now):
    profile = make_profile(approved_hours=2)
    long, short = make_bookable(profile, buffer_minutes=0), make_bookable(profile, duration_minutes=30,
                                                                          buffer_minutes=0, title="Kort samtale")
    make_window(profile)
    school = make_school()
    leader = make_user(roles=(Role.LEADER,), school=school)
    ops.request_booking(long.id, school.id, actor=leader, starts_at=oslo(TUE_8_SEP, 12), participants_count=3, now=now)
    booking = ops.request_booking(short.id, school.id, actor=leader, starts_at=oslo(TUE_15_SEP, 12),
                                  participants_count=3, now=now)
    assert booking.state == BookingState.REQUESTED
    assert ops.release_time_left(profile.id, "2026H") == 0


def test_a_proposal_in_a_full_semester_gets_its_own_minutes_back(make_profile, make_bookable, make_window, make_user,
                                                                 make_school, now):
    from lighthouse.profiles.models import ReleaseTime
    profile = make_profile(approved_hours=None)
    db.session.add(ReleaseTime(profile_id=profile.id, semester="2026H", requested_minutes=90, approved_minutes=90))
    offering = make_bookable(profile)
    make_window(profile)
    school, other = make_school(), make_school()
    leader, other_leader = (make_user(roles=(Role.LEADER,), school=s) for s in (school, other))
    booking = ops.request_booking(offering.id, school.id, actor=leader, starts_at=oslo(TUE_8_SEP, 12),
                                  participants_count=3, now=now)
    assert ops.release_time_left(profile.id, "2026H") == 0
    proposable = ops.free_times(offering, start=oslo(TUE_15_SEP, 0), end=oslo(TUE_15_SEP, 23), now=now,
                                exclude=booking)
    assert starts_in_oslo(proposable) == ["2026-09-15 12:00", "2026-09-15 13:30"]
    ops.propose_time(booking, actor=profile.user, now=now, starts_at=oslo(TUE_15_SEP, 13, 30))
    assert (booking.state, booking.starts_at) == (BookingState.PROPOSED, oslo(TUE_15_SEP, 13, 30))
    assert ops.held_minutes(profile.id, "2026H") == 90
    with pytest.raises(ops.BookingError, match="ikke flere timer igjen"):
        ops.request_booking(offering.id, other.id, actor=other_leader, starts_at=oslo(TUE_8_SEP, 12),
                            participants_count=3, now=now)


# --- the re-check under the fyrtårn's lock ------------------------------------------------------------

def _request_elsewhere(offering_id: int, school_id: int, leader_id: int, starts_at, now) -> None:
    from lms.people.models import User
    ops.request_booking(offering_id, school_id, actor=db.session.get(User, leader_id), starts_at=starts_at,
                        participants_count=3, now=now)


@pytest.mark.parametrize("theirs,mine", [((TUE_8_SEP, 12, 0), (TUE_8_SEP, 13, 30)),
                                         ((TUE_8_SEP, 13, 30), (TUE_8_SEP, 12, 0)),
                                         ((TUE_8_SEP, 12, 0), (TUE_8_SEP, 12, 0))],
                         ids=["earlier-start-taken", "later-start-taken", "same-start-taken"])
def test_an_overlapping_time_booked_between_the_look_and_the_lock_is_refused(world, app, make_user, now, monkeypatch,
                                                                            theirs, mine):
    from tests.interleave import before_first_call, commit_elsewhere, reading_request
    other_leader = make_user(roles=(Role.LEADER,), school=world.other_school)
    ids = world.offering.id, world.other_school.id, other_leader.id
    db.session.commit()
    with reading_request(app):
        ran = before_first_call(monkeypatch, ops, "_lock_profile", lambda: commit_elsewhere(
            app, lambda: _request_elsewhere(*ids, oslo(*theirs), now)))
        with pytest.raises(ops.TimeTaken):
            request(world, now, oslo(*mine))
        db.session.rollback()
    assert ran == [True]
    held = db.session.execute(sa.select(Booking.school_id, Booking.starts_at)).all()
    assert held == [(world.other_school.id, oslo(*theirs))]


def test_release_time_used_up_between_the_look_and_the_lock_is_refused(make_profile, make_bookable, make_window,
                                                                      make_user, make_school, app, now, monkeypatch):
    from tests.interleave import before_first_call, commit_elsewhere, reading_request
    profile = make_profile(approved_hours=2)
    offering = make_bookable(profile)
    make_window(profile)
    school, other = make_school(), make_school()
    leader, other_leader = (make_user(roles=(Role.LEADER,), school=s) for s in (school, other))
    ids = offering.id, other.id, other_leader.id
    db.session.commit()
    with reading_request(app):
        before_first_call(monkeypatch, ops, "_lock_profile", lambda: commit_elsewhere(
            app, lambda: _request_elsewhere(*ids, oslo(TUE_15_SEP, 12), now)))
        with pytest.raises(ops.BookingError, match="ikke flere timer igjen"):
            ops.request_booking(offering.id, school.id, actor=leader, starts_at=oslo(TUE_8_SEP, 12),
                                participants_count=3, now=now)
        db.session.rollback()
    assert ops.held_minutes(profile.id, "2026H") == 90


def test_a_request_waits_for_the_fyrtarns_lock_while_another_holds_an_overlapping_time(world, app, make_user, now):
    """PostgreSQL: a second school's request for 13:30 waits while the 12:00 request is uncommitted, then is refused."""
    from tests.interleave import Contender, wait_until_blocked_or_done
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's row lock; SQLite takes its one write lock at BEGIN IMMEDIATE")
    other_leader = make_user(roles=(Role.LEADER,), school=world.other_school)
    ids = world.offering.id, world.other_school.id, other_leader.id
    db.session.commit()
    request(world, now)  # 12:00, flushed but not committed: the fyrtårn's lock is ours
    contender = Contender(app, lambda: _request_elsewhere(*ids, oslo(TUE_8_SEP, 13, 30), now))
    contender.start()
    waited = wait_until_blocked_or_done(contender)
    db.session.commit()
    contender.join(60)
    assert waited, "the second request did not wait for the fyrtårn's lock"
    assert isinstance(contender.error, ops.TimeTaken), contender.error
    held = db.session.execute(sa.select(Booking.school_id, Booking.starts_at)).all()
    assert held == [(world.school.id, oslo(TUE_8_SEP, 12))]


def test_a_taken_time_proposed_in_a_full_semester_is_called_taken_not_out_of_hours(make_profile, make_bookable,
                                                                                 make_window, make_user, make_school,
                                                                                 now):
    profile = make_profile(approved_hours=3)
    offering = make_bookable(profile)
    make_window(profile)
    school = make_school()
    leader = make_user(roles=(Role.LEADER,), school=school)
    first, _second = (ops.request_booking(offering.id, school.id, actor=leader, starts_at=starts_at,
                                          participants_count=3, now=now)
                      for starts_at in (oslo(TUE_8_SEP, 12), oslo(TUE_15_SEP, 12)))
    assert ops.release_time_left(profile.id, "2026H") == 0
    # 13:30 on the 15th is inside the second booking's buffer: the fyrtårn is told it is taken.
    with pytest.raises(ops.TimeTaken):
        ops.propose_time(first, actor=profile.user, now=now, starts_at=oslo(TUE_15_SEP, 13, 30))
    assert (first.state, first.starts_at) == (BookingState.REQUESTED, oslo(TUE_8_SEP, 12))


# --- what each refusal says (found by mutation testing, tests/MUTANTS.md) ------------------------------------

@pytest.fixture
def booking_refusals(world, make_bookable, admin, now):
    """Return each refusal of the booking rules as (what is done, the message the person reads)."""
    w = world
    requested = request(w, now)
    confirmed = request(w, now, oslo(TUE_15_SEP, 12))
    ops.confirm_booking(confirmed, actor=w.lighthouse, now=now)
    declined = request(w, now, oslo(date(2026, 9, 22), 12))
    ops.decline_booking(declined, actor=w.lighthouse, now=now, reason="Opptatt")
    online = make_bookable(w.profile, title="Nettmøte", venue=Venue.ONLINE)
    closed = make_bookable(w.profile, title="Stengt")
    closed.active = False
    single = make_bookable(w.profile, title="Samtale", max_participants=1)
    over = confirmed.ends_at + timedelta(minutes=1)

    def ask(**kw):
        kw.setdefault("starts_at", oslo(date(2026, 9, 29), 12))
        return lambda: request(w, now, **kw)

    def ask_for(offering_id, school_id, actor=w.leader):
        return lambda: ops.request_booking(offering_id, school_id, actor=actor, starts_at=oslo(TUE_8_SEP, 13, 30),
                                           participants_count=3, now=now)
    return {
        "another school": (ask_for(w.offering.id, w.other_school.id), "Du kan bare bestille for skoler du leder."),
        "unknown offering": (ask_for(999_999, w.school.id), "Tilbudet finnes ikke."),
        "unknown school": (ask_for(w.offering.id, 999_999, admin), "Skolen finnes ikke."),
        "no participants": (ask(participants_count=0), "Antall deltakere må være mellom 1 og 10."),
        "too soon": (ask(starts_at=oslo(date(2026, 9, 1), 12)), "Tidspunktet må være minst 48 timer frem i tid."),
        "not a free time": (ask(starts_at=oslo(TUE_15_SEP, 12, 20)),
                            "Tidspunktet er ikke et av fyrtårnets ledige tider. Velg en tid fra listen."),
        "taken": (ask(starts_at=oslo(TUE_8_SEP, 12)), "Tidspunktet er nettopp tatt av en annen skole. Velg et annet."),
        "no time zone": (ask(starts_at=datetime(2026, 9, 29, 12, 0)), "Tidspunktet mangler tidssone."),
        "not bookable": (lambda: ops.request_booking(closed.id, w.school.id, actor=w.leader, participants_count=3,
                                                     starts_at=oslo(date(2026, 9, 29), 12), now=now),
                         "Tilbudet kan ikke bestilles nå."),
        "wrong venue": (lambda: ops.request_booking(online.id, w.school.id, actor=w.leader, participants_count=3,
                                                    starts_at=oslo(date(2026, 9, 29), 12), now=now,
                                                    venue=Venue.AT_SCHOOL),
                        "Dette tilbudet gis bare digitalt."),
        "name more than it takes": (lambda: ops.request_booking(single.id, w.school.id, actor=w.leader,
                                                                participants_count=1, now=now,
                                                                starts_at=oslo(date(2026, 9, 29), 12),
                                                                participant_ids=[w.leader.id, w.teacher.id]),
                                    "Tilbudet har plass til høyst 1 deltakere."),
        "not staff": (ask(participant_ids=[w.stranger.id]), "Deltakerne må være ansatte ved skolen."),
        "confirm as the school": (lambda: ops.confirm_booking(requested, actor=w.leader, now=now),
                                  "Bare fyrtårnet kan bekrefte bestillingen."),
        "confirm twice": (lambda: ops.confirm_booking(confirmed, actor=w.lighthouse, now=now),
                          "Bestillingen kan ikke bekreftes. Den er nå «Bekreftet»."),
        "confirm a bad link": (lambda: ops.confirm_booking(requested, actor=w.lighthouse, now=now,
                                                           online_url="meet.kommune.no"),
                               "Lenken til nettmøtet må begynne med https://."),
        "confirm an http link": (lambda: ops.confirm_booking(requested, actor=w.lighthouse, now=now,
                                                             online_url="http://meet.kommune.no/abc"),
                                 "Lenken til nettmøtet må begynne med https://."),
        "confirm too late": (lambda: ops.confirm_booking(requested, actor=w.lighthouse, now=requested.starts_at),
                             "Tidspunktet har allerede vært."),
        "decline as the school": (lambda: ops.decline_booking(requested, actor=w.leader, now=now, reason="Nei"),
                                  "Bare fyrtårnet kan avslå bestillingen."),
        "decline without a reason": (lambda: ops.decline_booking(requested, actor=w.lighthouse, now=now, reason=" "),
                                     "Skriv en begrunnelse for avslaget."),
        "decline with an empty reason": (lambda: ops.decline_booking(requested, actor=w.lighthouse, now=now,
                                                                     reason=""),
                                         "Skriv en begrunnelse for avslaget."),
        "decline a confirmed": (lambda: ops.decline_booking(confirmed, actor=w.lighthouse, now=now, reason="Nei"),
                                "Bestillingen kan ikke avslås. Den er nå «Bekreftet»."),
        "propose as the school": (lambda: ops.propose_time(requested, actor=w.leader, now=now,
                                                           starts_at=oslo(date(2026, 9, 29), 12)),
                                  "Bare fyrtårnet kan foreslå et nytt tidspunkt."),
        "propose for a confirmed": (lambda: ops.propose_time(confirmed, actor=w.lighthouse, now=now,
                                                             starts_at=oslo(date(2026, 9, 29), 12)),
                                    "Det kan ikke foreslås et nytt tidspunkt nå. Den er nå «Bekreftet»."),
        "propose the same time": (lambda: ops.propose_time(requested, actor=w.lighthouse, now=now,
                                                           starts_at=requested.starts_at),
                                  "Foreslå et annet tidspunkt enn det skolen ba om."),
        "accept as a stranger": (lambda: ops.accept_proposal(requested, actor=w.stranger, now=now),
                                 "Bare skolens ledere kan svare på forslaget."),
        "accept no proposal": (lambda: ops.accept_proposal(requested, actor=w.leader, now=now),
                               "Forslaget kan ikke godtas. Den er nå «Forespurt»."),
        "reject as a stranger": (lambda: ops.reject_proposal(requested, actor=w.stranger, now=now),
                                 "Bare skolens ledere kan svare på forslaget."),
        "reject no proposal": (lambda: ops.reject_proposal(requested, actor=w.leader, now=now),
                               "Forslaget kan ikke avvises. Den er nå «Forespurt»."),
        "cancel as a stranger": (lambda: ops.cancel_booking(requested, actor=w.stranger, now=now, reason="Nei"),
                                 "Du kan ikke avlyse denne bestillingen."),
        "cancel without a reason": (lambda: ops.cancel_booking(requested, actor=w.leader, now=now, reason=""),
                                    "Skriv hvorfor bestillingen avlyses."),
        "cancel a declined": (lambda: ops.cancel_booking(declined, actor=w.leader, now=now, reason="Nei"),
                              "Bestillingen kan ikke avlyses. Den er nå «Avslått»."),
        "cancel at the deadline": (lambda: ops.cancel_booking(confirmed, actor=w.leader, reason="Syk",
                                                              now=confirmed.starts_at - timedelta(hours=48)),
                                   "Fristen for å avlyse var søndag 13. september 2026 kl. 12:00. Ta kontakt direkte."),
        "name as a stranger": (lambda: ops.name_participants(requested, [], actor=w.stranger, now=now),
                               "Bare skolens ledere kan velge deltakere."),
        "name a declined": (lambda: ops.name_participants(declined, [], actor=w.leader, now=now),
                            "Deltakerne kan ikke endres. Den er nå «Avslått»."),
        "name after the start": (lambda: ops.name_participants(requested, [], actor=w.leader,
                                                               now=requested.starts_at),
                                 "Økten har begynt, så deltakerne kan ikke endres lenger."),
        "feedback as a stranger": (lambda: ops.give_feedback(confirmed, actor=w.stranger, now=over, rating=5),
                                   "Bare skolens ledere kan gi tilbakemelding."),
        "feedback too early": (lambda: ops.give_feedback(confirmed, actor=w.leader, now=now, rating=5),
                               "Du kan gi tilbakemelding når økten er over."),
        "feedback out of range": (lambda: ops.give_feedback(confirmed, actor=w.leader, now=over, rating=6),
                                  "Velg en vurdering fra 1 til 5."),
        "feedback not a number": (lambda: ops.give_feedback(confirmed, actor=w.leader, now=over, rating="fem"),
                                  "Velg en vurdering fra 1 til 5."),
        "feedback on a request": (lambda: ops.give_feedback(requested, actor=w.leader, now=over, rating=5),
                                  "Bestillingen kan ikke få tilbakemelding. Den er nå «Forespurt»."),
        "record as the school": (lambda: ops.record_work(confirmed, actor=w.leader, now=over, text="Noe"),
                                 "Bare fyrtårnet kan føre hva som ble gjort."),
        "record too early": (lambda: ops.record_work(confirmed, actor=w.lighthouse, now=now, text="Noe"),
                             "Du kan føre hva som ble gjort når økten er over."),
        "record nothing": (lambda: ops.record_work(confirmed, actor=w.lighthouse, now=over, text=" "),
                           "Skriv hva som ble gjort."),
        "record an empty text": (lambda: ops.record_work(confirmed, actor=w.lighthouse, now=over, text=""),
                                 "Skriv hva som ble gjort."),
        "record on a request": (lambda: ops.record_work(requested, actor=w.lighthouse, now=over, text="Noe"),
                                "Bestillingen kan ikke få en rapport. Den er nå «Forespurt»."),
        "unknown booking": (lambda: ops.get_booking(999_999, w.leader), "Bestillingen finnes ikke."),
        "an id no database holds": (lambda: ops.get_booking(10**20, w.leader), "Bestillingen finnes ikke."),
        "someone else's booking": (lambda: ops.get_booking(requested.id, w.stranger),
                                   "Du har ikke tilgang til denne bestillingen."),
        "a new booking that skips the request": (lambda: ops.transition(Booking(
            offering_id=w.offering.id, profile_id=w.profile.id, school_id=w.school.id, starts_at=oslo(TUE_8_SEP, 12),
            ends_at=oslo(TUE_8_SEP, 13, 30), requested_starts_at=oslo(TUE_8_SEP, 12), semester="2026H", minutes=90,
            participants_count=1, venue=Venue.AT_SCHOOL), BookingState.CONFIRMED, actor=w.lighthouse, now=now),
            "Bestillingen kan ikke endres fra «-» til «Bekreftet»."),
        "a transition not in the table": (lambda: ops.transition(declined, BookingState.CONFIRMED, actor=w.lighthouse,
                                                                 now=now),
                                          "Bestillingen kan ikke endres fra «Avslått» til «Bekreftet»."),
    }


BOOKING_REFUSALS = [
    "another school", "unknown offering", "unknown school", "no participants", "too soon", "not a free time", "taken",
    "no time zone", "not bookable", "wrong venue", "name more than it takes", "not staff", "confirm as the school", "confirm twice",
    "confirm a bad link", "confirm an http link", "confirm too late", "decline as the school", "decline without a reason",
    "decline with an empty reason",
    "decline a confirmed", "propose as the school", "propose for a confirmed", "propose the same time",
    "accept as a stranger", "accept no proposal", "reject as a stranger", "reject no proposal",
    "cancel as a stranger", "cancel without a reason", "cancel a declined", "cancel at the deadline",
    "name as a stranger", "name a declined",
    "name after the start", "feedback as a stranger", "feedback too early", "feedback out of range",
    "feedback not a number", "feedback on a request", "record as the school", "record too early", "record nothing",
    "record an empty text", "record on a request",
    "unknown booking", "an id no database holds", "someone else's booking", "a new booking that skips the request",
    "a transition not in the table"]


@pytest.mark.parametrize("case", BOOKING_REFUSALS)
def test_every_booking_refusal_says_why_in_norwegian(booking_refusals, case):
    action, message = booking_refusals[case]
    with pytest.raises(ops.BookingError) as refused:
        action()
    assert str(refused.value) == message


def test_feedback_takes_one_to_five_from_the_moment_the_session_ends(world, now):
    low, high = request(world, now), request(world, now, oslo(TUE_15_SEP, 12))
    for booking in (low, high):
        ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    ops.give_feedback(low, actor=world.leader, now=low.ends_at, rating=1)
    ops.give_feedback(high, actor=world.leader, now=high.ends_at, rating=5, comment="  Nyttig.  ")
    assert [(b.state, b.feedback_rating, b.feedback_comment) for b in (low, high)] == [
        (BookingState.COMPLETED, 1, ""), (BookingState.COMPLETED, 5, "Nyttig.")]


def test_a_proposal_without_an_answer_carries_none_and_cannot_be_accepted_once_its_time_has_come(world, now):
    booking = request(world, now)
    ops.propose_time(booking, actor=world.lighthouse, now=now, starts_at=oslo(TUE_15_SEP, 12))
    assert booking.answer == ""
    with pytest.raises(ops.BookingError) as refused:
        ops.accept_proposal(booking, actor=world.leader, now=booking.starts_at)
    assert str(refused.value) == "Det foreslåtte tidspunktet har allerede vært."


# --- a proposal and what changes between the look and the lock (found by mutation testing, tests/MUTANTS.md) ---

def _cancel_elsewhere(booking_id: int, leader_id: int, now) -> None:
    from lms.people.models import User
    ops.cancel_booking(db.session.get(Booking, booking_id), actor=db.session.get(User, leader_id), now=now,
                       reason="Vi har planleggingsdag.")


def test_a_proposal_for_a_request_the_school_cancels_between_the_look_and_the_lock_is_refused(world, app, now,
                                                                                            monkeypatch):
    from tests.interleave import before_first_call, commit_elsewhere, reading_request
    booking = request(world, now)
    ids = booking.id, world.leader.id
    db.session.commit()
    with reading_request(app):
        ran = before_first_call(monkeypatch, ops, "_lock_profile", lambda: commit_elsewhere(
            app, lambda: _cancel_elsewhere(*ids, now)))
        with pytest.raises(ops.BookingError) as refused:
            ops.propose_time(db.session.get(Booking, ids[0]), actor=world.lighthouse, now=now,
                             starts_at=oslo(TUE_15_SEP, 12))
        db.session.rollback()
    assert ran == [True]
    assert str(refused.value) == "Det kan ikke foreslås et nytt tidspunkt nå. Den er nå «Avlyst»."
    db.session.expire_all()
    kept = db.session.get(Booking, ids[0])
    assert (kept.state, kept.starts_at) == (BookingState.CANCELLED, oslo(TUE_8_SEP, 12))


def test_a_proposed_time_another_school_takes_between_the_look_and_the_lock_is_refused(world, app, make_user, now,
                                                                                      monkeypatch):
    from tests.interleave import before_first_call, commit_elsewhere, reading_request
    booking = request(world, now)
    other_leader = make_user(roles=(Role.LEADER,), school=world.other_school)
    ids = world.offering.id, world.other_school.id, other_leader.id
    db.session.commit()
    with reading_request(app):
        # 13:30 is free when the fyrtårn looks; 12:00-13:30 (15 minutes' buffer) is taken before the lock.
        ran = before_first_call(monkeypatch, ops, "_lock_profile", lambda: commit_elsewhere(
            app, lambda: _request_elsewhere(*ids, oslo(TUE_15_SEP, 12), now)))
        with pytest.raises(ops.TimeTaken) as refused:
            ops.propose_time(db.session.get(Booking, booking.id), actor=world.lighthouse, now=now,
                             starts_at=oslo(TUE_15_SEP, 13, 30))
        db.session.rollback()
    assert ran == [True]
    assert str(refused.value) == "Tidspunktet er nettopp tatt av en annen skole. Velg et annet."
    held = db.session.execute(sa.select(Booking.school_id, Booking.state, Booking.starts_at)
                              .order_by(Booking.id)).all()
    assert held == [(world.school.id, BookingState.REQUESTED, oslo(TUE_8_SEP, 12)),
                    (world.other_school.id, BookingState.REQUESTED, oslo(TUE_15_SEP, 12))]


def test_the_index_turns_away_a_proposal_of_a_held_start_that_slips_past_the_checks(world, now, monkeypatch):
    mine = request(world, now)
    request(world, now, oslo(TUE_15_SEP, 12))
    monkeypatch.setattr(ops, "_slot_problem", lambda *a, **kw: None)
    with pytest.raises(ops.TimeTaken) as refused:
        ops.propose_time(mine, actor=world.lighthouse, now=now, starts_at=oslo(TUE_15_SEP, 12))
    assert str(refused.value) == "Tidspunktet er nettopp tatt. Velg et annet."
    # The request keeps the time it asked for, and the transaction is still usable.
    assert (mine.state, mine.starts_at, mine.ends_at, mine.semester) == (
        BookingState.REQUESTED, oslo(TUE_8_SEP, 12), oslo(TUE_8_SEP, 13, 30), "2026H")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Booking, mine.id).starts_at == oslo(TUE_8_SEP, 12)


def test_a_time_exactly_the_minimum_notice_away_can_be_asked_for(world):
    asked = oslo(TUE_8_SEP, 12)
    now = asked - timedelta(hours=48)
    assert ops.free_times(world.offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23), now=now)[0].starts_at \
        == asked
    assert request(world, now, asked).state == BookingState.REQUESTED
    a_second_late = oslo(TUE_15_SEP, 12) - timedelta(hours=48) + timedelta(seconds=1)
    with pytest.raises(ops.BookingError) as refused:
        request(world, a_second_late, oslo(TUE_15_SEP, 12))
    assert str(refused.value) == "Tidspunktet må være minst 48 timer frem i tid."


def test_times_proposed_after_the_offering_was_lengthened_count_the_requests_minutes_too(make_profile, make_bookable,
                                                                               make_window, make_user, make_school,
                                                                               now):
    """A request keeps the minutes it was asked with; the hours left are counted with them, not instead of them."""
    profile = make_profile(approved_hours=20)
    offering = make_bookable(profile, duration_minutes=60, buffer_minutes=0)
    make_window(profile)
    school, other = make_school(), make_school()
    leader, other_leader = (make_user(roles=(Role.LEADER,), school=s) for s in (school, other))
    mine = ops.request_booking(offering.id, school.id, actor=leader, starts_at=oslo(TUE_8_SEP, 12),
                               participants_count=3, now=now)
    ops.request_booking(offering.id, other.id, actor=other_leader, starts_at=oslo(TUE_15_SEP, 12),
                        participants_count=3, now=now)
    offering.duration_minutes = 90  # the fyrtårn lengthens the offering; the 60-minute request stays as asked
    proposable = ops.free_times(offering, start=oslo(date(2026, 9, 22), 0), end=oslo(date(2026, 9, 22), 23), now=now,
                                exclude=mine)
    assert starts_in_oslo(proposable) == ["2026-09-22 12:00", "2026-09-22 13:30"]
    with pytest.raises(ops.TimeTaken) as refused:
        ops.propose_time(mine, actor=profile.user, now=now, starts_at=oslo(TUE_15_SEP, 12))
    assert str(refused.value) == "Tidspunktet er nettopp tatt av en annen skole. Velg et annet."


def test_a_request_may_be_for_one_person_and_name_as_many_as_the_offering_takes(world, make_bookable, make_user, now):
    alone = request(world, now, participants_count=1)
    assert (alone.state, alone.participants_count) == (BookingState.REQUESTED, 1)
    pair = make_bookable(world.profile, title="Veiledning for to", max_participants=2)
    colleague = make_user("Kari Kollega", school=world.school)
    both = ops.request_booking(pair.id, world.school.id, actor=world.leader, starts_at=oslo(TUE_15_SEP, 12),
                               participants_count=1, now=now, participant_ids=[world.teacher.id, colleague.id])
    assert (both.participants_count, sorted(p.name for p in both.participants)) == (2, ["Kari Kollega", "Tor Lærer"])


def _change_profile_elsewhere(profile_id: int, *, delete: bool) -> None:
    from lighthouse.profiles.models import LighthouseProfile
    if delete:
        db.session.execute(sa.delete(LighthouseProfile).where(LighthouseProfile.id == profile_id))
    else:
        db.session.get(LighthouseProfile, profile_id).active = False


@pytest.mark.parametrize("delete, message", [(False, "Tilbudet kan ikke bestilles nå."), (True, "Fyrtårnet finnes ikke.")],
                         ids=["made-inactive", "deleted"])
def test_a_fyrtarn_made_inactive_or_deleted_between_the_look_and_the_lock_takes_no_request(world, app, now,
                                                                                         monkeypatch, delete,
                                                                                         message):
    from tests.interleave import before_first_call, commit_elsewhere, reading_request
    profile_id = world.profile.id
    db.session.commit()
    with reading_request(app):
        ran = before_first_call(monkeypatch, ops, "_lock_profile", lambda: commit_elsewhere(
            app, lambda: _change_profile_elsewhere(profile_id, delete=delete)))
        with pytest.raises(ops.BookingError) as refused:
            request(world, now)
        db.session.rollback()
    assert ran == [True]
    assert str(refused.value) == message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_each_semester_draws_on_its_own_approved_hours(world, make_window, now):
    from lighthouse.profiles.models import ReleaseTime
    db.session.add(ReleaseTime(profile_id=world.profile.id, semester="2027V", requested_minutes=600,
                               approved_minutes=90))  # one booking in the spring; 20 hours in the autumn
    make_window(world.profile, valid_from=date(2027, 1, 4), valid_until=date(2027, 6, 18))
    spring = request(world, now, oslo(date(2027, 3, 2), 12))
    assert (spring.state, spring.semester) == (BookingState.REQUESTED, "2027V")
    with pytest.raises(ops.BookingError) as refused:
        request(world, now, oslo(date(2027, 3, 9), 12))
    assert str(refused.value) == "Fyrtårnet har ikke flere timer igjen dette semesteret."
    assert request(world, now, oslo(TUE_8_SEP, 12)).semester == "2026H"


def test_without_buffer_a_time_may_end_as_a_booking_starts_and_start_as_one_ends_beside_a_long_session(
        world, make_bookable, now):
    """What is busy only clashes with a time it overlaps; a long course day or a wide buffer elsewhere changes nothing."""
    tight = make_bookable(world.profile, title="Veiledning uten pause", buffer_minutes=0)
    for starts_at in (oslo(TUE_8_SEP, 13, 30), oslo(TUE_15_SEP, 12)):
        ops.request_booking(tight.id, world.school.id, actor=world.leader, starts_at=starts_at, participants_count=3,
                            now=now)
    course = offering_ops.create_offering(offering_ops.OfferingData(
        title="Kursdag i brøk", kind=offering_ops.OfferingKind.COURSE, capacity=20, school_year=2026,
        target_groups=[offering_ops.TargetGroup.TEACHERS], responsible_id=world.lighthouse.id),
        actor=world.lighthouse, now=now)
    offering_ops.add_session(course, actor=world.lighthouse, now=now, starts_at=oslo(date(2026, 9, 16), 8),
                             ends_at=oslo(date(2026, 9, 16), 16))
    request(world, now, oslo(date(2026, 9, 22), 12))  # with its 15 minutes' buffer: the widest in the range
    times = ops.free_times(tight, start=oslo(TUE_8_SEP, 0), end=oslo(date(2026, 9, 23), 0), now=now)
    assert starts_in_oslo(times) == ["2026-09-08 12:00", "2026-09-15 13:30"]


def test_a_window_of_one_day_gives_its_times_on_that_day(make_profile, make_bookable, make_window, now):
    profile = make_profile()
    offering = make_bookable(profile)
    make_window(profile, valid_from=TUE_8_SEP, valid_until=TUE_8_SEP)
    assert starts_in_oslo(ops.free_times(offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23), now=now)) == [
        "2026-09-08 12:00", "2026-09-08 13:30"]


def test_a_fyrtarn_whose_tuesdays_change_mid_semester_offers_the_times_of_each_window(make_profile, make_bookable,
                                                                                     make_window, now):
    profile = make_profile()
    offering = make_bookable(profile, buffer_minutes=0)
    make_window(profile, start=time(9, 0), end=time(10, 30), valid_from=date(2026, 8, 17),
                valid_until=date(2026, 9, 10))
    make_window(profile, valid_from=date(2026, 9, 11), valid_until=date(2026, 12, 18))
    times = ops.free_times(offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_15_SEP, 23), now=now)
    assert starts_in_oslo(times) == ["2026-09-08 09:00", "2026-09-15 12:00", "2026-09-15 13:30"]


@pytest.fixture
def server_far_east(monkeypatch):
    """Run the test on a server whose own clock is at UTC+14, where Oslo's Tuesday noon is already Wednesday."""
    import time as clock
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    clock.tzset()
    yield
    monkeypatch.undo()
    clock.tzset()


def test_free_times_and_requests_do_not_depend_on_the_servers_own_time_zone(world, now, server_far_east):
    times = ops.free_times(world.offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23), now=now)
    assert [t.starts_at.isoformat() for t in times] == ["2026-09-08T10:00:00+00:00", "2026-09-08T11:30:00+00:00"]
    booking = request(world, now)
    assert (booking.state, booking.starts_at) == (BookingState.REQUESTED, oslo(TUE_8_SEP, 12))


def test_a_full_autumn_leaves_the_spring_its_own_hours(make_profile, make_bookable, make_window, make_user,
                                                       make_school, now):
    from lighthouse.profiles.models import ReleaseTime
    profile = make_profile(approved_hours=None)
    for semester in ("2026H", "2027V"):
        db.session.add(ReleaseTime(profile_id=profile.id, semester=semester, requested_minutes=90, approved_minutes=90))
    offering = make_bookable(profile)
    make_window(profile, valid_until=date(2027, 6, 18))
    school = make_school()
    ops.request_booking(offering.id, school.id, actor=make_user(roles=(Role.LEADER,), school=school),
                        starts_at=oslo(TUE_8_SEP, 12), participants_count=3, now=now)
    times = ops.free_times(offering, start=oslo(date(2026, 12, 1), 0), end=oslo(date(2027, 1, 13), 0), now=now)
    assert starts_in_oslo(times) == ["2027-01-05 12:00", "2027-01-05 13:30", "2027-01-12 12:00", "2027-01-12 13:30"]


def test_a_cancelled_session_of_the_fyrtarns_own_course_gives_its_time_back(world, admin, make_offering, now):
    course = make_offering("Matematikk i praksis", sessions=0, publish=False, responsible_id=world.lighthouse.id)
    session = offering_ops.add_session(course, actor=admin, now=now, starts_at=oslo(TUE_8_SEP, 12),
                                       ends_at=oslo(TUE_8_SEP, 15))
    assert ops.free_times(world.offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23), now=now) == []
    offering_ops.cancel_session(course, session, actor=admin, now=now, reason="Syk")
    assert len(ops.free_times(world.offering, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23), now=now)) == 2


def test_without_buffer_a_free_time_may_end_as_the_fyrtarns_own_session_begins(world, admin, make_bookable,
                                                                               make_offering, now):
    tight = make_bookable(world.profile, title="Veiledning uten pause", buffer_minutes=0)
    course = make_offering("Matematikk i praksis", sessions=0, publish=False, responsible_id=world.lighthouse.id)
    offering_ops.add_session(course, actor=admin, now=now, starts_at=oslo(TUE_8_SEP, 13, 30),
                             ends_at=oslo(TUE_8_SEP, 15))
    times = ops.free_times(tight, start=oslo(TUE_8_SEP, 0), end=oslo(TUE_8_SEP, 23), now=now)
    assert starts_in_oslo(times) == ["2026-09-08 12:00"]
