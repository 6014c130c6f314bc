"""Feed tokens: long and random, stored only as a hash, one live per feed, managed only by their owners."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from events import operations as ops
from events.models import FeedScope, FeedToken
from lms.audit.models import AuditEntry
from lms.audit.operations import history
from lms.auth.operations import PermissionDenied
from lms.db import db
from lms.people.models import Role


def test_token_has_at_least_128_random_bits_and_only_its_hash_is_stored(make_user, now):
    person = make_user()
    earlier = ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    token = ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    assert len(token) >= 43  # 32 bytes in URL-safe base64
    assert token != earlier
    rows = db.session.execute(sa.select(FeedToken.__table__)).all()
    assert rows and not any(t in str(value) for t in (token, earlier) for row in rows for value in row)
    stored = db.session.scalars(sa.select(FeedToken.token_hash).where(FeedToken.revoked_at.is_(None))).one()
    assert stored == hashlib.sha256(token.encode()).hexdigest()


def test_owner_for_token_finds_the_feed(make_user, now):
    person = make_user("Tone Lærer", locale="en")
    token = ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    assert ops.owner_for_token(token) == (FeedScope.PERSON, person.id, "Tone Lærer", "en")


def test_issuing_again_stops_the_old_token_at_once(make_user, now):
    person = make_user()
    old = ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    new = ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    assert ops.owner_for_token(old) is None
    assert ops.owner_for_token(new).owner_id == person.id
    assert len(ops.live_feed_tokens(person.id, [])) == 1


def test_revoking_stops_the_token(make_user, now):
    person = make_user()
    token = ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    assert ops.revoke_feed_token(FeedScope.PERSON, person.id, actor=person, now=now) is True
    assert ops.owner_for_token(token) is None
    assert ops.revoke_feed_token(FeedScope.PERSON, person.id, actor=person, now=now) is False


def test_issuing_and_revoking_are_audited(make_user, now):
    person = make_user()
    ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    ops.revoke_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    row_id = db.session.scalars(sa.select(FeedToken.id)).one()
    assert [(e.from_state, e.to_state, e.actor_id) for e in history("feed_token", row_id)] == [
        (None, "live", person.id), ("live", "revoked", person.id)]


@pytest.mark.parametrize("token", ["", "x", "ikke-et-token", "a" * 43, "a" * 65, "../../etc/passwd", "ø" * 40,
                                   "%00", "' OR 1=1 --"])
def test_wrong_or_malformed_tokens_open_nothing(make_user, now, token):
    person = make_user()
    ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    assert ops.owner_for_token(token) is None


def test_a_deactivated_persons_feed_is_closed(make_user, now):
    person = make_user()
    token = ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    person.active = False
    db.session.flush()
    assert ops.owner_for_token(token) is None


def test_a_school_feed_carries_the_school_name(make_school, make_user, now):
    school = make_school("Bekkestua skole")
    leader = make_user(roles=(Role.LEADER,), school=school)
    token = ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=leader, now=now)
    assert ops.owner_for_token(token) == (FeedScope.SCHOOL, school.id, "Bekkestua skole", "nb")


def test_a_person_manages_only_their_own_feed(make_user, now):
    person, other = make_user(), make_user()
    with pytest.raises(PermissionDenied):
        ops.issue_feed_token(FeedScope.PERSON, other.id, actor=person, now=now)
    with pytest.raises(PermissionDenied):
        ops.revoke_feed_token(FeedScope.PERSON, other.id, actor=person, now=now)


def test_leaders_of_the_school_and_admins_manage_a_school_feed(make_school, make_user, admin, now):
    school, elsewhere = make_school(), make_school()
    leader = make_user(roles=(Role.LEADER,), school=school)
    teacher = make_user(school=school)
    other_leader = make_user(roles=(Role.LEADER,), school=elsewhere)
    assert ops.may_manage_feed(leader, FeedScope.SCHOOL, school.id)
    assert ops.may_manage_feed(admin, FeedScope.SCHOOL, school.id)
    assert not ops.may_manage_feed(teacher, FeedScope.SCHOOL, school.id)
    assert not ops.may_manage_feed(other_leader, FeedScope.SCHOOL, school.id)
    for refused in (teacher, other_leader):
        with pytest.raises(PermissionDenied):
            ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=refused, now=now)
    ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=admin, now=now)
    ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=leader, now=now)
    assert len(ops.live_feed_tokens(leader.id, [school.id])) == 1


def test_a_persons_and_a_schools_feed_are_kept_apart(make_school, make_user, admin, now):
    school = make_school()
    person = make_user()
    mine = ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    theirs = ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=admin, now=now)
    assert ops.owner_for_token(mine).scope == FeedScope.PERSON
    assert ops.owner_for_token(theirs).scope == FeedScope.SCHOOL
    live = ops.live_feed_tokens(person.id, [school.id])
    assert set(live) == {(FeedScope.PERSON, person.id), (FeedScope.SCHOOL, school.id)}


# --- found by mutation testing (tests/MUTANTS.md) ---------------------------------------------------------

@pytest.fixture
def person_and_school_sharing_a_number(make_user):
    """A teacher and a school with the same id (5000), and the school's leader: feeds differ by scope, not number."""
    from lms.people.models import Membership, School, User
    from tests.conftest import _PASSWORD_HASH
    school = School(id=5000, name="Tallskolen", org_number="911111111", district="Vest")
    person = User(id=5000, name="Tore Tall", email="tore.tall@skole.test", password_hash=_PASSWORD_HASH)
    db.session.add_all([school, person])
    db.session.flush()
    db.session.add(Membership(user_id=person.id, school_id=school.id, role=Role.TEACHER))
    leader = make_user("Lina Leder", roles=(Role.LEADER,), school=school)
    return person, school, leader


def test_a_persons_new_link_never_stops_the_school_feed_with_the_same_number(person_and_school_sharing_a_number,
                                                                              now):
    person, school, leader = person_and_school_sharing_a_number
    assert person.id == school.id
    school_token = ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=leader, now=now)
    ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    assert ops.revoke_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    assert ops.owner_for_token(school_token) == (FeedScope.SCHOOL, school.id, "Tallskolen", "nb")


def test_the_calendar_page_lists_each_feeds_live_link_only(person_and_school_sharing_a_number, now):
    person, school, leader = person_and_school_sharing_a_number
    ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    newest = ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=leader, now=now)
    live = ops.live_feed_tokens(person.id, [])
    assert list(live) == [(FeedScope.PERSON, person.id)]
    assert live[(FeedScope.PERSON, person.id)].token_hash == ops.hash_feed_token(newest)
    assert list(ops.live_feed_tokens(leader.id, [school.id])) == [(FeedScope.SCHOOL, school.id)]
    ops.revoke_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    assert ops.live_feed_tokens(person.id, []) == {}


def test_a_revocation_is_audited_when_and_for_which_feed(make_user, now):
    person = make_user()
    ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    later = now + timedelta(hours=3)
    ops.revoke_feed_token(FeedScope.PERSON, person.id, actor=person, now=later)
    revoked = [e for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "feed_token"))
               if e.to_state == "revoked"]
    assert [(e.at, e.note, e.actor_id) for e in revoked] == [(later, f"person {person.id}", person.id)]


def test_a_token_of_the_longest_length_allowed_is_looked_up_and_longer_ones_are_not(make_user, now):
    # Real tokens are 43 characters; the limit only keeps absurd ones from being hashed.
    assert ops.owner_for_token("a" * ops.MAX_FEED_TOKEN_LENGTH) is None
    assert ops.owner_for_token("a" * (ops.MAX_FEED_TOKEN_LENGTH + 1)) is None


def test_a_new_link_stops_only_the_owners_old_one(make_user, now):
    anne, bodil = make_user("Anne"), make_user("Bodil")
    hers = ops.issue_feed_token(FeedScope.PERSON, bodil.id, actor=bodil, now=now)
    ops.issue_feed_token(FeedScope.PERSON, anne.id, actor=anne, now=now)
    ops.issue_feed_token(FeedScope.PERSON, anne.id, actor=anne, now=now)
    assert ops.owner_for_token(hers).owner_id == bodil.id


def test_a_new_link_is_audited_when_by_whom_and_for_which_feed(make_user, now):
    person = make_user()
    ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=now)
    row = db.session.scalars(sa.select(FeedToken)).one()
    assert (row.created_by_id, row.created_at) == (person.id, now)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "feed_token")).one()
    assert (entry.to_state, entry.at, entry.note, entry.actor_id) == ("live", now, f"person {person.id}", person.id)


def test_the_feed_of_a_school_that_is_gone_opens_nothing(make_school, make_user, now):
    school = make_school("Nedlagt skole")
    leader = make_user(roles=(Role.LEADER,), school=school)
    token = ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=leader, now=now)
    db.session.execute(sa.text("UPDATE feed_token SET owner_id = :gone WHERE scope = 'school'"), {"gone": 999_999})
    assert ops.owner_for_token(token) is None


def test_only_an_admin_may_choose_another_schools_feed(make_school, make_user, admin):
    own, other = make_school("Egen skole"), make_school("Annen skole")
    leader = make_user(roles=(Role.LEADER,), school=own)
    assert ops.feed_schools(leader, other.id) == [own]
    assert ops.feed_schools(admin, other.id) == [other]
    assert ops.feed_schools(admin) == []


def test_schools_are_offered_by_name(make_school, make_user):
    second, first = make_school("Østre skole"), make_school("Arken skole")
    leader = make_user(roles=(Role.LEADER,), school=second)
    from lms.people.models import Membership
    db.session.add(Membership(user_id=leader.id, school_id=first.id, role=Role.LEADER))
    db.session.flush()
    db.session.expire(leader)
    assert [s.name for s in ops.feed_schools(leader)] == ["Arken skole", "Østre skole"]
    assert [name for _id, name in ops.all_schools()] == ["Arken skole", "Østre skole"]
