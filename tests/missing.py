"""What a test does when something it needs is not on this machine: skip on a developer's, fail in CI.

Redis, ical.js (run by node), libical (with gcc) and Chromium are what the suite needs besides
Python; the project's own files install them (package.json, .ci/run) and the
machine starts Redis. A developer without one still gets the rest of the suite,
with a message saying what was skipped and how to get it. In CI (``CI=true``)
a missing one would let the run pass without testing what it must, so every
such test fails instead. Every skip for a missing tool goes through here.
"""
from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Tell whether the suite runs in CI (``CI`` set to true, as CI services do)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(what: str, how_to_get_it: str) -> NoReturn:
    """Skip the test because ``what`` is missing, saying how to get it; in CI, fail it."""
    if in_ci():
        pytest.fail(f"{what} ({how_to_get_it}); with CI=true that fails the run instead of skipping", pytrace=False)
    pytest.skip(f"{what}, so this test is skipped ({how_to_get_it})")
