"""A visitor's offering page kept under the write generation, where the platform shares a cache (Redis).

With ``KP_REDIS_URL`` a visitor's page is kept whole until any instance
commits a write (or the minute turns), and a second view reads nothing from
the database. The tests of ``test_offering_page_cache.py`` run here again
with the cache on (each changes what the page shows, commits, and reads it
again), with these: a second view reads nothing and is the same page, a
change made through another instance is shown at once, a deadline that
passes with no write is shown from the next minute, an offering a visitor
may not see is never kept, and Redis down.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from catalog.offerings import operations as offering_ops
from catalog.offerings.models import Offering, OfferingStatus
from lms.db import db, set_clock
from lms.people.models import User
from tests.catalog.test_offering_page_cache import (  # noqa: F401 (the tests, run again here)
    page, test_a_meeting_of_the_series_that_fills_up_is_shown_full_on_the_others_page,
    test_a_moved_and_a_cancelled_session_are_shown_at_once, test_a_visitor_and_a_signed_in_teacher_never_get_each_others_page,
    test_a_visitors_kept_page_sets_no_cookie_links_back_to_itself_and_shows_a_message_once,
    test_an_edited_description_is_shown_at_once, test_each_language_gets_its_own,
    test_the_facts_and_the_top_follow_seats_deadlines_target_groups_and_a_cancellation,
    test_the_organisers_links_never_reach_anyone_else)
from tests.conftest import count_statements
from tests.events.test_shared_feed_cache import CLOSED_REDIS_URL, REDIS_URL
from tests.lms.conftest import make_app as make_app  # the fixture, for this module's tests

pytestmark = pytest.mark.usefixtures("shared_cache_on")


def test_a_visitors_second_view_reads_nothing_and_is_the_same_page(client, make_offering):
    offering = make_offering("Kildekritikk i praksis", sessions=2)
    first = count_statements(lambda: page(client, offering))
    shown = page(client, offering)
    assert count_statements(lambda: page(client, offering)) == 0 < first
    assert "Kildekritikk i praksis" in shown and shown.count("Legg til i kalenderen") == 2
    assert page(client, offering) == shown


def test_a_change_made_through_another_instance_is_shown_to_the_visitor_at_once(
        client, make_app, make_offering, shared_cache_on):
    offering_id = make_offering("Kildekritikk i praksis").id
    db.session.commit()
    assert "Tilbudet er avlyst." not in page(client, db.session.get(Offering, offering_id))
    other = make_app(REDIS_URL=REDIS_URL, REDIS_PREFIX=shared_cache_on)
    with other.app_context():
        admin = db.session.query(User).filter_by(email="admin@kommune.test").one()
        offering_ops.cancel_offering(db.session.get(Offering, offering_id), actor=admin,
                                     now=datetime.now(timezone.utc), reason="For få påmeldte.")
        db.session.commit()
    shown = client.get(f"/kurs/{offering_id}").get_data(as_text=True)
    assert "Tilbudet er avlyst." in shown and "For få påmeldte." in shown


def test_a_deadline_that_passes_without_any_write_is_shown_from_the_next_minute(client, make_offering, now):
    moment = now.replace(second=10, microsecond=0) + timedelta(hours=1)
    offering = make_offering("Kildekritikk i praksis", capacity=10)
    offering.registration_closes_at = moment + timedelta(seconds=30)
    db.session.commit()

    def seats() -> str:
        return page(client, offering).split('class="kp-facts"')[1].split("</dl>")[0]
    set_clock(moment)
    assert "10 ledige plasser" in seats()
    set_clock(moment + timedelta(seconds=40))  # past the deadline, within the minute the page was kept in
    assert "10 ledige plasser" in seats()
    set_clock(moment + timedelta(seconds=50))  # the next minute: closed, the seats told as taken
    assert "0 av 10 tatt" in seats() and "ledige plasser" not in seats()


def test_an_offering_a_visitor_may_not_see_is_never_kept(client, admin, make_offering, now):
    draft = make_offering("Utkast", publish=False)
    db.session.commit()
    assert [client.get(f"/kurs/{draft.id}").status_code for _ in range(2)] == [404, 404]
    offering_ops.publish(draft, actor=admin, now=now)
    db.session.commit()
    assert "Utkast" in page(client, draft)
    draft.status = OfferingStatus.DRAFT
    db.session.commit()
    assert client.get(f"/kurs/{draft.id}").status_code == 404


def test_with_redis_down_a_visitors_page_is_kept_by_its_rows_and_true(make_app, make_offering):
    offering_id = make_offering("Kildekritikk i praksis").id
    db.session.commit()
    down = make_app(REDIS_URL=CLOSED_REDIS_URL, REDIS_PREFIX="kptest:down:")
    client = down.test_client()
    first = client.get(f"/kurs/{offering_id}")
    assert first.status_code == 200 and "Kildekritikk i praksis" in first.get_data(as_text=True)
    with down.app_context():
        db.session.get(Offering, offering_id).description = "Vi ser på **kildekritikk** i stedet."
        db.session.commit()
    assert "<strong>kildekritikk</strong>" in client.get(f"/kurs/{offering_id}").get_data(as_text=True)
