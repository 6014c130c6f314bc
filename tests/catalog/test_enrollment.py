"""Enrollment rules: capacity, waitlist, offers, cancellation deadlines, audit."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalog.enrollment import operations as ops
from catalog.enrollment.models import SEAT_STATES, Enrollment, EnrollmentState
from catalog.offerings import operations as offering_ops
from catalog.offerings.models import TargetGroup
from lms.audit.operations import history
from lms.auth.operations import PermissionDenied
from lms.db import db
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from lms.people.models import Role
from lms.settings import operations as settings
from tests.conftest import vacuum


def test_enrollment_takes_a_seat_until_full_then_waitlists(make_offering, make_user, now):
    offering = make_offering(capacity=2)
    people = [make_user() for _ in range(3)]
    states = [ops.enroll(offering.id, p, actor=p, now=now).state for p in people]
    assert states == [EnrollmentState.ENROLLED, EnrollmentState.ENROLLED, EnrollmentState.WAITLISTED]
    assert ops.seats_left(offering) == 0
    waiting = ops.waitlist(offering.id)
    assert [e.user_id for e in waiting] == [people[2].id]
    assert ops.waitlist_position(waiting[0]) == 1


def test_waitlist_join_mail_tells_the_position(make_offering, make_user, now):
    offering = make_offering(capacity=1)
    first, second, third = make_user(), make_user(), make_user()
    for p in (first, second, third):
        ops.enroll(offering.id, p, actor=p, now=now)
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == third.email)).one()
    assert "nummer 2" in render(mail).text


def test_cancellation_offers_seat_to_first_on_waitlist(make_offering, make_user, now):
    offering = make_offering(capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    ea = ops.enroll(offering.id, a, actor=a, now=now)
    eb = ops.enroll(offering.id, b, actor=b, now=now + timedelta(minutes=1))
    ec = ops.enroll(offering.id, c, actor=c, now=now + timedelta(minutes=2))
    ops.cancel_enrollment(ea, actor=a, now=now + timedelta(hours=1))
    assert eb.state == EnrollmentState.OFFERED
    assert eb.offer_expires_at == now + timedelta(hours=1 + 48)
    assert ec.state == EnrollmentState.WAITLISTED
    assert ops.waitlist_position(ec) == 1
    ops.accept_offer(eb, actor=b, now=now + timedelta(hours=2))
    assert eb.state == EnrollmentState.ENROLLED


def test_unanswered_offer_passes_to_next(make_offering, make_user, now):
    offering = make_offering(capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    ea = ops.enroll(offering.id, a, actor=a, now=now)
    eb = ops.enroll(offering.id, b, actor=b, now=now)
    ec = ops.enroll(offering.id, c, actor=c, now=now)
    ops.cancel_enrollment(ea, actor=a, now=now)
    assert ops.expire_offers(now + timedelta(hours=49)) == 1
    assert eb.state == EnrollmentState.CANCELLED
    assert ec.state == EnrollmentState.OFFERED
    with pytest.raises(ops.EnrollmentError):
        ops.accept_offer(eb, actor=b, now=now + timedelta(hours=50))


def test_capacity_increase_promotes_waitlist(make_offering, make_user, admin, now):
    offering = make_offering(capacity=1)
    a, b = make_user(), make_user()
    ops.enroll(offering.id, a, actor=a, now=now)
    eb = ops.enroll(offering.id, b, actor=b, now=now)
    ops.change_capacity(offering, 2, actor=admin, now=now)
    assert eb.state == EnrollmentState.OFFERED


def test_no_promotion_after_first_session_started(make_offering, make_user, admin, now):
    offering = make_offering(capacity=1, starts_in=timedelta(days=1))
    a, b = make_user(), make_user()
    ea = ops.enroll(offering.id, a, actor=a, now=now)
    eb = ops.enroll(offering.id, b, actor=b, now=now)
    later = offering.first_starts_at + timedelta(minutes=5)
    ops.cancel_enrollment(ea, actor=admin, now=later)
    assert eb.state == EnrollmentState.WAITLISTED


def test_participant_cannot_cancel_after_deadline_but_can_leave_waitlist(make_offering, make_user, now):
    offering = make_offering(capacity=1, cancellation_deadline=now + timedelta(days=1))
    a, b = make_user(), make_user()
    ea = ops.enroll(offering.id, a, actor=a, now=now)
    eb = ops.enroll(offering.id, b, actor=b, now=now)
    with pytest.raises(ops.EnrollmentError, match="Avmeldingsfristen"):
        ops.cancel_enrollment(ea, actor=a, now=now + timedelta(days=2))
    ops.cancel_enrollment(eb, actor=b, now=now + timedelta(days=2))
    assert eb.state == EnrollmentState.CANCELLED


def test_same_person_cannot_enroll_twice(make_offering, make_user, now):
    offering = make_offering()
    a = make_user()
    ops.enroll(offering.id, a, actor=a, now=now)
    with pytest.raises(ops.EnrollmentError, match="allerede"):
        ops.enroll(offering.id, a, actor=a, now=now)


def test_database_refuses_second_active_enrollment(make_offering, make_user, now):
    offering = make_offering()
    a = make_user()
    ops.enroll(offering.id, a, actor=a, now=now)
    db.session.add(Enrollment(offering_id=offering.id, user_id=a.id, state=EnrollmentState.WAITLISTED,
                              waitlisted_at=now))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_reenroll_after_cancelling_is_allowed(make_offering, make_user, now):
    offering = make_offering()
    a = make_user()
    e = ops.enroll(offering.id, a, actor=a, now=now)
    ops.cancel_enrollment(e, actor=a, now=now)
    again = ops.enroll(offering.id, a, actor=a, now=now)
    assert again.state == EnrollmentState.ENROLLED and again.id != e.id


def test_target_group_decides_eligibility(make_offering, make_user, now):
    offering = make_offering(target_groups=(TargetGroup.LEADERS,))
    teacher = make_user(roles=(Role.TEACHER,))
    leader = make_user(roles=(Role.LEADER,))
    with pytest.raises(ops.EnrollmentError, match="målgruppe"):
        ops.enroll(offering.id, teacher, actor=teacher, now=now)
    assert ops.enroll(offering.id, leader, actor=leader, now=now).state == EnrollmentState.ENROLLED


def test_leader_enrolls_own_staff_but_not_other_schools(make_offering, make_user, make_school, now):
    school, other = make_school(), make_school()
    leader = make_user(roles=(Role.LEADER,), school=school)
    own = make_user(school=school)
    stranger = make_user(school=other)
    offering = make_offering()
    e = ops.enroll(offering.id, own, actor=leader, now=now)
    assert e.state == EnrollmentState.ENROLLED and e.enrolled_by_id == leader.id
    with pytest.raises(PermissionDenied):
        ops.enroll(offering.id, stranger, actor=leader, now=now)


def test_registration_window_is_respected(make_offering, make_user, now):
    offering = make_offering(registration_opens_at=now + timedelta(days=2))
    a = make_user()
    with pytest.raises(ops.EnrollmentError, match="åpner"):
        ops.enroll(offering.id, a, actor=a, now=now)


def test_every_state_change_is_audited(make_offering, make_user, now):
    offering = make_offering(capacity=1)
    a = make_user()
    e = ops.enroll(offering.id, a, actor=a, now=now)
    ops.cancel_enrollment(e, actor=a, now=now + timedelta(minutes=3))
    entries = history("enrollment", e.id)
    assert [(x.from_state, x.to_state, x.actor_id) for x in entries] == [
        (None, "enrolled", a.id), ("enrolled", "cancelled", a.id)]
    assert entries[1].at == now + timedelta(minutes=3)


@pytest.mark.parametrize("start,target,allowed", [
    (EnrollmentState.ENROLLED, EnrollmentState.ATTENDED, True),
    (EnrollmentState.ENROLLED, EnrollmentState.OFFERED, False),
    (EnrollmentState.CANCELLED, EnrollmentState.ENROLLED, False),
    (EnrollmentState.WAITLISTED, EnrollmentState.OFFERED, True),
    (EnrollmentState.COMPLETED, EnrollmentState.CANCELLED, False),
])
def test_transition_table(make_offering, make_user, now, start, target, allowed):
    offering = make_offering()
    a = make_user()
    e = Enrollment(offering=offering, user=a, state=start, waitlisted_at=now)
    db.session.add(e)
    db.session.flush()
    ops.recount_seats(offering)
    if target == EnrollmentState.OFFERED:
        e.offer_expires_at = now + timedelta(hours=1)
    if allowed:
        ops.transition(e, target, actor=a, now=now, notify=False)
        assert e.state == target
    else:
        with pytest.raises(ops.EnrollmentError):
            ops.transition(e, target, actor=a, now=now, notify=False)


def test_waitlist_keeps_lock_order_even_if_clock_was_read_earlier(make_offering, make_user, now):
    """A request that read the clock first but got the lock second queues behind the one before it."""
    offering = make_offering(capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    ops.enroll(offering.id, a, actor=a, now=now)
    eb = ops.enroll(offering.id, b, actor=b, now=now + timedelta(seconds=2))
    ec = ops.enroll(offering.id, c, actor=c, now=now + timedelta(seconds=1))
    assert ec.waitlisted_at >= eb.waitlisted_at
    assert [ops.waitlist_position(eb), ops.waitlist_position(ec)] == [1, 2]
    assert [e.id for e in ops.waitlist(offering.id)] == [eb.id, ec.id]


def test_of_two_who_joined_the_waitlist_at_one_moment_the_first_is_offered_the_seat_also_where_a_cancellation_made_room(
        make_offering, make_user, now):
    """On PostgreSQL the second is written where a cancelled enrollment's old row lay, once the table is vacuumed."""
    offering = make_offering(capacity=1)
    gone, holder, first, second = make_user(), make_user(), make_user(), make_user()
    ops.cancel_enrollment(ops.enroll(offering.id, gone, actor=gone, now=now), actor=gone, now=now)
    held = ops.enroll(offering.id, holder, actor=holder, now=now)
    early = ops.enroll(offering.id, first, actor=first, now=now)
    db.session.commit()
    vacuum("enrollment")  # as autovacuum does after changes
    late = ops.enroll(offering.id, second, actor=second, now=now)
    db.session.commit()
    assert early.waitlisted_at == late.waitlisted_at
    ops.cancel_enrollment(held, actor=holder, now=now + timedelta(hours=1))
    db.session.commit()
    assert (early.state, late.state) == (EnrollmentState.OFFERED, EnrollmentState.WAITLISTED)


def test_seat_counters_match_the_enrollments_after_a_busy_day(make_offering, make_user, admin, now):
    offering = make_offering(capacity=3)
    people = [make_user() for _ in range(7)]
    enrollments = [ops.enroll(offering.id, p, actor=p, now=now + timedelta(minutes=i)) for i, p in enumerate(people)]
    ops.cancel_enrollment(enrollments[0], actor=people[0], now=now + timedelta(hours=1))
    ops.cancel_enrollment(enrollments[5], actor=people[5], now=now + timedelta(hours=1))
    ops.expire_offers(now + timedelta(hours=60))
    ops.change_capacity(offering, 5, actor=admin, now=now + timedelta(hours=61))
    offered = [e for e in enrollments if e.state == EnrollmentState.OFFERED]
    ops.accept_offer(offered[0], actor=offered[0].user, now=now + timedelta(hours=62))
    db.session.flush()
    assert (offering.seats_taken, offering.waitlist_length) == ops.count_seats(offering.id)
    assert ops.recount_seats(offering) is False
    assert offering.seats_taken <= offering.capacity


def test_database_refuses_more_seats_than_capacity(make_offering):
    offering = make_offering(capacity=2)
    offering.seats_taken = 3
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_only_admins_and_fyrtarn_for_their_own_course_create_offerings(make_user, admin, now):
    from catalog.offerings import operations as offering_ops
    from catalog.offerings.models import OfferingKind, TargetGroup
    from lms.people.models import Role

    fyrtarn = make_user("Marte Fyrtårn", roles=(Role.TEACHER, Role.LIGHTHOUSE))
    teacher = make_user("Tone Lærer")

    def data(responsible):
        return offering_ops.OfferingData(title="Åpent kurs i brøk", kind=OfferingKind.COURSE, capacity=20,
                                         school_year=2026, target_groups=[TargetGroup.TEACHERS],
                                         responsible_id=responsible.id)

    own = offering_ops.create_offering(data(fyrtarn), actor=fyrtarn, now=now)
    assert own.responsible_id == fyrtarn.id
    for actor, responsible in ((fyrtarn, teacher), (teacher, teacher)):
        with pytest.raises(offering_ops.OfferingError, match="Bare programadministratorer"):
            offering_ops.create_offering(data(responsible), actor=actor, now=now)
    assert offering_ops.create_offering(data(teacher), actor=admin, now=now).responsible_id == teacher.id


# --- who hears of a coming session: everyone holding a seat, whatever their attendance ---------------

def _enrollment_in(state, offering, make_user, admin, at):
    """Bring a new person's enrollment in ``offering`` to ``state`` through the ordinary operations.

    Sign-ups happen at ``at``; attendance is taken ten minutes before the
    first session, so everything is in place a little before it starts,
    with the second session ahead and an offered seat's offer still open.
    """
    person = make_user()
    if state == EnrollmentState.OFFERED:
        first = make_user()
        holder = ops.enroll(offering.id, first, actor=first, now=at)
        ops.change_capacity(offering, offering.seats_taken, actor=admin, now=at)  # full
        waiting = ops.enroll(offering.id, person, actor=person, now=at)
        ops.cancel_enrollment(holder, actor=first, now=at)
        assert waiting.state == EnrollmentState.OFFERED
        return waiting
    if state == EnrollmentState.WAITLISTED:
        ops.change_capacity(offering, max(offering.seats_taken, 1), actor=admin, now=at)
        filler = make_user()
        if offering.seats_taken < offering.capacity:
            ops.enroll(offering.id, filler, actor=filler, now=at)
        return ops.enroll(offering.id, person, actor=person, now=at)
    enrollment = ops.enroll(offering.id, person, actor=person, now=at)
    first_session = offering.live_sessions[0]
    if state == EnrollmentState.CANCELLED:
        ops.cancel_enrollment(enrollment, actor=person, now=at)
    elif state in (EnrollmentState.ATTENDED, EnrollmentState.NO_SHOW, EnrollmentState.COMPLETED):
        present = {enrollment.id} if state != EnrollmentState.NO_SHOW else set()
        taken_at = first_session.starts_at - timedelta(minutes=10)
        ops.record_attendance(first_session, offering, present, actor=admin, now=taken_at)
        if state == EnrollmentState.COMPLETED:
            ops.mark_completed(offering, {enrollment.id}, actor=admin, now=taken_at)
    assert enrollment.state == state
    return enrollment


def _just_before(offering):
    return offering.live_sessions[0].starts_at - timedelta(minutes=5)


def _kinds_to(user) -> list[str]:
    return list(db.session.scalars(sa.select(OutboxMessage.kind).where(OutboxMessage.recipient == user.email)
                                   .order_by(OutboxMessage.id)))


@pytest.mark.parametrize("state", list(EnrollmentState))
def test_a_cancelled_session_reaches_everyone_holding_a_seat_whatever_their_attendance(
        state, make_offering, make_user, admin, now):
    offering = make_offering(capacity=5, sessions=2, starts_in=timedelta(days=5))
    enrollment = _enrollment_in(state, offering, make_user, admin, now)
    second = offering.live_sessions[1]
    offering_ops.cancel_session(offering, second, actor=admin, now=_just_before(offering), reason="Foreleseren er syk.")
    told = "catalog.session_cancelled" in _kinds_to(enrollment.user)
    assert told == (state in SEAT_STATES), f"{state}: told={told}"
    if told:
        mail = render(db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == enrollment.user.email, OutboxMessage.kind == "catalog.session_cancelled")).one())
        assert "Foreleseren er syk." in mail.text


@pytest.mark.parametrize("state", list(EnrollmentState))
def test_a_moved_session_reaches_everyone_holding_a_seat(state, make_offering, make_user, admin, now):
    offering = make_offering(capacity=5, sessions=2, starts_in=timedelta(days=5))
    enrollment = _enrollment_in(state, offering, make_user, admin, now)
    second = offering.live_sessions[1]
    offering_ops.update_session(offering, second, actor=admin, now=_just_before(offering),
                                starts_at=second.starts_at + timedelta(hours=1),
                                ends_at=second.ends_at + timedelta(hours=1), location="Rådhuset, sal 3")
    assert ("catalog.offering_changed" in _kinds_to(enrollment.user)) == (state in SEAT_STATES), state


@pytest.mark.parametrize("state", list(EnrollmentState))
def test_reminders_reach_everyone_holding_a_seat(state, make_offering, make_user, admin, now):
    offering = make_offering(capacity=5, sessions=2, starts_in=timedelta(days=5))
    enrollment = _enrollment_in(state, offering, make_user, admin, now)
    settings.set_value(ops.REMINDER_DAYS.key, "8")  # the second session, a week after the first, is in the window
    ops.queue_reminders(_just_before(offering))
    reminded_of = list(db.session.scalars(sa.select(OutboxMessage.params).where(
        OutboxMessage.recipient == enrollment.user.email, OutboxMessage.kind == "catalog.reminder")))
    second = offering.live_sessions[1].id
    assert (second in {p["session_id"] for p in reminded_of}) == (state in SEAT_STATES), state


def test_an_offered_seat_is_reminded_to_answer_and_held_tentatively(make_offering, make_user, admin, now):
    offering = make_offering(capacity=5, sessions=1, starts_in=timedelta(days=3))
    enrollment = _enrollment_in(EnrollmentState.OFFERED, offering, make_user, admin, now)
    ops.queue_reminders(now + timedelta(days=1, hours=12))
    reminder = render(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == enrollment.user.email, OutboxMessage.kind == "catalog.reminder")).one())
    assert "du er tilbudt plass" in reminder.text and "Takk ja innen" in reminder.text
    assert b"STATUS:TENTATIVE" in reminder.attachments[0].data


# --- attendance is taken at the session, not before -------------------------------------------------

def test_attendance_is_refused_before_shortly_before_the_session(make_offering, make_user, admin, now):
    offering = make_offering(sessions=2)
    enrollment = ops.enroll(offering.id, make_user(), actor=admin, now=now)
    first = offering.live_sessions[0]
    with pytest.raises(ops.EnrollmentError, match="Oppmøte kan føres fra"):
        ops.record_attendance(first, offering, {enrollment.id}, actor=admin, now=first.starts_at - timedelta(hours=1))
    assert enrollment.state == EnrollmentState.ENROLLED
    ops.record_attendance(first, offering, {enrollment.id}, actor=admin, now=first.starts_at - timedelta(minutes=15))
    assert enrollment.state == EnrollmentState.ATTENDED


def test_the_attendance_window_is_an_admin_setting(make_offering, make_user, admin, now):
    offering = make_offering()
    enrollment = ops.enroll(offering.id, make_user(), actor=admin, now=now)
    first = offering.live_sessions[0]
    settings.set_value(ops.ATTENDANCE_OPENS_MINUTES.key, "120")
    ops.record_attendance(first, offering, {enrollment.id}, actor=admin, now=first.starts_at - timedelta(hours=2))
    assert enrollment.state == EnrollmentState.ATTENDED


def test_no_attendance_for_a_cancelled_session(make_offering, make_user, admin, now):
    offering = make_offering(sessions=2)
    enrollment = ops.enroll(offering.id, make_user(), actor=admin, now=now)
    first = offering.live_sessions[0]
    offering_ops.cancel_session(offering, first, actor=admin, now=now)
    with pytest.raises(ops.EnrollmentError, match="avlyst"):
        ops.record_attendance(first, offering, {enrollment.id}, actor=admin, now=first.starts_at)


def test_an_offer_mail_says_until_when_and_the_answers_mails_say_what_was_answered(make_offering, make_user, now):
    """Word for word: the offer's answer-by time in Oslo time, then "takket ja" or "takket nei"."""
    offering = make_offering("Digital vurdering", capacity=1)
    first, kari, ola = make_user(), make_user(), make_user()
    seat = ops.enroll(offering.id, first, actor=first, now=now)
    kari_seat = ops.enroll(offering.id, kari, actor=kari, now=now)
    ola_seat = ops.enroll(offering.id, ola, actor=ola, now=now)
    ops.cancel_enrollment(seat, actor=first, now=now)  # Kari is offered the seat for 48 hours
    ops.accept_offer(kari_seat, actor=kari, now=now + timedelta(hours=1))
    ops.cancel_enrollment(kari_seat, actor=kari, now=now + timedelta(hours=2))  # then Ola, two hours on
    ops.decline_offer(ola_seat, actor=ola, now=now + timedelta(hours=3))

    def mails(person):
        return [render(m) for m in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == person.email).order_by(OutboxMessage.id))]

    _waiting, offered, accepted, _cancelled = mails(kari)
    assert offered.subject == "Ledig plass til deg: Digital vurdering"
    # Offered at 10:00 Oslo time (08:00 UTC) on Tuesday 1 September.
    assert ("Det er blitt ledig plass på «Digital vurdering». Takk ja innen torsdag 3. september 2026 kl. 10:00 "
            "under «Mine kurs», ellers går plassen videre.") in offered.text
    assert accepted.subject == "Du har fått plass: Digital vurdering"
    assert "Du har takket ja og er nå påmeldt «Digital vurdering»." in accepted.text
    _waiting, offered, declined = mails(ola)
    assert "Takk ja innen torsdag 3. september 2026 kl. 12:00 under «Mine kurs»" in offered.text
    assert declined.subject == "Avmeldt: Digital vurdering"
    assert "Du har takket nei til plassen på «Digital vurdering»." in declined.text
