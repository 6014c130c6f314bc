"""Every route under generated addresses: any path id, any query string, as every role; never a server error.

Hypothesis picks a route of the app's own URL map (so a new page is driven
as soon as it exists), fills its path with ids that exist, ids that do not,
and the largest an id column holds, and adds query arguments (the names the
pages read, and others) with text made to hurt: control characters, line
breaks, numbers of twenty digits and more, formula prefixes, very long
strings. Each request is made by one of the roles, and a form post with the
same values is sent to the routes that take one. The test app lets
exceptions through, so a server error shows up as the exception itself.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from types import SimpleNamespace
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.enrollment import operations as enrollment_ops
from lighthouse.bookings import operations as booking_ops
from lms.db import MAX_ID, db
from lms.i18n import OSLO
from lms.people.models import Role
from tests.conftest import PASSWORD
from tests.lighthouse.conftest import make_bookable, make_profile, make_window  # noqa: F401 (fixtures)

ROUTES_FUZZ = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Query arguments the pages read; others are made up by Hypothesis.
ARGUMENTS = ["side", "skole", "q", "tema", "type", "malgruppe", "omrade", "uke", "maned", "ledige", "fra", "status",
             "fag", "trinn", "semester", "next", "vindu", "lang", "id", "token"]
#: Routes that talk to other services or end the client's session: driven by their own tests.
SKIPPED = {"static", "auth.logout", "feide.login", "feide.callback", "lti.login", "lti.launch", "lti_admin.register",
           "lti_content.members", "lti_content.select"}

hurtful = st.sampled_from([
    "", " ", "\n", "a\nb", "a\r\nb", "\t", "\x0b", "\x1f", "\x7f", "\u2028", "\u0085", "=1+1", "=HYPERLINK(\"x\")",
    "@SUM(1+1)", "+1", "-1", "0", "1", "9" * 20, "9" * 400, "-" + "9" * 30, "1e309", "NaN", "²", "١", "0x10",
    "%00", "%0A", "..", "/", "//evil.example", "https://evil.example/", "2026-W99", "2026-13-45", "2026H", "x" * 5000,
    "<script>alert(1)</script>", "' OR 1=1 --",
])
text = st.one_of(hurtful, st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                                  max_size=60))


@pytest.fixture
def world(make_offering, make_user, make_school, make_profile, make_bookable, make_window, admin, now):  # noqa: F811
    """One of each thing a path names, and a client per role."""
    school = make_school("Nordby skole")
    leader = make_user("Liv Leder", roles=(Role.LEADER,), school=school)
    teacher = make_user("Tor Lærer", school=school)
    profile = make_profile("Frida Fyrtårn")
    bookable = make_bookable(profile)
    make_window(profile)
    offering = make_offering("=HYPERLINK(\"x\")", capacity=1)
    enrollment = enrollment_ops.enroll(offering.id, teacher, actor=teacher, now=now)
    start = datetime.combine(date(2026, 9, 8), time(12), tzinfo=OSLO).astimezone(timezone.utc)
    booking = booking_ops.request_booking(bookable.id, school.id, actor=leader, starts_at=start,
                                          participants_count=2, now=now, note="")
    db.session.commit()
    ids = sorted({1, 2, offering.id, offering.sessions[0].id, enrollment.id, booking.id, bookable.id, profile.id,
                  school.id, teacher.id})
    return SimpleNamespace(ids=ids, people=[None, teacher, leader, profile.user, admin])


@pytest.fixture
def clients(app, world):
    made = []
    for person in world.people:
        c = app.test_client()
        if person is not None:
            db.session.commit()
            assert c.post("/logg-inn", data={"email": person.email, "password": PASSWORD}).status_code == 302
        made.append(c)
    return made


def _rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED), key=lambda r: r.rule)


def fill(rule, draw_id, draw_text) -> str:
    """Return the rule's path with each id and each text segment filled in."""
    path = rule.rule
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        value = str(draw_id()) if ("Integer" in converter or "Id" in converter) else quote(draw_text(), safe="")
        path = path.replace(f"<int:{name}>", value).replace(f"<path:{name}>", value).replace(f"<{name}>", value)
    return path


def send(client, method: str, url: str, data: dict):
    try:
        return client.get(url) if method == "GET" else client.post(url, data=data)
    finally:
        db.session.rollback()


def methods_of(rule) -> list[str]:
    return sorted(m for m in rule.methods if m in ("GET", "POST"))


#: What every argument the pages read is set to at once, on every route as every role.
BROADSIDES = ["9" * 20, "a\nb\r\x0b", "=1+1"]


def test_every_route_answers_the_classic_attacks_as_every_role(app, world, clients):
    """Each argument the pages read, all at once: twenty digits, line breaks and control characters, formulas."""
    for rule in _rules(app):
        for value in BROADSIDES:
            query = {name: value for name in ARGUMENTS}
            url = fill(rule, lambda: world.ids[-1], lambda: value) + "?" + urlencode(query)
            for method in methods_of(rule):
                for who, client in enumerate(clients):
                    response = send(client, method, url, query)
                    assert response.status_code < 500, (method, url, who)


def test_every_route_answers_generated_addresses_without_a_server_error(app, world, clients):
    """Per route, Hypothesis searches ids, argument names and values, and roles for a server error."""
    for rule in _rules(app):
        @ROUTES_FUZZ
        @given(data=st.data(), who=st.integers(0, len(clients) - 1), method=st.sampled_from(methods_of(rule)))
        def check(data, who, method):
            path = fill(rule, lambda: data.draw(st.one_of(st.sampled_from(world.ids), st.integers(0, MAX_ID),
                                                          st.integers(0, 10 ** 30))),
                        lambda: data.draw(text))
            names = data.draw(st.lists(st.one_of(st.sampled_from(ARGUMENTS),
                                                 st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)),
                                       max_size=4))
            query = [(name, data.draw(text)) for name in names]
            url = path + ("?" + urlencode(query) if query else "")
            response = send(clients[who], method, url, dict(query))
            assert response.status_code < 500, (method, url, response.status_code)

        check()
