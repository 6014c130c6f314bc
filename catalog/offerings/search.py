"""Finding offerings: what a person asks the catalogue for, and the queries that answer it.

The catalogue page and the public calendar feeds answer the same filter, so
both take their conditions from here.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from catalog.offerings.models import Offering, OfferingKind, OfferingStatus, OfferingTargetGroup, TargetGroup
from events.models import Session
from lms.db import db
from lms.i18n import OSLO


@dataclass
class CatalogFilter:
    """What a person asked the catalogue for."""

    q: str = ""
    theme: str = ""
    kind: OfferingKind | None = None
    target_group: TargetGroup | None = None
    plan_area: int | None = None
    #: ISO week as (year, week), or a month as (year, month).
    week: tuple[int, int] | None = None
    month: tuple[int, int] | None = None
    free_seats: bool = False
    include_past: bool = False
    #: The week as typed, when it could not be read (the page says so and keeps it).
    week_not_understood: str = ""


def _oslo_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=OSLO)


def period_bounds(f: CatalogFilter) -> tuple[datetime, datetime] | None:
    """Return the [start, end) of the chosen week or month in Oslo time."""
    if f.week:
        start = date.fromisocalendar(f.week[0], f.week[1], 1)
        return _oslo_midnight(start), _oslo_midnight(start + timedelta(days=7))
    if f.month:
        year, month = f.month
        last = calendar.monthrange(year, month)[1]
        return _oslo_midnight(date(year, month, 1)), _oslo_midnight(date(year, month, last) + timedelta(days=1))
    return None


def offering_conditions(f: CatalogFilter) -> list[sa.ColumnElement[bool]]:
    """Return what the filter asks of an offering itself (kind, theme, target group, plan area)."""
    conditions = []
    if f.kind is not None:
        conditions.append(Offering.kind == f.kind)
    if f.theme:
        conditions.append(Offering.theme == f.theme)
    if f.plan_area is not None:
        conditions.append(Offering.plan_area == f.plan_area)
    if f.target_group is not None:
        # EXISTS, not IN: the planner then walks offerings in date order and stops at a page.
        conditions.append(sa.exists().where(OfferingTargetGroup.offering_id == Offering.id,
                                            OfferingTargetGroup.group == f.target_group))
    return conditions


def joinable(now: datetime) -> sa.ColumnElement[bool]:
    """Select the offerings one can sign up for now (a seat or the waitlist).

    The same rule as :func:`catalog.enrollment.operations.registration_problem`
    answering None, as SQL: published, the sign-up window open, the first
    session still to come.
    """
    return sa.and_(Offering.status == OfferingStatus.PUBLISHED,
                   sa.or_(Offering.registration_opens_at.is_(None), Offering.registration_opens_at <= now),
                   sa.or_(Offering.registration_closes_at.is_(None), Offering.registration_closes_at > now),
                   sa.or_(Offering.first_starts_at.is_(None), Offering.first_starts_at > now))


def free_seat(now: datetime) -> sa.ColumnElement[bool]:
    """Select the offerings where one can get a seat now, not only a place on the waitlist."""
    return sa.and_(joinable(now), Offering.seats_taken < Offering.capacity, Offering.waitlist_length == 0)


def catalog_query(f: CatalogFilter, now: datetime) -> sa.Select:
    """Return the query for published offerings matching the filter, without an order."""
    # Only offerings with a dated session are listed; by default only those
    # with a session still to come (a network meeting all year stays listed).
    query = sa.select(Offering).where(Offering.status == OfferingStatus.PUBLISHED,
                                      Offering.first_starts_at.is_not(None))
    if not f.include_past:
        query = query.where(Offering.last_starts_at >= now - timedelta(hours=12))
    if f.q:
        like = f"%{f.q.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(Offering.title).like(like), sa.func.lower(Offering.theme).like(like),
                                   sa.func.lower(Offering.description).like(like),
                                   sa.func.lower(Offering.organiser).like(like),
                                   sa.func.lower(Offering.target_group_text).like(like)))
    query = query.where(*offering_conditions(f))
    bounds = period_bounds(f)
    if bounds:
        query = query.where(Offering.schedule_id.in_(
            sa.select(Session.schedule_id).where(Session.starts_at >= bounds[0], Session.starts_at < bounds[1])))
    if f.free_seats:
        query = query.where(free_seat(now))
    return query


@dataclass
class CatalogPage:
    total: int
    page: int
    pages: int
    offerings: list[Offering]


def catalog_page(f: CatalogFilter, now: datetime, page: int, size: int, *options) -> CatalogPage:
    """Return one page of the offerings matching the filter: what one can join first, then the rest.

    Each part is in the order of its first session. The parts are read one
    after the other, each walking the offerings in date order and stopping
    at the page (one sort over every match would cost more than the page):
    the one that can be joined first, the rest only where the page reaches
    past them. ``options`` are loader options for the offerings.
    """
    query = catalog_query(f, now)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max((total + size - 1) // size, 1)
    page = min(page, pages)
    offset = (page - 1) * size

    def part(condition, skip: int, take: int) -> list[Offering]:
        return list(db.session.scalars(query.where(condition).options(*options)
                                       .order_by(Offering.first_starts_at, Offering.id).limit(take).offset(skip)))

    open_now = joinable(now)
    offerings = part(open_now, offset, size)
    if len(offerings) < size:
        # Fewer than a page left to join: how many there are tells where the rest starts.
        joinable_count = (offset + len(offerings) if offerings else db.session.scalar(
            sa.select(sa.func.count()).select_from(query.where(open_now).subquery())))
        offerings += part(sa.not_(open_now), max(offset - joinable_count, 0), size - len(offerings))
    return CatalogPage(total=total, page=page, pages=pages, offerings=offerings)


def themes() -> list[str]:
    """Return the themes of published offerings, for the filter."""
    return list(db.session.scalars(sa.select(Offering.theme).distinct()
                                   .where(Offering.status == OfferingStatus.PUBLISHED, Offering.theme != "")
                                   .order_by(Offering.theme)))


def open_for_signup(now: datetime, limit: int) -> list[Offering]:
    """Return the next published offerings that one can sign up for now, soonest first."""
    return list(db.session.scalars(
        sa.select(Offering).where(
            Offering.status == OfferingStatus.PUBLISHED, Offering.first_starts_at > now,
            sa.or_(Offering.registration_opens_at.is_(None), Offering.registration_opens_at <= now),
            sa.or_(Offering.registration_closes_at.is_(None), Offering.registration_closes_at > now))
        .order_by(Offering.first_starts_at, Offering.id).limit(limit)))


def short_of_minimum(manager_id: int | None, today: date, days_ahead: int, now: datetime,
                     limit: int) -> list[Offering]:
    """Return offerings still to start with fewer seats taken than their minimum, decided within ``days_ahead``.

    ``manager_id`` is the organiser whose offerings these are; None means every
    offering (a programme admin). Those whose go/no-go day has passed without
    a decision come first, as they are the most urgent.
    """
    query = sa.select(Offering).where(
        Offering.status == OfferingStatus.PUBLISHED, Offering.min_participants > 0,
        Offering.seats_taken < Offering.min_participants, Offering.go_no_go_date.is_not(None),
        Offering.go_no_go_date <= today + timedelta(days=days_ahead), Offering.first_starts_at > now,
        Offering.go_ahead_at.is_(None))  # decided to run anyway: nothing left to decide
    if manager_id is not None:
        query = query.where(Offering.responsible_id == manager_id)
    return list(db.session.scalars(query.order_by(Offering.go_no_go_date, Offering.id).limit(limit)))
