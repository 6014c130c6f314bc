"""The rules of networks: who takes part, who may see and manage what, gatherings, minutes and carried back.

Who takes part is worked out in SQL from the staff lists every time
(:func:`participants_select`): a network has member schools and, per role or
flag, whether their leaders, teachers, digital supervisors and environment
teachers take part, so nobody is ever added by hand.

Scheduling a collaboration group's gathering in a round happens under
:func:`lock_network` (a row lock on PostgreSQL, SQLite's write lock there),
and the schema keeps one open and one agreed proposal per group and round, so
two leaders answering at once end in one agreed date.
"""
from __future__ import annotations

from collections import defaultdict

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, joinedload

from catalog.networks import composition, mails
from catalog.networks.participation import network_ids_of_person, participants_select, takes_part
from catalog.networks.models import (Absence, CarriedBack, DateProposal, Gathering, GatheringAttendance,
                                     GatheringRound, MinutesAddition, Network, NetworkFeedToken, NetworkKind,
                                     NetworkResource,
                                     NetworkSchool, ProposalConfirmation, ProposalStatus)
from events import operations as events_ops
from events.models import Session, SessionStatus
from lms.audit import operations as audit
from lms.auth.operations import PermissionDenied, require
from lms.db import begin_writing, db
from lms.i18n import OSLO, fmt_date
from lms.people.models import Membership, Role, School, User
from lms.plugins import school_values, schools_parameter
from lms.schoolyear import school_year_bounds


class NetworkError(ValueError):
    """A change to a network that the rules refuse; the message is for the person."""


class NetworkNotFound(LookupError):
    pass


# --- who takes part ----------------------------------------------------------------

def participants(network: Network) -> list[tuple[User, School]]:
    """Return each participant with the school they take part for, by school and name."""
    rows = db.session.execute(
        sa.select(User, School).join(Membership, Membership.user_id == User.id)
        .join(School, School.id == Membership.school_id)
        .where(sa.tuple_(Membership.user_id, Membership.school_id).in_(
            participants_select(NetworkSchool.network_id == network.id)
            .with_only_columns(Membership.user_id, Membership.school_id)))
        .order_by(School.name, User.name, User.id).distinct()).all()
    return [(user, school) for user, school in rows]


def participant_ids(network_id: int) -> set[int]:
    return set(db.session.scalars(
        participants_select(NetworkSchool.network_id == network_id).with_only_columns(Membership.user_id)))


def is_participant(user: User, network: Network, known_ids: set[int] | None = None) -> bool:
    """Tell whether ``user`` takes part; ``known_ids`` are the participants when the caller has them."""
    ids = participant_ids(network.id) if known_ids is None else known_ids
    return user.id == network.coordinator_id or user.id in ids


def may_manage(user: User | None, network: Network) -> bool:
    """Admins and the network's coordinator manage it."""
    return user is not None and (user.is_admin or (network.coordinator_id is not None
                                                   and user.id == network.coordinator_id))


def may_view(user: User | None, network: Network, known_ids: set[int] | None = None) -> bool:
    """Tell whether ``user`` may see the network's people and minutes: its participants and member schools' leaders."""
    if user is None:
        return False
    if may_manage(user, network):
        return True
    if network.published_at is None and network.kind == NetworkKind.GROUP:
        return False
    return bool(user.led_school_ids() & set(network.school_ids)) or is_participant(user, network, known_ids)


def require_view(user: User | None, network: Network, known_ids: set[int] | None = None) -> None:
    require(may_view(user, network, known_ids), _("Bare nettverkets deltakere har tilgang til denne siden."))


def require_manage(user: User | None, network: Network) -> None:
    require(may_manage(user, network), _("Bare programadministratorer og nettverkets koordinator kan endre nettverket."))


def get_network(network_id: int) -> Network:
    network = db.session.get(Network, network_id)
    if network is None:
        raise NetworkNotFound(network_id)
    return network


@dataclass(frozen=True)
class MyNetwork:
    """A row of Mine nettverk: the network's own columns, not the whole object (the page is read often)."""

    id: int
    name: str
    kind: NetworkKind
    school_year: int | None
    #: Whether the person takes part themself (else they see it as leader of a member school).
    taking_part: bool
    next_gathering: datetime | None

    @property
    def school_year_label(self) -> str:
        return f"{self.school_year}/{self.school_year + 1}" if self.school_year else ""


@lru_cache(maxsize=None)
def _my_networks_statement() -> sa.Select:
    """Build once the statement behind Mine nettverk, with the person, their led schools and the time as parameters."""
    mine = network_ids_of_person(sa.bindparam("user_id")).cte("mine")
    taking_part = Network.id.in_(sa.select(mine.c[0]))
    led = sa.select(NetworkSchool.network_id).where(NetworkSchool.school_id.in_(sa.bindparam("led", expanding=True)))
    next_gathering = (sa.select(sa.func.min(Session.starts_at)).select_from(Gathering)
                      .join(Session, Session.id == Gathering.session_id)
                      .where(Gathering.network_id == Network.id, Session.status == SessionStatus.SCHEDULED,
                             Session.ends_at >= sa.bindparam("now"))
                      .correlate(Network).scalar_subquery())
    return (sa.select(Network.id, Network.name, Network.kind, Network.school_year, taking_part.label("taking_part"),
                      next_gathering.label("next_gathering"))
            .where(sa.or_(taking_part, Network.id.in_(led)),
                   sa.or_(Network.published_at.is_not(None), Network.kind == NetworkKind.MUNICIPALITY))
            .order_by(Network.kind.desc(), Network.name, Network.id))


def my_networks(user: User, now: datetime) -> list[MyNetwork]:
    """Return the published networks a person takes part in or whose member school they lead, with the next gathering.

    One statement on plain columns, however many networks and gatherings there are.
    """
    rows = db.session.connection().execute(_my_networks_statement(), {
        "user_id": user.id, "led": sorted(user.led_school_ids()), "now": now})
    return [MyNetwork(r.id, r.name, r.kind, r.school_year, bool(r.taking_part), r.next_gathering) for r in rows]


# --- networks themselves --------------------------------------------------------------

@dataclass
class NetworkData:
    name: str
    kind: NetworkKind = NetworkKind.MUNICIPALITY
    description: str = ""
    target_group_text: str = ""
    timing: str = ""
    organiser: str = ""
    coordinator_id: int | None = None
    school_year: int | None = None
    include_leaders: bool = True
    include_digital_supervisors: bool = False
    include_environment_teachers: bool = False
    include_teachers: bool = False
    school_ids: list[int] | None = None


def _apply(network: Network, data: NetworkData) -> None:
    name = data.name.strip()
    if not name:
        raise NetworkError(_("Skriv inn nettverkets navn."))
    if data.kind == NetworkKind.GROUP and data.school_year is None:
        raise NetworkError(_("En samarbeidsgruppe hører til et skoleår."))
    if data.coordinator_id is not None and db.session.get(User, data.coordinator_id) is None:
        raise NetworkError(_("Koordinatoren finnes ikke lenger. Last siden på nytt."))
    if not any((data.include_leaders, data.include_digital_supervisors, data.include_environment_teachers,
                data.include_teachers)):
        raise NetworkError(_("Velg minst én gruppe som deltar fra skolene."))
    for attr in ("kind", "description", "target_group_text", "timing", "organiser", "coordinator_id", "school_year",
                 "include_leaders", "include_digital_supervisors", "include_environment_teachers",
                 "include_teachers"):
        setattr(network, attr, getattr(data, attr))
    network.name = name
    if data.school_ids is not None:
        wanted = set(data.school_ids)
        known = set(db.session.scalars(sa.select(School.id).where(School.id.in_(wanted)))) if wanted else set()
        if wanted - known:
            raise NetworkError(_("En av skolene finnes ikke lenger. Last siden på nytt."))
        network.member_rows[:] = [row for row in network.member_rows if row.school_id in wanted]
        have = {row.school_id for row in network.member_rows}
        network.member_rows.extend(NetworkSchool(school_id=s) for s in sorted(wanted - have))


def create_network(data: NetworkData, *, actor: User | None, now: datetime, published: bool = True,
                   source_key: str | None = None) -> Network:
    """Make a network with its member schools; ``actor`` None is the system (demo, composition)."""
    if actor is not None:
        require(actor.is_admin, _("Bare programadministratorer kan opprette nettverk."))
    network = Network(name="", schedule=events_ops.new_schedule("catalog.network"), created_at=now, updated_at=now,
                      published_at=now if published else None, source_key=source_key)
    _apply(network, data)
    db.session.add(network)
    db.session.flush()
    return network


def update_network(network: Network, data: NetworkData, *, actor: User, now: datetime) -> None:
    require_manage(actor, network)
    _apply(network, data)
    network.updated_at = now
    db.session.flush()


def add_resource(network: Network, *, title: str, url: str, note: str, actor: User, now: datetime) -> NetworkResource:
    """Share a link or a Markdown note with the network (its participants may)."""
    require_view(actor, network)
    if not title.strip():
        raise NetworkError(_("Gi ressursen en tittel."))
    if not url and not note.strip():
        raise NetworkError(_("Skriv en lenke eller et notat."))
    if url and not url.startswith("https://"):
        raise NetworkError(_("Skriv en fullstendig nettadresse som begynner med https://."))
    resource = NetworkResource(network_id=network.id, title=title.strip(), url=url, note=note,
                               created_by_id=actor.id, created_at=now)
    db.session.add(resource)
    db.session.flush()
    return resource


# --- the network's own calendar feed -------------------------------------------------

def issue_network_feed_token(network: Network, *, actor: User, now: datetime) -> str:
    """Make the actor a new secret link to the network's calendar (their old one stops at once); return the token."""
    require_view(actor, network)
    for old in db.session.scalars(sa.select(NetworkFeedToken).where(
            NetworkFeedToken.network_id == network.id, NetworkFeedToken.user_id == actor.id,
            NetworkFeedToken.revoked_at.is_(None))):
        old.revoked_at = now
    db.session.flush()
    token = secrets.token_urlsafe(events_ops.FEED_TOKEN_BYTES)
    row = NetworkFeedToken(network_id=network.id, user_id=actor.id, token_hash=events_ops.hash_feed_token(token),
                           created_at=now)
    db.session.add(row)
    db.session.flush()
    audit.record(object_type="network_feed_token", object_id=row.id, from_state=None, to_state="live",
                 actor_id=actor.id, at=now, note=f"network {network.id}")
    return token


def network_for_feed_token(token: str) -> tuple[Network, str | None] | None:
    """Return the network a live token opens, and the language its person chose (None: none chosen), while the
    person may still see the network; else None. The feed is written in that language, as the personal one is."""
    if not token or len(token) > events_ops.MAX_FEED_TOKEN_LENGTH:
        return None
    row = db.session.execute(
        sa.select(Network, User).join(NetworkFeedToken, NetworkFeedToken.network_id == Network.id)
        .join(User, User.id == NetworkFeedToken.user_id)
        .where(NetworkFeedToken.token_hash == events_ops.hash_feed_token(token),
               NetworkFeedToken.revoked_at.is_(None), User.active)).first()
    if row is None or not may_view(row.User, row.Network):
        return None
    return row.Network, row.User.locale


# --- gatherings ------------------------------------------------------------------------

@dataclass(frozen=True)
class NetworkHead:
    """A network as its page shows it, read as plain columns with its schools and people (the page is read often).

    It answers what the rules ask of a network (:func:`may_view`,
    :func:`may_manage`, :func:`is_participant`) as a :class:`Network` does.
    """

    id: int
    name: str
    kind: NetworkKind
    description: str
    target_group_text: str
    timing: str
    organiser: str
    coordinator_id: int | None
    coordinator_name: str | None
    school_year: int | None
    published_at: datetime | None
    #: ``(school id, name)`` of each member school, by name as the page lists them.
    members: tuple[tuple[int, str], ...]
    #: ``(user id, name, school id)`` of each participant through the staff lists, by school and name.
    people: tuple[tuple[int, str, int], ...]

    @property
    def school_ids(self) -> list[int]:
        return [school_id for school_id, _name in self.members]

    @property
    def participant_ids(self) -> set[int]:
        return {user_id for user_id, _name, _school in self.people}

    @property
    def school_year_label(self) -> str:
        return f"{self.school_year}/{self.school_year + 1}" if self.school_year else ""


@lru_cache(maxsize=None)
def _head_statement() -> sa.Select:
    """Build once the statement of a network with its coordinator, schools and participants: a row per person.

    A member school without participants comes once, without a person.
    """
    coordinator = aliased(User)
    staff = sa.join(Membership, User, User.id == Membership.user_id)
    return (sa.select(Network.id, Network.name, Network.kind, Network.description, Network.target_group_text,
                      Network.timing, Network.organiser, Network.coordinator_id,
                      coordinator.name.label("coordinator_name"), Network.school_year, Network.published_at,
                      School.id.label("school_id"), School.name.label("school_name"),
                      Membership.user_id, User.name.label("person_name"))
            .select_from(Network).outerjoin(coordinator, coordinator.id == Network.coordinator_id)
            .outerjoin(NetworkSchool, NetworkSchool.network_id == Network.id)
            .outerjoin(School, School.id == NetworkSchool.school_id)
            .outerjoin(staff, sa.and_(Membership.school_id == NetworkSchool.school_id, User.active,
                                      Membership.role != Role.ADMIN, takes_part()))
            .where(Network.id == sa.bindparam("network_id"))
            .order_by(NetworkSchool.school_id, User.name, Membership.user_id))


def network_head(network_id: int) -> NetworkHead:
    """Return the network with its coordinator's name, schools and participants, in one statement.

    Raise :class:`NetworkNotFound` for a network that does not exist.
    """
    rows = db.session.connection().execute(_head_statement(), {"network_id": network_id}).all()
    if not rows:
        raise NetworkNotFound(network_id)
    first = rows[0]
    schools = {r.school_id: r.school_name for r in rows if r.school_id is not None}
    # By name without regard to case, as the page always listed them.
    members = sorted(schools.items(), key=lambda m: (m[1].lower(), m[0]))
    # A person with two roles at a school comes twice.
    people = dict.fromkeys((r.user_id, r.person_name, r.school_id) for r in rows if r.user_id is not None)
    return NetworkHead(first.id, first.name, first.kind, first.description, first.target_group_text, first.timing,
                       first.organiser, first.coordinator_id, first.coordinator_name, first.school_year,
                       first.published_at, tuple(members), tuple(people))


@dataclass(frozen=True)
class PageGatherings:
    """What the network page shows of its gatherings, as plain rows (see :func:`page_rows`)."""

    upcoming: tuple
    #: The latest published minutes, newest first, with one more than are shown (the last one's previous).
    published: tuple
    archive_total: int
    #: Gatherings that took place and have no published minutes, newest first (the newest ``past_limit``).
    past: tuple
    #: How many gatherings took place and have no published minutes, those not shown too.
    past_total: int


#: The resource columns of the network page's statement, and the gathering columns (both as the page reads them).
_RESOURCE_COLUMNS = ("resource_id", "title", "url", "note", "resource_rank")
_GATHERING_COLUMNS = ("gathering_id", "starts_at", "ends_at", "location", "status", "host_name", "published", "over",
                      "published_rank", "published_count", "past_rank", "past_count", "begun")


@lru_cache(maxsize=None)
def _page_statement() -> sa.CompoundSelect:
    """Build once the one statement of what the network page shows of its gatherings and its resources.

    Every gathering of the network is ranked in SQL among the published
    ones and among those over without published minutes (newest first), and
    only what the page shows comes back: the upcoming ones, the newest
    published (``archive_limit``) and the newest over without minutes
    (``past_limit``), with the number of published ones and of those over without. The network's
    resources come in the same answer (a ``UNION ALL``, a row of one or the
    other: a resource's row has a ``resource_id``), ranked newest first: one
    round trip to the database less on every view of the page.
    """
    published = Gathering.minutes_published_at.is_not(None)
    over = Session.ends_at < sa.bindparam("now")
    newest = (Session.starts_at.desc(), Gathering.id.desc())
    ranked = (sa.select(Gathering.id.label("gathering_id"), Session.starts_at, Session.ends_at, Session.location,
                        Session.status, School.name.label("host_name"), published.label("published"),
                        over.label("over"),
                        sa.func.row_number().over(partition_by=published, order_by=newest).label("published_rank"),
                        sa.func.count().over(partition_by=published).label("published_count"),
                        sa.func.row_number().over(partition_by=(published, over), order_by=newest).label("past_rank"),
                        sa.func.count().over(partition_by=(published, over)).label("past_count"),
                        (Session.starts_at <= sa.bindparam("now")).label("begun"))
              .select_from(Gathering).join(Session, Session.id == Gathering.session_id)
              .outerjoin(School, School.id == Gathering.host_school_id)
              .where(Gathering.network_id == sa.bindparam("network_id")).subquery())
    c = ranked.c
    gatherings = (sa.select(*(c[name] for name in _GATHERING_COLUMNS),
                            *(sa.null().label(name) for name in _RESOURCE_COLUMNS))
                  .where(sa.or_(sa.not_(c.over),
                                sa.and_(c.published, c.published_rank <= sa.bindparam("archive_limit")),
                                sa.and_(sa.not_(c.published), c.over, c.past_rank <= sa.bindparam("past_limit")))))
    resources = (sa.select(*(sa.null().label(name) for name in _GATHERING_COLUMNS),
                           NetworkResource.id.label("resource_id"), NetworkResource.title, NetworkResource.url,
                           NetworkResource.note,
                           sa.func.row_number().over(order_by=(NetworkResource.created_at.desc(),
                                                               NetworkResource.id.desc())).label("resource_rank"))
                 .where(NetworkResource.network_id == sa.bindparam("network_id")))
    return sa.union_all(gatherings, resources)


@dataclass(frozen=True)
class Resource:
    """A shared resource as the network page shows it."""

    id: int
    title: str
    url: str
    note: str


def page_rows(network_id: int, now: datetime, archive_shown: int, past_shown: int = 10
              ) -> tuple[PageGatherings, tuple[Resource, ...]]:
    """Return what the network page shows of its gatherings, and its resources newest first, in one statement.

    One statement on plain columns however many gatherings and resources there are.
    """
    rows = db.session.connection().execute(_page_statement(), {
        "network_id": network_id, "now": now, "archive_limit": archive_shown + 1, "past_limit": past_shown}).all()
    gathering_rows = sorted((r for r in rows if r.resource_id is None), key=lambda r: (r.starts_at, r.gathering_id))
    published = sorted((r for r in gathering_rows if r.published and r.published_rank <= archive_shown + 1),
                       key=lambda r: r.published_rank)
    past = sorted((r for r in gathering_rows if r.over and not r.published), key=lambda r: r.past_rank)
    page = PageGatherings(
        upcoming=tuple(r for r in gathering_rows if not r.over),
        published=tuple(published), archive_total=published[0].published_count if published else 0,
        past=tuple(past), past_total=past[0].past_count if past else 0)
    resources = tuple(Resource(r.resource_id, r.title, r.url, r.note)
                      for r in sorted((r for r in rows if r.resource_id is not None), key=lambda r: r.resource_rank))
    return page, resources


@lru_cache(maxsize=None)
def _absences_statement() -> sa.Select:
    return sa.select(Absence.gathering_id).where(Absence.user_id == sa.bindparam("user_id"),
                                                 Absence.gathering_id.in_(sa.bindparam("ids", expanding=True)))


def absences_among(user_id: int, gathering_ids) -> frozenset[int]:
    """Return which of the gatherings the person has said they cannot come to."""
    ids = sorted(gathering_ids)
    if not ids:
        return frozenset()
    return frozenset(db.session.connection().execute(_absences_statement(), {"user_id": user_id, "ids": ids})
                     .scalars())


def gatherings(network: Network) -> list[Gathering]:
    """Return the network's gatherings, soonest first."""
    return list(db.session.scalars(
        sa.select(Gathering).join(Session, Session.id == Gathering.session_id)
        .options(joinedload(Gathering.host_school))
        .where(Gathering.network_id == network.id).order_by(Session.starts_at, Gathering.id)))


def get_gathering(network: Network, gathering_id: int) -> Gathering:
    gathering = db.session.get(Gathering, gathering_id)
    if gathering is None or gathering.network_id != network.id:
        raise NetworkNotFound(gathering_id)
    return gathering


def _check_host(network: Network, host_school_id: int | None) -> None:
    if host_school_id is not None and host_school_id not in network.school_ids:
        raise NetworkError(_("Vertsskolen må være en av nettverkets skoler."))


def add_gathering(network: Network, *, starts_at: datetime, ends_at: datetime, location: str,
                  host_school_id: int | None, actor: User | None, now: datetime, title: str = "") -> Gathering:
    """Plan a gathering and invite every participant by mail (with an .ics REQUEST)."""
    if actor is not None:
        require_manage(actor, network)
    _check_host(network, host_school_id)
    try:
        session = events_ops.add_session(network.schedule, starts_at=starts_at, ends_at=ends_at, now=now,
                                         title=title, location=location)
    except events_ops.ScheduleError as err:
        raise NetworkError(str(err)) from err
    gathering = Gathering(network_id=network.id, session_id=session.id, host_school_id=host_school_id,
                          created_at=now)
    db.session.add(gathering)
    db.session.flush()
    _invite(network, gathering, mails.INVITATION, now)
    return gathering


def _invited(network: Network) -> list[User]:
    """Return everyone a gathering of the network is sent to: its participants and its coordinator."""
    ids = participant_ids(network.id) | ({network.coordinator_id} if network.coordinator_id else set())
    return list(db.session.scalars(sa.select(User).where(User.id.in_(ids), User.active))) if ids else []


def _invite(network: Network, gathering: Gathering, kind: str, now: datetime) -> None:
    for user in _invited(network):
        mails.queue(kind, gathering, user, now, sequence=gathering.session.sequence)


def _lock_gathering(gathering: Gathering) -> Gathering:
    """Take the network's lock and read the gathering and its session again under it."""
    lock_network(gathering.network_id)
    return db.session.scalar(sa.select(Gathering).where(Gathering.id == gathering.id)
                             .execution_options(populate_existing=True))


def editing_problem(gathering: Gathering, now: datetime) -> str | None:
    """Return why a gathering can no longer be changed (cancelled, or begun), or None if it can."""
    if gathering.session.status == SessionStatus.CANCELLED:
        return _("Samlingen er avlyst og kan ikke endres. Legg inn en ny samling i stedet.")
    if gathering.session.starts_at <= now:
        return _("Samlingen har begynt eller er over og kan ikke lenger endres.")
    return None


def update_gathering(gathering: Gathering, *, starts_at: datetime, ends_at: datetime, location: str,
                     host_school_id: int | None, actor: User, now: datetime) -> bool:
    """Move or change an upcoming gathering; when its time or place changed, everyone invited hears of it.

    The session's SEQUENCE rises once (the same in every feed and mail), and
    each invited person gets the new version of their own event: a REQUEST,
    or for one who has said they cannot come, their event as their feed has
    it (cancelled for them, which they keep). Return whether anything shown
    in calendars changed. Under the network's lock, so two changes (or a
    change and a cancellation) at once are made one after the other.
    """
    require_manage(actor, gathering.network)
    gathering = _lock_gathering(gathering)
    session = gathering.session
    if problem := editing_problem(gathering, now):
        raise NetworkError(problem)
    _check_host(gathering.network, host_school_id)
    if starts_at <= now:
        raise NetworkError(_("Velg et tidspunkt fram i tid."))
    try:
        changed = events_ops.update_session(session, starts_at=starts_at, ends_at=ends_at, now=now,
                                            title=session.title, location=location.strip(),
                                            online_url=session.online_url,
                                            owner_changed=host_school_id != gathering.host_school_id)
    except events_ops.ScheduleError as err:
        raise NetworkError(str(err)) from err
    gathering.host_school_id = host_school_id
    db.session.flush()
    if changed:
        absent = absent_ids(gathering)
        for user in _invited(gathering.network):
            mails.queue(mails.CHANGE, gathering, user, now, sequence=session.sequence, absent=user.id in absent)
    return changed


def cancel_gathering(gathering: Gathering, *, actor: User, now: datetime) -> None:
    """Call a gathering off: it stays, cancelled, in the feeds, and everyone invited gets a CANCEL.

    The round's proposal that made it is cancelled with it, so the group is
    no longer agreed in that round and its leaders agree on a new date.
    """
    require_manage(actor, gathering.network)
    gathering = _lock_gathering(gathering)
    if gathering.session.status == SessionStatus.CANCELLED:
        return
    events_ops.cancel_session(gathering.session, now)
    db.session.execute(sa.update(DateProposal).where(DateProposal.gathering_id == gathering.id,
                                                     DateProposal.status == ProposalStatus.AGREED)
                       .values(status=ProposalStatus.CANCELLED).execution_options(synchronize_session="fetch"))
    _invite(gathering.network, gathering, mails.CANCELLATION, now)


def say_cannot_come(gathering: Gathering, user: User, now: datetime, *, cannot: bool = True) -> None:
    """Note (or take back) that a participant cannot come.

    Their own event changes (cancelled for them, or back), so the session's
    SEQUENCE rises, under the network's lock like every change of a
    gathering: one stored value that every feed and mail carries and that
    never falls, however often someone changes their mind.
    """
    require(is_participant(user, gathering.network), _("Bare nettverkets deltakere kan melde fra om dette."))
    if gathering.session.starts_at <= now:
        raise NetworkError(_("Samlingen har begynt; meld fra til verten i stedet."))
    gathering = _lock_gathering(gathering)
    existing = db.session.get(Absence, (gathering.id, user.id))
    if cannot and existing is None:
        db.session.add(Absence(gathering_id=gathering.id, user_id=user.id, created_at=now))
    elif not cannot and existing is not None:
        db.session.delete(existing)
    else:
        return
    events_ops.raise_session_sequence(gathering.session, now)


def _refuse_if_cancelled(gathering: Gathering) -> None:
    """Refuse what is recorded only for a gathering that was held: attendance, minutes, carried back."""
    if gathering.session.status == SessionStatus.CANCELLED:
        raise NetworkError(_("Samlingen ble avlyst. Oppmøte, referat og deling føres bare for samlinger som ble holdt."))


def absent_ids(gathering: Gathering) -> set[int]:
    return set(db.session.scalars(sa.select(Absence.user_id).where(Absence.gathering_id == gathering.id)))


@dataclass
class SchoolTurnout:
    school: School
    coming: list[User]
    not_coming: list[User]
    #: Recorded attendance after the gathering: people by name, and a count for a whole staff.
    attended: list[User]
    attended_count: int | None
    carried_back: CarriedBack | None


def turnout(gathering: Gathering) -> list[SchoolTurnout]:
    """Return per member school who is invited and coming, who cannot, who attended and what was carried back."""
    network = gathering.network
    absent = absent_ids(gathering)
    by_school: dict[int, tuple[list, list]] = {sid: ([], []) for sid in network.school_ids}
    for user, school in participants(network):
        by_school.setdefault(school.id, ([], []))[user.id in absent].append(user)
    rows = list(db.session.scalars(sa.select(GatheringAttendance).where(GatheringAttendance.gathering_id == gathering.id)))
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(
        User.id.in_([r.user_id for r in rows if r.user_id])))} if rows else {}
    carried = {c.school_id: c for c in db.session.scalars(
        sa.select(CarriedBack).where(CarriedBack.gathering_id == gathering.id))}
    schools = {row.school_id: row.school for row in network.member_rows}
    result = []
    for school_id, (coming, not_coming) in by_school.items():
        attended = [people[r.user_id] for r in rows if r.school_id == school_id and r.user_id in people]
        counts = [r.count for r in rows if r.school_id == school_id and r.user_id is None]
        result.append(SchoolTurnout(schools[school_id], coming, not_coming, attended, counts[0] if counts else None,
                                    carried.get(school_id)))
    result.sort(key=lambda t: (t.school.name, t.school.id))
    return result


def record_attendance(gathering: Gathering, *, user_ids: set[int], school_counts: dict[int, int], actor: User,
                      now: datetime) -> None:
    """Record who came: participants by person, and a count for schools whose whole staff came."""
    network = gathering.network
    require(may_manage(actor, network) or _leads_host(actor, gathering),
            _("Bare vertsskolens ledere og nettverkets koordinator fører oppmøte."))
    _refuse_if_cancelled(gathering)
    if gathering.session.starts_at > now:
        raise NetworkError(_("Oppmøte føres når samlingen har begynt."))
    schools_of = {}
    for user, school in participants(network):
        schools_of.setdefault(user.id, school.id)
    unknown = user_ids - schools_of.keys()
    if unknown:
        raise NetworkError(_("Bare nettverkets deltakere kan føres som til stede."))
    for school_id, count in school_counts.items():
        if school_id not in network.school_ids:
            raise NetworkError(_("Skolen er ikke med i nettverket."))
        if not 1 <= count <= 10000:
            raise NetworkError(_("Antallet må være mellom 1 og 10 000."))
    db.session.execute(sa.delete(GatheringAttendance).where(GatheringAttendance.gathering_id == gathering.id))
    for user_id in sorted(user_ids):
        db.session.add(GatheringAttendance(gathering_id=gathering.id, school_id=schools_of[user_id], user_id=user_id))
    for school_id, count in sorted(school_counts.items()):
        db.session.add(GatheringAttendance(gathering_id=gathering.id, school_id=school_id, count=count))
    db.session.flush()


def _leads_host(user: User, gathering: Gathering) -> bool:
    return gathering.host_school_id is not None and gathering.host_school_id in user.led_school_ids()


# --- minutes ------------------------------------------------------------------------------

def may_write_minutes(user: User, gathering: Gathering) -> bool:
    """The host school's leaders (or the coordinator, when no school hosts) write the minutes."""
    return may_manage(user, gathering.network) or _leads_host(user, gathering)


def write_minutes(gathering: Gathering, text: str, *, actor: User, now: datetime) -> None:
    require(may_write_minutes(actor, gathering), _("Bare vertsskolens ledere skriver referatet."))
    _refuse_if_cancelled(gathering)
    if gathering.minutes_published_at is not None:
        raise NetworkError(_("Referatet er publisert og kan ikke endres."))
    if gathering.session.starts_at > now:
        raise NetworkError(_("Referatet skrives etter samlingen."))
    gathering.minutes = text
    db.session.flush()


def add_to_minutes(gathering: Gathering, text: str, *, actor: User, now: datetime) -> MinutesAddition:
    """Let a participant add to the minutes until they are published."""
    require_view(actor, gathering.network)
    _refuse_if_cancelled(gathering)
    if gathering.minutes_published_at is not None:
        raise NetworkError(_("Referatet er publisert; det kan ikke lenger legges til."))
    if not gathering.minutes.strip():
        raise NetworkError(_("Vertsskolen har ikke skrevet referatet ennå."))
    if not text.strip():
        raise NetworkError(_("Skriv det du vil legge til."))
    addition = MinutesAddition(gathering_id=gathering.id, author_id=actor.id, text=text, created_at=now)
    db.session.add(addition)
    db.session.flush()
    return addition


def publish_minutes(gathering: Gathering, *, actor: User, now: datetime) -> None:
    require(may_write_minutes(actor, gathering), _("Bare vertsskolens ledere publiserer referatet."))
    _refuse_if_cancelled(gathering)
    if not gathering.minutes.strip():
        raise NetworkError(_("Skriv referatet før det publiseres."))
    if gathering.minutes_published_at is None:
        gathering.minutes_published_at = now
        db.session.flush()


@dataclass
class ArchivedMinutes:
    gathering: Gathering
    previous: Gathering | None


def minutes_archive(network: Network, all_gatherings: list[Gathering] | None = None) -> list[ArchivedMinutes]:
    """Return the published minutes, newest first, each with the one before it."""
    published = [g for g in (gatherings(network) if all_gatherings is None else all_gatherings)
                 if g.minutes_published_at is not None]
    return [ArchivedMinutes(g, published[i - 1] if i else None) for i, g in enumerate(published)][::-1]


# --- carried back --------------------------------------------------------------------------

def record_carried_back(gathering: Gathering, *, school_id: int, shared_on: date, place: str, reached: int,
                        note: str, actor: User, now: datetime) -> CarriedBack:
    """Record (or correct) how a member school shared at home what was learned at the gathering."""
    network = gathering.network
    require(may_manage(actor, network) or school_id in actor.led_school_ids(),
            _("Bare skolens ledere fører hvordan skolen delte det den lærte."))
    _refuse_if_cancelled(gathering)
    if school_id not in network.school_ids:
        raise NetworkError(_("Skolen er ikke med i nettverket."))
    session_day = gathering.session.starts_at.astimezone(OSLO).date()
    if shared_on < session_day:
        raise NetworkError(_("Delingen på skolen kan ikke være før samlingen."))
    if shared_on > now.astimezone(OSLO).date():
        raise NetworkError(_("Delingen på skolen kan ikke være i fremtiden."))
    if not place.strip():
        raise NetworkError(_("Skriv hvor det ble delt (for eksempel fellestid eller trinnmøte)."))
    if not 0 <= reached <= 10000:
        raise NetworkError(_("Antallet må være mellom 0 og 10 000."))
    row = db.session.scalar(sa.select(CarriedBack).where(CarriedBack.gathering_id == gathering.id,
                                                         CarriedBack.school_id == school_id))
    if row is None:
        row = CarriedBack(gathering_id=gathering.id, school_id=school_id)
        db.session.add(row)
    row.shared_on, row.place, row.reached, row.note = shared_on, place.strip(), reached, note
    row.recorded_by_id, row.recorded_at = actor.id, now
    db.session.flush()
    return row


def schools_not_carried_back(gathering: Gathering) -> list[School]:
    """Return the member schools that have not yet recorded how they carried the gathering back."""
    done = set(db.session.scalars(sa.select(CarriedBack.school_id).where(CarriedBack.gathering_id == gathering.id)))
    return sorted((row.school for row in gathering.network.member_rows if row.school_id not in done),
                  key=lambda s: (s.name, s.id))


# --- rounds and date proposals ----------------------------------------------------------

def create_round(*, school_year: int, title: str, window_start: date, window_end: date, actor: User,
                 now: datetime) -> GatheringRound:
    """Set the window (e.g. weeks 41 and 42) in which the collaboration groups of a school year meet."""
    require(actor.is_admin, _("Bare programadministratorer setter vinduet for en samlingsrunde."))
    if window_end < window_start:
        raise NetworkError(_("Vinduet må slutte etter at det begynner."))
    if (window_end - window_start).days > 120:
        raise NetworkError(_("Vinduet kan være høyst 120 dager."))
    first, last = school_year_bounds(school_year)
    if window_start < first or window_end > last:
        raise NetworkError(_("Vinduet må ligge i skoleåret %(year)d/%(next)d, fra %(first)s til %(last)s.",
                             year=school_year, next=school_year + 1, first=fmt_date(first), last=fmt_date(last)))
    if not title.strip():
        raise NetworkError(_("Gi runden et navn."))
    row = GatheringRound(school_year=school_year, title=title.strip(), window_start=window_start,
                         window_end=window_end, created_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def in_round(network: Network, round_: GatheringRound) -> bool:
    """Whether the network is one of the round's groups: a collaboration group of the round's school year."""
    return network.kind == NetworkKind.GROUP and network.school_year == round_.school_year


def round_groups(round_: GatheringRound) -> list[Network]:
    return list(db.session.scalars(sa.select(Network).where(
        Network.kind == NetworkKind.GROUP, Network.school_year == round_.school_year,
        Network.published_at.is_not(None)).order_by(Network.name, Network.id)))


def lock_network(network_id: int) -> Network:
    """Load a network under a lock that serialises everyone scheduling its gatherings."""
    begin_writing()
    network = db.session.scalar(sa.select(Network).where(Network.id == network_id)
                                .with_for_update(of=Network).execution_options(populate_existing=True))
    if network is None:
        raise NetworkNotFound(network_id)
    return network


def proposals(round_: GatheringRound, network: Network) -> list[DateProposal]:
    return list(db.session.scalars(sa.select(DateProposal).where(
        DateProposal.round_id == round_.id, DateProposal.network_id == network.id).order_by(DateProposal.id)))


def agreed_proposal(round_id: int, network_id: int) -> DateProposal | None:
    return db.session.scalar(sa.select(DateProposal).where(
        DateProposal.round_id == round_id, DateProposal.network_id == network_id,
        DateProposal.status == ProposalStatus.AGREED))


def _acting_school(actor: User, network: Network) -> int:
    led = sorted(actor.led_school_ids() & set(network.school_ids))
    if not led:
        raise PermissionDenied(_("Bare ledere ved gruppens skoler avtaler samlingen."))
    return led[0]


def propose_date(round_: GatheringRound, network_id: int, *, starts_at: datetime, ends_at: datetime,
                 host_school_id: int, location: str, actor: User, now: datetime) -> DateProposal:
    """Propose date, host school and place within the round's window; an open proposal is replaced."""
    network = lock_network(network_id)
    school_id = _acting_school(actor, network)
    if not in_round(network, round_):
        raise NetworkError(_("Gruppen hører ikke til denne runden."))
    if agreed_proposal(round_.id, network.id) is not None:
        raise NetworkError(_("Gruppen har allerede avtalt samlingen i denne runden."))
    _check_host(network, host_school_id)
    if host_school_id is None:
        raise NetworkError(_("Velg vertsskolen."))
    start_day = starts_at.astimezone(OSLO).date()
    if not round_.window_start <= start_day <= round_.window_end:
        raise NetworkError(_("Velg en dag i vinduet for runden (%(first)s–%(last)s).",
                             first=round_.window_start.strftime("%d.%m.%Y"),
                             last=round_.window_end.strftime("%d.%m.%Y")))
    if ends_at <= starts_at:
        raise NetworkError(_("Sluttid må være etter starttid."))
    if starts_at <= now:
        raise NetworkError(_("Velg et tidspunkt fram i tid."))
    for old in db.session.scalars(sa.select(DateProposal).where(
            DateProposal.round_id == round_.id, DateProposal.network_id == network.id,
            DateProposal.status == ProposalStatus.OPEN)):
        old.status = ProposalStatus.SUPERSEDED
    db.session.flush()
    proposal = DateProposal(round_id=round_.id, network_id=network.id, starts_at=starts_at, ends_at=ends_at,
                            host_school_id=host_school_id, location=location.strip(), proposed_by_id=actor.id,
                            created_at=now)
    proposal.confirmations.append(ProposalConfirmation(school_id=school_id, user_id=actor.id, created_at=now))
    db.session.add(proposal)
    db.session.flush()
    _agree_if_everyone(network, proposal, now)
    return proposal


def confirm_proposal(proposal_id: int, *, actor: User, now: datetime) -> DateProposal:
    """Confirm the open proposal for the actor's school; the last school's confirmation makes it agreed.

    A proposal whose time has come is confirmed no more: agreed, it would be a
    gathering in the past with invitations mailed to it.
    """
    network_id = db.session.scalar(sa.select(DateProposal.network_id).where(DateProposal.id == proposal_id))
    if network_id is None:
        raise NetworkError(_("Forslaget finnes ikke lenger. Last siden på nytt."))
    network = lock_network(network_id)
    school_id = _acting_school(actor, network)
    proposal = db.session.scalar(sa.select(DateProposal).where(DateProposal.id == proposal_id)
                                 .execution_options(populate_existing=True))
    if proposal.status != ProposalStatus.OPEN:
        raise NetworkError(_("Forslaget er ikke lenger åpent. Se gruppens avtalte tid eller nyeste forslag."))
    if proposal.starts_at <= now:
        raise NetworkError(_("Tiden i forslaget er passert. Foreslå en ny tid."))
    if all(c.school_id != school_id for c in proposal.confirmations):
        proposal.confirmations.append(ProposalConfirmation(school_id=school_id, user_id=actor.id, created_at=now))
        db.session.flush()
    _agree_if_everyone(network, proposal, now)
    return proposal


def _agree_if_everyone(network: Network, proposal: DateProposal, now: datetime) -> None:
    if {c.school_id for c in proposal.confirmations} >= set(network.school_ids):
        proposal.status = ProposalStatus.AGREED
        db.session.flush()
        gathering = add_gathering(network, starts_at=proposal.starts_at, ends_at=proposal.ends_at,
                                  location=proposal.location, host_school_id=proposal.host_school_id, actor=None,
                                  now=now)
        proposal.gathering_id = gathering.id
        db.session.flush()


def unscheduled_groups(round_: GatheringRound) -> list[Network]:
    """Return the round's groups that have not agreed on their gathering yet."""
    agreed = set(db.session.scalars(sa.select(DateProposal.network_id).where(
        DateProposal.round_id == round_.id, DateProposal.status == ProposalStatus.AGREED)))
    return [n for n in round_groups(round_) if n.id not in agreed]


def remind_unscheduled(round_: GatheringRound, *, actor: User, now: datetime) -> int:
    """Mail the leaders of every group that has not scheduled yet; return how many mails were queued."""
    require(actor.is_admin, _("Bare programadministratorer sender påminnelser."))
    groups = unscheduled_groups(round_)
    school_ids = {sid for n in groups for sid in n.school_ids}
    leaders: dict[int, list[User]] = {}
    if school_ids:
        for user, school_id in db.session.execute(
                sa.select(User, Membership.school_id).join(Membership, Membership.user_id == User.id)
                .where(Membership.school_id.in_(school_ids), Membership.role == Role.LEADER, User.active)):
            leaders.setdefault(school_id, []).append(user)
    queued = 0
    day = now.astimezone(OSLO).date().isoformat()
    for network in groups:
        for user in {u.id: u for sid in network.school_ids for u in leaders.get(sid, [])}.values():
            queued += mails.queue_reminder(round_, network, user, now, day)
    return queued


# --- figures for the development plan -------------------------------------------------------

#: What :func:`figures_by_school_and_network` counts for each school and network.
FIGURE_KEYS = ("gatherings", "attended", "carried_back", "carried_back_reached")


#: The parts of :func:`_figure_statement`'s answer, by the number in its first column.
_HELD, _ATTENDED, _CARRIED_BACK = 1, 2, 3


@lru_cache(maxsize=None)
def _figure_statement(many: bool) -> sa.CompoundSelect:
    """The one statement of :func:`figures_by_school_and_network`, built once (building it cost more than
    running it on a plan page), with the parameters ``start``, ``end`` and ``schools`` (unless ``many``).

    Three counts told apart by their first column (:data:`_HELD`, :data:`_ATTENDED`, :data:`_CARRIED_BACK`):
    one round trip, where three statements made three.
    """
    # An EXISTS on each gathering read, not a join: a join let SQLite drive the query from the period's
    # 30,000 sessions (20 ms where the school has no gatherings at all).
    held = sa.exists().where(Session.id == Gathering.session_id, Session.status == SessionStatus.SCHEDULED,
                             Session.starts_at >= sa.bindparam("start"), Session.starts_at < sa.bindparam("end"))

    # PostgreSQL takes an untyped NULL in the first parts of a union for text.
    no_sum = sa.cast(sa.null(), sa.BigInteger)

    # Who came from a school to a gathering, as its page shows it: the school's count when one was given,
    # else the people ticked from it (never the two added together).
    came = (sa.select(GatheringAttendance.gathering_id, GatheringAttendance.school_id,
                      sa.func.coalesce(sa.func.max(sa.case((GatheringAttendance.user_id.is_(None),
                                                            GatheringAttendance.count))),
                                       sa.func.count(GatheringAttendance.user_id)).label("n"))
            .where(schools_parameter(GatheringAttendance.school_id, many))
            .group_by(GatheringAttendance.gathering_id, GatheringAttendance.school_id).subquery("came"))

    def part(number: int):
        return sa.literal_column(str(number)).label("part")
    return sa.union_all(
        sa.select(part(_HELD), NetworkSchool.school_id, Gathering.network_id, sa.func.count(Gathering.id).label("n"),
                  no_sum.label("reached"))
        .join(Gathering, Gathering.network_id == NetworkSchool.network_id)
        .where(schools_parameter(NetworkSchool.school_id, many), held)
        .group_by(NetworkSchool.school_id, Gathering.network_id),
        sa.select(part(_ATTENDED), came.c.school_id, Gathering.network_id, sa.func.sum(came.c.n), no_sum)
        .join(Gathering, Gathering.id == came.c.gathering_id)
        .where(held)
        .group_by(came.c.school_id, Gathering.network_id),
        sa.select(part(_CARRIED_BACK), CarriedBack.school_id, Gathering.network_id, sa.func.count(CarriedBack.id),
                  sa.func.sum(CarriedBack.reached))
        .join(Gathering, Gathering.id == CarriedBack.gathering_id)
        .where(schools_parameter(CarriedBack.school_id, many), held)
        .group_by(CarriedBack.school_id, Gathering.network_id))


def figures_by_school_and_network(school_ids, start: datetime, end: datetime) -> dict[tuple[int, int], dict[str, int]]:
    """Return per (school, network) what the network did in ``[start, end)``, in one query whatever the numbers.

    ``gatherings``: held (not cancelled, begun) gatherings of the school's networks; ``attended``: per
    gathering the school's count when one was recorded, else its people recorded by name (as the gathering
    page shows it); ``carried_back``: the school's records of sharing at home; ``carried_back_reached``:
    the people those reached.
    """
    figures: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURE_KEYS, 0))
    schools = list(school_ids)
    if not schools:
        return figures
    asked = set(schools)  # for many schools every school's rows are read (see lms.plugins.at_schools)
    many, values = school_values(schools)
    values |= {"start": start, "end": end}
    for part, school_id, network_id, n, reached in db.session.execute(_figure_statement(many), values):
        if school_id not in asked:
            continue
        row = figures[school_id, network_id]
        if part == _HELD:
            row["gatherings"] = n
        elif part == _ATTENDED:
            row["attended"] = int(n or 0)
        else:
            row["carried_back"] = n
            row["carried_back_reached"] = int(reached or 0)
    return figures


def plan_figures(school_ids: list[int], start: datetime, end: datetime,
                 network_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Return per school the sums of :func:`figures_by_school_and_network` (over ``network_ids`` if given)."""
    figures = {sid: dict.fromkeys(FIGURE_KEYS, 0) for sid in school_ids}
    for (school_id, network_id), values in figures_by_school_and_network(school_ids, start, end).items():
        if network_ids is None or network_id in network_ids:
            for key in FIGURE_KEYS:
                figures[school_id][key] += values[key]
    return figures


# --- composing collaboration groups -------------------------------------------------------

#: What a composed group says about itself, in the appendix's own words.
GROUP_TARGET = "Lærere"
GROUP_TIMING = "Fra og med våren 2019, neste samling i uke 41 eller 42"
GROUP_ORGANISER = "Skoleledere"


def school_inputs(schools: list[School]) -> list[composition.SchoolInput]:
    return [composition.SchoolInput(s.id, s.name, s.district, tuple(s.focus_areas)) for s in schools]


def _groups_of_year(school_year: int, *, published: bool | None) -> list[Network]:
    where = [Network.kind == NetworkKind.GROUP, Network.school_year == school_year]
    if published is not None:
        where.append(Network.published_at.is_not(None) if published else Network.published_at.is_(None))
    return list(db.session.scalars(sa.select(Network).where(*where).order_by(Network.id)))


def last_year_pairs(school_year: int) -> list[tuple[int, int]]:
    """Return the pairs of schools that were in one published group the school year before."""
    pairs = []
    for network in _groups_of_year(school_year - 1, published=True):
        ids = sorted(network.school_ids)
        pairs += [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
    return pairs


def compose_groups(school_year: int, mode: composition.LastYear, *, actor: User, now: datetime) -> list[Network]:
    """Propose draft collaboration groups of all schools for a school year, replacing earlier drafts."""
    require(actor.is_admin, _("Bare programadministratorer setter sammen samarbeidsgrupper."))
    if _groups_of_year(school_year, published=True):
        raise NetworkError(_("Gruppene for dette skoleåret er allerede publisert."))
    for draft in _groups_of_year(school_year, published=False):
        db.session.delete(draft)
    db.session.flush()
    schools = list(db.session.scalars(sa.select(School).order_by(School.id)))
    if len(schools) < 2:
        raise NetworkError(_("Det trengs minst to skoler for å sette sammen grupper."))
    result = composition.compose(school_inputs(schools), last_year_pairs(school_year), mode)
    drafts = []
    for number, group in enumerate(result.groups, start=1):
        drafts.append(create_network(NetworkData(
            name=f"Samarbeidsgruppe {number}", kind=NetworkKind.GROUP, school_year=school_year,
            target_group_text=GROUP_TARGET, timing=GROUP_TIMING, organiser=GROUP_ORGANISER,
            include_leaders=True, include_teachers=True, school_ids=group.school_ids), actor=None, now=now,
            published=False))
        drafts[-1].composed_with = mode
    db.session.flush()
    return drafts


@dataclass
class DraftGroup:
    network: Network
    schools: list[School]
    shared: list[str]
    score: int
    sharing_nothing: list[School]


@dataclass
class DraftComposition:
    groups: list[DraftGroup]
    score: int
    unmatched: list[School]
    published: bool
    #: What the groups were composed with about last year's partners; None where that is not known.
    composed_with: composition.LastYear | None = None


def composition_of_year(school_year: int, mode: composition.LastYear | None = None) -> DraftComposition:
    """Return the year's groups (drafts, or the published ones) with what they share and their score.

    The score counts last year's partners as ``mode`` says, by default as the
    groups were composed (and not at all for groups made otherwise).
    """
    published = _groups_of_year(school_year, published=True)
    networks = published or _groups_of_year(school_year, published=False)
    composed_with = next((n.composed_with for n in networks if n.composed_with is not None), None)
    if mode is None:
        mode = composed_with or composition.LastYear.IGNORE
    schools = {row.school_id: row.school for n in networks for row in n.member_rows}
    inputs = school_inputs(sorted(schools.values(), key=lambda s: s.id))
    index = {s.id: i for i, s in enumerate(inputs)}
    summary = composition.summarise(inputs, [[index[sid] for sid in n.school_ids] for n in networks],
                                    last_year_pairs(school_year), mode)
    by_ids = {tuple(sorted(g.school_ids)): g for g in summary.groups}
    groups = []
    for network in networks:
        g = by_ids[tuple(sorted(network.school_ids))]
        groups.append(DraftGroup(network, sorted((schools[i] for i in network.school_ids), key=lambda s: s.name),
                                 g.shared, g.score, [schools[i] for i in g.sharing_nothing]))
    return DraftComposition(groups, summary.score, [schools[i] for i in summary.unmatched], bool(published),
                            composed_with)


def move_school(school_id: int, to_network_id: int, *, school_year: int, actor: User, now: datetime) -> None:
    """Move a school from its draft group to another draft group of the same year (sizes stay two to four)."""
    require(actor.is_admin, _("Bare programadministratorer endrer samarbeidsgruppene."))
    drafts = {n.id: n for n in _groups_of_year(school_year, published=False)}
    source = next((n for n in drafts.values() if school_id in n.school_ids), None)
    target = drafts.get(to_network_id)
    if source is None or target is None:
        raise NetworkError(_("Velg en skole og en gruppe fra forslaget."))
    if source.id == target.id:
        raise NetworkError(_("Skolen er allerede i den gruppen."))
    if len(target.school_ids) >= 4:
        raise NetworkError(_("%(group)s har allerede fire skoler.", group=target.name))
    if len(source.school_ids) <= 2:
        raise NetworkError(_("%(group)s ville fått bare én skole igjen.", group=source.name))
    source.member_rows[:] = [row for row in source.member_rows if row.school_id != school_id]
    db.session.flush()
    target.member_rows.append(NetworkSchool(school_id=school_id))
    source.updated_at = target.updated_at = now
    db.session.flush()


def publish_groups(school_year: int, *, actor: User, now: datetime) -> int:
    """Publish the year's draft groups and mail each school's leaders their partners; return the mails queued."""
    require(actor.is_admin, _("Bare programadministratorer publiserer samarbeidsgruppene."))
    drafts = _groups_of_year(school_year, published=False)
    if not drafts:
        raise NetworkError(_("Det er ingen foreslåtte grupper å publisere."))
    queued = 0
    for network in drafts:
        network.published_at = now
    db.session.flush()
    school_ids = {sid for n in drafts for sid in n.school_ids}
    leaders: dict[int, list[User]] = {}
    for user, school_id in db.session.execute(
            sa.select(User, Membership.school_id).join(Membership, Membership.user_id == User.id)
            .where(Membership.school_id.in_(school_ids), Membership.role == Role.LEADER, User.active)):
        leaders.setdefault(school_id, []).append(user)
    for network in drafts:
        for user in {u.id: u for sid in network.school_ids for u in leaders.get(sid, [])}.values():
            queued += mails.queue_group_published(network, user, now)
    return queued
