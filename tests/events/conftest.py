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
LIBICAL_SOURCE = Path(__file__).resolve().parent / "libical_read.c"


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


@pytest.fixture(scope="session")
def libical_reader(tmp_path_factory) -> Path:
    """Compile the libical reader (tests/events/libical_read.c) once; skip (fail in CI) where libical is missing."""
    gcc, pkg_config = shutil.which("gcc"), shutil.which("pkg-config")
    if gcc is None or pkg_config is None:
        missing("gcc and pkg-config are needed to build the libical reader", "apt-get install gcc pkg-config")
    flags = subprocess.run([pkg_config, "--cflags", "--libs", "libical"], capture_output=True, text=True)
    if flags.returncode != 0:
        missing("libical is not installed, and it reads calendars as Evolution does",
                "apt-get install libical-dev, as .ci/run does")
    reader = tmp_path_factory.mktemp("libical") / "libical_read"
    built = subprocess.run([gcc, str(LIBICAL_SOURCE), *flags.stdout.split(), "-o", str(reader)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    return reader


@pytest.fixture
def read_with_libical(libical_reader):
    """Return a function that reads an .ics with libical: its METHOD and, per VEVENT, UID, UTC times, status, SEQUENCE."""
    def read(ics: bytes) -> dict:
        done = subprocess.run([str(libical_reader)], input=ics, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        lines = done.stdout.decode().splitlines()
        method = lines[0].split("\t", 1)[1]
        events = []
        for line in lines[1:]:
            uid, start, end, status, sequence = line.split("\t")
            events.append({"uid": uid, "start": datetime.fromtimestamp(int(start), timezone.utc),
                           "end": datetime.fromtimestamp(int(end), timezone.utc), "status": status,
                           "sequence": int(sequence)})
        return {"method": method, "events": events}
    return read
