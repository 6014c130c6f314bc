"""The network forms under generated input: never a server error, answers in Norwegian, typed text kept."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from catalog.networks import operations as ops
from catalog.networks.models import NetworkKind
from lms.db import db, set_clock
from lms.i18n import OSLO
from lms.people.models import Role
from tests.conftest import NOW
from tests.forms.test_forms_fuzz import assert_kept, assert_refused_in_norwegian, big_int, garbage, has_nul, send

FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
anything = st.one_of(garbage, big_int)


@pytest.fixture
def world(make_school, make_user, admin, login):
    a, b = make_school("Eikeli skole"), make_school("Skogheim skole")
    leader = make_user("Line Leder", roles=(Role.LEADER,), school=a)
    make_user("Siri Leder", roles=(Role.LEADER,), school=b)
    network = ops.create_network(ops.NetworkData(
        name="Samarbeidsgruppe 1", kind=NetworkKind.GROUP, school_year=2026, include_leaders=True,
        school_ids=[a.id, b.id]), actor=None, now=NOW)
    network.published_at = NOW
    round_ = ops.create_round(school_year=2026, title="Runde", window_start=date(2026, 10, 5),
                              window_end=date(2026, 10, 16), actor=admin, now=NOW)
    start = NOW - timedelta(days=2)
    gathering = ops.add_gathering(network, starts_at=start, ends_at=start + timedelta(hours=2), location="Rådhuset",
                                  host_school_id=a.id, actor=admin, now=NOW - timedelta(days=10))
    soon = NOW + timedelta(days=20)
    upcoming = ops.add_gathering(network, starts_at=soon, ends_at=soon + timedelta(hours=2), location="Rådhuset",
                                 host_school_id=None, actor=admin, now=NOW - timedelta(days=10))
    db.session.commit()
    set_clock(NOW)
    return {"admin": login(admin), "leader": login(leader), "network": network.id, "round": round_.id,
            "gathering": gathering.id, "upcoming": upcoming.id, "school": a.id, "other": b.id}


@FUZZ
@given(data=st.fixed_dictionaries({
    "name": anything, "kind": st.one_of(st.sampled_from(["municipality", "group"]), garbage),
    "school_year": anything, "description": garbage, "target_group_text": garbage, "timing": garbage,
    "organiser": garbage, "coordinator_id": anything, "include_leaders": st.sampled_from(["", "y", "x"]),
    "school_ids": st.lists(anything, max_size=3)}))
@example(data={"name": "Nettverk", "kind": "group", "school_year": "9" * 40, "description": "", "target_group_text": "",
               "timing": "", "organiser": "", "coordinator_id": "9" * 40, "include_leaders": "y", "school_ids": []})
def test_network_form_never_fails_and_keeps_the_name(world, data):
    response = send(world["admin"], "post", "/nettverk/ny", data=data)
    if response.status_code == 303:
        return
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()) and data["name"].strip():
        assert_kept(response, {"name": data["name"].strip()})


@FUZZ
@given(data=st.fixed_dictionaries({"title": anything, "url": garbage, "note": garbage}))
def test_resource_form_never_fails_and_keeps_the_title(world, data):
    response = send(world["leader"], "post", f"/nettverk/{world['network']}/ressurser", data=data)
    if response.status_code == 303:
        return
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()) and data["title"].strip():
        assert_kept(response, {"title": data["title"].strip()})


gathering_fields = st.fixed_dictionaries({
    "day": st.one_of(st.dates(date(2026, 10, 1), date(2026, 10, 20)).map(str), garbage),
    "start": st.one_of(st.sampled_from(["09:00", "14:00", "02:30"]), garbage),
    "end": st.one_of(st.sampled_from(["10:00", "16:00", "03:00"]), garbage),
    "host_school_id": anything, "location": garbage})


@FUZZ
@given(data=gathering_fields)
@example(data={"day": "2026-10-25", "start": "02:30", "end": "02:45", "host_school_id": "1", "location": "x"})
def test_gathering_and_proposal_forms_never_fail_and_keep_the_place(world, data):
    for client, url in ((world["admin"], f"/nettverk/{world['network']}/samlinger/ny"),
                        (world["leader"], f"/nettverk/{world['network']}/runder/{world['round']}/forslag")):
        response = send(client, "post", url, data=data)
        if response.status_code == 303:
            continue
        assert_refused_in_norwegian(response)
        if not has_nul(data.values()) and data["location"].strip():
            assert_kept(response, {"location": data["location"].strip()})


@FUZZ
@given(data=gathering_fields)
@example(data={"day": "2026-10-25", "start": "02:30", "end": "02:45", "host_school_id": "1", "location": "x"})
@example(data={"day": "2026-10-06", "start": "09:00", "end": "10:00", "host_school_id": "9" * 40, "location": "Aula"})
def test_gathering_edit_form_never_fails_and_keeps_the_place(world, data):
    """The same form as a new gathering's, on an upcoming gathering and on one that has taken place."""
    for gathering in (world["upcoming"], world["gathering"]):
        response = send(world["admin"], "post", f"/nettverk/{world['network']}/samlinger/{gathering}/endre", data=data)
        if response.status_code == 303:
            assert gathering == world["upcoming"]
            continue
        assert_refused_in_norwegian(response)
        if not has_nul(data.values()) and data["location"].strip():
            assert_kept(response, {"location": data["location"].strip()})
    # Someone who does not manage the network is refused, unless the request is refused before (a NUL: 400).
    assert send(world["leader"], "post", f"/nettverk/{world['network']}/samlinger/{world['upcoming']}/endre",
                data=data).status_code == (400 if has_nul(data.values()) else 403)


@FUZZ
@given(data=st.fixed_dictionaries({"school_id": anything, "shared_on": st.one_of(
    st.dates(date(2026, 8, 1), date(2026, 9, 10)).map(str), garbage), "place": anything, "reached": anything,
    "note": garbage}))
def test_carried_back_form_never_fails_and_keeps_the_place(world, data):
    response = send(world["leader"], "post", f"/nettverk/{world['network']}/samlinger/{world['gathering']}/delt",
                    data=data)
    if response.status_code in (303, 403):
        # 403: a school the leader does not lead, or none of the network's.
        return
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()) and data["place"].strip():
        assert_kept(response, {"place": data["place"].strip()})


@FUZZ
@given(text=st.one_of(garbage, st.just("y" * 50001)))
def test_minutes_forms_never_fail(world, text):
    base = f"/nettverk/{world['network']}/samlinger/{world['gathering']}"
    for url in (base + "/referat", base + "/referat/tillegg"):
        response = send(world["leader"], "post", url, data={"text": text})
        assert response.status_code in (303, 400)
        if response.status_code == 400:
            assert_refused_in_norwegian(response)


@FUZZ
@given(data=st.fixed_dictionaries({"title": anything, "school_year": anything, "window_start": garbage,
                                   "window_end": garbage}))
def test_round_form_never_fails_and_keeps_the_title(world, data):
    response = send(world["admin"], "post", "/nettverk/runder", data=data)
    if response.status_code == 303:
        return
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()) and data["title"].strip():
        assert_kept(response, {"title": data["title"].strip()})


@FUZZ
@given(data=st.fixed_dictionaries({"school_year": anything, "last_year": anything}),
       move=st.fixed_dictionaries({"school_id": anything, "to_network_id": anything}))
def test_compose_and_move_forms_never_fail(world, data, move):
    response = send(world["admin"], "post", "/nettverk/grupper/foresla", data=data)
    if response.status_code != 303:
        assert_refused_in_norwegian(response)
    response = send(world["admin"], "post", "/nettverk/grupper/2027/flytt", data=move)
    assert response.status_code == 400
    assert_refused_in_norwegian(response)


@FUZZ
@given(raw=st.lists(anything, max_size=4), count=anything)
def test_attendance_with_any_ids_never_fails(world, raw, count):
    url = f"/nettverk/{world['network']}/samlinger/{world['gathering']}/oppmote"
    response = send(world["admin"], "post", url, data={"present": raw, f"count-{world['school']}": count})
    if has_nul([*raw, count]):
        assert_refused_in_norwegian(response)
    else:
        assert response.status_code == 303


@pytest.mark.parametrize("segment", ["0", "99999999999999999999", "-1", "abc"])
def test_network_pages_with_any_id_answer_404_not_500(world, segment):
    for url in (f"/nettverk/{segment}", f"/nettverk/{world['network']}/samlinger/{segment}",
                f"/nettverk/{world['network']}/runder/{segment}"):
        assert send(world["admin"], "get", url).status_code == 404
    assert OSLO
