"""Fixtures of the calendar tests: a fake feed source whose events a test chooses, and a parser in Node."""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from events.calendar import CalendarEvent
from events.feeds import FeedSource, register_feed_source
from events.models import FeedScope
from lms.i18n import OSLO
from tests.missing import missing
from tests.lms.conftest import make_app  # noqa: F401 (the host's fixture: a second app, an instance, on the test database)

ROOT = Path(__file__).resolve().parents[2]
ICALJS_SCRIPT = Path(__file__).resolve().parent / "icaljs_read.mjs"


def oslo(*args) -> datetime:
    """Return an aware datetime for an Oslo wall-clock time."""
    return datetime(*args, tzinfo=OSLO)


def session_event(uid: str, start: datetime, *, hours: int = 2, changed: datetime | None = None,
                  **kw) -> CalendarEvent:
    """Return a calendar event starting at ``start`` (any zone), stored in UTC as the kernel stores times."""
    start = start.astimezone(timezone.utc)
    return CalendarEvent(uid=uid, starts_at=start, ends_at=start + timedelta(hours=hours),
                         summary=kw.pop("summary", f"Økt {uid}"),
                         last_modified=(changed or datetime(2026, 8, 20, 10, 0, tzinfo=timezone.utc)), **kw)


@dataclass
class FakeSource:
    """A feed source holding events per owner, counting how often the feed asks for them."""

    name: str = "fake"
    by_owner: dict[int, list[CalendarEvent]] = field(default_factory=dict)
    events_calls: int = 0

    def events(self, owner_id: int, now: datetime) -> list[CalendarEvent]:
        self.events_calls += 1
        return list(self.by_owner.get(owner_id, []))

    def source(self) -> FeedSource:
        return FeedSource(name=self.name, events=self.events)


def _register(app, scope: FeedScope, fake: FakeSource):
    # The fake stands alone for the test, so other packages' sources (the
    # catalogue's) add no events; theirs come back after.
    sources = app.extensions.setdefault("kp_feed_sources", {}).setdefault(scope, [])
    saved = list(sources)
    sources.clear()
    register_feed_source(app, scope, fake.source())
    try:
        yield fake
    finally:
        sources[:] = saved


@pytest.fixture
def person_source(app):
    """A fake source registered for personal feeds."""
    yield from _register(app, FeedScope.PERSON, FakeSource("fake-person"))


@pytest.fixture
def school_source(app):
    """A fake source registered for school feeds."""
    yield from _register(app, FeedScope.SCHOOL, FakeSource("fake-school"))


def read_with_icaljs(ics: bytes) -> dict:
    """Return what ical.js, the parser of Thunderbird, reads in ``ics``; skip (fail in CI) where it is not installed."""
    node = shutil.which("node")
    if node is None:
        missing("node is not installed, and it runs ical.js", "apt-get install nodejs npm")
    if not (ROOT / "node_modules" / "ical.js" / "package.json").exists():
        missing("ical.js is not installed", "run `make test`, or `npm install` in the project folder")
    done = subprocess.run([node, str(ICALJS_SCRIPT)], input=ics, capture_output=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)
