"""Feature plugins: found through entry points, and each one can be switched off."""
from __future__ import annotations

from lms import plugins
from tests.conftest import PASSWORD


def names(app) -> list[str]:
    return sorted(p.name for p in plugins.active(app))


def test_all_plugins_are_on_by_default(app, client):
    assert names(app) == ["catalog", "events", "lighthouse"]
    assert "offerings.index" in app.view_functions
    assert client.get("/kurs").status_code == 200
    assert "Kurskatalog" in client.get("/").get_data(as_text=True)


def test_without_the_catalogue_the_rest_keeps_working(make_app, admin):
    app = make_app(DISABLED_PLUGINS=["catalog"])
    assert names(app) == ["events"]  # lighthouse needs the catalogue, so it is left out too
    client = app.test_client()
    assert client.get("/kurs").status_code == 404
    front = client.get("/")
    assert front.status_code == 200 and "Kurskatalog" not in front.get_data(as_text=True)
    assert client.post("/logg-inn", data={"email": "admin@kommune.test", "password": PASSWORD}).status_code == 302
    for url in ("/", "/admin/skoler", "/admin/ansatte", "/admin/ansatte/ny", "/admin/ansatte/import"):
        assert client.get(url).status_code == 200, url


def test_switching_off_events_leaves_out_everything_built_on_it(make_app):
    app = make_app(DISABLED_PLUGINS=["events"])
    assert names(app) == []
    assert app.test_client().get("/").status_code == 200
    assert app.test_client().get("/healthz").status_code == 200
