"""The parent forms under generated input: never a server error, answers in Norwegian, typed text kept.

A parent's sign-up, the manage page's change, a question in advance and the
organiser's event form, each driven by Hypothesis with anything a browser can
send. The database is emptied per test, not per example.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import example, given
from hypothesis import strategies as st

from catalog.parents import operations as ops
from catalog.parents.models import AttendanceMode, ParentEventKind, ParentSignup
from lms.db import db
from lms.people.models import Role
from lms.settings import operations as settings
from tests.forms.test_forms_fuzz import (FUZZ, assert_kept, assert_refused_in_norwegian, big_int, garbage, has_nul,
                                         html_of, send, typed_text)

TOO_MANY = "for mange påmeldinger"


@pytest.fixture
def forum(admin, make_school, now):
    """A municipal user forum in the hall or on the stream, asking school and grade, taking questions."""
    school = make_school("Eikeli skole")
    start = now + timedelta(days=20)
    event = ops.create_event(ops.EventData(
        title="Brukerforum", kind=ParentEventKind.USER_FORUM, school_id=None, starts_at=start,
        ends_at=start + timedelta(hours=2), mode=AttendanceMode.BOTH, hall_capacity=5, stream_capacity=5,
        stream_url="https://video.kommune.example/f", location="Rådhuset", takes_questions=True), actor=admin, now=now)
    # The limits are for bursts from people; the fuzzing is one address sending hundreds of forms.
    settings.set_value(ops.ADDRESS_LIMIT.key, "100000")
    settings.set_value(ops.EMAIL_LIMIT.key, "100000")
    db.session.commit()
    return {"id": event.id, "school": school.id}


SIGNUP_FIELDS = {
    "name": st.one_of(garbage, typed_text), "email": st.one_of(garbage, st.just("kari@example.no")),
    "school_id": st.one_of(big_int, garbage), "grade": st.one_of(big_int, garbage),
    "mode": st.one_of(st.sampled_from(["hall", "stream", "both", ""]), garbage),
    "party_size": st.one_of(st.sampled_from(["1", "2", "3", "0"]), big_int, garbage),
}


@st.composite
def signups_with_anything(draw, school_id: int) -> dict:
    data = {"name": "Kari Nordmann", "email": f"kari{draw(st.integers(0, 10**6))}@example.no",
            "school_id": str(school_id), "grade": str(draw(st.integers(1, 10))),
            "mode": draw(st.sampled_from(["hall", "stream"])), "party_size": draw(st.sampled_from(["1", "2"]))}
    for name in draw(st.sets(st.sampled_from(sorted(SIGNUP_FIELDS)), min_size=1)):
        data[name] = draw(SIGNUP_FIELDS[name])
    return data


@FUZZ
@given(st.data())
def test_signup_form_never_fails_and_keeps_what_was_typed(client, forum, data):
    form = data.draw(signups_with_anything(forum["school"]))
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ParentSignup))
    response = send(client, "post", f"/foreldre/{forum['id']}", data=form)
    if response.status_code == 303:
        return
    assert_refused_in_norwegian(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ParentSignup)) == before
    if not has_nul(form.values()) and "Skjemaet har feil" in html_of(response):
        assert_kept(response, {k: form[k] for k in ("name", "email") if form[k].strip()})


@FUZZ
@given(question=st.one_of(garbage, typed_text, st.just("x" * 1001)))
@example(question="   ")
def test_question_form_never_fails_and_keeps_the_question(client, forum, question):
    response = send(client, "post", f"/foreldre/{forum['id']}/sporsmal", data={"q-question": question})
    if response.status_code == 303:
        return
    assert_refused_in_norwegian(response)
    if not has_nul([question]) and question.strip():
        assert_kept(response, {"question": question})


@FUZZ
@given(mode=st.one_of(st.sampled_from(["hall", "stream"]), garbage), party=st.one_of(big_int, garbage))
def test_manage_change_never_fails(client, forum, mode, party, now):
    result = ops.sign_up(forum["id"], ops.SignupData(name="Kari", email="kari@example.no", mode=AttendanceMode.HALL,
                                                     school_id=forum["school"], grade=3), now=now)
    db.session.commit()
    response = send(client, "post", f"/foreldre/p/{result.token}/endre", data={"mode": mode, "party_size": party})
    assert response.status_code in (303, 400), html_of(response)[:2000]
    if response.status_code == 400:
        assert_refused_in_norwegian(response)


@FUZZ
@given(token=st.one_of(garbage, st.text("ABCDEFabcdef0123456789-_", min_size=40, max_size=50)))
def test_any_manage_link_that_is_not_one_is_404(client, forum, token):
    if "/" in token or "?" in token or "#" in token or not token.strip() or token in (".", ".."):
        return
    from urllib.parse import quote
    response = send(client, "get", "/foreldre/p/" + quote(token, safe=""))
    assert response.status_code == 404


EVENT_FIELDS = {
    "title": st.one_of(garbage, typed_text), "kind": st.one_of(st.sampled_from([k.value for k in ParentEventKind]),
                                                               garbage),
    "school_id": st.one_of(big_int, garbage), "grades": st.lists(st.one_of(st.sampled_from(["1", "8"]), garbage),
                                                                max_size=3),
    "day": garbage, "start": garbage, "end": garbage, "mode": st.one_of(st.sampled_from(["hall", "stream", "both"]),
                                                                        garbage),
    "location": garbage, "hall_capacity": st.one_of(big_int, garbage), "stream_capacity": st.one_of(big_int, garbage),
    "stream_url": garbage, "description": garbage,
}


@st.composite
def events_with_anything(draw, school_id: int) -> dict:
    data = {"title": "Foreldremøte", "kind": "parent_meeting", "school_id": str(school_id), "grades": ["5"],
            "day": "2026-10-06", "start": "18:00", "end": "19:30", "mode": "both", "location": "Aulaen",
            "hall_capacity": "80", "stream_capacity": "", "stream_url": "https://video.example.no/x",
            "description": ""}
    for name in draw(st.sets(st.sampled_from(sorted(EVENT_FIELDS)), min_size=1)):
        data[name] = draw(EVENT_FIELDS[name])
    return data


@pytest.fixture
def leader_client(make_school, make_user, login):
    school = make_school("Bekkestua skole")
    leader = make_user("Rita Rektor", roles=(Role.LEADER,), school=school)
    return login(leader), school.id


@FUZZ
@given(st.data())
def test_event_form_never_fails_and_keeps_the_title(leader_client, data):
    client, school_id = leader_client
    form = data.draw(events_with_anything(school_id))
    response = send(client, "post", "/foreldre/arrangor/nytt", data=form)
    if response.status_code == 303:
        return
    assert_refused_in_norwegian(response)
    if not has_nul([form["title"]]) and form["title"].strip() and "Skjemaet har feil" in html_of(response):
        assert_kept(response, {"title": form["title"]})
