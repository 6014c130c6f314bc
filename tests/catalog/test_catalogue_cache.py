"""The catalogue's content (filter form, results, schemes, feed links) is kept rendered per question and language.

What it shows must still follow the question asked, the reader's language and
every change this instance makes.
"""
from flask import template_rendered

from catalog.offerings import operations as offering_ops


def catalogue(client, query: str = "") -> str:
    response = client.get(f"/kurs{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_question_keeps_its_own_answer_and_form(client, make_offering):
    make_offering("Kildekritikk i praksis", theme="Digitalt medborgerskap")
    make_offering("Vurdering med nettbrett", theme="Vurdering")
    everything = catalogue(client)
    assert "Kildekritikk i praksis" in everything and "Vurdering med nettbrett" in everything
    one_theme = catalogue(client, "?tema=Vurdering")
    assert "Vurdering med nettbrett" in one_theme and "Kildekritikk i praksis" not in one_theme
    assert '<option value="Vurdering" selected' in one_theme
    assert '<option value="Vurdering" selected' not in catalogue(client)
    misread = catalogue(client, "?uke=tirsdag")
    assert "Forstod ikke uka" in misread and 'value="tirsdag"' in misread
    assert "Forstod ikke uka" not in catalogue(client, "?uke=2026-W41")


def test_each_language_gets_its_own(client, make_offering):
    make_offering()
    assert "Alle temaer" in catalogue(client)
    client.set_cookie("kp_lang", "nn")
    nynorsk = catalogue(client)
    assert "Alle tema<" in nynorsk and "Alle temaer" not in nynorsk
    client.set_cookie("kp_lang", "en")
    assert "All topics" in catalogue(client)


def test_an_offering_published_here_is_listed_at_once_with_its_theme(client, admin, make_offering, now):
    catalogue(client)
    draft = make_offering("Robotikk på mellomtrinnet", theme="Programmering", publish=False)
    before = catalogue(client)
    assert "Robotikk på mellomtrinnet" not in before and '<option value="Programmering"' not in before
    offering_ops.publish(draft, actor=admin, now=now)
    after = catalogue(client)
    assert "Robotikk på mellomtrinnet" in after and '<option value="Programmering"' in after



def test_the_catalogue_is_kept_once_for_everyone_each_signed_in_reader_with_their_own_header(
        client, login_welcomed, make_user, make_offering):
    make_offering("Digital dømmekraft")
    readers = {name: login_welcomed(make_user(name)) for name in ("Eva Leser", "Ola Leser")}
    rendered = []

    def seen(_app, template=None, **_extra):
        rendered.append(template.name)
    template_rendered.connect(seen)
    try:
        pages = {name: reader.get("/kurs?ledige=1").get_data(as_text=True) for name, reader in readers.items()}
        visitor = client.get("/kurs?ledige=1").get_data(as_text=True)
    finally:
        template_rendered.disconnect(seen)
    assert rendered.count("catalog/offerings/index.html") == 1
    for name, html in pages.items():
        assert "Digital dømmekraft" in html and name in html[:html.index("<main")]
        assert all(other not in html for other in readers if other != name)
    assert "Digital dømmekraft" in visitor and "Logg inn" in visitor[:visitor.index("<main")]
    assert not any(name in visitor for name in readers)
