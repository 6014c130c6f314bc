"""What a process keeps (rendered fragments, the LMS origins allowed to frame it) lives by the platform's clock.

With the clock frozen, a page read twice costs the same statements however
slowly the machine runs (the query-count tests counted one more when a real
minute passed between two reads); moving the clock past a lifetime shows what
another instance changed meanwhile.
"""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import event

from lms.db import db, now_utc, set_clock
from lms.lti import operations as lti_ops
from lms.lti.models import LtiPlatform


def _register_elsewhere(origin: str) -> None:
    """Register an LMS the way another instance would: in the database, unheard of here."""
    db.session.execute(sa.insert(LtiPlatform).values(
        name="Itslearning", issuer=origin, client_id="kp", auth_login_url=f"{origin}/login",
        keyset_url=f"{origin}/jwks", frame_origins_text="", active=True, created_at=now_utc()))
    db.session.commit()


def _statements(client, path: str) -> int:
    seen = []
    listener = lambda *_args: seen.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_an_lms_registered_elsewhere_may_frame_the_pages_once_the_kept_origins_have_lived_their_time(client):
    client.get("/")
    _register_elsewhere("https://kommune.itslearning.test")
    assert "kommune.itslearning.test" not in client.get("/").headers["Content-Security-Policy"]
    set_clock(now_utc() + timedelta(seconds=lti_ops.FRAME_ORIGINS_TTL + 1))
    assert "https://kommune.itslearning.test" in client.get("/").headers["Content-Security-Policy"]


def test_a_page_read_again_on_a_frozen_clock_runs_no_statement_for_what_is_kept(client, make_offering):
    offering = make_offering()
    path = f"/kurs/{offering.id}"
    client.get(path)
    first = _statements(client, path)
    set_clock(now_utc() + timedelta(seconds=lti_ops.FRAME_ORIGINS_TTL + 1))
    assert _statements(client, path) == first + 1  # the origins are asked for again, once
    assert _statements(client, path) == first
