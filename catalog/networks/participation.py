"""Who takes part in a network, worked out from the staff lists in SQL (never listed by hand)."""
from __future__ import annotations

import sqlalchemy as sa

from catalog.networks.models import Network, NetworkSchool
from lms.people.models import Membership, Role, User


def takes_part() -> sa.ColumnElement[bool]:
    """The condition that a staff membership at a member school puts its person in the network."""
    return sa.or_(
        sa.and_(Network.include_leaders, Membership.role == Role.LEADER),
        sa.and_(Network.include_teachers, Membership.role == Role.TEACHER),
        sa.and_(Network.include_digital_supervisors, User.is_digital_supervisor),
        sa.and_(Network.include_environment_teachers, User.is_environment_teacher),
    )


def participants_select(*where) -> sa.Select:
    """Return ``(network id, user id, school id)`` for every participant through the staff lists."""
    return (sa.select(NetworkSchool.network_id, Membership.user_id, Membership.school_id)
            .join(Network, Network.id == NetworkSchool.network_id)
            .join(Membership, Membership.school_id == NetworkSchool.school_id)
            .join(User, User.id == Membership.user_id)
            .where(User.active, Membership.role != Role.ADMIN, takes_part(), *where)
            .distinct())


def network_ids_of_person(user_id: int) -> sa.Select:
    """Return a select of the networks a person takes part in (as participant or coordinator)."""
    through_staff = participants_select(Membership.user_id == user_id).with_only_columns(NetworkSchool.network_id)
    return sa.union(through_staff, sa.select(Network.id).where(Network.coordinator_id == user_id))
