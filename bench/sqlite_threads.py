"""Reproduce the worker crash on SQLite: parallel plan pages against gunicorn with threads, crashes counted.

Not a speed benchmark: a diagnosis to run on demand (``bench/ANALYSIS.md``,
"Worker crashes on SQLite with threads"). On a copy of a generated dataset
(``bench.generate``; every run starts from the same copy), the first school's
leader gets the plan of ``bench.plans`` with ``--measures`` measures; then, for
each of ``--runs`` runs, gunicorn (``-w --workers --threads --threads``) serves
it while ``bench.loadgen`` asks for the plan page over ``--connections``
connections for ``--seconds``, with ``PYTHONFAULTHANDLER=1`` so that a crashed
worker leaves its threads' stacks in the log. Each run prints the plan pages a
second, the load generator's errors and the workers that died ("was sent
SIGSEGV" in gunicorn's log, kept as ``bench/data/sqlite-threads-<run>.log``).

``python -m bench.sqlite_threads --dataset bench/data/plans.sqlite [--runs 3] [--threads 4] [--workers 2]``

A configuration to compare is tried by changing ``lms.config.engine_options``
for the run (the gunicorn workers build the app from it).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench import common, plans


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlite_threads", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, help="a generated SQLite file (python -m bench.generate)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--measures", type=int, default=40)
    args = parser.parse_args(argv)
    os.environ["PYTHONFAULTHANDLER"] = "1"  # passed on to gunicorn by common.app_env
    copy = common.DATA_DIR / "sqlite-threads.sqlite"
    crashed_runs = 0
    for run in range(1, args.runs + 1):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copy(args.dataset, copy)
        url = f"sqlite:///{copy}"
        app = common.make_app(url)
        now = datetime.now(timezone.utc)
        leader_id, plan_id, _admin_id, offerings = plans.prepare(app, now, args.measures)
        plans.add_measures(app, leader_id, plan_id, offerings, now)
        (cookie,) = plans.cookies(app, [leader_id], now)
        log = common.DATA_DIR / f"sqlite-threads-{run}.log"
        log.unlink(missing_ok=True)
        server = common.Server(url, workers=args.workers, threads=args.threads, log_path=log).start()
        load = argparse.Namespace(connections=args.connections, duration=args.seconds, warmup=2)
        try:
            result = plans.measure_page(server.url, f"/utviklingsplan/{plan_id}", cookie, f"sqlite-threads-{run}", load)
        finally:
            server.stop()
        died = log.read_text(errors="replace").count("was sent SIGSEGV")
        crashed_runs += died > 0
        print(f"run {run}: {result['rps']:.1f} plan pages/s, {result['errors']} errors, {died} worker(s) died "
              f"(-w {args.workers} --threads {args.threads}, {args.connections} connections, {args.seconds:g} s)")
    print(f"runs with a worker crash: {crashed_runs} of {args.runs}")
    return 1 if crashed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
