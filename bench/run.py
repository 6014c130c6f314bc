"""The benchmark: Kompetanseportalen under gunicorn on SQLite and PostgreSQL.

For each database: a fresh database (SQLite file ``bench/data/kp_bench.sqlite``,
PostgreSQL database ``kp_bench``), the app's migrations, the nationwide dataset
(``bench.generate``), then gunicorn (``-w 2 --threads 4``) and the load
generator (``bench.loadgen``, its own process, keep-alive connections) measuring
requests per second for

* ``GET /ping``, the bare endpoint: the ceiling, measured before and after the
  pages (the ratio uses their mean);
* ``GET /kurs`` with filters (a rotating set of filter combinations);
* ``GET /kurs/<id>``, offering pages (anonymous, and signed in as a teacher);
* the enrollment rush (``bench.enroll_rush``): 2,000 POSTs by 2,000 signed-in
  teachers on one fresh 30-seat offering, 32 at a time;

then each worker's peak memory (VmHWM), and in-process request costs
(``bench.diagnose``). Writes ``bench/RESULTS.md`` (and the raw figures as JSON
under ``bench/data/``).

    python -m bench.run                       # full scale, both databases
    python -m bench.run --scale 0.02 --duration 5 --databases sqlite
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shlex
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

import requests

from bench import lighthouse as lighthouse_bench
from bench import lti as lti_bench
from bench import common, diagnose, enroll_rush, feeds

RESULTS = common.ROOT / "bench" / "RESULTS.md"
TARGETS = {"catalogue": 0.15, "enroll": 0.10, "memory_mb": 150, "feed_50": 0.25, "feed_304": 0.6, "lti_launch": 0.05}


def catalogue_paths(today: date) -> list[str]:
    """Filtered catalogue pages, every one of them with at least one filter."""
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    next_week = (today + timedelta(days=7)).isocalendar()
    return [
        "/kurs?malgruppe=teachers&type=course&omrade=4&ledige=1",
        "/kurs?malgruppe=teachers&ledige=1",
        "/kurs?type=workshop&omrade=6",
        "/kurs?malgruppe=leaders&type=network_gathering",
        "/kurs?tema=Digitalt+medborgerskap&ledige=1",
        f"/kurs?maned={next_month:%Y-%m}&malgruppe=teachers",
        f"/kurs?uke={next_week.year}-W{next_week.week:02d}",
        "/kurs?malgruppe=teachers&type=course&omrade=4&ledige=1&side=2",
    ]


def offering_ids(app, count: int, seed: int = 3) -> list[int]:
    from lms.db import db

    offering = enroll_rush._table("offering")
    with app.app_context():
        ids = list(db.session.scalars(sa.select(offering.c.id).where(offering.c.status == "published")
                                      .where(offering.c.title.not_like("Påmeldings%"))
                                      .where(offering.c.title.not_like("Diagnose%"))
                                      .order_by(offering.c.id)))
        db.session.remove()
    return random.Random(seed).sample(ids, min(count, len(ids)))


def page_counts(server: common.Server, paths: list[str]) -> dict[str, int | None]:
    """How many offerings each filtered catalogue page reports (to show the filters hit real data)."""
    counts = {}
    for path in paths:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        conn.request("GET", path, headers={"Accept-Language": "nb"})
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        conn.close()
        match = re.search(r'role="status">\s*(\d[\d\s\u00a0]*)\s+tilbud', body)
        counts[path] = int(re.sub(r"\D", "", match.group(1))) if response.status == 200 and match else None
    return counts


def measure(server: common.Server, name: str, paths: list[str], args, cookies: list[str] | None = None,
            echo=print, headers: dict[str, str] | None = None, expect: int = 200) -> dict:
    host, port = "127.0.0.1", server.port
    requests = [common.get_request(host, port, p, cookie=cookies[i % len(cookies)] if cookies else None,
                                   headers=headers) for i, p in enumerate(paths)]
    result = common.run_loadgen({"mode": "duration", "host": host, "port": port, "connections": args.connections,
                                 "duration": args.duration, "warmup": args.warmup, "expect": [expect],
                                 "requests": requests}, name)
    echo(f"  {name:<18} {result['rps']:9.1f} req/s  p50 {result['latency_ms'].get('p50')} ms  "
         f"p99 {result['latency_ms'].get('p99')} ms  errors {result['errors']}  client cpu {result['client_cpu_s']} s")
    return result


def small_feed_costs(kind: str) -> dict:
    """Measure the feeds in-process on a small dataset (scale 0.01), to compare with the large one."""
    url = common.fresh_database(kind, "kp_bench_small")
    common.migrate(url)
    common.generate_dataset(url, 0.01)
    app = common.make_app(url)
    from lms.db import db

    with app.app_context():
        engine = db.engine
    with engine.begin() as conn:
        tokens = feeds.prepare_feed_people(conn, datetime.now(timezone.utc))
    costs = feeds.feed_costs(app, tokens)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return costs


def bench_database(kind: str, args, echo=print) -> dict:
    figures: dict = {"database": kind}
    t0 = time.perf_counter()
    # A fresh prefix per database: nothing kept from an earlier run or the other database counts.
    figures["redis_cache"] = common.use_redis_cache()
    url = common.fresh_database(kind)
    common.migrate(url)
    figures["migrate_s"] = round(time.perf_counter() - t0, 1)
    facts_path = common.DATA_DIR / f"facts-{kind}.json"
    t0 = time.perf_counter()
    common.generate_dataset(url, args.scale, facts_path)
    figures["generate_s"] = round(time.perf_counter() - t0, 1)
    figures["dataset"] = json.loads(facts_path.read_text())

    app = common.make_app(url)
    today = datetime.now(enroll_rush.OSLO).date()
    paths = catalogue_paths(today)
    ids = offering_ids(app, 300)
    from lms.db import db

    with app.app_context():
        engine = db.engine
    with engine.begin() as conn:
        browsers = enroll_rush.pick_teachers(conn, 50, seed=5, now=datetime.now(timezone.utc))
        logins = enroll_rush.sign_in(app, conn, browsers, datetime.now(timezone.utc))
        feed_tokens = feeds.prepare_feed_people(conn, datetime.now(timezone.utc))
    cookies = [f"{app.config['SESSION_COOKIE_NAME']}={cookie}" for cookie, _ in logins]

    server = common.Server(url, log_path=common.DATA_DIR / f"gunicorn-{kind}.log")
    figures["server_command"] = shlex.join(["gunicorn", *server.command[1:-2], "-b", "127.0.0.1:PORT"])
    server.start()
    echo(f"[{kind}] gunicorn up on {server.url} (workers {server.worker_pids()})")
    try:
        figures["catalogue_counts"] = page_counts(server, paths)
        results = {}
        results["ping_before"] = measure(server, "ping (before)", ["/ping"], args, echo=echo)
        results["catalogue"] = measure(server, "catalogue", paths, args, echo=echo)
        results["offering"] = measure(server, "offering", [f"/kurs/{i}" for i in ids], args, echo=echo)
        results["offering_signed_in"] = measure(server, "offering (teacher)", [f"/kurs/{i}" for i in ids], args,
                                                cookies=cookies, echo=echo)
        for size, token in feed_tokens.items():
            results[f"feed_{size}"] = measure(server, f"feed ({size} events)", [f"/kalender/{token}.ics"], args,
                                              echo=echo)
        etag = requests.get(f"{server.url}/kalender/{feed_tokens[50]}.ics", timeout=60).headers["ETag"]
        results["feed_304"] = measure(server, "feed unchanged (304)", [f"/kalender/{feed_tokens[50]}.ics"], args,
                                      headers={"If-None-Match": etag}, expect=304, echo=echo)
        results["lighthouse_free_times"] = lighthouse_bench.free_times(
            app, server.url, connections=args.connections, duration=args.duration, warmup=args.warmup, echo=echo)
        figures["booking_rush"] = lighthouse_bench.rush(app, server.url, concurrency=args.rush_concurrency, echo=echo)
        figures["lti"] = lti_bench.launches(app, server.url, duration=args.duration, warmup=args.warmup, echo=echo)
        results["ping_after"] = measure(server, "ping (after)", ["/ping"], args, echo=echo)
        figures["rush"] = enroll_rush.rush(app, server.url, attempts=args.attempts, capacity=args.capacity,
                                           concurrency=args.rush_concurrency, echo=echo)
        figures["memory_mb"] = {str(pid): round(mb, 1) for pid, mb in server.peak_memory_mb().items()}
        echo(f"  peak memory per worker (VmHWM): {figures['memory_mb']} MB")
    finally:
        server.stop()
    figures["endpoints"] = results
    ceiling = (results["ping_before"]["rps"] + results["ping_after"]["rps"]) / 2
    figures["ceiling"] = round(ceiling, 1)
    figures["ratios"] = {
        "catalogue": results["catalogue"]["rps"] / ceiling,
        "offering": results["offering"]["rps"] / ceiling,
        "offering_signed_in": results["offering_signed_in"]["rps"] / ceiling,
        "enroll": figures["rush"]["rps"] / ceiling,
        **{name: results[name]["rps"] / ceiling for name in ("feed_50", "feed_500", "feed_304")},
        "lighthouse_free_times": results["lighthouse_free_times"]["rps"] / ceiling,
        "booking_rush": figures["booking_rush"]["rps"] / ceiling,
        "lti_launch": figures["lti"]["rps"] / ceiling,
    }
    if not args.no_diagnose:
        figures["costs"] = diagnose.request_costs(app, paths, ids, waiting=args.attempts - args.capacity,
                                                  capacity=args.capacity, echo=echo)
        figures["feed_costs"] = {"large": feeds.feed_costs(app, feed_tokens), "small": small_feed_costs(kind)}
        echo(f"  in-process feed costs (ms): {figures['feed_costs']}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return figures


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text()
    total_kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"nproc": os.cpu_count(), "ram_gb": round(total_kb / 1024 / 1024, 1), "cpu": model,
            "python": platform.python_version(), "kernel": platform.release()}


def code_version() -> str:
    """The app's commit, and whether the working tree had changes."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=common.ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=common.ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _feed_growth(r: dict) -> str:
    costs = r.get("feed_costs", {}).get("large")
    if not costs:
        return "not measured"
    return f"{costs['feed_500'] / costs['feed_50']:.1f}x for 10x the events {_met(costs['feed_500'] / costs['feed_50'] <= 12)}"


def _feed_flatness(r: dict) -> str:
    costs = r.get("feed_costs", {})
    if not costs.get("large") or not costs.get("small"):
        return "not measured"
    ratios = [costs["large"][k] / costs["small"][k] for k in ("feed_50", "feed_500", "feed_50_304")]
    return (f"{ratios[0]:.2f} / {ratios[1]:.2f} (304: {ratios[2]:.2f}) "
            f"{_met(max(ratios) <= 1.5)}")


def _redis_cache(runs: list[dict]) -> str:
    """Say whether feeds were answered from the Redis validator cache (``KP_REDIS_URL``) in each run."""
    states = {r["database"]: r.get("redis_cache") for r in runs}
    if all(state is None for state in states.values()):
        return "Redis validator cache not recorded"
    if len(set(states.values())) == 1:
        on = next(iter(states.values()))
        return f"Redis validator cache {'on' if on else 'off'} (`KP_REDIS_URL`{' set' if on else ' unset'})"
    return "Redis validator cache " + ", ".join(f"{'on' if on else 'off'} on {name}" for name, on in states.items())


def _met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def write_results(path: Path, runs: list[dict], meta: dict) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"- Date: {meta['date']} (UTC); took {meta['minutes']:.1f} minutes",
        f"- Command: `{meta['command']}`",
        f"- Machine: {meta['machine']['nproc']} cores ({meta['machine']['cpu']}), "
        f"{meta['machine']['ram_gb']} GB RAM, Linux {meta['machine']['kernel']}, Python {meta['machine']['python']}. "
        f"Shared and noisy: load average {meta['load_start']} at the start, {meta['load_end']} at the end. "
        "The client, gunicorn and the database all share these cores, so every figure is read as a ratio to "
        "the ceiling (`GET /ping`) measured in the same run.",
        f"- Code: {meta['code_start']} at the start" + (
            f", {meta['code_end']} at the end (the app changed while the benchmark ran)"
            if meta.get("code_end") and meta["code_end"] != meta["code_start"] else "") + ".",
        f"- Server: `{runs[0]['server_command']}` (gthread workers; `KP_ENV` unset, `KP_SECRET_KEY` set; "
        f"{_redis_cache(runs)}).",
        f"- Client: `bench/loadgen.py`, one asyncio process with raw keep-alive sockets; "
        f"{meta['args'].connections} connections, {meta['args'].warmup:g} s warm-up then {meta['args'].duration:g} s "
        f"per GET endpoint; the rush sends each of its {meta['args'].attempts:,} POSTs once over "
        f"{meta['args'].rush_concurrency} connections.",
        "",
        "## Dataset",
        "",
        f"Scale {meta['args'].scale:g} (`python -m bench.generate --scale {meta['args'].scale:g}`, seed "
        f"{runs[0]['dataset']['seed']}, school year {runs[0]['dataset']['school_year']}/"
        f"{runs[0]['dataset']['school_year'] + 1}):",
        "",
        "| | " + " | ".join(r["database"] for r in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    for key, label in [("schools", "schools"), ("staff", "staff"), ("memberships", "memberships"),
                       ("leaders", "of whom leaders"), ("digital_supervisors", "digital supervisors"),
                       ("new_hires", "new hires"), ("offerings", "offerings"), ("sessions", "sessions"),
                       ("enrollments", "enrollments")]:
        lines.append(f"| {label} | " + " | ".join(f"{r['dataset'][key]:,}" for r in runs) + " |")
    lines.append("| enrollment states | " + " | ".join(
        ", ".join(f"{k} {v:,}" for k, v in sorted(r["dataset"]["enrollment_states"].items())) for r in runs) + " |")
    lines.append("| migrate + generate | " + " | ".join(
        f"{r['migrate_s']:.0f} s + {r['generate_s']:.0f} s" for r in runs) + " |")
    lines += ["", "Catalogue filters used (rotating) and how many offerings each matched:", ""]
    for page in runs[0]["catalogue_counts"]:
        lines.append(f"- `{page}`: " + ", ".join(
            f"{r['database']} {r['catalogue_counts'].get(page)}" for r in runs))

    for r in runs:
        e = r["endpoints"]
        rush = r["rush"]
        lines += ["", f"## {r['database']}", "",
                  "| endpoint | req/s | ratio to ceiling | p50 ms | p99 ms | errors |",
                  "|---|---:|---:|---:|---:|---:|"]
        rows = [
            ("`GET /ping` (ceiling, before)", e["ping_before"], None),
            ("`GET /ping` (ceiling, after)", e["ping_after"], None),
            ("`GET /kurs` with filters", e["catalogue"], r["ratios"]["catalogue"]),
            ("`GET /kurs/<id>` anonymous", e["offering"], r["ratios"]["offering"]),
            ("`GET /kurs/<id>` signed-in teacher", e["offering_signed_in"], r["ratios"]["offering_signed_in"]),
            ("`GET /kalender/<token>.ics`, 50 events", e["feed_50"], r["ratios"]["feed_50"]),
            ("`GET /kalender/<token>.ics`, 500 events", e["feed_500"], r["ratios"]["feed_500"]),
            ("`GET /kalender/<token>.ics` unchanged (304)", e["feed_304"], r["ratios"]["feed_304"]),
            ("`GET /bestillinger/ny/<id>` free times of a fully booked fyrtårn", e["lighthouse_free_times"],
             r["ratios"]["lighthouse_free_times"]),
            ("`POST /bestillinger/ny/<id>` booking rush on one slot", r["booking_rush"], r["ratios"]["booking_rush"]),
        ]
        if "lti" in r:
            rows.append(("whole LMS launch (`GET /lti/login`, `POST /lti/launch`, landing), launches/s",
                         {"latency_ms": {}, **r["lti"]}, r["ratios"]["lti_launch"]))
        for label, res, ratio in rows:
            lines.append(f"| {label} | {res['rps']:.1f} | {'1.00 (mean ' + format(r['ceiling'], '.1f') + ')' if ratio is None else format(ratio, '.3f')} "
                         f"| {res['latency_ms'].get('p50', '-')} | {res['latency_ms'].get('p99', '-')} | {res['errors']} |")
        lines.append(f"| `POST /kurs/<id>/pamelding` (rush) | {rush['rps']:.1f} | {r['ratios']['enroll']:.3f} "
                     f"| {rush['latency_ms'].get('p50', '-')} | {rush['latency_ms'].get('p99', '-')} | {rush['errors']} |")
        lines += [
            "",
            f"Rush: {rush['attempts']:,} attempts on a fresh {rush['capacity']}-seat offering in "
            f"{rush['elapsed_s']:.1f} s; statuses {rush['status']}; exceptions {rush['exceptions'] or 'none'}. "
            f"Database afterwards: **enrolled={rush['enrolled']} waitlisted={rush['waitlisted']}** "
            f"({rush['rows']} rows, {rush['distinct_users']} distinct teachers, other states "
            f"{rush['other_states'] or 'none'}). Probe before the rush: prepared session POST -> "
            f"{rush['probe']['good_status']} ({rush['probe']['state']}), wrong CSRF token -> "
            f"{rush['probe']['bad_token_status']}.",
            f"Arrival order (commit order = ids of the first audit entries): enrollment ids follow it: "
            f"{rush['ids_in_commit_order']}; the first {rush['capacity']} hold the seats: "
            f"{rush['seats_to_first_arrivals']}; waitlist (waitlisted_at, id) follows it: "
            f"{rush['waitlist_in_arrival_order']} ({rush['waitlist_out_of_place']} out of place); the app's "
            f"waitlist positions run 1..{rush['waitlisted']} without gaps: {rush['positions_contiguous']}.",
            f"Free times: {e['lighthouse_free_times']['booked']:,} of {e['lighthouse_free_times']['slots']:,} "
            f"one-hour slots booked over a semester, the booking form lists eight weeks of them. Booking rush: "
            f"{r['booking_rush']['attempts']:,} school leaders POST the one free time, "
            f"{r['booking_rush']['concurrency']} at a time; statuses {r['booking_rush']['status']}; database: "
            f"{r['booking_rush']['bookings_in_database']} booking, {r['booking_rush']['audit_entries']} audit entry, "
            f"{r['booking_rush']['mails']} mail: **{lighthouse_bench.summary_line(r['booking_rush'])}**.",
            "",
            "Peak memory per worker (VmHWM): " + ", ".join(f"{mb:.1f} MB" for mb in r["memory_mb"].values()) + ".",
        ]
        if rush["samples"]:
            lines += ["", "Sample errors:", ""] + [f"- `{s[:200]}`" for s in rush["samples"]]
        if "costs" in r:
            lines += ["", "In-process cost of one request (Flask test client, one thread, no gunicorn; "
                      "`bench/diagnose.py`):", "",
                      "| request | ms | CPU ms | SQL statements | SQL ms | ORM objects loaded |", "|---|---:|---:|---:|---:|---:|"]
            for name, c in r["costs"].items():
                label = name.replace("_", " ")
                if name == "enroll_long_waitlist":
                    label += f" ({c['waiting_before']} waiting)"
                lines.append(f"| {label} | {c['ms']} | {c['cpu_ms']} | {c['statements']} | {c['sql_ms']} | {c['rows']} |")

    lines += ["", "## Targets", "", "| target | " + " | ".join(r["database"] for r in runs) + " |",
              "|---|" + "---|" * len(runs)]

    def row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in runs) + " |")

    row(f"catalogue >= {TARGETS['catalogue']} of ceiling",
        lambda r: f"{r['ratios']['catalogue']:.3f} {_met(r['ratios']['catalogue'] >= TARGETS['catalogue'])}")
    row(f"enrollment POST >= {TARGETS['enroll']} of ceiling",
        lambda r: f"{r['ratios']['enroll']:.3f} {_met(r['ratios']['enroll'] >= TARGETS['enroll'])}")
    row(f"rush exactly {runs[0]['rush']['capacity']} enrolled / "
        f"{runs[0]['rush']['attempts'] - runs[0]['rush']['capacity']} waitlisted, in arrival order",
        lambda r: f"{r['rush']['enrolled']}/{r['rush']['waitlisted']}, order "
                  f"{'ok' if r['rush']['order_ok'] else 'wrong'} "
                  f"{_met(r['rush']['enrolled'] == r['rush']['capacity'] and r['rush']['waitlisted'] == r['rush']['attempts'] - r['rush']['capacity'] and r['rush']['order_ok'])}")
    row(f"personal feed, 50 events >= {TARGETS['feed_50']} of ceiling",
        lambda r: f"{r['ratios']['feed_50']:.3f} {_met(r['ratios']['feed_50'] >= TARGETS['feed_50'])}")
    row(f"unchanged feed (304) >= {TARGETS['feed_304']} of ceiling",
        lambda r: f"{r['ratios']['feed_304']:.3f} {_met(r['ratios']['feed_304'] >= TARGETS['feed_304'])}")
    row("feed cost linear in events (500-event / 50-event feed built from scratch, in-process; 10 is linear)",
        lambda r: _feed_growth(r))
    row("feed cost flat in database size (in-process, large / small dataset, 50 and 500 events)",
        lambda r: _feed_flatness(r))
    row("booking rush: exactly one school holds the slot, every other is told it was taken",
        lambda r: f"{lighthouse_bench.summary_line(r['booking_rush'])} {_met(r['booking_rush']['ok'])}")
    row(f"whole LMS launch >= {TARGETS['lti_launch']} of ceiling, the platform's keyset fetched once",
        lambda r: (f"{r['ratios']['lti_launch']:.3f}, keyset fetched {r['lti']['keyset_fetches']}x "
                   f"{_met(r['ratios']['lti_launch'] >= TARGETS['lti_launch'] and r['lti']['keyset_fetches'] == 1)}")
        if "lti" in r else "not measured")
    total_errors = lambda r: (r["rush"]["errors"] + r["booking_rush"]["errors"]  # noqa: E731
                              + r.get("lti", {}).get("errors", 0)
                              + sum(e["errors"] for e in r["endpoints"].values()))
    row("0 errors (all endpoints and both rushes)", lambda r: f"{total_errors(r)} {_met(total_errors(r) == 0)}")
    row(f"<= {TARGETS['memory_mb']} MB per worker",
        lambda r: f"max {max(r['memory_mb'].values()):.1f} MB {_met(max(r['memory_mb'].values()) <= TARGETS['memory_mb'])}")
    causes = []
    for r in runs:
        c = r.get("costs")
        if not c:
            continue
        share = 2 / r["ceiling"] * 1000  # ms of the 2 cores one ceiling request takes
        if r["ratios"]["catalogue"] < TARGETS["catalogue"]:
            causes.append(
                f"- {r['database']}, catalogue: at the ceiling one request takes about {share:.2f} ms of the 2 cores, "
                f"so {TARGETS['catalogue']} of it allows about {share / TARGETS['catalogue']:.1f} ms per catalogue "
                f"request; one costs {c['catalogue']['ms']} ms in-process, {c['catalogue']['sql_ms']} ms of it SQL.")
        if r["ratios"]["enroll"] < TARGETS["enroll"]:
            causes.append(
                f"- {r['database']}, enrollment: {TARGETS['enroll']} of the ceiling allows about "
                f"{share / TARGETS['enroll']:.1f} ms per POST, and the seat check serialises them; one costs "
                f"{c['enroll_seat']['ms']} ms in-process for the first seats and {c['enroll_long_waitlist']['ms']} ms "
                f"with {c['enroll_long_waitlist']['waiting_before']} waiting ({c['enroll_long_waitlist']['statements']} "
                f"statements, {c['enroll_long_waitlist']['rows']} ORM objects loaded).")
    if causes:
        lines += ["", "Likely causes of the targets not met, from the in-process costs above:", ""] + causes
    lines += ["", "In-process feed costs in ms (`bench/feeds.py`; large = the dataset above, small = scale 0.01):", "",
              "| | " + " | ".join(f"{r['database']} large | {r['database']} small" for r in runs) + " |",
              "|---|" + "---:|---:|" * len(runs)]
    for key, label in (("ping", "`/ping`"), ("feed_50", "feed, 50 events, built from scratch"),
                       ("feed_50_warm", "feed, 50 events, unchanged since built"),
                       ("feed_50_304", "feed, 50 events, 304"),
                       ("feed_500", "feed, 500 events, built from scratch"),
                       ("feed_500_warm", "feed, 500 events, unchanged since built"),
                       ("feed_500_304", "feed, 500 events, 304")):
        cells = []
        for r in runs:
            costs = r.get("feed_costs", {})
            cells += [str(costs.get("large", {}).get(key, "-")), str(costs.get("small", {}).get(key, "-"))]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    analysis = common.ROOT / "bench" / "ANALYSIS.md"
    if analysis.exists():
        lines += ["", "`bench/ANALYSIS.md` gives the profiles behind them (written by hand for the run it names)."]
    lines += ["", f"Raw figures: `{meta['raw']}` (not committed).", ""]
    path.write_text("\n".join(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="dataset scale, 1.0 = nationwide (default)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--duration", type=float, default=20, help="seconds measured per GET endpoint (default 20)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up before each (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections for GETs (default 16)")
    parser.add_argument("--attempts", type=int, default=enroll_rush.ATTEMPTS)
    parser.add_argument("--capacity", type=int, default=enroll_rush.CAPACITY)
    parser.add_argument("--rush-concurrency", type=int, default=enroll_rush.CONCURRENCY)
    parser.add_argument("--no-diagnose", action="store_true", help="skip the in-process request costs")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the report")
    parser.add_argument("--report-from", type=Path, metavar="RAW_JSON",
                        help="only rewrite the report from the raw figures of an earlier run")
    args = parser.parse_args(argv)
    if args.report_from:
        raw = json.loads(args.report_from.read_text())
        meta = raw["meta"]
        meta["args"] = argparse.Namespace(**meta["args"])
        meta["raw"] = args.report_from.resolve().relative_to(common.ROOT)
        meta.setdefault("code_start", "not recorded")
        write_results(args.results, raw["runs"], meta)
        print(f"Wrote {args.results} from {args.report_from}")
        return 0
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    for kind in kinds:
        if kind not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {kind!r}")

    started = time.perf_counter()
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"), "machine": machine(),
            "code_start": code_version(),
            "load_start": load_average(), "args": args,
            "command": shlex.join([".venv/bin/python", "-m", "bench.run", *(sys.argv[1:] if argv is None else argv)])}
    print(f"Benchmark: scale {args.scale}, databases {kinds}, {args.duration:g} s per endpoint; "
          f"load average {meta['load_start']}")
    runs = []
    for kind in kinds:
        runs.append(bench_database(kind, args))
    meta["load_end"] = load_average()
    meta["code_end"] = code_version()
    meta["minutes"] = (time.perf_counter() - started) / 60
    raw = common.DATA_DIR / f"results-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json"
    raw.write_text(json.dumps({"meta": {**meta, "args": vars(args) | {"results": str(args.results)}},
                               "runs": runs}, indent=1, default=str))
    meta["raw"] = raw.relative_to(common.ROOT)
    write_results(args.results, runs, meta)
    print(f"Wrote {args.results} (raw figures {raw}) in {meta['minutes']:.1f} minutes")
    for r in runs:
        print(f"[{r['database']}] ceiling {r['ceiling']:.0f}/s; catalogue {r['ratios']['catalogue']:.3f}, "
              f"offering {r['ratios']['offering']:.3f}, enroll {r['ratios']['enroll']:.3f}; "
              f"{enroll_rush.summary_line(r['rush'])}; memory {r['memory_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
