"""The enrollment rules a person notices when they break: the cancellation deadline and the seats under the lock.

The deadline is posted through the pages, at the deadline itself and on
either side of it, as the participant and as those who may cancel anyway.
The seat count is checked with another request committing between the first
look at the offering and the lock, and (on PostgreSQL) with another request
waiting for the lock while a seat is being taken.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalog.enrollment import operations as ops
from catalog.enrollment.models import SEAT_STATES, Enrollment, EnrollmentState
from catalog.offerings import operations as offering_ops
from catalog.offerings.models import Offering, TargetGroup
from events.models import Session
from lms.audit.models import AuditEntry
from lms.db import db, set_clock
from lms.mail.models import OutboxMessage
from lms.people.models import Role, User
from tests.conftest import nothing_changes, statements_sent
from tests.interleave import (Contender, before_first_call, commit_elsewhere, reading_request,
                              wait_until_blocked_or_done)

SECOND = timedelta(seconds=1)


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def seat_holders(offering_id: int) -> int:
    return count(Enrollment, Enrollment.offering_id == offering_id, Enrollment.state.in_(SEAT_STATES))


@pytest.fixture
def course(make_offering, make_user, now):
    """A one-seat course whose cancellation deadline is ten days away, a participant in its seat and one waiting."""
    organiser = make_user("Olav Arrangør", roles=(Role.TEACHER,))
    offering = make_offering(capacity=1, cancellation_deadline=now + timedelta(days=10),
                             responsible_id=organiser.id)
    participant, waiting = make_user("Pia Deltaker"), make_user("Vera Venter")
    seat = ops.enroll(offering.id, participant, actor=participant, now=now)
    queued = ops.enroll(offering.id, waiting, actor=waiting, now=now)
    db.session.commit()
    return offering, organiser, participant, seat, queued


def _page(client, offering_id: int) -> str:
    return client.get(f"/kurs/{offering_id}").get_data(as_text=True)


def _cancel(client, enrollment_id: int) -> str:
    """Post the cancellation as the page's button does; return the page it leads back to."""
    response = client.post(f"/pameldinger/{enrollment_id}/avmeld", follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _states(*enrollments: Enrollment) -> list[EnrollmentState]:
    db.session.expire_all()
    return [db.session.get(Enrollment, e.id).state for e in enrollments]


# --- the participant's cancellation deadline -----------------------------------------------------

def test_participant_cancels_through_the_page_just_before_the_deadline(course, login):
    offering, _organiser, participant, seat, queued = course
    set_clock(offering.cancellation_deadline - SECOND)
    client = login(participant)
    assert "Meld meg av" in _page(client, offering.id)
    assert "Avmeldingen er registrert." in _cancel(client, seat.id)
    # The seat passes on to the one waiting.
    assert _states(seat, queued) == [EnrollmentState.CANCELLED, EnrollmentState.OFFERED]


@pytest.mark.parametrize("after", [timedelta(0), SECOND, timedelta(days=1)],
                         ids=["at-the-deadline", "a-second-after", "a-day-after"])
def test_participant_is_refused_from_the_deadline_on_and_nothing_changes(course, login, after):
    offering, _organiser, participant, seat, queued = course
    set_clock(offering.cancellation_deadline + after)
    client = login(participant)
    page = _page(client, offering.id)
    assert "Meld meg av" not in page and "Avmeldingsfristen er ute" in page
    with nothing_changes():
        page = _cancel(client, seat.id)
    refusal = "Avmeldingsfristen var fredag 11. september 2026 kl. 10:00. Kontakt arrangøren."
    assert f'<p class="ds-paragraph">{refusal}</p>' in page
    assert _states(seat, queued) == [EnrollmentState.ENROLLED, EnrollmentState.WAITLISTED]
    assert seat_holders(offering.id) == 1 and db.session.get(Offering, offering.id).seats_taken == 1


def test_participant_still_leaves_the_waitlist_after_the_deadline(course, login):
    offering, _organiser, _participant, _seat, queued = course
    set_clock(offering.cancellation_deadline + timedelta(days=1))
    assert "Du har forlatt ventelisten." in _cancel(login(queued.user), queued.id)
    assert _states(queued) == [EnrollmentState.CANCELLED]


@pytest.mark.parametrize("who", ["organiser", "admin"])
@pytest.mark.parametrize("after", [timedelta(0), timedelta(days=1)], ids=["at-the-deadline", "a-day-after"])
def test_the_organiser_and_an_admin_cancel_a_seat_after_the_deadline(course, login, admin, who, after):
    offering, organiser, _participant, seat, queued = course
    actor = organiser if who == "organiser" else admin
    set_clock(offering.cancellation_deadline + after)
    assert "Avmeldingen er registrert." in _cancel(login(actor), seat.id)
    assert _states(seat, queued) == [EnrollmentState.CANCELLED, EnrollmentState.OFFERED]
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "enrollment", AuditEntry.object_id == seat.id,
        AuditEntry.to_state == "cancelled")).one()
    assert entry.actor_id == actor.id


# --- the seat count under the offering's lock ---------------------------------------------------------

def _enroll_by_id(offering_id: int, user_id: int, now) -> Enrollment:
    person = db.session.get(User, user_id)
    return ops.enroll(offering_id, person, actor=person, now=now)


def test_a_seat_taken_by_another_request_before_the_lock_sends_the_next_to_the_waitlist(
        app, make_offering, make_user, now, monkeypatch):
    """The offering was read (its counter: one seat free) before another request took that seat and committed."""
    offering = make_offering(capacity=1)
    first, second = make_user("Første"), make_user("Andre")
    offering_id, first_id = offering.id, first.id
    db.session.commit()
    with reading_request(app):
        db.session.get(Offering, offering_id).seats_left  # the page's look: one seat free
        ran = before_first_call(monkeypatch, ops, "lock_offering", lambda: commit_elsewhere(
            app, lambda: _enroll_by_id(offering_id, first_id, now)))
        late = ops.enroll(offering_id, second, actor=second, now=now)
        db.session.commit()
    assert ran == [True]
    assert late.state == EnrollmentState.WAITLISTED
    db.session.expire_all()
    assert seat_holders(offering_id) == 1
    assert ops.count_seats(offering_id) == (1, 1)
    assert ops.recount_seats(db.session.get(Offering, offering_id)) is False


def test_the_same_persons_other_request_before_the_lock_leaves_one_enrollment_and_says_so(
        app, make_offering, make_user, now, monkeypatch):
    """Two requests of one person both pass the first look; the one-active-enrollment index turns the second away."""
    offering = make_offering(capacity=5)
    kari = make_user("Kari Dobbel")
    offering_id, kari_id = offering.id, kari.id
    db.session.commit()
    with reading_request(app):
        ran = before_first_call(monkeypatch, ops, "lock_offering", lambda: commit_elsewhere(
            app, lambda: _enroll_by_id(offering_id, kari_id, now)))
        with pytest.raises(ops.EnrollmentError) as refused:
            ops.enroll(offering_id, kari, actor=kari, now=now)
        db.session.rollback()
    assert ran == [True]
    assert str(refused.value) == "Du er allerede påmeldt eller på ventelisten."
    assert count(Enrollment, Enrollment.offering_id == offering_id) == 1
    assert ops.count_seats(offering_id) == (1, 0)


def test_a_seat_freed_by_another_request_before_the_lock_is_given(app, make_offering, make_user, now, monkeypatch):
    """The other way round: the counter read first said full, but the seat came free before the lock."""
    offering = make_offering(capacity=1)
    holder, newcomer = make_user("Holder"), make_user("Nykommer")
    seat = ops.enroll(offering.id, holder, actor=holder, now=now)
    offering_id, seat_id, holder_id = offering.id, seat.id, holder.id
    db.session.commit()

    def cancel_elsewhere():
        enrollment = db.session.get(Enrollment, seat_id)
        ops.cancel_enrollment(enrollment, actor=db.session.get(User, holder_id), now=now)

    with reading_request(app):
        assert db.session.get(Offering, offering_id).seats_left == 0
        before_first_call(monkeypatch, ops, "lock_offering", lambda: commit_elsewhere(app, cancel_elsewhere))
        enrollment = ops.enroll(offering_id, newcomer, actor=newcomer, now=now)
        db.session.commit()
    assert enrollment.state == EnrollmentState.ENROLLED
    db.session.expire_all()
    assert ops.count_seats(offering_id) == (1, 0)


def test_a_request_waits_for_the_lock_while_another_takes_the_last_seat(app, make_offering, make_user, now):
    """PostgreSQL: while one request holds the last seat uncommitted, another waits for it and then queues."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's row lock; SQLite takes its one write lock at BEGIN IMMEDIATE")
    offering = make_offering(capacity=1)
    first, second = make_user("Første"), make_user("Andre")
    offering_id, second_id = offering.id, second.id
    db.session.commit()
    ops.enroll(offering_id, first, actor=first, now=now)  # flushed, not committed: the lock is ours
    contender = Contender(app, lambda: _enroll_by_id(offering_id, second_id, now).state)
    contender.start()
    waited = wait_until_blocked_or_done(contender)
    db.session.commit()
    contender.join(60)
    if contender.error:
        raise contender.error
    assert waited, "the second request did not wait for the offering's lock"
    assert contender.result == EnrollmentState.WAITLISTED
    db.session.expire_all()
    assert seat_holders(offering_id) == 1


# --- what each refusal says (found by mutation testing, tests/MUTANTS.md) --------------------------------

@pytest.fixture
def refusals(make_offering, make_user, make_school, admin, now):
    """Return each refusal of the enrollment rules as (what is done, the message the person reads)."""
    from catalog.offerings import operations as offering_ops
    from catalog.offerings.models import TargetGroup

    school = make_school("Sandvika skole")
    teacher, other = make_user("Tea Lærer", school=school), make_user("Ola Annen")
    leader = make_user("Lise Leder", roles=(Role.LEADER,), school=make_school("Hosle skole"))
    one_seat = make_offering("Ett sete", capacity=1)
    draft = make_offering("Utkast", publish=False)
    later = make_offering("Senere", registration_opens_at=now + timedelta(days=2))
    closed = make_offering("Stengt", registration_closes_at=now - timedelta(hours=1))
    begun = make_offering("Begynt", starts_in=timedelta(hours=-1))
    leaders_only = make_offering("For ledere", target_groups=(TargetGroup.LEADERS, TargetGroup.NEW_HIRES))
    gone = make_offering("Avlyst")
    offering_ops.cancel_offering(gone, actor=admin, now=now, reason="")
    seat = ops.enroll(one_seat.id, teacher, actor=teacher, now=now)
    waiting = ops.enroll(one_seat.id, other, actor=other, now=now)
    done = ops.enroll(make_offering("Fullført").id, other, actor=other, now=now)
    ops.mark_completed(done.offering, {done.id}, actor=admin, now=now)

    def enroll(offering, person=teacher, actor=None):
        return lambda: ops.enroll(offering.id, person, actor=actor or person, now=now)
    return {
        "unknown offering": (lambda: ops.enroll(999_999, teacher, actor=teacher, now=now), "Tilbudet finnes ikke."),
        "cancelled": (enroll(gone), "Tilbudet er avlyst."),
        "draft": (enroll(draft), "Tilbudet er ikke publisert ennå."),
        "not open yet": (enroll(later), "Påmeldingen åpner torsdag 3. september 2026 kl. 10:00."),
        "closed": (enroll(closed), "Påmeldingsfristen er ute."),
        "begun": (enroll(begun), "Tilbudet har allerede startet."),
        "target group": (enroll(leaders_only), "Tilbudet er ikke for din målgruppe (Skoleledere, Nyansatte)."),
        "twice": (enroll(one_seat), "Du er allerede påmeldt eller på ventelisten."),
        "twice for someone": (enroll(one_seat, other, admin), "Ola Annen er allerede påmeldt eller på ventelisten."),
        "not their staff": (enroll(one_seat, other, leader),
                            "Du kan bare melde på deg selv eller ansatte ved din skole."),
        "cancel someone else": (lambda: ops.cancel_enrollment(seat, actor=leader, now=now),
                                "Du kan ikke melde av denne personen."),
        "cancel completed": (lambda: ops.cancel_enrollment(done, actor=other, now=now),
                             "Denne påmeldingen kan ikke avmeldes (Fullført)."),
        "accept without offer": (lambda: ops.accept_offer(waiting, actor=other, now=now),
                                 "Tilbudet om plass gjelder ikke lenger."),
        "accept for someone": (lambda: ops.accept_offer(waiting, actor=teacher, now=now),
                               "Du kan bare svare på dine egne tilbud."),
        "decline without offer": (lambda: ops.decline_offer(waiting, actor=other, now=now),
                                  "Tilbudet om plass gjelder ikke lenger."),
        "capacity by a teacher": (lambda: ops.change_capacity(one_seat, 5, actor=teacher, now=now),
                                  "Du kan ikke endre dette tilbudet."),
        "capacity below the seats": (lambda: ops.change_capacity(make_offering("Fullt", capacity=3), 0,
                                                                 actor=admin, now=now),
                                     "Kapasiteten kan ikke settes lavere enn antall tildelte plasser (0)."),
        "attendance by a teacher": (lambda: ops.record_attendance(one_seat.schedule.sessions[0], one_seat, set(),
                                                                  actor=teacher, now=now),
                                    "Du kan ikke føre oppmøte for dette tilbudet."),
        "completion by a teacher": (lambda: ops.mark_completed(one_seat, {seat.id}, actor=teacher, now=now),
                                    "Du kan ikke registrere fullføring for dette tilbudet."),
        "a transition not in the table": (lambda: ops.transition(done, EnrollmentState.OFFERED, actor=admin,
                                                                 now=now),
                                          "Kan ikke endre fra «Fullført» til «Tilbudt plass»."),
    }


REFUSALS = ["unknown offering", "cancelled", "draft", "not open yet", "closed", "begun", "target group", "twice",
            "twice for someone", "not their staff", "cancel someone else", "cancel completed", "accept without offer",
            "accept for someone", "decline without offer", "capacity by a teacher", "capacity below the seats",
            "attendance by a teacher", "completion by a teacher", "a transition not in the table"]


@pytest.mark.parametrize("case", REFUSALS)
def test_every_refusal_says_why_in_norwegian(refusals, case):
    from lms.auth.operations import PermissionDenied
    action, message = refusals[case]
    db.session.commit()
    with pytest.raises((ops.EnrollmentError, PermissionDenied)) as refused:
        action()
    assert str(refused.value) == message


def test_declining_an_offer_passes_the_seat_on_and_says_so_in_the_history(make_offering, make_user, now):
    offering = make_offering(capacity=1)
    holder, first, second = make_user(), make_user(), make_user()
    seat = ops.enroll(offering.id, holder, actor=holder, now=now)
    offered = ops.enroll(offering.id, first, actor=first, now=now)
    next_in_line = ops.enroll(offering.id, second, actor=second, now=now)
    ops.cancel_enrollment(seat, actor=holder, now=now)
    assert offered.state == EnrollmentState.OFFERED
    ops.decline_offer(offered, actor=first, now=now + timedelta(hours=1))
    assert (offered.state, next_in_line.state) == (EnrollmentState.CANCELLED, EnrollmentState.OFFERED)
    last = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "enrollment", AuditEntry.object_id == offered.id)
        .order_by(AuditEntry.id.desc())).first()
    assert (last.to_state, last.actor_id, last.note) == ("cancelled", first.id, "Takket nei til tilbudt plass.")


def test_a_plain_cancellation_and_an_accepted_offer_are_audited_with_who_and_no_note(make_offering, make_user, now):
    offering = make_offering(capacity=1)
    holder, waiting = make_user(), make_user()
    seat = ops.enroll(offering.id, holder, actor=holder, now=now)
    offered = ops.enroll(offering.id, waiting, actor=waiting, now=now)
    ops.cancel_enrollment(seat, actor=holder, now=now)
    ops.accept_offer(offered, actor=waiting, now=now)
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "enrollment", AuditEntry.to_state.in_(["cancelled", "enrolled"]),
        AuditEntry.from_state.is_not(None)).order_by(AuditEntry.id)).all()
    assert [(e.object_id, e.from_state, e.to_state, e.actor_id, e.note) for e in entries] == [
        (seat.id, "enrolled", "cancelled", holder.id, ""), (offered.id, "offered", "enrolled", waiting.id, "")]


# --- the boundaries of the enrollment rules (found by mutation testing) ------------------------------------

def test_registration_opens_at_its_time_and_closes_at_its_deadline(make_offering, make_user, now):
    opens, closes = now + timedelta(days=1), now + timedelta(days=2)
    offering = make_offering(registration_opens_at=opens, registration_closes_at=closes)
    early, on_time, late = make_user(), make_user(), make_user()
    with pytest.raises(ops.EnrollmentError, match="åpner"):
        ops.enroll(offering.id, early, actor=early, now=opens - SECOND)
    assert ops.enroll(offering.id, on_time, actor=on_time, now=opens).state == EnrollmentState.ENROLLED
    with pytest.raises(ops.EnrollmentError, match="fristen er ute"):
        ops.enroll(offering.id, late, actor=late, now=closes)


def test_no_seat_is_offered_from_the_first_sessions_start_on(make_offering, make_user, admin, now):
    offering = make_offering(capacity=1, starts_in=timedelta(days=1))
    holder, waiting = make_user(), make_user()
    seat = ops.enroll(offering.id, holder, actor=holder, now=now)
    queued = ops.enroll(offering.id, waiting, actor=waiting, now=now)
    ops.cancel_enrollment(seat, actor=admin, now=offering.first_starts_at)
    assert queued.state == EnrollmentState.WAITLISTED


def test_a_seat_left_free_while_one_waits_goes_to_them_not_to_the_next_to_sign_up(make_offering, make_user, admin,
                                                                                      now):
    """A seat given up once the course has begun is not offered on. When the organiser then moves the sessions
    later, the course is open again with a free seat and one person waiting: a newcomer queues behind them, and
    the one waiting is offered the seat, for the offer's whole time from then."""
    offering = make_offering(capacity=1, starts_in=timedelta(days=1))
    holder, waiting, newcomer = make_user(), make_user(), make_user()
    seat = ops.enroll(offering.id, holder, actor=holder, now=now)
    queued = ops.enroll(offering.id, waiting, actor=waiting, now=now)
    begun = offering.first_starts_at
    ops.cancel_enrollment(seat, actor=admin, now=begun)
    assert queued.state == EnrollmentState.WAITLISTED and offering.seats_left == 1
    (session,) = offering.sessions
    moved = begun + timedelta(days=20)
    offering_ops.update_session(offering, session, actor=admin, now=begun, starts_at=moved,
                                ends_at=moved + timedelta(hours=2), location="Rådhuset")
    signed_up = begun + timedelta(hours=3)
    late = ops.enroll(offering.id, newcomer, actor=newcomer, now=signed_up)
    assert (late.state, queued.state) == (EnrollmentState.WAITLISTED, EnrollmentState.OFFERED)
    assert queued.offer_expires_at == signed_up + timedelta(hours=48)


def test_an_offer_ends_at_its_expiry_and_never_after_the_first_session_starts(make_offering, make_user, now):
    offering = make_offering(capacity=1, starts_in=timedelta(hours=10))
    holder, first, second = make_user(), make_user(), make_user()
    seat = ops.enroll(offering.id, holder, actor=holder, now=now)
    offered = ops.enroll(offering.id, first, actor=first, now=now)
    ops.enroll(offering.id, second, actor=second, now=now)
    ops.cancel_enrollment(seat, actor=holder, now=now)
    # 48 hours would run past the start, ten hours away: the offer ends when the course begins.
    assert offered.offer_expires_at == offering.first_starts_at
    assert ops.expire_offers(offering.first_starts_at - SECOND) == 0
    assert ops.expire_offers(offering.first_starts_at) == 1
    assert offered.state == EnrollmentState.CANCELLED


@pytest.mark.parametrize("hours,state", [(0, EnrollmentState.ENROLLED), (1, EnrollmentState.OFFERED)])
def test_with_no_offer_time_the_seat_is_given_at_once(make_offering, make_user, now, hours, state):
    from lms.settings import operations as settings
    settings.set_value("catalog.offer_hours", str(hours))
    offering = make_offering(capacity=1)
    holder, waiting = make_user(), make_user()
    seat = ops.enroll(offering.id, holder, actor=holder, now=now)
    queued = ops.enroll(offering.id, waiting, actor=waiting, now=now)
    ops.cancel_enrollment(seat, actor=holder, now=now)
    assert queued.state == state


def test_capacity_may_be_set_to_the_seats_taken_and_to_one(make_offering, make_user, admin, now):
    full, empty = make_offering(capacity=3), make_offering(capacity=3)
    for person in (make_user(), make_user()):
        ops.enroll(full.id, person, actor=person, now=now)
    ops.change_capacity(full, 2, actor=admin, now=now)
    ops.change_capacity(empty, 1, actor=admin, now=now)
    assert (full.capacity, empty.capacity) == (2, 1)
    with pytest.raises(ops.EnrollmentError, match=r"plasser \(2\)"):
        ops.change_capacity(full, 1, actor=admin, now=now)


def test_a_second_sign_up_is_refused_from_the_look_before_the_lock_and_takes_no_lock(make_offering, make_user, now):
    """A teacher who clicks again is told so at once: the offering is not locked, and nothing is inserted that the
    one-active-enrollment index must turn away (which would leave the transaction to be rolled back)."""
    offering = make_offering(capacity=5)
    kari = make_user("Kari Dobbel")
    ops.enroll(offering.id, kari, actor=kari, now=now)
    db.session.commit()

    def again() -> str:
        with pytest.raises(ops.EnrollmentError) as refused:
            ops.enroll(offering.id, kari, actor=kari, now=now)
        return str(refused.value)
    sent, message = statements_sent(again)
    assert message == "Du er allerede påmeldt eller på ventelisten."
    assert [s for s in sent if "FOR UPDATE" in s or s.lstrip().upper().startswith(("INSERT", "UPDATE"))] == []
    assert count(Enrollment, Enrollment.offering_id == offering.id) == 1  # the session goes on as it was


def _offer_out(make_offering, make_user, now) -> tuple[Offering, Enrollment]:
    """A one-seat offering whose seat was given up and offered to the one waiting: the offer runs for 48 hours."""
    offering = make_offering(capacity=1)
    holder, waiting = make_user(), make_user()
    seat = ops.enroll(offering.id, holder, actor=holder, now=now)
    offered = ops.enroll(offering.id, waiting, actor=waiting, now=now)
    ops.cancel_enrollment(seat, actor=holder, now=now)
    assert offered.state == EnrollmentState.OFFERED
    return offering, offered


def _looks_for_expired_offers(sent: list[str]) -> bool:
    return any("offer_expires_at <=" in statement for statement in sent)


def test_an_enrollment_looks_for_expired_offers_only_where_its_offering_has_one_out(make_offering, make_user, now):
    """The rush's hot path: an offer out in another offering, or a seat already taken here, sends no look for
    offers to pass on; an offer here that ran out is passed on before the newcomer is placed."""
    _offer_out(make_offering, make_user, now)  # another offering's offer, still running
    offering = make_offering(capacity=5)
    taken = make_user()
    ops.enroll(offering.id, taken, actor=taken, now=now)
    db.session.commit()
    newcomer = make_user()
    sent, seat = statements_sent(lambda: ops.enroll(offering.id, newcomer, actor=newcomer, now=now))
    assert seat.state == EnrollmentState.ENROLLED and not _looks_for_expired_offers(sent)

    here, offered = _offer_out(make_offering, make_user, now)
    db.session.commit()
    later = offered.offer_expires_at + SECOND
    late = make_user()
    sent, placed = statements_sent(lambda: ops.enroll(here.id, late, actor=late, now=later))
    assert _looks_for_expired_offers(sent)
    assert (offered.state, placed.state) == (EnrollmentState.CANCELLED, EnrollmentState.ENROLLED)


# --- who counts as newly hired: twelve months of 31 days back, two months of 31 days ahead ---------------

@pytest.mark.parametrize("hired_in_days,welcome", [(-12 * 31, True), (-12 * 31 - 1, False), (62, True), (63, False)],
                         ids=["the-first-day-of-the-window", "a-day-before-it", "the-last-day-ahead", "a-day-after-it"])
def test_a_course_for_new_hires_takes_those_hired_within_the_window_to_the_day(make_offering, make_user, now,
                                                                              hired_in_days, welcome):
    offering = make_offering("Oppstart for nyansatte", target_groups=(TargetGroup.NEW_HIRES,))
    person = make_user("Nina Ny", hire_date=now.date() + timedelta(days=hired_in_days))
    if welcome:
        assert ops.enroll(offering.id, person, actor=person, now=now).state == EnrollmentState.ENROLLED
    else:
        with pytest.raises(ops.EnrollmentError) as refused:
            ops.enroll(offering.id, person, actor=person, now=now)
        assert str(refused.value) == "Tilbudet er ikke for din målgruppe (Nyansatte)."
        assert count(Enrollment, Enrollment.user_id == person.id) == 0


# --- whom each target group takes (found by mutation testing) --------------------------------------------

@pytest.mark.parametrize("group,roles,supervisor,welcome", [
    (TargetGroup.ALL_STAFF, (Role.ADMIN,), False, True),
    (TargetGroup.ALL_STAFF, (), False, False),
    (TargetGroup.TEACHERS, (Role.LEADER,), False, False),
    (TargetGroup.DIGITAL_SUPERVISORS, (Role.TEACHER,), True, True),
    (TargetGroup.PARENTS, (Role.TEACHER,), False, False),
    (TargetGroup.PUPILS, (Role.TEACHER,), False, False),
], ids=["all-staff-takes-an-admin", "all-staff-refuses-someone-with-no-role-left", "teachers-refuse-a-leader",
        "digital-supervisors-take-one", "parents-refuse-a-teacher", "pupils-refuse-a-teacher"])
def test_a_course_takes_through_its_page_those_its_target_group_names_and_tells_the_rest_why_not(
        login, make_offering, make_user, group, roles, supervisor, welcome):
    offering = make_offering("Trygg bruk av skjerm", target_groups=(group,))
    person = make_user("Siri Søker", roles=roles, is_digital_supervisor=supervisor)
    page = login(person).post(f"/kurs/{offering.id}/pamelding", follow_redirects=True).get_data(as_text=True)
    if welcome:
        assert "Du er påmeldt «Trygg bruk av skjerm»" in page
        assert _states(*db.session.scalars(sa.select(Enrollment))) == [EnrollmentState.ENROLLED]
    else:
        assert f"Tilbudet er ikke for din målgruppe ({group.label})." in page
        assert count(Enrollment) == 0


@pytest.mark.parametrize("change", ["deleted", "cancelled"])
def test_an_offering_deleted_or_cancelled_before_the_lock_is_refused_and_nobody_is_enrolled(
        app, make_offering, make_user, admin, now, monkeypatch, change):
    """The first look found it open (nobody signed up yet); its organiser deleted or cancelled it before the
    lock, so the look under it refuses, with the reason."""
    offering = make_offering(capacity=5)
    kari = make_user("Kari Sen")
    offering_id, admin_id = offering.id, admin.id
    db.session.commit()

    def organiser_acts():
        found, actor = db.session.get(Offering, offering_id), db.session.get(User, admin_id)
        if change == "deleted":
            offering_ops.delete_offering(found, actor=actor, now=now)
        else:
            offering_ops.cancel_offering(found, actor=actor, now=now, reason="")

    expected, message = {"deleted": (ops.OfferingNotFound, "Tilbudet finnes ikke."),
                         "cancelled": (ops.EnrollmentError, "Tilbudet er avlyst.")}[change]
    with reading_request(app):
        ran = before_first_call(monkeypatch, ops, "lock_offering", lambda: commit_elsewhere(app, organiser_acts))
        with pytest.raises(expected) as refused:
            ops.enroll(offering_id, kari, actor=kari, now=now)
        db.session.rollback()
    assert ran == [True]
    assert type(refused.value) is expected and str(refused.value) == message
    assert count(Enrollment) == 0
    assert (db.session.get(Offering, offering_id) is None) == (change == "deleted")


def test_under_the_lock_a_seat_is_taken_without_reading_the_target_groups_or_the_schedule_on_their_own(
        app, make_offering, make_user, now, monkeypatch):
    """Everyone else waits while the lock is held: the target groups are not read again under it, and the
    schedule every seat change mails comes with the offering (e70b7c5)."""
    offering = make_offering(capacity=5)
    kari = make_user("Kari Teller")
    db.session.commit()
    statements, locked = [], []
    real_lock = ops.lock_offering

    def lock_and_mark(offering_id):
        locked.append(len(statements))
        return real_lock(offering_id)

    monkeypatch.setattr(ops, "lock_offering", lock_and_mark)
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        ops.enroll(offering.id, kari, actor=kari, now=now)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    under = [" ".join(s.split()) for s in statements[locked[0]:]]
    (read,) = [s for s in under if s.startswith("SELECT offering.")]
    assert "JOIN schedule" in read
    assert not [s for s in under if s.startswith(("SELECT offering_target_group", "SELECT schedule"))]


def test_a_seat_taken_raises_each_sessions_sequence_once_and_mails_it_without_reading_the_sessions_again(
        app, make_offering, make_user, now):
    """The UPDATE that raises the SEQUENCE returns the sessions whole: the invitation of each session is queued
    with the SEQUENCE the feed now shows, and the sessions are not read again under the lock."""
    offering = make_offering(capacity=5, sessions=2)
    kari = make_user("Kari Teller")
    db.session.commit()
    before = {s.id: s.sequence for s in offering.sessions}
    offering_id, kari_id = offering.id, kari.id
    db.session.close()  # as a request starts: nothing of the offering loaded
    kari = db.session.get(User, kari_id)
    statements = []
    listener = lambda *args: statements.append(" ".join(args[2].split()))  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        enrollment = ops.enroll(offering_id, kari, actor=kari, now=now)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    db.session.commit()
    assert enrollment.state == EnrollmentState.ENROLLED
    assert not [s for s in statements if s.startswith("SELECT session.")]
    after = {s.id: s.sequence for s in db.session.scalars(
        sa.select(Session).where(Session.schedule_id == enrollment.offering.schedule_id))}
    assert after == {session_id: sequence + 1 for session_id, sequence in before.items()}
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == kari.email)
                               .order_by(OutboxMessage.id)).all()
    assert [(m.params["session_id"], m.params["part"], m.params["parts"]) for m in mails] == [
        (session_id, part, 2) for part, session_id in enumerate(sorted(before, key=lambda i: i), 1)]
    assert all(m.params["sequences"] == {str(i): q for i, q in after.items()} for m in mails)


def test_a_closed_offering_says_so_before_whom_it_is_for_and_before_who_is_signed_up(make_offering, make_user, now):
    """Whether one may sign up at all comes first: the person is told it is closed, not why else it would fail."""
    leaders = make_offering("For ledere", target_groups=(TargetGroup.LEADERS,),
                            registration_closes_at=now + timedelta(days=1))
    open_to_all = make_offering("For alle", registration_closes_at=now + timedelta(days=1))
    teacher = make_user("Tea Lærer")
    ops.enroll(open_to_all.id, teacher, actor=teacher, now=now)
    later = now + timedelta(days=2)
    for offering in (leaders, open_to_all):
        with pytest.raises(ops.EnrollmentError) as refused:
            ops.enroll(offering.id, teacher, actor=teacher, now=later)
        assert str(refused.value) == "Påmeldingsfristen er ute."


def test_an_offer_whose_time_ran_out_frees_its_seat_for_the_next_to_sign_up_before_the_nightly_run(
        make_offering, make_user, now):
    offering = make_offering(capacity=1)
    first, offered, late = make_user(), make_user(), make_user()
    seat = ops.enroll(offering.id, first, actor=first, now=now)
    waiting = ops.enroll(offering.id, offered, actor=offered, now=now)
    ops.cancel_enrollment(seat, actor=first, now=now)
    assert waiting.state == EnrollmentState.OFFERED
    # The 48 hours have passed and no nightly run has passed the seat on yet.
    arrived = ops.enroll(offering.id, late, actor=late, now=now + timedelta(hours=49))
    assert waiting.state == EnrollmentState.CANCELLED
    assert arrived.state == EnrollmentState.ENROLLED
    assert ops.count_seats(offering.id) == (1, 0)
