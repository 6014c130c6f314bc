"""What one offering's operations do stays in that offering, and says what happened.

Each test here kills mutants that `make mutants` found surviving in
catalog/enrollment/operations.py (tests/MUTANTS.md names them): a filter on
the offering dropped, an accepted seat taken back, a note or an actor lost
from the history.
"""
from datetime import timedelta

import sqlalchemy as sa

from catalog.enrollment import operations as ops
from catalog.enrollment.models import EnrollmentState
from lms.audit.models import AuditEntry
from lms.db import db
from tests.conftest import vacuum


def _offer_a_seat(offering, make_user, now):
    """A full offering whose one seat was freed and offered to the first in line; return (offered, waiting)."""
    holder, first, second = make_user(), make_user(), make_user()
    seat = ops.enroll(offering.id, holder, actor=holder, now=now)
    offered = ops.enroll(offering.id, first, actor=first, now=now)
    waiting = ops.enroll(offering.id, second, actor=second, now=now)
    ops.cancel_enrollment(seat, actor=holder, now=now)
    assert (offered.state, waiting.state) == (EnrollmentState.OFFERED, EnrollmentState.WAITLISTED)
    return offered, waiting


def test_expired_offers_pass_each_offerings_seat_to_its_own_next_in_line(make_offering, make_user, now):
    autumn, spring = make_offering("Digital vurdering", capacity=1), make_offering("Kildekritikk", capacity=1)
    autumn_offered, autumn_next = _offer_a_seat(autumn, make_user, now)
    spring_offered, spring_next = _offer_a_seat(spring, make_user, now)
    later = max(autumn_offered.offer_expires_at, spring_offered.offer_expires_at)
    assert ops.expire_offers(later) == 2
    assert (autumn_offered.state, spring_offered.state) == (EnrollmentState.CANCELLED, EnrollmentState.CANCELLED)
    assert (autumn_next.state, spring_next.state) == (EnrollmentState.OFFERED, EnrollmentState.OFFERED)
    assert ops.count_seats(autumn.id) == ops.count_seats(spring.id)


def test_an_answered_offer_is_left_alone_when_its_time_would_have_run_out(make_offering, make_user, now):
    accepted_here, declined_here = make_offering(capacity=1), make_offering(capacity=1)
    accepted, waiting = _offer_a_seat(accepted_here, make_user, now)
    declined, next_in_line = _offer_a_seat(declined_here, make_user, now)
    ran_out = max(accepted.offer_expires_at, declined.offer_expires_at) + timedelta(days=1)
    ops.accept_offer(accepted, actor=accepted.user, now=now)
    ops.decline_offer(declined, actor=declined.user, now=now)
    assert next_in_line.state == EnrollmentState.OFFERED
    next_in_line.offer_expires_at = ran_out + timedelta(days=1)
    assert ops.expire_offers(ran_out) == 0
    assert (accepted.state, waiting.state) == (EnrollmentState.ENROLLED, EnrollmentState.WAITLISTED)
    assert (declined.state, next_in_line.state) == (EnrollmentState.CANCELLED, EnrollmentState.OFFERED)


def test_an_expired_offer_says_so_in_the_history_without_an_actor(make_offering, make_user, now):
    offering = make_offering(capacity=1)
    offered, _waiting = _offer_a_seat(offering, make_user, now)
    ops.expire_offers(offered.offer_expires_at)
    entry = ops.participant_history(offering)[offered.user_id][-1]
    assert (entry.actor_id, entry.note) == (None, "Tilbudet om plass ble ikke besvart i tide.")


def test_a_place_in_one_offering_is_not_a_place_in_another(client, login, make_offering, make_user, now):
    mine, other = make_offering("Digital vurdering"), make_offering("Kildekritikk")
    kari = make_user()
    ops.enroll(mine.id, kari, actor=kari, now=now)
    db.session.commit()
    assert ops.active_enrollment(other.id, kari.id) is None
    page = login(kari).get(f"/kurs/{other.id}").get_data(as_text=True)
    assert "Meld meg på" in page and "Du er påmeldt." not in page


def test_cancelling_an_offering_cancels_its_own_people_only_and_records_why_and_who(make_offering, make_user,
                                                                                    admin, now):
    cancelled, going_ahead = make_offering("Digital vurdering", capacity=1), make_offering("Kildekritikk")
    seated, queued, elsewhere, done, gone = make_user(), make_user(), make_user(), make_user(), make_user()
    ops.enroll(cancelled.id, seated, actor=seated, now=now)
    ops.enroll(cancelled.id, queued, actor=queued, now=now)
    ops.cancel_enrollment(ops.enroll(cancelled.id, gone, actor=gone, now=now), actor=gone, now=now)
    kept = ops.enroll(going_ahead.id, elsewhere, actor=elsewhere, now=now)
    assert ops.cancel_everyone(cancelled, actor=admin, now=now, reason="Kursholder er syk.") == 2
    assert kept.state == EnrollmentState.ENROLLED and ops.count_seats(going_ahead.id)[0] == 1
    notes = db.session.execute(sa.select(AuditEntry.actor_id, AuditEntry.note).where(
        AuditEntry.object_type == "enrollment", AuditEntry.to_state == "cancelled",
        AuditEntry.note != "")).all()
    assert sorted(notes) == [(admin.id, "Tilbudet er avlyst. Kursholder er syk.")] * 2
    quiet = make_offering("Uten grunn")
    ops.enroll(quiet.id, done, actor=done, now=now)
    ops.cancel_everyone(quiet, actor=admin, now=now, reason="")
    assert ops.participant_history(quiet)[done.id][-1].note == "Tilbudet er avlyst."


def test_the_attendance_list_holds_this_offerings_seats_by_name(make_offering, make_user, now):
    offering, other = make_offering(capacity=3), make_offering()
    for name in ("Cecilie Vik", "Berit Dahl", "Anders Lie"):
        person = make_user(name)
        ops.enroll(offering.id, person, actor=person, now=now)
    stranger, late = make_user("Aaron Aal"), make_user("Adam Ask")
    ops.enroll(other.id, stranger, actor=stranger, now=now)
    assert ops.enroll(offering.id, late, actor=late, now=now).state == EnrollmentState.WAITLISTED
    names = [e.user.name for e in ops.attendance_list(offering)]
    assert names == sorted(names) and set(names) == {"Cecilie Vik", "Berit Dahl", "Anders Lie"}


def test_a_participants_history_keeps_the_order_of_two_changes_at_one_instant(make_offering, make_user, now):
    """Two changes stamped with the same instant stay in the order they were made. On PostgreSQL the second lies
    before the first in the table when it fills the place of a failed request's row, once a vacuum (autovacuum,
    here by hand) has freed that place."""
    offering, kari, failed = make_offering(), make_user("Kari Lærer"), make_user("Per Lærer")
    db.session.commit()
    ops.enroll(offering.id, failed, actor=failed, now=now)
    db.session.rollback()  # a request that failed after writing
    ops.enroll(offering.id, kari, actor=kari, now=now)
    db.session.commit()
    vacuum("audit_entry")
    ops.cancel_enrollment(ops.active_enrollment(offering.id, kari.id), actor=kari, now=now)
    db.session.commit()
    history = ops.participant_history(offering)
    assert [entry.to_state for entry in history[kari.id]] == ["enrolled", "cancelled"] and failed.id not in history
