"""Browser fixtures: the test app served live, headless Chromium, a signed-in page.

The live server runs the session ``app`` from ``tests/conftest.py`` in a
background thread, so it shares the test database and the frozen clock: what a
test creates and commits with ``db.session.commit()`` is what the browser sees.

SQLite serialises writers: a test must not keep a transaction open while the
browser posts a form, or the server waits for the lock. ``settle()`` ends the
test's transaction; call it after reading what the test needs from its objects.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lms.db import db
from tests.conftest import PASSWORD
from tests.missing import missing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
]
SHOTS = Path(os.environ.get("KP_SHOTS_DIR", "/tmp/kp-shots"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def settle() -> None:
    """End the test's open transaction so that the server can take SQLite's write lock."""
    db.session.commit()


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the test app on a free 127.0.0.1 port; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (Debian's, not Playwright's download); skipped (failed in CI) without it."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        missing(f"Chromium not found at {CHROMIUM}", "install Debian's chromium package")

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """Return a factory of pages at a viewport, optionally signed in through the login form.

    ``user`` is a User or an e-mail address; prefer addresses once the data is
    committed, since reading an expired attribute opens a transaction again.
    """
    contexts = []

    def make(user=None, *, viewport=DESKTOP, locale="nb-NO", javascript=True):
        """``locale`` is the browser's own language (its Accept-Language); ``javascript`` False turns scripts off."""
        email = user if user is None or isinstance(user, str) else user.email
        settle()
        context = browser.new_context(base_url=live_server, viewport=viewport, locale=locale,
                                      timezone_id="Europe/Oslo", reduced_motion="reduce",
                                      java_script_enabled=javascript)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if email is not None:
            page.goto("/logg-inn")
            page.fill("#email", email)
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.click("main button[type=submit]")
            # The next page must know the person: a LoginSession that was never committed would not.
            assert "/logg-inn" not in page.url and page.locator("form[action='/logg-ut']").count() >= 1, \
                f"sign-in as {email} through the form did not hold: {page.url}"
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """An anonymous desktop page."""
    return new_page()


@pytest.fixture
def shot():
    """Save a full-page screenshot to /tmp/kp-shots/<name>.png and return its path."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take
