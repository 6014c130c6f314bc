"""The forms under generated input: never a server error, answers in Norwegian, typed text kept.

Hypothesis drives every form of the catalogue and the sign-in through the
test client with text it makes up (any Unicode, NUL characters, numbers far
out of range, impossible dates and weeks) and with input that is valid.
The database is emptied per test, not per example: the properties below hold
whatever the earlier examples left behind.

The test app lets exceptions through instead of answering 500, so a server
error shows up here as the exception itself, with the input that caused it.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from html import unescape
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from catalog.enrollment import operations as ops
from catalog.enrollment.models import Enrollment, EnrollmentState
from catalog.offerings.models import Offering, OfferingKind, OfferingStatus, OnboardingCohort, TargetGroup
from lms.db import db
from lms.people.models import User
from lms.i18n import OSLO
from tests.conftest import PASSWORD

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

FORM_HAS_ERRORS = "Skjemaet har feil som må rettes"
BAD_REQUEST = "Forespørselen kunne ikke behandles"
#: How WTForms' own messages begin in English: none may reach a Norwegian page.
ENGLISH = re.compile(r"Not a valid|Invalid|This field|Field must|Field cannot|Number must|Date must|"
                     r"not a valid choice|are not valid choices|could not coerce")
_SUMMARY = re.compile(r'<div class="ds-error-summary.*?</div>', re.S)
_FIELD_ERROR = re.compile(r'<div class="ds-validation-message"[^>]*>(.*?)</div>', re.S)

# --- what people type -----------------------------------------------------------

#: Any text a browser can send: every Unicode character except lone surrogates.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
#: Text without NUL, which no keyboard types.
typed_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300)
nasty = st.sampled_from([
    "", " ", "\x00", "a\x00b", "-1", "0", "1", "+1", "1e309", "NaN", "inf", "9" * 30, "9" * 5000, "-" + "9" * 30,
    "²", "١٢", "½", "0x10", "2026-02-30", "2026-13-01", "0000-01-01", "0001-01-01", "9999-12-31",
    "0001-01-01T00:00", "9999-12-31T23:59", "2026-03-29T02:30", "31.12.9999 23:59", "24:00", "23:60", "-01:00",
    "<script>alert(1)</script>", "' OR 1=1 --", "%", "_", "\u202e", "\ufeff", "ø" * 250, "x" * 2500,
])
garbage = st.one_of(nasty, any_text)
big_int = st.integers(min_value=-(10 ** 40), max_value=10 ** 40).map(str)
week = st.one_of(
    st.sampled_from(["2026-W00", "2026-W53", "2025-W53", "2026-W1", "0000-W01", "9999-W52", "2026-W99",
                     "2026-w10", "2026-W010", "2026-W٣", "20260-W01", "-2026-W01"]),
    st.builds("{:04d}-W{:02d}".format, st.integers(0, 9999), st.integers(0, 99)))
month = st.one_of(st.sampled_from(["2026-00", "2026-13", "0000-01", "2026-1", "2026-010"]),
                  st.builds("{:04d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 99)))


def send(client, method: str, url: str, **kwargs):
    """Make one request; whatever happens, leave the shared session clean for the next example."""
    try:
        return getattr(client, method)(url, **kwargs)
    finally:
        db.session.rollback()


def html_of(response) -> str:
    return response.get_data(as_text=True)


def has_nul(values) -> bool:
    """Whether any value (or any item of a list value) holds a NUL character."""
    flat = [item for v in values for item in (v if isinstance(v, list) else [v])]
    return any("\x00" in v for v in flat if isinstance(v, str))


def assert_refused_in_norwegian(response) -> None:
    """A 400 whose page explains in Norwegian what went wrong."""
    assert response.status_code == 400
    page = html_of(response)
    if FORM_HAS_ERRORS in page:
        shown = " ".join(_SUMMARY.findall(page) + _FIELD_ERROR.findall(page))
        assert not ENGLISH.search(unescape(shown)), shown
    else:
        assert BAD_REQUEST in page, page[:2000]


def assert_kept(response, typed: dict[str, str]) -> None:
    """The re-rendered form shows each text the person typed."""
    page = html_of(response)
    for name, value in typed.items():
        assert str(escape(value)) in page, f"{name}={value!r} was not kept"


# --- the offering form -----------------------------------------------------------

OFFERING_TEXT_FIELDS = ("title", "theme", "description", "organiser", "location", "online_url")
kinds = [k.value for k in OfferingKind]
groups = [g.value for g in TargetGroup]
cohorts = [c.value for c in OnboardingCohort]


def oslo_input(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def clock_changes(moment: datetime) -> bool:
    """Tell whether an Oslo wall time is skipped (March) or repeated (October): such input is refused (issue 15)."""
    local = moment.replace(tzinfo=OSLO)
    skipped = local.astimezone(timezone.utc).astimezone(OSLO).replace(tzinfo=None) != local.replace(tzinfo=None)
    return skipped or local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def wall_times(low: datetime, high: datetime):
    """Return a strategy of Oslo wall times a form accepts (not the skipped or the repeated hour)."""
    return st.datetimes(low, high).filter(lambda moment: not clock_changes(moment))


@st.composite
def valid_offerings(draw) -> dict:
    kind = draw(st.sampled_from(kinds))
    capacity = draw(st.integers(1, 100_000))
    opens = draw(st.one_of(st.none(), wall_times(datetime(2000, 1, 1), datetime(2099, 1, 1))))
    closes = draw(st.one_of(st.none(), wall_times(datetime(2000, 1, 1), datetime(2099, 1, 1))))
    if opens and closes and closes <= opens:
        closes = opens + timedelta(days=1)
        if clock_changes(closes):
            closes += timedelta(hours=1)
    text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
    return {
        "title": draw(text.map(lambda s: s[:200]).filter(lambda s: s.strip())),
        "kind": kind,
        "theme": draw(text.map(lambda s: s[:120])),
        "description": draw(text.map(lambda s: s[:2000])),
        "organiser": draw(text.map(lambda s: s[:200])),
        "target_groups": draw(st.lists(st.sampled_from(groups), min_size=1, unique=True)),
        "plan_area": draw(st.sampled_from(["", "4", "6"])),
        "capacity": str(capacity),
        "min_participants": str(draw(st.integers(0, capacity))),
        "go_no_go_date": draw(st.one_of(st.just(""), st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(str))),
        "registration_opens_at": oslo_input(opens) if opens else "",
        "registration_closes_at": oslo_input(closes) if closes else "",
        "cancellation_deadline": draw(st.one_of(st.just(""), wall_times(
            datetime(2000, 1, 1), datetime(2100, 12, 31)).map(oslo_input))),
        "location": draw(text.map(lambda s: s[:300])),
        "online_url": draw(st.sampled_from(["", "https://meet.example.no/rom-4", "http://kommune.no/kurs?id=1"])),
        "school_year": str(draw(st.integers(2000, 2100))),
        "onboarding_cohort": draw(st.sampled_from(cohorts)) if kind == OfferingKind.ONBOARDING.value else "",
    }


OFFERING_FIELDS = {
    "title": st.one_of(garbage, typed_text), "kind": st.one_of(st.sampled_from(kinds), garbage),
    "theme": garbage, "description": st.one_of(garbage, st.just("y" * 20001)), "organiser": garbage,
    "target_groups": st.lists(st.one_of(st.sampled_from(groups), garbage), max_size=4),
    "plan_area": st.one_of(st.sampled_from(["", "4", "6"]), garbage),
    "capacity": st.one_of(big_int, garbage), "min_participants": st.one_of(big_int, garbage),
    "go_no_go_date": garbage, "registration_opens_at": garbage, "registration_closes_at": garbage,
    "cancellation_deadline": garbage, "location": garbage, "online_url": garbage,
    "school_year": st.one_of(big_int, garbage),
    "onboarding_cohort": st.one_of(st.sampled_from(["", *cohorts]), garbage),
}


@st.composite
def offerings_with_anything(draw) -> dict:
    """A valid offering with some of its fields replaced by anything at all."""
    data = draw(valid_offerings())
    for name in draw(st.sets(st.sampled_from(sorted(OFFERING_FIELDS)), min_size=1)):
        data[name] = draw(OFFERING_FIELDS[name])
    return data


def newest_offering() -> Offering | None:
    return db.session.scalar(sa.select(Offering).order_by(Offering.id.desc()).limit(1))


@pytest.fixture
def admin_client(login, admin):
    return login(admin)


@FUZZ
@given(data=valid_offerings())
def test_valid_offering_form_is_saved_as_typed(admin_client, data):
    response = send(admin_client, "post", "/kurs/nytt", data=data)
    assert response.status_code == 303, html_of(response)
    offering = newest_offering()
    assert offering.status == OfferingStatus.DRAFT
    assert (offering.title, offering.theme, offering.capacity) == (
        data["title"].strip(), data["theme"].strip(), int(data["capacity"]))
    assert sorted(g.value for g in offering.target_groups) == sorted(data["target_groups"])


@FUZZ
@given(data=offerings_with_anything())
@example(data={**dict.fromkeys(OFFERING_FIELDS, ""), "title": "Kurs", "kind": "course", "target_groups": ["teachers"],
               "capacity": "10", "school_year": "2026", "registration_opens_at": "0001-01-01T00:00"})
@example(data={**dict.fromkeys(OFFERING_FIELDS, ""), "title": "Kurs", "kind": "course", "target_groups": ["teachers"],
               "capacity": "9" * 5000, "school_year": "2026"})
def test_offering_form_never_fails_and_keeps_what_was_typed(admin_client, data):
    before = newest_offering()
    response = send(admin_client, "post", "/kurs/nytt", data=data)
    if response.status_code == 303:
        assert newest_offering().id != (before.id if before else None)
        return
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()):
        assert_kept(response, {name: data[name] for name in OFFERING_TEXT_FIELDS})


@pytest.mark.parametrize("field, value, message", [
    ("title", "   ", "Dette feltet må fylles ut."),
    ("capacity", "0", "Skriv et tall fra 1 til 100 000."),
    ("capacity", "100001", "Skriv et tall fra 1 til 100 000."),
    ("capacity", "9" * 40, "Skriv et tall fra 1 til 100 000."),
    ("school_year", "1999", "Skriv et årstall, for eksempel 2026."),
    ("target_groups", [], "Velg minst én målgruppe."),
    ("online_url", "meet.example.no", "Skriv en fullstendig nettadresse som begynner med https://."),
    ("registration_opens_at", "i morgen", "Skriv dato og klokkeslett som dd.mm.åååå tt:mm."),
])
def test_each_invalid_offering_field_is_named_in_norwegian(admin_client, field, value, message):
    data = {**valid_offering_example(), field: value}
    response = send(admin_client, "post", "/kurs/nytt", data=data)
    assert_refused_in_norwegian(response)
    assert message in html_of(response)
    assert_kept(response, {name: data[name] for name in OFFERING_TEXT_FIELDS})
    assert newest_offering() is None


def valid_offering_example() -> dict:
    return {"title": "Vurdering for læring", "kind": "course", "theme": "Vurdering", "description": "Om *vurdering*.",
            "organiser": "Oppvekst skole", "target_groups": ["teachers"], "plan_area": "4", "capacity": "25",
            "min_participants": "5", "go_no_go_date": "2026-10-01", "registration_opens_at": "2026-09-01T08:00",
            "registration_closes_at": "2026-10-10T12:00", "cancellation_deadline": "", "location": "Rådhuset",
            "online_url": "", "school_year": "2026", "onboarding_cohort": ""}


# --- sessions and cancelling an offering --------------------------------------------------

@st.composite
def valid_sessions(draw) -> dict:
    start = draw(st.times(time(0, 0), time(22, 58)).map(lambda t: t.replace(second=0, microsecond=0)))
    minutes = draw(st.integers(1, 24 * 60 - 1 - (start.hour * 60 + start.minute)))
    end = (datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)).time()
    text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
    return {"day": str(draw(st.dates(date(2000, 1, 1), date(2100, 12, 31)))), "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M"), "title": draw(text.map(lambda s: s[:200])),
            "location": draw(text.map(lambda s: s[:300])), "online_url": ""}


SESSION_FIELDS = {"day": garbage, "start": garbage, "end": garbage, "title": garbage, "location": garbage,
                  "online_url": garbage}


@st.composite
def sessions_with_anything(draw) -> dict:
    data = draw(valid_sessions())
    for name in draw(st.sets(st.sampled_from(sorted(SESSION_FIELDS)), min_size=1)):
        data[name] = draw(SESSION_FIELDS[name])
    return data


def live_sessions(offering_id: int) -> int:
    offering = db.session.get(Offering, offering_id)
    return len(offering.sessions)


@FUZZ
@given(data=valid_sessions())
@example(data={"day": "2026-03-29", "start": "02:30", "end": "03:00", "title": "", "location": "", "online_url": ""})
@example(data={"day": "2026-10-25", "start": "02:30", "end": "02:45", "title": "", "location": "", "online_url": ""})
def test_valid_session_form_adds_a_session_or_explains_why_not(admin_client, make_offering, data):
    offering_id = make_offering().id
    response = send(admin_client, "post", f"/kurs/{offering_id}/okter/ny", data=data)
    if response.status_code == 303:
        assert live_sessions(offering_id) == 2
    else:
        # Only a time the clock skips or repeats that night (issue 15), or a session that ends
        # before it starts once the clock is put forward, may be refused.
        day = date.fromisoformat(data["day"])
        start, end = (datetime.combine(day, time.fromisoformat(data[k])) for k in ("start", "end"))
        assert clock_changes(start) or clock_changes(end) or \
            end.replace(tzinfo=OSLO).astimezone(timezone.utc) <= start.replace(tzinfo=OSLO).astimezone(timezone.utc)
        assert_refused_in_norwegian(response)
        assert_kept(response, {"title": data["title"], "location": data["location"]})
        assert live_sessions(offering_id) == 1


@FUZZ
@given(data=sessions_with_anything())
@example(data={"day": "0001-01-01", "start": "00:00", "end": "00:30", "title": "", "location": "", "online_url": ""})
@example(data={"day": "9999-12-31", "start": "23:00", "end": "23:59", "title": "", "location": "", "online_url": ""})
def test_session_form_never_fails_and_keeps_what_was_typed(admin_client, make_offering, data):
    offering_id = make_offering().id
    response = send(admin_client, "post", f"/kurs/{offering_id}/okter/ny", data=data)
    if response.status_code == 303:
        assert live_sessions(offering_id) == 2
        return
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()):
        assert_kept(response, {"title": data["title"], "location": data["location"], "online_url": data["online_url"]})


@FUZZ
@given(reason=st.one_of(garbage, typed_text, st.just("y" * 2001)))
def test_cancel_offering_form_never_fails_and_keeps_the_reason(admin_client, make_offering, make_user, now, reason):
    offering_id = make_offering(capacity=1).id
    teacher = make_user()
    ops.enroll(offering_id, teacher, actor=teacher, now=now)
    db.session.commit()
    response = send(admin_client, "post", f"/kurs/{offering_id}/avlys", data={"reason": reason})
    offering = db.session.get(Offering, offering_id)
    valid = bool(reason.strip()) and len(reason) <= 2000 and "\x00" not in reason
    assert (response.status_code == 303) == valid
    if valid:
        assert offering.status == OfferingStatus.CANCELLED and offering.cancel_reason == reason.strip()
        return
    assert_refused_in_norwegian(response)
    assert offering.status == OfferingStatus.PUBLISHED
    if not has_nul([reason]):
        assert_kept(response, {"reason": reason})


def test_cancelling_an_offering_twice_is_refused_in_norwegian(admin_client, make_offering):
    offering_id = make_offering().id
    assert send(admin_client, "post", f"/kurs/{offering_id}/avlys", data={"reason": "Sykdom"}).status_code == 303
    response = send(admin_client, "post", f"/kurs/{offering_id}/avlys", data={"reason": "Igjen"})
    assert_refused_in_norwegian(response)
    assert "Tilbudet er allerede avlyst." in html_of(response)


# --- signing in ----------------------------------------------------------------------------

@pytest.fixture
def kari(make_user):
    make_user(email="kari@skole.test")
    db.session.commit()


@FUZZ
@given(email=st.one_of(garbage, st.emails().map(str)), password=garbage)
@example(email="a\x00@skole.test", password=PASSWORD)
@example(email="x" * 300, password="y" * 300)
def test_login_form_never_fails_and_keeps_the_address(client, kari, email, password):
    response = send(client, "post", "/logg-inn", data={"email": email, "password": password})
    assert_refused_in_norwegian(response)
    if not has_nul([email, password]):
        assert_kept(response, {"email": email})
        assert "Feil e-postadresse eller passord." in html_of(response) or FORM_HAS_ERRORS in html_of(response)


@FUZZ
@given(spacing=st.sampled_from(["", " ", "  ", "\t"]), upper=st.booleans())
def test_login_with_the_right_password_signs_in(app, kari, spacing, upper):
    email = spacing + ("KARI@SKOLE.TEST" if upper else "kari@skole.test") + spacing
    response = send(app.test_client(), "post", "/logg-inn", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


# --- enrolling, and acting on enrollments by id ---------------------------------------------

@pytest.fixture
def two_teachers_and_a_course(login, make_offering, make_user, now):
    """An offering in which ``owner`` holds a seat, ``other`` signed in (as the client), and a bystander."""
    offering_id = make_offering(capacity=3).id
    owner, other, bystander = make_user(), make_user(), make_user()
    seat = ops.enroll(offering_id, owner, actor=owner, now=now)
    ids = {"offering": offering_id, "owner": owner.id, "other": other.id, "bystander": bystander.id,
           "seat": seat.id}
    return login(other), ids


@FUZZ
@given(person_id=st.one_of(big_int, garbage, st.sampled_from(["", "0", "-1", "2147483647", "2147483648",
                                                             "9223372036854775808", "{bystander}"])))
def test_enrollment_post_with_any_person_id_never_fails_or_enrolls_someone_else(two_teachers_and_a_course,
                                                                                person_id):
    client, ids = two_teachers_and_a_course
    person_id = person_id.format(**ids) if person_id == "{bystander}" else person_id
    response = send(client, "post", f"/kurs/{ids['offering']}/pamelding", data={"person_id": person_id})
    assert response.status_code == _enrollment_status(person_id, ids), html_of(response)[:2000]
    if response.status_code == 400:
        assert_refused_in_norwegian(response)
    holders = set(db.session.scalars(sa.select(Enrollment.user_id).where(Enrollment.offering_id == ids["offering"])))
    assert holders <= {ids["owner"], ids["other"]}


def _enrollment_status(person_id: str, ids: dict) -> int:
    """The one answer an enrollment post with this person id gets.

    A NUL is refused (400); no number, or none an id can be, is a refused form
    (back to the offering with a message, 303), as is 0 or nothing (oneself);
    oneself is 303 too; another person who exists is not the teacher's to
    enroll (403); an id nobody has is 404.
    """
    if "\x00" in person_id:
        return 400
    try:
        number = int(person_id)
    except ValueError:
        return 303
    if not 0 < number <= 2**31 - 1 or number == ids["other"]:
        return 303
    return 403 if db.session.get(User, number) is not None else 404


ID_SEGMENTS = st.one_of(big_int, st.integers(0, 50).map(str), any_text.filter(lambda s: s not in ("", ".", "..")))


@FUZZ
@given(segment=st.one_of(ID_SEGMENTS, st.just("{seat}")), action=st.sampled_from(["avmeld", "takk-ja", "takk-nei"]))
@example(segment="9223372036854775808", action="avmeld")
@example(segment="2147483648", action="takk-ja")
def test_enrollment_actions_with_any_id_never_fail_nor_touch_someone_elses(two_teachers_and_a_course,
                                                                           segment, action):
    client, ids = two_teachers_and_a_course
    target = str(ids["seat"]) if segment == "{seat}" else quote(segment, safe="")
    response = send(client, "post", f"/pameldinger/{target}/{action}")
    # Only the seat's own id reaches an enrollment (someone else's: refused); every other segment is no page.
    # Declining checks first that there is an offer to decline, so it says so (and changes nothing).
    reaches_the_seat = target.isdecimal() and int(target) == ids["seat"]
    expected = (303 if action == "takk-nei" else 403) if reaches_the_seat else 404
    assert response.status_code == expected, html_of(response)[:2000]
    assert db.session.get(Enrollment, ids["seat"]).state == EnrollmentState.ENROLLED


@FUZZ
@given(segment=ID_SEGMENTS)
def test_offering_pages_with_any_id_answer_404_not_500(admin_client, segment):
    target = quote(segment, safe="")
    for url in (f"/kurs/{target}", f"/kurs/{target}/okter/ny", f"/kurs/{target}/avlys", f"/kurs/{target}/rediger",
                f"/kurs/{target}/deltakere"):
        response = send(admin_client, "get", url)
        assert response.status_code == 404, (url, response.status_code)


# --- the catalogue's query string --------------------------------------------------------------

CATALOGUE_ARGS = {
    "q": garbage, "tema": garbage, "type": st.one_of(st.sampled_from(kinds), garbage),
    "malgruppe": st.one_of(st.sampled_from(groups), garbage), "omrade": st.one_of(st.sampled_from(["4", "6"]), garbage),
    "uke": st.one_of(week, garbage), "maned": st.one_of(month, garbage), "ledige": st.one_of(st.just("1"), garbage),
    "side": st.one_of(big_int, garbage, st.sampled_from(["-1", "0", "1", "2", "99999", "100000"])),
}


@FUZZ
@given(args=st.fixed_dictionaries({}, optional=CATALOGUE_ARGS),
       extra=st.dictionaries(any_text.filter(bool), any_text, max_size=2))
@example(args={"uke": "0000-W01"}, extra={})
@example(args={"uke": "2026-W00", "side": "²"}, extra={})
@example(args={"uke": "2026-W53", "maned": "0000-01", "side": "9" * 5000}, extra={})
@example(args={"q": "\x00", "tema": "\x00"}, extra={})
def test_catalogue_answers_any_query_string(client, make_offering, args, extra):
    response = send(client, "get", "/kurs", query_string={**extra, **args})
    if has_nul([*args.values(), *extra.keys(), *extra.values()]):
        assert_refused_in_norwegian(response)
    else:
        assert response.status_code == 200, html_of(response)[:2000]


@pytest.fixture
def catalogue_with_offering(make_offering):
    return make_offering("Lesing i alle fag", theme="Lesing")


@pytest.mark.parametrize("query", ["uke=2026-W40", "uke=2026-W53&q=lesing", "maned=2026-10", "side=-5", "side=1",
                                   "q=LESING", "tema=Lesing&ledige=1"])
def test_catalogue_still_finds_the_offering_among_odd_arguments(client, catalogue_with_offering, query):
    expected = "uke=2026-W53" not in query  # week 53 of 2026 is in late December
    assert ("Lesing i alle fag" in html_of(send(client, "get", f"/kurs?{query}"))) == expected
