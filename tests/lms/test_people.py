"""Schools and people admin: what programme admins and school leaders can do, and the staff import."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.db import db
from lms.people import operations
from lms.people.demo import load_people
from lms.people.models import Membership, Role, School, User
from tests.conftest import nothing_changes

#: Brønnøysundregistrene's own organisation number: a real, valid one.
BRREG = "974760673"


def org_number(first_eight: int) -> str:
    """Return a valid organisation number: ``first_eight`` (or the next that has one) and its check digit."""
    return next(n for n in (f"{first_eight + i}{d}" for i in range(10) for d in range(10)) if _valid(n))


def _valid(number: str) -> bool:
    try:
        operations.normalise_org_number(number)
    except operations.PeopleError:
        return False
    return True


def body(response) -> str:
    return response.get_data(as_text=True)


def school_form(**overrides) -> dict:
    return {"name": "Bekkestua skole", "org_number": "974 760 673", "district": "Øst",
            "focus_areas": "Vurdering for læring\n\nLesing i alle fag\n", **overrides}


def person_form(school_id: int | None, role: str = "teacher", **overrides) -> dict:
    data = {"name": "Kari Nordmann", "email": "Kari.Nordmann@Skole.no", "locale": "nb", "hire_date": "2026-08-01",
            "is_digital_supervisor": "y", "active": "y", "password": "",
            "memberships-0-school_id": str(school_id or 0), "memberships-0-role": role}
    data.update(overrides)
    return data


@pytest.fixture
def school_a(make_school):
    return make_school("Bekkestua skole", org_number=org_number(97000000))


@pytest.fixture
def school_b(make_school):
    return make_school("Hosle skole", org_number=org_number(98000000))


@pytest.fixture
def leader(make_user, school_a):
    return make_user("Rita Rektor", roles=(Role.LEADER,), school=school_a)


# --- organisation numbers ---------------------------------------------------

@pytest.mark.parametrize("number", [BRREG, "974 760 673", "935478715"])
def test_valid_organisation_numbers_are_accepted(number):
    assert operations.normalise_org_number(number) == number.replace(" ", "")


@pytest.mark.parametrize("number, message", [
    ("974760674", "kontrollsifferet"),
    ("97476067", "ni siffer"),
    ("97476067a", "ni siffer"),
    ("", "ni siffer"),
])
def test_invalid_organisation_numbers_are_refused(number, message):
    with pytest.raises(operations.PeopleError, match=message):
        operations.normalise_org_number(number)


# --- schools ----------------------------------------------------------------

def test_admin_creates_a_school_that_shows_in_the_list(login, admin):
    client = login(admin)
    response = client.post("/admin/skoler/ny", data=school_form())
    assert response.status_code == 302
    school = db.session.scalar(sa.select(School))
    assert (school.org_number, school.focus_areas) == (BRREG, ["Vurdering for læring", "Lesing i alle fag"])
    listing = body(client.get("/admin/skoler"))
    assert "Bekkestua skole" in listing and BRREG in listing


def test_school_with_a_wrong_check_digit_is_refused_and_the_form_keeps_what_was_typed(login, admin):
    with nothing_changes():
        response = login(admin).post("/admin/skoler/ny", data=school_form(org_number="974760674"))
    assert response.status_code == 400
    assert "kontrollsifferet stemmer ikke" in body(response)
    assert 'value="Bekkestua skole"' in body(response) and 'value="974760674"' in body(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(School)) == 0


def test_two_schools_cannot_share_an_organisation_number(login, admin, make_school):
    make_school("Eksisterende skole", org_number=BRREG)
    with nothing_changes():
        response = login(admin).post("/admin/skoler/ny", data=school_form())
    assert response.status_code == 400
    assert "allerede dette organisasjonsnummeret" in body(response)


def test_admin_edits_a_school(login, admin, school_a):
    client = login(admin)
    assert 'value="Bekkestua skole"' in body(client.get(f"/admin/skoler/{school_a.id}"))
    response = client.post(f"/admin/skoler/{school_a.id}",
                           data=school_form(name="Bekkestua barneskole", org_number=school_a.org_number))
    assert response.status_code == 302
    assert db.session.get(School, school_a.id).name == "Bekkestua barneskole"


def test_unknown_school_is_404(login, admin):
    assert login(admin).get("/admin/skoler/999999").status_code == 404


def test_only_programme_admins_manage_schools(login, leader, school_a):
    client = login(leader)
    assert client.get("/admin/skoler").status_code == 403
    with nothing_changes():
        assert client.post("/admin/skoler/ny", data=school_form()).status_code == 403
    assert client.get(f"/admin/skoler/{school_a.id}").status_code == 403


def test_admin_pages_send_strangers_to_sign_in(client):
    response = client.get("/admin/ansatte")
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]


# --- people -----------------------------------------------------------------

def test_admin_creates_a_person_who_can_then_sign_in(app, login, admin, school_a):
    response = login(admin).post("/admin/ansatte/ny",
                                 data=person_form(school_a.id, password="et-langt-passord"))
    assert response.status_code == 302, body(response)
    kari = db.session.scalar(sa.select(User).where(User.name == "Kari Nordmann"))
    assert kari.email == "kari.nordmann@skole.no"
    assert (kari.hire_date, kari.is_digital_supervisor, kari.active) == (date(2026, 8, 1), True, True)
    assert kari.roles() == {Role.TEACHER} and kari.schools() == [school_a]
    signed_in = app.test_client().post("/logg-inn", data={"email": "KARI.NORDMANN@skole.no",
                                                          "password": "et-langt-passord"})
    assert signed_in.status_code == 302


def test_a_persons_language_is_chosen_on_their_form_nynorsk_among_them(login, admin, make_user, school_a):
    teacher = make_user("Tor Lærer", school=school_a)
    client = login(admin)
    form = body(client.get(f"/admin/ansatte/{teacher.id}"))
    options = re.findall(r'<option(?: lang="(\w+)")?(?: selected)? value="(\w*)"(?: selected)?>([^<]+)</option>',
                         form.split('name="locale"')[1].split("</select>")[0])
    assert [(value, label) for _lang, value, label in options] == [
        ("", "Ikke valgt (bokmål, eller nynorsk når nettleseren ber om det)"),
        ("nb", "Bokmål"), ("nn", "Nynorsk"), ("en", "English")]
    assert [lang for lang, _value, _label in options] == ["", "nb", "nn", "en"]
    for chosen, stored in (("nn", "nn"), ("", None), ("en", "en")):
        response = client.post(f"/admin/ansatte/{teacher.id}", data=person_form(
            school_a.id, name="Tor Lærer", email=teacher.email, locale=chosen))
        assert response.status_code == 302, body(response)
        assert db.session.scalar(sa.select(User.locale).where(User.id == teacher.id)) == stored
    refused = client.post(f"/admin/ansatte/{teacher.id}", data=person_form(
        school_a.id, name="Tor Lærer", email=teacher.email, locale="se"))
    assert refused.status_code == 400 and "Ikke et gyldig valg" in body(refused)


def test_e_mail_must_be_unique_whatever_the_case(login, admin, make_user, school_a):
    make_user(email="kari.nordmann@skole.no")
    with nothing_changes():
        response = login(admin).post("/admin/ansatte/ny", data=person_form(school_a.id))
    assert response.status_code == 400
    assert "finnes allerede en person med denne e-postadressen" in body(response)
    assert 'value="Kari Nordmann"' in body(response)


@pytest.mark.parametrize("field, value, message", [
    ("email", "kari@", "gyldig e-postadresse"),
    ("password", "kort", "minst 10 tegn"),
    ("hire_date", "31.02.2026", "Ikke en gyldig dato"),
    ("memberships-0-school_id", "0", "Velg en skole for hver rolle"),
    ("memberships-0-school_id", "ikke-et-tall", "Ugyldig valg"),
    ("name", "", "Skriv inn navnet"),
])
def test_invalid_person_is_refused_with_a_norwegian_message(login, admin, school_a, field, value, message):
    with nothing_changes():
        response = login(admin).post("/admin/ansatte/ny", data=person_form(school_a.id, **{field: value}))
    assert response.status_code == 400
    assert message in body(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1  # the admin only


def test_admin_changes_roles_and_flags(login, admin, make_user, school_a, school_b):
    teacher = make_user("Tor Lærer", school=school_a)
    client = login(admin)
    assert client.get(f"/admin/ansatte/{teacher.id}").status_code == 200
    response = client.post(f"/admin/ansatte/{teacher.id}", data=person_form(
        school_a.id, role="lighthouse", name="Tor Lærer", email=teacher.email, is_digital_supervisor="",
        **{"memberships-1-school_id": str(school_b.id), "memberships-1-role": "teacher"}))
    assert response.status_code == 302, body(response)
    teacher = db.session.get(User, teacher.id)
    assert {(m.role, m.school_id) for m in teacher.memberships} == {(Role.LIGHTHOUSE, school_a.id),
                                                                    (Role.TEACHER, school_b.id)}
    assert not teacher.is_digital_supervisor


def test_deactivating_a_person_ends_their_sign_in(login, admin, leader, school_a):
    leader_client = login(leader)
    assert leader_client.get("/admin/ansatte").status_code == 200
    response = login(admin).post(f"/admin/ansatte/{leader.id}", data=person_form(
        school_a.id, role="leader", name=leader.name, email=leader.email, active=""))
    assert response.status_code == 302
    assert leader_client.get("/admin/ansatte").status_code == 302


def test_admin_cannot_remove_their_own_admin_role(login, admin):
    with nothing_changes():
        response = login(admin).post(f"/admin/ansatte/{admin.id}",
                                     data=person_form(None, role="", name=admin.name, email=admin.email))
    assert response.status_code == 400
    assert "Du kan ikke ta fra deg selv rollen som programadministrator" in body(response)


def test_unknown_person_is_404(login, admin):
    assert login(admin).get("/admin/ansatte/999999").status_code == 404


def test_teachers_cannot_open_the_staff_pages(login, make_user):
    client = login(make_user())
    for url in ("/admin/ansatte", "/admin/ansatte/ny", "/admin/ansatte/import", "/admin/ansatte/import/mal.csv"):
        assert client.get(url).status_code == 403, url


def test_leader_sees_own_staff_but_not_other_schools_or_admins(login, admin, leader, make_user, school_a, school_b):
    make_user("Anne Egen", school=school_a)
    other = make_user("Ola Annen", school=school_b)
    client = login(leader)
    listing = body(client.get("/admin/ansatte"))
    assert "Anne Egen" in listing and "Rita Rektor" in listing
    assert "Ola Annen" not in listing and "Ada Admin" not in listing
    assert client.get(f"/admin/ansatte/{other.id}").status_code == 403
    with nothing_changes():
        assert client.post(f"/admin/ansatte/{other.id}", data=person_form(school_b.id)).status_code == 403
    assert client.get(f"/admin/ansatte/{admin.id}").status_code == 403
    assert client.get(f"/admin/ansatte?skole={school_b.id}").status_code == 403


def test_leader_adds_staff_to_own_school_only(login, leader, school_a, school_b):
    client = login(leader)
    with nothing_changes():
        assert client.post("/admin/ansatte/ny", data=person_form(school_b.id)).status_code == 403
    with nothing_changes():
        assert client.post("/admin/ansatte/ny", data=person_form(school_a.id, is_admin="y")).status_code == 403
    with nothing_changes():
        response = client.post("/admin/ansatte/ny", data=person_form(school_a.id, role=""))
    assert response.status_code == 400 and "Gi personen en rolle ved skolen din" in body(response)
    assert client.post("/admin/ansatte/ny", data=person_form(school_a.id)).status_code == 302
    kari = db.session.scalar(sa.select(User).where(User.email == "kari.nordmann@skole.no"))
    assert kari.roles() == {Role.TEACHER} and kari.schools() == [school_a]


def test_leader_editing_keeps_roles_at_other_schools(login, leader, make_user, school_a, school_b):
    shared = make_user("Delt Lærer", school=school_a)
    shared.memberships.append(Membership(role=Role.TEACHER, school=school_b))
    db.session.flush()
    client = login(leader)
    page = body(client.get(f"/admin/ansatte/{shared.id}"))
    assert "Hosle skole" in page and f'<option value="{school_b.id}"' not in page
    response = client.post(f"/admin/ansatte/{shared.id}", data=person_form(
        school_a.id, role="lighthouse", name="Delt Lærer", email=shared.email))
    assert response.status_code == 302
    assert {(m.role, m.school_id) for m in db.session.get(User, shared.id).memberships} == {
        (Role.LIGHTHOUSE, school_a.id), (Role.TEACHER, school_b.id)}


def test_leader_gives_a_first_password_but_cannot_replace_one(login, leader, make_user, school_a):
    fresh = make_user("Ny Ansatt", school=school_a)
    fresh.password_hash = ""
    existing = make_user("Gammel Ansatt", school=school_a)
    client = login(leader)
    assert 'name="password"' not in body(client.get(f"/admin/ansatte/{existing.id}"))
    response = client.post(f"/admin/ansatte/{existing.id}", data=person_form(
        school_a.id, name=existing.name, email=existing.email, password="et-nytt-passord"))
    assert response.status_code == 400 and "Bare en programadministrator" in body(response)
    response = client.post(f"/admin/ansatte/{fresh.id}", data=person_form(
        school_a.id, name=fresh.name, email=fresh.email, password="et-nytt-passord"))
    assert response.status_code == 302
    assert db.session.get(User, fresh.id).password_hash


def test_people_list_searches_filters_and_pages(login, admin, make_user, school_a, school_b):
    for n in range(25):
        make_user(f"Lærer {n:02d}", school=school_a)
    make_user("Solveig Søk", school=school_b, email="solveig@hosle.no")
    client = login(admin)
    assert "Solveig Søk" in body(client.get("/admin/ansatte?q=hosle.no"))
    assert "Lærer 00" not in body(client.get("/admin/ansatte?q=solveig"))
    assert "Lærer 01" not in body(client.get("/admin/ansatte?q=%25"))  # a wildcard is only a character
    by_school = body(client.get(f"/admin/ansatte?skole={school_b.id}"))
    assert "Solveig Søk" in by_school and "Lærer 00" not in by_school
    first, second = (body(client.get(f"/admin/ansatte?skole={school_a.id}&side={p}")) for p in (1, 2))
    assert "Lærer 00" in first and "Lærer 24" not in first
    assert "Lærer 24" in second and "Lærer 00" not in second
    assert client.get("/admin/ansatte?side=-3&skole=x").status_code == 200



def test_numbers_no_column_can_hold_show_the_lists_not_an_error(login, admin, make_user, school_a):
    make_user("Lærer Lund", school=school_a)
    client = login(admin)
    huge = "9" * 20
    schools = client.get(f"/admin/skoler?side={huge}")
    assert schools.status_code == 200 and school_a.name in body(schools)
    people = client.get(f"/admin/ansatte?skole={huge}&side={huge}")
    assert people.status_code == 200 and "Lærer Lund" in body(people)
    assert login(admin).get(f"/admin/epost?side={huge}").status_code == 200

def test_people_list_does_not_query_per_person(login, admin, make_user, school_a):
    for n in range(20):
        make_user(f"Lærer {n}", school=school_a)
    client = login(admin)
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert client.get("/admin/ansatte").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    assert len(statements) < 12, statements


# --- the staff import -------------------------------------------------------

def upload(client, content: bytes | str, dry_run: bool = False):
    raw = content.encode() if isinstance(content, str) else content
    data = {"file": (io.BytesIO(raw), "ansatte.csv")}
    if dry_run:
        data["dry_run"] = "y"
    return client.post("/admin/ansatte/import", data=data, content_type="multipart/form-data")


def staff_csv(*rows: str, header: str = "navn;e-post;skole;rolle;ansatt_dato;digital_veileder") -> str:
    return "\r\n".join((header, *rows)) + "\r\n"


def report_lines(response) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip()
            for line in re.findall(r"<li>(rad \d+:[^<]*)</li>", body(response).replace("&amp;", "&"))]


def test_import_reports_what_it_did_row_by_row(login, admin, school_a):
    org = school_a.org_number
    text = "\ufeff" + staff_csv(
        f"Kari Nordmann;kari@skole.no;{org};lærer;01.08.2026;ja",
        f"Ola Nordmann;kari@;{org};lærer;;",
        "Per Ukjent;per@skole.no;123456789;lærer;;",
        f"Siri Fyr;siri@skole.no;{org};rektorassistent;;",
        f"Lise Dato;lise@skole.no;{org};Fyrtårn;31.02.2026;",
        ";;;;;",
        f"Tom Leder;tom@skole.no;{org};skoleleder;2025-08-15;nei",
    )
    response = upload(login(admin), text)
    assert response.status_code == 200
    assert report_lines(response) == [
        "rad 2: opprettet Kari Nordmann",
        "rad 3: hoppet over – ugyldig e-postadresse «kari@»",
        "rad 4: hoppet over – ukjent skole «123456789» (skriv skolens organisasjonsnummer)",
        "rad 5: hoppet over – ukjent rolle «rektorassistent» (bruk lærer, skoleleder eller fyrtårn)",
        "rad 6: hoppet over – ugyldig ansattdato «31.02.2026» (skriv dd.mm.åååå)",
        "rad 8: opprettet Tom Leder",
    ]
    assert "2 opprettet, 0 oppdatert, 0 uendret, 4 hoppet over." in body(response)
    kari = db.session.scalar(sa.select(User).where(User.email == "kari@skole.no"))
    assert (kari.hire_date, kari.is_digital_supervisor, kari.roles()) == (date(2026, 8, 1), True, {Role.TEACHER})
    tom = db.session.scalar(sa.select(User).where(User.email == "tom@skole.no"))
    assert tom.hire_date == date(2025, 8, 15) and tom.led_school_ids() == {school_a.id}


def test_importing_the_same_file_twice_changes_nothing(login, admin, school_a, school_b):
    text = staff_csv(f"Kari Nordmann;kari@skole.no;{school_a.org_number};lærer;01.08.2026;ja",
                     f"Kari Nordmann;KARI@skole.no;{school_b.org_number};lærer;01.08.2026;ja")
    client = login(admin)
    assert report_lines(upload(client, text)) == ["rad 2: opprettet Kari Nordmann",
                                                  "rad 3: oppdatert Kari Nordmann (Lærer ved Hosle skole)"]
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in (User, Membership)]
    assert report_lines(upload(client, text)) == ["rad 2: uendret Kari Nordmann", "rad 3: uendret Kari Nordmann"]
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in (User, Membership)] == counts


def test_import_updates_people_it_finds_by_e_mail(login, admin, make_user, school_a):
    make_user("Kari Nordman", email="kari@skole.no", school=school_a, hire_date=date(2020, 8, 1))
    response = upload(login(admin), "navn,e-post,skole,rolle,ansatt_dato,digital_veileder\n"
                                    f"Kari Nordmann,kari@skole.no,{school_a.org_number},lærer,2026-08-01,ja\n")
    assert report_lines(response) == ["rad 2: oppdatert Kari Nordmann (navn, ansattdato, digital veileder)"]
    kari = db.session.scalar(sa.select(User).where(User.email == "kari@skole.no"))
    assert (kari.name, kari.hire_date, kari.is_digital_supervisor) == ("Kari Nordmann", date(2026, 8, 1), True)


def test_import_dry_run_saves_nothing(login, admin, school_a):
    response = upload(login(admin), staff_csv(f"Kari Nordmann;kari@skole.no;{school_a.org_number};lærer;;"),
                      dry_run=True)
    assert report_lines(response) == ["rad 2: opprettet Kari Nordmann"]
    assert "ingenting er lagret" in body(response)
    assert db.session.scalar(sa.select(User).where(User.email == "kari@skole.no")) is None


@pytest.mark.parametrize("content, message", [
    ("navn;epost\nKari;kari@skole.no\n", "Filen mangler kolonnene skole, rolle"),
    ("Kari Nordmann;kari@skole.no;974760673;lærer\n", "Filen mangler kolonnene navn, e-post, skole, rolle"),
    (b"PK\x03\x04\x00\x00binary\xff\xfe", "ikke en CSV-fil i UTF-8"),
    ("navn;e-post;skole;rolle\n".encode("utf-16"), "ikke en CSV-fil i UTF-8"),
    ("", "Filen er tom"),
    ("navn;e-post;skole;rolle\n\n", "ingen ansatte under overskriftsraden"),
])
def test_a_file_that_cannot_be_imported_gets_a_clear_message_and_changes_nothing(login, admin, content, message):
    response = upload(login(admin), content)
    assert response.status_code == 400
    assert message in body(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_import_without_a_file_asks_for_one(login, admin):
    response = login(admin).post("/admin/ansatte/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Velg en fil" in body(response)


def test_leader_imports_to_own_school_only(login, leader, make_user, school_a, school_b):
    make_user("Ola Annen", email="ola@hosle.no", school=school_b)
    response = upload(login(leader), staff_csv(
        f"Kari Nordmann;kari@skole.no;{school_a.org_number};lærer;;",
        f"Per Nabo;per@skole.no;{school_b.org_number};lærer;;",
        f"Ola Annen;ola@hosle.no;{school_a.org_number};lærer;;",
    ))
    assert report_lines(response) == [
        "rad 2: opprettet Kari Nordmann",
        "rad 3: hoppet over – du kan bare importere ansatte ved din egen skole, ikke Hosle skole",
        "rad 4: hoppet over – personen er registrert ved en annen skole; kontakt en programadministrator",
    ]


def test_import_template_can_be_filled_in_and_imported(login, leader, school_a):
    client = login(leader)
    template = client.get("/admin/ansatte/import/mal.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    assert "attachment" in template.headers["Content-Disposition"]
    text = template.get_data(as_text=True)
    assert text.startswith("\ufeffnavn;e-post;skole;rolle;ansatt_dato;digital_veileder;språk;miljølærer")
    assert report_lines(upload(client, template.get_data())) == ["rad 2: opprettet Kari Nordmann"]
    assert db.session.scalar(sa.select(User.locale).where(User.name == "Kari Nordmann")) == "nn"


def test_import_takes_each_persons_language_nynorsk_among_them(login, admin, make_user, school_a):
    org = school_a.org_number
    make_user("Per Før", email="per@skole.no", school=school_a, locale="en")
    make_user("Siri Før", email="siri@skole.no", school=school_a, locale="nn")
    header = "navn;e-post;skole;rolle;ansatt_dato;digital_veileder;Språk"
    response = upload(login(admin), staff_csv(
        f"Kari Nynorsk;kari@skole.no;{org};lærar;;;nynorsk",
        f"Ola Kode;ola@skole.no;{org};skuleleiar;;;nn",
        f"Eva Bokmål;eva@skole.no;{org};lærer;;;Bokmål",
        f"Tom Tom;tom@skole.no;{org};lærer;;;",
        f"Per Før;per@skole.no;{org};lærer;;;nynorsk",
        f"Siri Før;siri@skole.no;{org};lærer;;;",
        f"Lise Samisk;lise@skole.no;{org};lærer;;;nordsamisk",
        header=header))
    assert report_lines(response) == [
        "rad 2: opprettet Kari Nynorsk",
        "rad 3: opprettet Ola Kode",
        "rad 4: opprettet Eva Bokmål",
        "rad 5: opprettet Tom Tom",
        "rad 6: oppdatert Per Før (språk)",
        "rad 7: uendret Siri Før",
        "rad 8: hoppet over – ukjent språk «nordsamisk» (bruk bokmål, nynorsk eller engelsk)",
    ]
    locales = dict(db.session.execute(sa.select(User.name, User.locale)).all())
    assert {n: locales[n] for n in ("Kari Nynorsk", "Ola Kode", "Eva Bokmål", "Tom Tom", "Per Før", "Siri Før")} == {
        "Kari Nynorsk": "nn", "Ola Kode": "nn", "Eva Bokmål": "nb", "Tom Tom": None, "Per Før": "nn", "Siri Før": "nn"}
    ola = db.session.scalar(sa.select(User).where(User.name == "Ola Kode"))
    assert ola.roles() == {Role.LEADER}


def test_import_from_the_command_line(app, school_a, tmp_path):
    path = tmp_path / "ansatte.csv"
    path.write_text(staff_csv(f"Kari Nordmann;kari@skole.no;{school_a.org_number};lærer;;",
                              "Ola;ola@skole.no;000000000;lærer;;"), encoding="utf-8-sig")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["people", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "rad 2: opprettet Kari Nordmann",
        "rad 3: hoppet over – ukjent skole «000000000» (skriv skolens organisasjonsnummer)"]
    assert db.session.scalar(sa.select(User).where(User.email == "kari@skole.no")) is not None
    path.write_bytes(b"\x00\x01\x02")
    result = app.test_cli_runner().invoke(args=["people", "import", str(path)])
    assert result.exit_code == 1 and "ikke en CSV-fil i UTF-8" in result.output


@pytest.mark.db_independent
def test_import_never_fails_on_odd_files(admin, school_a, now):
    db.session.commit()
    cells = st.sampled_from(["navn", "e-post", "skole", "rolle", "ansatt_dato", "digital_veileder",
                             school_a.org_number, "lærer", "fyrtårn", "ja", "nei", "01.08.2026", "2026-13-01",
                             "kari@skole.no", "x@y", "", '"', "\n", "\x00"]) | st.text(max_size=10)

    @settings(max_examples=80, deadline=None)
    @given(st.lists(st.lists(cells, max_size=7), max_size=6), st.sampled_from(";,\t"))
    def check(rows, delimiter):
        text = "\n".join(delimiter.join(row) for row in rows)
        try:
            report = operations.import_staff(text, admin, now)
            assert all(line.text.startswith(f"rad {line.row}: ") for line in report.lines)
        except operations.StaffImportError:
            pass
        finally:
            db.session.rollback()

    check()


def test_demo_people_speak_the_language_the_files_give_and_keep_their_own_choice(now):
    load_people(now)
    db.session.commit()
    locales = dict(db.session.execute(sa.select(User.email, User.locale)).all())
    assert locales["eva.strand@kommune.example"] == "nn"
    assert locales["ahmed.karimi@kommune.example"] == "en"
    assert locales["hanne.vik@kommune.example"] is None
    hanne = db.session.scalar(sa.select(User).where(User.email == "hanne.vik@kommune.example"))
    operations.choose_language(hanne, "nn", now)
    db.session.commit()
    load_people(now)  # loading the demo again leaves a person's own choice as it is
    db.session.commit()
    assert db.session.get(User, hanne.id).locale == "nn"


# --- the environment teacher (miljølærer) flag ----------------------------------

def test_environment_teacher_flag_is_set_on_the_form_and_shown_on_the_staff_page(login, admin, school_a):
    client = login(admin)
    response = client.post("/admin/ansatte/ny", data=person_form(school_a.id, is_environment_teacher="y"))
    assert response.status_code == 302, body(response)
    kari = db.session.scalar(sa.select(User).where(User.name == "Kari Nordmann"))
    assert kari.is_environment_teacher
    assert "miljølærer" in body(client.get("/admin/ansatte"))
    form = body(client.get(f"/admin/ansatte/{kari.id}"))
    (tag,) = re.findall(r'<input[^>]*name="is_environment_teacher"[^>]*>', form)
    assert "checked" in tag


def test_import_sets_and_clears_the_environment_teacher_flag(login, admin, school_a):
    org = school_a.org_number
    header = "navn;e-post;skole;rolle;miljølærer"
    response = upload(login(admin), staff_csv(f"Kari Miljø;kari@skole.no;{org};lærer;ja",
                                              f"Per Feil;per@skole.no;{org};lærer;kanskje", header=header))
    assert report_lines(response) == ["rad 2: opprettet Kari Miljø",
                                      "rad 3: hoppet over – miljølærer må være ja eller nei"]
    kari = db.session.scalar(sa.select(User).where(User.email == "kari@skole.no"))
    assert kari.is_environment_teacher
    response = upload(login(admin), staff_csv(f"Kari Miljø;kari@skole.no;{org};lærer;nei", header=header))
    assert report_lines(response) == ["rad 2: oppdatert Kari Miljø (miljølærer)"]
    db.session.refresh(kari)
    assert not kari.is_environment_teacher
