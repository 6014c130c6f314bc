"""Benchmark of Kompetanseportalen: a nationwide dataset, a load generator and a runner.

``python -m bench.generate`` fills a migrated database, ``python -m bench.run``
measures the app under gunicorn on SQLite and PostgreSQL and writes
``bench/RESULTS.md``, ``python -m bench.enroll_rush`` runs the enrollment rush
alone. See ``bench/README.md``.
"""
