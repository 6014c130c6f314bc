"""The networks benchmark: composing collaboration groups for 3,000 schools, and two network pages.

* **composition**: 3,000 schools with focus areas and districts drawn as
  ``bench.generate`` draws the nationwide dataset's (one to three of its
  twelve focus areas, its districts; seed 2026), or the schools of a
  generated database (``--database-url``). ``catalog.networks.composition``
  composes them (greedy, then improving swaps), best of five runs timed; the
  figure is the shared-focus-area score (for every pair of schools in a
  group, the focus areas they share), set against a random partition into
  the same group sizes (mean of five seeds) and the greedy construction alone.
* **pages**: a network of four schools (leaders and digital supervisors) with
  50 gatherings in the past, each with published minutes and an addition, and
  the leader in 20 further networks; a participant's
  ``GET /nettverk/<id>`` and the leader's ``GET /nettverk`` (Mine nettverk),
  measured by ``bench.loadgen`` against gunicorn (``-w 2 --threads 4``) with
  ``GET /ping`` as the ceiling, and the leader's calendar page
  (``GET /kalender``, same layout, four queries) as a reference. On a shared
  machine the load of others comes and goes within a minute, so the pages
  are measured in interleaved rounds (``--rounds``, each a ping and then
  each page for its share of ``--duration``, and a last ping): every page
  meets the same mix, and each figure is the mean over the rounds.

The shared cache is on where Redis answers (``KP_REDIS_URL``, as
``bench.run`` sets it): the two network pages are then kept under the write
generation between writes (``catalog.networks.views``).

``python -m bench.networks`` runs both on a fresh SQLite database (or
``--database postgresql``, or ``--database-url``) and prints the figures.
``--in-process`` measures the pages instead with Flask's test client in one
thread, as ``bench.diagnose`` does (time, CPU, statements, ORM objects per
request, against ``GET /ping`` in the same process), and ``--profile N``
adds cProfile's N costliest functions of each page.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time as clock
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bench import common, enroll_rush
from bench.generate import DEFAULT_SEED, DISTRICTS, FOCUS_AREAS

SCHOOLS = 3000
GATHERINGS = 50
OTHER_NETWORKS = 20


# --- composition ------------------------------------------------------------------------------

def nationwide_schools(count: int = SCHOOLS, seed: int = DEFAULT_SEED):
    """Return ``count`` schools with districts and focus areas drawn as the nationwide dataset draws them."""
    from catalog.networks.composition import SchoolInput

    rng = random.Random(seed)
    schools = []
    for sid in range(1, count + 1):
        district = DISTRICTS[(sid - 1) % len(DISTRICTS)] if sid <= len(DISTRICTS) else rng.choice(DISTRICTS)
        areas = tuple(rng.sample(FOCUS_AREAS, rng.randint(1, 3)))
        schools.append(SchoolInput(sid, f"Skole {sid}", district, areas))
    return schools


def schools_of_database(app):
    from catalog.networks.operations import school_inputs
    from lms.db import db
    from lms.people.models import School

    with app.app_context():
        return school_inputs(list(db.session.scalars(sa.select(School).order_by(School.id))))


def compose_figures(schools, runs: int = 5, echo=print) -> dict:
    """Time the composition and set its score against a random and a greedy partition."""
    from catalog.networks import composition

    ordered = sorted(schools, key=lambda s: s.id)
    times = []
    for _ in range(runs):
        t0 = clock.perf_counter()
        result = composition.compose(ordered)
        times.append(clock.perf_counter() - t0)
    t0 = clock.perf_counter()
    greedy = composition.greedy(ordered)
    greedy_seconds = clock.perf_counter() - t0
    greedy_score = composition.summarise(ordered, greedy).shared_pairs
    sizes = composition.group_sizes(len(ordered))
    random_scores = []
    for seed in range(5):
        order = list(range(len(ordered)))
        random.Random(seed).shuffle(order)
        groups, k = [], 0
        for size in sizes:
            groups.append(order[k:k + size])
            k += size
        random_scores.append(composition.summarise(ordered, groups).shared_pairs)
    ids = sorted(i for g in result.groups for i in g.school_ids)
    figures = {
        "schools": len(ordered), "groups": len(result.groups), "seconds_best": min(times),
        "seconds_median": statistics.median(times), "score": result.shared_pairs,
        "greedy_score": greedy_score, "greedy_seconds": greedy_seconds,
        "random_score": statistics.mean(random_scores),
        "every_school_once": ids == sorted(s.id for s in ordered),
        "sizes_ok": all(2 <= len(g.school_ids) <= 4 for g in result.groups),
        "unmatched": len(result.unmatched),
    }
    echo(f"  composition of {figures['schools']} schools into {figures['groups']} groups: best "
         f"{figures['seconds_best']:.3f} s (median {figures['seconds_median']:.3f} s); shared-focus-area score "
         f"{figures['score']} vs greedy {greedy_score} ({greedy_seconds:.3f} s) vs random "
         f"{figures['random_score']:.0f}; every school once: {figures['every_school_once']}, sizes 2-4: "
         f"{figures['sizes_ok']}")
    return figures


# --- pages ------------------------------------------------------------------------------------

def prepare_pages(app, now: datetime) -> dict:
    """Make the network with 50 gatherings and minutes, and sign in a participant and a leader."""
    from catalog.networks import operations as ops
    from lms.db import db
    from lms.people.models import Membership, Role, School, User

    with app.app_context():
        schools = [School(name=f"Nettverksskole {i}", org_number=f"5{i:08d}", district="Benchmark",
                          focus_areas_text="Lesing\nVurdering") for i in range(4)]
        db.session.add_all(schools)
        db.session.flush()
        people = []
        for i, school in enumerate(schools):
            leader = User(email=f"leder.nettverk.{i}@bench.kompetanse.no", name=f"Leder {i}", password_hash="")
            leader.memberships.append(Membership(role=Role.LEADER, school_id=school.id))
            people.append(leader)
            for j in range(5):
                supervisor = User(email=f"veileder.{i}.{j}@bench.kompetanse.no", name=f"Veileder {i}.{j}",
                                  password_hash="", is_digital_supervisor=True)
                supervisor.memberships.append(Membership(role=Role.TEACHER, school_id=school.id))
                people.append(supervisor)
        db.session.add_all(people)
        db.session.flush()
        ids = [s.id for s in schools]
        network = ops.create_network(ops.NetworkData(
            name="Nettverk for digital profesjonsutøvelse", include_leaders=True, include_digital_supervisors=True,
            school_ids=ids, description="Alle skolene møtes for å dele erfaringer."), actor=None, now=now)
        leader, participant = people[0], people[1]
        start = now - timedelta(days=7 * GATHERINGS)
        for k in range(GATHERINGS):
            begins = start + timedelta(days=7 * k)
            g = ops.add_gathering(network, starts_at=begins, ends_at=begins + timedelta(hours=2),
                                  location="Rådhuset", host_school_id=ids[k % 4], actor=None, now=begins)
            g.minutes = f"# Samling {k + 1}\n\nVi delte **erfaringer** om vurdering og lesing.\n\n- punkt\n- punkt"
            g.additions.append(ops.MinutesAddition(author_id=people[5].id, text="Husk Dubestemmer.", created_at=begins))
            g.minutes_published_at = begins + timedelta(days=1)
        for n in range(OTHER_NETWORKS):
            ops.create_network(ops.NetworkData(name=f"Nettverk {n}", include_leaders=True, school_ids=ids[:1]),
                               actor=None, now=now)
        db.session.flush()
        conn = db.session.connection()
        (participant_cookie, _t), (leader_cookie, _t2) = enroll_rush.sign_in(app, conn, [participant.id, leader.id],
                                                                             now)
        network_id = network.id
        db.session.commit()
    return {"network_id": network_id, "participant_cookie": f"session={participant_cookie}",
            "leader_cookie": f"session={leader_cookie}"}


def measure_page(server_url: str, path: str, cookie: str, name: str, args) -> dict:
    host, port = common.split_url(server_url)
    return common.run_loadgen({"mode": "duration", "host": host, "port": port, "connections": args.connections,
                               "duration": args.duration, "warmup": args.warmup, "expect": [200],
                               "requests": [common.get_request(host, port, path, cookie=cookie)]}, name)


def page_costs(app, prepared: dict, *, repeat: int = 200, profile: int = 0, echo=print) -> dict:
    """Measure the network pages in-process (as ``bench.diagnose`` does); return {name: figures}."""
    import cProfile
    import io
    import pstats

    from bench.diagnose import SQLCounter, _measure
    from lms.db import db

    with app.app_context():
        engine = db.engine
    counter = SQLCounter(engine)
    app.config["SERVER_NAME"] = None
    cookie_name = app.config["SESSION_COOKIE_NAME"]

    def signed_in(path, cookie):
        value = cookie.split("=", 1)[1]

        def call(c):
            c.set_cookie(cookie_name, value, domain="localhost")
            return c.get(path)
        return call

    pages = {"ping": lambda c: c.get("/ping"),
             "network_page": signed_in(f"/nettverk/{prepared['network_id']}", prepared["participant_cookie"]),
             "mine_nettverk": signed_in("/nettverk", prepared["leader_cookie"]),
             "calendar_page": signed_in("/kalender", prepared["leader_cookie"])}
    results = {}
    try:
        client = app.test_client()
        for name, call in pages.items():
            _measure(client, counter, [call] * 20, 200)  # warm: templates compiled, per-process caches filled
            results[name] = _measure(client, counter, [call] * repeat, 200)
            if profile and name != "ping":
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(repeat):
                    call(client)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(profile)
                echo(f"--- cProfile of {name}, {repeat} requests, by cumulative time ---\n{out.getvalue()}")
    finally:
        counter.close()
        with app.app_context():
            db.session.remove()
    ping = results["ping"]["cpu_ms"]
    for name, figures in results.items():
        echo(f"  in-process {name:<14} {figures['ms']:7.2f} ms  cpu {figures['cpu_ms']:7.2f} ms "
             f"(ratio {ping / figures['cpu_ms']:.3f})  {figures['statements']:5.1f} statements  "
             f"sql {figures['sql_ms']:6.2f} ms  objects {figures['rows']:8.1f}  bad {figures['unexpected_status']}")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.networks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", help="a migrated database to use instead; its schools are composed")
    parser.add_argument("--duration", type=float, default=15,
                        help="seconds measured per GET endpoint, over all rounds (default 15)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the pages (default 3)")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--skip-pages", action="store_true", help="only the composition")
    parser.add_argument("--in-process", action="store_true",
                        help="measure the pages in-process (test client, one thread) instead of through gunicorn")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="with --in-process: print cProfile's N costliest functions of each page")
    args = parser.parse_args(argv)

    if args.database_url:
        database_url = common.normalise_url(args.database_url)
    else:
        database_url = common.fresh_database(args.database, "kp_bench_networks")
        common.migrate(database_url)
    # The shared cache on where Redis answers, as bench.run and a deployment with KP_REDIS_URL have it.
    shared = common.use_redis_cache()
    app = common.make_app(database_url)
    schools = schools_of_database(app) if args.database_url else []
    if len(schools) < SCHOOLS:
        schools = nationwide_schools()
    figures = compose_figures(schools)
    ok = figures["every_school_once"] and figures["sizes_ok"] and figures["seconds_best"] < 2
    if args.skip_pages:
        return 0 if ok else 1
    prepared = prepare_pages(app, datetime.now(timezone.utc))
    if args.in_process:
        costs = page_costs(app, prepared, profile=args.profile)
        return 0 if ok and not any(f["unexpected_status"] for f in costs.values()) else 1
    server = common.Server(database_url, log_path=common.DATA_DIR / "gunicorn-networks.log").start()
    print(f"gunicorn {' '.join(server.command[1:])} on {database_url}; shared cache (Redis) "
          f"{'on: the pages kept under the write generation' if shared else 'off'}")
    pages = [("network page, 50 gatherings with minutes", "network-page", f"/nettverk/{prepared['network_id']}",
              prepared["participant_cookie"]),
             ("leader's Mine nettverk", "mine-nettverk", "/nettverk", prepared["leader_cookie"]),
             # A page of the same layout for comparison, in the same minutes of a shared machine.
             ("reference: the leader's calendar page (GET /kalender)", "calendar-page", "/kalender",
              prepared["leader_cookie"])]
    share = argparse.Namespace(connections=args.connections, duration=args.duration / args.rounds,
                               warmup=args.warmup)
    pings, results = [], {name: [] for _label, name, _path, _cookie in pages}
    try:
        for number in range(args.rounds):
            pings.append(common.measure_ping(server.url, args.connections, share.duration, args.warmup,
                                             f"networks-ping-{number}"))
            for _label, name, path, cookie in pages:
                # The cookie as the browser holds it now (enroll_rush.seen_now): renewed at most once a minute.
                results[name].append(measure_page(server.url, path,
                                                  enroll_rush.seen_now(app, cookie, datetime.now(timezone.utc)),
                                                  name, share))
        pings.append(common.measure_ping(server.url, args.connections, share.duration, args.warmup,
                                         "networks-ping-last"))
    finally:
        server.stop()
    ceiling = statistics.mean(p["rps"] for p in pings)
    each = ", ".join(f"{p['rps']:.0f}" for p in pings)
    print(f"  ceiling (GET /ping, mean of {len(pings)}: {each}): {ceiling:.1f} req/s")
    for label, name, _path, _cookie in pages:
        rounds = results[name]
        rps = statistics.mean(r["rps"] for r in rounds)
        each = ", ".join(f"{r['rps']:.0f}" for r in rounds)
        p50 = statistics.median(r["latency_ms"].get("p50") or 0 for r in rounds)
        p99 = max(r["latency_ms"].get("p99") or 0 for r in rounds)
        print(f"  {label}: {rps:.1f} req/s = {rps / ceiling:.3f} of the ceiling (rounds: {each}), p50 {p50} ms, "
              f"p99 up to {p99} ms, errors {sum(r['errors'] for r in rounds)}")
        ok = ok and all(r["errors"] == 0 for r in rounds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
