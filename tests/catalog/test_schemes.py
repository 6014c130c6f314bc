"""Schemes: programme rows one does not sign up for, listed in the catalogue and leading to their own pages."""
from __future__ import annotations

import pytest

from catalog.offerings.models import OfferingKind, TargetGroup
from catalog.schemes import operations as scheme_ops
from lms.db import db
from lms.schoolyear import school_year_of
from tests.lms.conftest import make_app  # noqa: F401  (a fixture)


@pytest.fixture
def schemes(admin, now):
    year = school_year_of(now.date())
    films = scheme_ops.create_scheme(scheme_ops.SchemeData(
        title="Ressursplattform med læringsfilmer", endpoint="films.index", school_year=year,
        theme="Ressursplattform", target_groups=[TargetGroup.TEACHERS],
        target_group_text="Lærere i og utenfor bærumsskolen", organiser="Fyrtårn/oppvekst skole",
        timing="Fra høsten 2019", description="Korte filmer med oppgaver.", plan_area=4), actor=admin, now=now)
    digirad = scheme_ops.create_scheme(scheme_ops.SchemeData(
        title="Digiråd", endpoint="pages.show", endpoint_values={"slug": "digirad"}, school_year=year,
        theme="Samarbeid hjem-skole", target_groups=[TargetGroup.PARENTS, TargetGroup.PUPILS],
        target_group_text="Elever, foreldre, skoleledelse, lærere og andre ansatte", organiser="Skoleledelsen",
        timing="Skoleåret 19/20", plan_area=6), actor=admin, now=now)
    db.session.commit()
    return films, digirad


def test_catalogue_lists_schemes_in_a_section_of_their_own_linking_to_their_pages(client, schemes, make_offering):
    make_offering("Digital vurdering")
    page = client.get("/kurs").get_data(as_text=True)
    assert "1 tilbud" in page  # the schemes are not counted among the offerings to sign up for
    section = page.split('id="ordninger"')[1]
    assert "Ordninger og ressurser" in page
    assert 'href="/laeringsfilmer"' in section and 'href="/info/digirad"' in section
    assert "Lærere i og utenfor bærumsskolen" in section and "Fyrtårn/oppvekst skole" in section
    assert "Fra høsten 2019" in section and "Korte filmer med oppgaver." in section
    assert "Digital vurdering" not in section


@pytest.mark.parametrize("query, shown", [
    ("", {"/laeringsfilmer", "/info/digirad"}),
    ("?q=filmer", {"/laeringsfilmer"}),
    ("?q=skoleledelsen", {"/info/digirad"}),
    ("?malgruppe=parents", {"/info/digirad"}),
    ("?omrade=4", {"/laeringsfilmer"}),
    ("?tema=Samarbeid+hjem-skole", {"/info/digirad"}),
    ("?type=course", set()),  # a kind, a date or free seats are what schemes do not have
    ("?uke=2026-W41", set()),
    ("?ledige=1", set()),
])
def test_catalogue_filter_applies_to_schemes(client, schemes, query, shown):
    page = client.get(f"/kurs{query}").get_data(as_text=True)
    section = page.split('id="ordninger"')[1] if 'id="ordninger"' in page else ""
    listed = {path for path in ("/laeringsfilmer", "/info/digirad") if f'href="{path}"' in section}
    assert listed == shown
    assert ("Ordninger og ressurser" in page) == bool(shown)


def test_scheme_themes_are_in_the_theme_filter(client, schemes):
    page = client.get("/kurs").get_data(as_text=True)
    assert '<option value="Samarbeid hjem-skole"' in page


def test_a_scheme_whose_feature_is_switched_off_is_not_listed(schemes, make_app):  # noqa: F811
    without_fyrtarn = make_app(DISABLED_PLUGINS=["lighthouse"])
    page = without_fyrtarn.test_client().get("/kurs").get_data(as_text=True)
    assert "/laeringsfilmer" not in page and "Ressursplattform med læringsfilmer" not in page
    assert 'href="/info/digirad"' in page.split('id="ordninger"')[1]


def test_schemes_of_last_school_year_give_way_to_this_years(client, schemes, admin, now):
    scheme_ops.create_scheme(scheme_ops.SchemeData(
        title="Fjorårets ordning", endpoint="films.index", school_year=school_year_of(now.date()) - 1,
        target_groups=[TargetGroup.TEACHERS]), actor=admin, now=now)
    db.session.commit()
    assert "Fjorårets ordning" not in client.get("/kurs").get_data(as_text=True)


def test_only_admins_change_schemes(make_user, now):
    with pytest.raises(scheme_ops.SchemeError):
        scheme_ops.create_scheme(scheme_ops.SchemeData(title="X", endpoint="films.index", school_year=2026,
                                                       target_groups=[TargetGroup.TEACHERS]),
                                 actor=make_user(), now=now)


def test_an_english_page_marks_the_programmes_bokmal(client, schemes, make_offering):
    offering_id = make_offering("Oppstartkurs for nyansatte", kind=OfferingKind.COURSE, theme="Nyansatte",
                                target_group_text="Nyansatte i bærumsskolen",
                                timing="August 2019 Og første kvartal 2020").id
    norwegian = client.get(f"/kurs/{offering_id}").get_data(as_text=True)
    assert 'lang="nb">Oppstartkurs for nyansatte</h1>' not in norwegian  # the page itself is bokmål
    assert "Nyansatte i bærumsskolen" in norwegian and "August 2019 Og første kvartal 2020" in norwegian
    client.post("/sprak", data={"lang": "en"})
    english = client.get(f"/kurs/{offering_id}").get_data(as_text=True)
    assert '<h1 class="ds-heading" data-size="lg" lang="nb">Oppstartkurs for nyansatte</h1>' in english
    assert '<span lang="nb">Nyansatte i bærumsskolen</span>' in english
    assert "Target group" in english
    catalogue = client.get("/kurs").get_data(as_text=True)
    assert 'lang="nb">Digiråd</a>' in catalogue


def test_information_pages_are_the_municipalitys_text(client):
    page = client.get("/info/digirad")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Digiråd på hver skole" in text and "<article>" in text
    client.post("/sprak", data={"lang": "en"})
    assert '<article lang="nb">' in client.get("/info/foresatte").get_data(as_text=True)
    assert client.get("/info/finnes-ikke").status_code == 404
    assert client.get("/info/..%2Fdemo%2Fpeople").status_code == 404
    assert client.get("/info/Digirad").status_code == 404


def test_the_catalogue_search_finds_an_offering_by_the_programmes_words_for_its_target_group(client, make_offering):
    make_offering("Nettverkssamlinger", target_group_text="Skoleledere, miljølærere og digitale veiledere")
    make_offering("Noe annet")
    page = client.get("/kurs?q=miljølærere").get_data(as_text=True)
    assert "Nettverkssamlinger" in page and "Noe annet" not in page
