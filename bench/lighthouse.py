"""The fyrtårn benchmark: free times of a fully booked fyrtårn, and a rush of schools on one slot.

Two measurements, each a function ``bench.run`` can call with the app and a
running server (:func:`free_times` and :func:`rush`), and a command that runs
both alone:

* **free times**: one fyrtårn available every weekday 08:00-16:00 (Oslo),
  one-hour guidance without buffers, and the next ``--weeks`` weeks (a
  semester) booked by schools except every ``--free-every``-th slot, some of
  the bookings confirmed (with their sessions in the calendar kernel). A signed-in school leader's
  ``GET /bestillinger/ny/<offering>?fra=<day>`` (the booking form, which lists
  eight weeks of free times) is measured over rotating start days across the
  semester, by the same load generator and connections as ``bench.run``'s
  GET endpoints.
* **rush**: another fyrtårn with exactly one free time two weeks ahead;
  ``--attempts`` school leaders (each of a school of their own, signed in as
  in ``bench.enroll_rush``: a server-side session and CSRF token made in the
  database) each ``POST /bestillinger/ny/<offering>`` for that time once,
  ``--concurrency`` at a time. Exactly one may get the 303 to their booking;
  every other must get 409 with the page telling them the time was just
  taken. The database must then hold one booking, one audit entry and one
  mail for it.

Alone (``python -m bench.lighthouse``) it starts gunicorn as ``bench.run`` does
(``-w 2 --threads 4``) on a fresh database (or ``--database-url``), measures
``GET /ping`` before and after as the ceiling, prints both ratios, and ends
with the line ``booked=1 refused=N-1 errors=0`` (exit status 0 only then).
"""
from __future__ import annotations

import argparse
import sys
import time as clock
import zlib
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench import common, enroll_rush

OSLO = ZoneInfo("Europe/Oslo")
WEEKS, FREE_EVERY = 20, 10
ATTEMPTS, CONCURRENCY = 200, 32
DAY_START, DAY_END = time(8, 0), time(16, 0)
TAKEN_MESSAGE = "Tidspunktet er nettopp tatt av en annen skole"


# --- data ------------------------------------------------------------------------------

def _semesters(first: date, last: date) -> list[str]:
    from lighthouse.profiles.models import semester_of

    codes, day = [], first
    while day <= last + timedelta(days=31):
        code = semester_of(day)
        if code not in codes:
            codes.append(code)
        day += timedelta(days=28)
    return codes


def _fyrtarn(tag: str, now: datetime, *, first: date, last: date, buffer_minutes: int = 0):
    """Create a fyrtårn with a profile, release time for every semester in range, and an offering; return them."""
    from lighthouse.bookings.models import BookableKind, BookableOffering, Venue
    from lighthouse.profiles.models import LighthouseProfile, ProfileSubject, ReleaseTime, Subject
    from lms.db import db
    from lms.people.models import Membership, Role, School, User

    school = School(name=f"Fyrtårnskolen {tag}", org_number=f"7{zlib.crc32(tag.encode()) % 10**8:08d}", district="Benchmark")
    user = User(email=f"fyrtarn.{tag}@bench.kompetanse.no", name=f"Fyrtårn {tag}", password_hash="", locale="nb",
                created_at=now)
    user.memberships = [Membership(role=Role.TEACHER, school=school), Membership(role=Role.LIGHTHOUSE, school=school)]
    profile = LighthouseProfile(user=user, home_school=school, presentation="Benchmark.", created_at=now,
                                updated_at=now)
    profile.subject_rows = [ProfileSubject(subject=Subject.MATHEMATICS)]
    db.session.add(profile)
    db.session.flush()
    for code in _semesters(first, last):
        db.session.add(ReleaseTime(profile_id=profile.id, semester=code, requested_minutes=10**6,
                                   approved_minutes=10**6, approved_at=now, created_at=now, updated_at=now))
    offering = BookableOffering(profile=profile, kind=BookableKind.GUIDANCE, title=f"Veiledning {tag}",
                                description="", subject=Subject.MATHEMATICS, audience="Lærere",
                                duration_minutes=60, max_participants=30, venue=Venue.EITHER,
                                buffer_minutes=buffer_minutes, min_notice_hours=48, created_at=now, updated_at=now)
    db.session.add(offering)
    db.session.flush()
    return profile, offering, school


def _leaders(count: int, tag: str, now: datetime) -> list[tuple[int, int]]:
    """Create ``count`` school leaders, each leading a school of their own; return (user id, school id) pairs."""
    from lms.db import db

    school, user, membership = (db.metadata.tables[n] for n in ("school", "user_account", "membership"))
    conn = db.session.connection()
    pairs = []
    for k in range(count):
        school_id = conn.execute(school.insert().returning(school.c.id), {
            "name": f"Bestillerskolen {tag} {k + 1}", "org_number": f"6{(zlib.crc32(tag.encode()) + k) % 10**8:08d}",
            "district": "Benchmark", "focus_areas_text": ""}).scalar_one()
        user_id = conn.execute(user.insert().returning(user.c.id), {
            "email": f"leder.{tag}.{k}@bench.kompetanse.no", "name": f"Leder {k + 1}", "password_hash": "",
            "locale": "nb", "hire_date": None, "is_digital_supervisor": False, "active": True,
            "created_at": now}).scalar_one()
        conn.execute(membership.insert(), {"user_id": user_id, "school_id": school_id, "role": "leader"})
        pairs.append((user_id, school_id))
    return pairs


def _slots(first: date, last: date) -> list[datetime]:
    """Every one-hour start of the weekday windows between two Oslo dates, in UTC."""
    slots, day = [], first
    while day <= last:
        if day.weekday() < 5:
            for hour in range(DAY_START.hour, DAY_END.hour):
                slots.append(datetime.combine(day, time(hour), tzinfo=OSLO).astimezone(timezone.utc))
        day += timedelta(days=1)
    return slots


def prepare_free_times(app, now: datetime, *, weeks: int = WEEKS, free_every: int = FREE_EVERY) -> dict:
    """Create the fully booked fyrtårn and a signed-in leader; return what :func:`free_times` needs."""
    from events.models import Schedule, Session
    from lighthouse.bookings.models import AvailabilityWindow, Booking, BookingState, Venue
    from lighthouse.profiles.models import semester_of
    from lms.db import db

    tag = now.strftime("%H%M%S%f")
    first = now.astimezone(OSLO).date()
    last = first + timedelta(weeks=weeks)
    with app.app_context():
        profile, offering, _home = _fyrtarn(f"full-{tag}", now, first=first, last=last)
        for weekday in range(5):
            db.session.add(AvailabilityWindow(profile_id=profile.id, weekday=weekday, start_time=DAY_START,
                                              end_time=DAY_END, valid_from=first, valid_until=last, created_at=now))
        ((leader_id, school_id),) = _leaders(1, f"full-{tag}", now)
        booked = 0
        slots = [s for s in _slots(first, last) if s >= now + timedelta(hours=offering.min_notice_hours)]
        for k, starts_at in enumerate(slots):
            if k % free_every == 0:
                continue
            confirmed = k % 3 != 0
            booking = Booking(offering_id=offering.id, profile_id=profile.id, school_id=school_id,
                              requested_by_id=leader_id, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1),
                              requested_starts_at=starts_at, semester=semester_of(starts_at.astimezone(OSLO).date()),
                              minutes=60, participants_count=5, venue=Venue.AT_SCHOOL,
                              state=BookingState.CONFIRMED if confirmed else BookingState.REQUESTED,
                              location="Bestillerskolen", created_at=now, updated_at=now)
            if confirmed:
                booking.schedule = Schedule(owner_kind="lighthouse.booking", created_at=now)
                booking.schedule.sessions = [Session(starts_at=starts_at, ends_at=booking.ends_at,
                                                     location="Bestillerskolen", updated_at=now)]
            db.session.add(booking)
            booked += 1
        db.session.flush()
        offering_id = offering.id
        db.session.commit()
        db.session.remove()
        engine = _engine(app)
    with engine.begin() as conn:
        ((cookie, _token),) = enroll_rush.sign_in(app, conn, [leader_id], now)
    days = [first + timedelta(days=d) for d in range(0, weeks * 7 - 56, 7)] or [first]
    paths = [f"/bestillinger/ny/{offering_id}?" + urlencode({"skole": school_id, "fra": d.isoformat()})
             for d in days]
    return {"offering_id": offering_id, "paths": paths, "cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}",
            "slots": len(slots), "booked": booked, "free": len(slots) - booked}


def _engine(app):
    from lms.db import db

    with app.app_context():
        return db.engine


# --- the measurements ----------------------------------------------------------------------

def free_times(app, server_url: str, *, connections: int = 16, duration: float = 20, warmup: float = 3,
               weeks: int = WEEKS, echo=print) -> dict:
    """Measure the booking form's free times for a fyrtårn with a full semester of bookings; return the figures."""
    host, port = common.split_url(server_url)
    t0 = clock.perf_counter()
    prepared = prepare_free_times(app, datetime.now(timezone.utc), weeks=weeks)
    echo(f"  free times: offering {prepared['offering_id']}, {prepared['booked']} of {prepared['slots']} slots "
         f"booked over {weeks} weeks (prepared in {clock.perf_counter() - t0:.1f} s)")
    requests = [common.get_request(host, port, path, cookie=prepared["cookie"]) for path in prepared["paths"]]
    result = common.run_loadgen({"mode": "duration", "host": host, "port": port, "connections": connections,
                                 "duration": duration, "warmup": warmup, "expect": [200], "requests": requests},
                                "lighthouse-free-times")
    echo(f"  {'free times':<18} {result['rps']:9.1f} req/s  p50 {result['latency_ms'].get('p50')} ms  "
         f"p99 {result['latency_ms'].get('p99')} ms  errors {result['errors']}")
    return {**result, **{k: prepared[k] for k in ("offering_id", "slots", "booked", "free")}}


def _post(app, host: str, port: int, offering_id: int, school_id: int, starts_at: datetime, cookie: str,
          token: str) -> str:
    body = urlencode({"csrf_token": token, "school_id": school_id, "starts_at": starts_at.isoformat(),
                      "participants_count": 5, "venue": "at_school", "note": "Benchmark"})
    return common.post_request(host, port, f"/bestillinger/ny/{offering_id}", body,
                               cookie=f"{app.config['SESSION_COOKIE_NAME']}={cookie}")


def rush(app, server_url: str, *, attempts: int = ATTEMPTS, concurrency: int = CONCURRENCY, echo=print) -> dict:
    """Let ``attempts`` school leaders ask for the one free time of a fyrtårn at once; return the figures."""
    from lighthouse.bookings.models import AvailabilityWindow, Booking
    from lms.audit.models import AuditEntry
    from lms.db import db
    from lms.mail.models import OutboxMessage

    host, port = common.split_url(server_url)
    now = datetime.now(timezone.utc)
    tag = now.strftime("%H%M%S%f")
    day = now.astimezone(OSLO).date() + timedelta(days=14)
    starts_at = datetime.combine(day, time(12), tzinfo=OSLO).astimezone(timezone.utc)
    t0 = clock.perf_counter()
    with app.app_context():
        profile, offering, _home = _fyrtarn(f"rush-{tag}", now, first=day, last=day, buffer_minutes=15)
        db.session.add(AvailabilityWindow(profile_id=profile.id, weekday=day.weekday(), start_time=time(12),
                                          end_time=time(13), valid_from=day, valid_until=day, created_at=now))
        leaders = _leaders(attempts, f"rush-{tag}", now)
        offering_id, profile_id = offering.id, profile.id
        db.session.commit()
        db.session.remove()
    engine = _engine(app)
    with engine.begin() as conn:
        logins = enroll_rush.sign_in(app, conn, [user_id for user_id, _school in leaders], now)
    echo(f"  booking rush: offering {offering_id}, {attempts} leaders signed in in {clock.perf_counter() - t0:.1f} s")
    requests = [_post(app, host, port, offering_id, school_id, starts_at, cookie, token)
                for (_user, school_id), (cookie, token) in zip(leaders, logins)]
    result = common.run_loadgen({"mode": "each", "host": host, "port": port, "connections": concurrency,
                                 "expect": [303, 409], "requests": requests}, "lighthouse-rush")
    with app.app_context():
        def count(model, *where):
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0
        bookings = db.session.execute(sa.select(Booking.id, Booking.starts_at, Booking.state)
                                      .where(Booking.profile_id == profile_id)).all()
        ids = [b.id for b in bookings]
        audits = count(AuditEntry, AuditEntry.object_type == "lighthouse.booking", AuditEntry.object_id.in_(ids)) \
            if ids else 0
        mails = sum(1 for params in db.session.scalars(sa.select(OutboxMessage.params).where(
            OutboxMessage.kind == "lighthouse.booking")) if params and params.get("booking_id") in ids)
        db.session.remove()
    statuses = {int(k): v for k, v in result["status"].items()}
    figures = {
        "offering_id": offering_id, "attempts": attempts, "concurrency": concurrency,
        "elapsed_s": result["elapsed"], "rps": result["rps"], "status": statuses,
        "exceptions": result["exceptions"], "samples": result["samples"], "latency_ms": result["latency_ms"],
        "booked": statuses.get(303, 0), "refused": statuses.get(409, 0), "errors": result["errors"],
        "bookings_in_database": len(bookings), "audit_entries": audits, "mails": mails,
        "held_the_time": [b.starts_at == starts_at for b in bookings] == [True],
    }
    figures["ok"] = (figures["booked"] == 1 and figures["refused"] == attempts - 1 and figures["errors"] == 0
                     and figures["bookings_in_database"] == 1 and audits == 1 and mails == 1
                     and figures["held_the_time"])
    echo(f"  booking rush: {attempts} POSTs in {result['elapsed']:.2f} s = {result['rps']:.1f}/s; statuses "
         f"{statuses}; database: {len(bookings)} booking, {audits} audit entry, {mails} mail")
    return figures


def summary_line(figures: dict) -> str:
    return f"booked={figures['booked']} refused={figures['refused']} errors={figures['errors']}"


# --- alone ---------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lighthouse", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite",
                        help="a fresh database of this kind (default sqlite), unless --database-url is given")
    parser.add_argument("--database-url", help="a migrated database to use instead (SQLAlchemy URL)")
    parser.add_argument("--scale", type=float, default=0.0,
                        help="on a fresh database, generate the bench dataset at this scale first (default 0: none)")
    parser.add_argument("--duration", type=float, default=20, help="seconds measured per GET endpoint (default 20)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up before each (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections for GETs (default 16)")
    parser.add_argument("--weeks", type=int, default=WEEKS, help=f"weeks booked ahead (default {WEEKS})")
    parser.add_argument("--attempts", type=int, default=ATTEMPTS, help=f"POSTs in the rush (default {ATTEMPTS})")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY,
                        help=f"connections the rush posts over (default {CONCURRENCY})")
    args = parser.parse_args(argv)

    if args.database_url:
        database_url = common.normalise_url(args.database_url)
    else:
        database_url = common.fresh_database(args.database, "kp_bench_lighthouse")
        print(f"Fresh {args.database} database: {database_url}")
        common.migrate(database_url)
        if args.scale > 0:
            common.generate_dataset(database_url, args.scale)
    # As bench.run does, where this checkout's bench.common can (the shared Redis cache for feeds).
    if hasattr(common, "use_redis_cache"):
        common.use_redis_cache()
    app = common.make_app(database_url)
    server = common.Server(database_url, log_path=common.DATA_DIR / "gunicorn-lighthouse.log").start()
    print(f"gunicorn {' '.join(server.command[1:])} on {database_url}")
    try:
        before = common.measure_ping(server.url, args.connections, args.duration, args.warmup, "lighthouse-ping-before")
        times = free_times(app, server.url, connections=args.connections, duration=args.duration,
                           warmup=args.warmup, weeks=args.weeks)
        after = common.measure_ping(server.url, args.connections, args.duration, args.warmup, "lighthouse-ping-after")
        figures = rush(app, server.url, attempts=args.attempts, concurrency=args.concurrency)
    finally:
        server.stop()
    ceiling = (before["rps"] + after["rps"]) / 2
    print(f"  ceiling (GET /ping, mean of before and after): {ceiling:.1f} req/s")
    print(f"  free times of a fully booked fyrtårn: {times['rps']:.1f} req/s = {times['rps'] / ceiling:.3f} "
          f"of the ceiling (errors {times['errors']})")
    print(f"  booking rush: {figures['rps']:.1f} POSTs/s = {figures['rps'] / ceiling:.3f} of the ceiling")
    if figures["samples"] or times["samples"]:
        print("  sample errors:", *figures["samples"], *times["samples"], sep="\n    ")
    print(summary_line(figures))
    return 0 if figures["ok"] and times["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
