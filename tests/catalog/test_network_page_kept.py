"""The network page and Mine nettverk kept whole under the write generation, where the platform shares a cache.

With ``KP_REDIS_URL`` the pages are kept per person until any instance
commits a write (or the minute turns), and read nothing on a second view,
not even whether the person may see the network: the first view, made under
the same generation, found that out, and nothing has been written since.
The tests of ``test_network_page_cache.py`` run here again with the cache on
(each changes what a page shows and reads it again), with these: a second
view reads nothing of the network, a school that leaves the network loses
its page at once, one who may not see it never gets another's kept page,
and Redis down.
"""
from __future__ import annotations

from datetime import timedelta, timezone

import pytest
import sqlalchemy as sa

from catalog.networks.models import NetworkSchool
from lms.db import db, set_clock
from tests.catalog.test_network_page_cache import (  # noqa: F401 (the tests, run again here)
    header, main, mine, page, test_a_message_flashed_before_the_kept_page_is_shown_once,
    test_a_moved_changed_cancelled_or_published_gathering_is_shown_at_once,
    test_a_resource_added_or_changed_elsewhere_is_shown_at_once, test_each_language_gets_its_own,
    test_each_reader_gets_their_own_buttons_and_absences,
    test_mine_nettverk_kept_whole_has_each_readers_menu,
    test_mine_nettverk_shows_a_rename_a_new_gathering_and_the_admin_links_at_once,
    test_resources_come_newest_first_beside_the_gatherings_and_the_gatherings_stay_as_they_were,
    test_schools_and_people_follow_the_staff_lists_at_once, test_the_archive_shows_the_newest_six_and_counts_them_all,
    test_the_networks_own_fields_and_its_coordinator_are_shown_at_once,
    test_time_moves_a_gathering_from_upcoming_to_earlier_without_minutes)
from tests.catalog.test_networks import add_gathering, body
from tests.catalog.test_networks import world as world  # the fixture, for this module's tests
from tests.conftest import PASSWORD, count_statements
from tests.events.test_shared_feed_cache import CLOSED_REDIS_URL
from tests.lms.conftest import make_app as make_app  # the fixture, for this module's tests


pytestmark = pytest.mark.usefixtures("shared_cache_on")


@pytest.fixture
def login(login_welcomed):
    """Every sign-in here has shown its welcome: a page with a message to show once is never kept."""
    return login_welcomed


def test_a_second_view_reads_nothing_of_the_network_and_is_the_same_page(world, login):
    add_gathering(world)
    client, leader = login(world.supervisor), login(world.leader)
    first = count_statements(lambda: page(client, world)), count_statements(lambda: mine(leader))
    second = count_statements(lambda: page(client, world)), count_statements(lambda: mine(leader))
    assert main(page(client, world)) == main(page(client, world))
    # The first views read the network, its people, gatherings and resources; the second only who is signed in.
    assert first[0] >= 3 and first[1] >= 2 and second[0] < first[0] - 1 and second[1] < first[1], (first, second)


def test_a_school_that_leaves_the_network_loses_its_page_and_its_place_in_mine_at_once(world, login):
    client = login(world.furulund_leader)
    assert world.network.name in page(client, world) and world.network.name in mine(client)
    db.session.execute(sa.delete(NetworkSchool).where(NetworkSchool.network_id == world.network.id,
                                                      NetworkSchool.school_id == world.furulund.id))
    db.session.commit()
    assert client.get(f"/nettverk/{world.network.id}").status_code == 403
    assert world.network.name not in mine(client)


def test_one_who_may_not_see_the_network_never_gets_a_kept_page(world, login):
    participant = login(world.supervisor)
    kept_page = page(participant, world)
    assert "Dina Veileder" in kept_page
    for outsider in (world.outside_leader, world.outside_supervisor, world.teacher):
        response = login(outsider).get(f"/nettverk/{world.network.id}")
        assert response.status_code == 403, outsider.name
        assert "Dina Veileder" not in body(response)
    assert login(world.outside_leader).get("/nettverk/999999").status_code == 404


def test_with_redis_down_the_pages_are_read_each_time_and_true(world, make_app):
    add_gathering(world)
    network_id, name, email = world.network.id, world.network.name, world.supervisor.email
    # From here nothing of this app's session is touched: on SQLite it would hold the write lock.
    down = make_app(REDIS_URL=CLOSED_REDIS_URL, REDIS_PREFIX="kptest:down:")
    client = down.test_client()
    assert client.post("/logg-inn", data={"email": email, "password": PASSWORD}).status_code == 302
    assert name in body(client.get(f"/nettverk/{network_id}"))
    with down.app_context():
        db.session.execute(sa.delete(NetworkSchool).where(NetworkSchool.network_id == network_id))
        db.session.commit()
        db.session.remove()
    assert client.get(f"/nettverk/{network_id}").status_code == 403


def test_two_readers_of_one_kept_page_each_get_their_own_header_and_address(world, login, make_user):
    other = make_user("Siri Veileder", school=world.eikeli, is_digital_supervisor=True)
    first, second = login(world.supervisor), login(other)
    path = f"/nettverk/{world.network.id}"
    mine_first, mine_second = body(first.get(path + "?fra=epost")), body(second.get(path))
    assert main(mine_first) == main(mine_second)
    assert "Dina Veileder" in header(mine_first) and "Siri Veileder" not in header(mine_first)
    assert "Siri Veileder" in header(mine_second) and "Dina Veileder" not in header(mine_second)
    assert f'name="next" value="{path}?fra=epost"' in mine_first and f'name="next" value="{path}?"' in mine_second
    other.name = "Siri Veileder Berg"
    db.session.commit()
    assert "Siri Veileder Berg" in header(body(second.get(path)))


def test_a_gathering_is_earlier_from_the_first_minute_after_it_ends_without_any_write(world, login):
    gathering = add_gathering(world)
    ends = gathering.session.ends_at.astimezone(timezone.utc)
    set_clock(ends - timedelta(seconds=30))
    client = login(world.supervisor)
    assert "Ingen samlinger er planlagt." not in page(client, world)
    set_clock(ends + timedelta(minutes=1, seconds=1))  # counted as of the minute: the first one after its end
    after = page(client, world)
    assert "Ingen samlinger er planlagt." in after and "Tidligere samlinger uten publisert referat (1)" in after
