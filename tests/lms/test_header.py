"""The page header is kept rendered per process: it must show who, what and where as they are now."""
import re


from lms.db import db
from lms.people.models import Membership, Role
from tests.conftest import PASSWORD


def header(client, path="/kurs") -> str:
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page[page.index('<header class="kp-header">'):page.index("</header>")]


def test_a_renamed_person_sees_the_new_name_at_once(login, make_user):
    kari = make_user("Kari Nordmann")
    client = login(kari)
    assert "Kari Nordmann" in header(client)
    kari.name = "Kari Nordmann Berg"
    db.session.commit()
    assert "Kari Nordmann Berg" in header(client)


def test_a_person_made_admin_gets_the_admin_menu_and_others_do_not(login, make_user):
    kari, ola = make_user(), make_user()
    kari_client, ola_client = login(kari), login(ola)
    assert "Innstillinger" not in header(kari_client)
    kari.memberships.append(Membership(role=Role.ADMIN, school=None))
    db.session.commit()
    assert "Innstillinger" in header(kari_client)
    assert "Innstillinger" not in header(ola_client)


def test_the_header_marks_the_page_and_the_language_it_is_in(client):
    assert 'aria-current="page">Kurskatalog' in header(client, "/kurs")
    assert 'aria-current="page">Kurskatalog' not in header(client, "/fyrtarn")
    assert 'value="/kurs?tema=Lesing"' in header(client, "/kurs?tema=Lesing")
    client.set_cookie("kp_lang", "nn")
    nn = header(client)
    assert 'value="nn" lang="nn" aria-pressed="true"' in nn and "Logg inn" in nn
    client.set_cookie("kp_lang", "en")
    assert "Sign in" in header(client)


def test_each_session_gets_its_own_csrf_token_in_the_kept_header(make_app, make_user):
    email = make_user().email  # read before the second app commits: this test then holds no transaction
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    phone, laptop = csrf_app.test_client(), csrf_app.test_client()

    def token(client, path="/kurs"):
        return re.search(r'name="csrf_token" value="([^"]+)"', header(client, path)).group(1)

    for client in (phone, laptop):
        # Not signed in, the header has no form with a token: the sign-in form has one.
        form = client.get("/logg-inn").get_data(as_text=True)
        form_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        assert client.post("/logg-inn", data={"email": email, "password": PASSWORD,
                                              "csrf_token": form_token}).status_code == 302
    tokens = [token(phone), token(laptop)]
    assert laptop.post("/logg-ut", data={"csrf_token": tokens[0]}).status_code == 400
    for client, mine in zip((phone, laptop), tokens):
        assert client.post("/logg-ut", data={"csrf_token": mine}).status_code == 302
