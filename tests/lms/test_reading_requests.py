"""Pages that only read: no cookie for a visitor who only reads, and no transaction on PostgreSQL."""
import re

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.db import WriteInReadingRequest, db, reads_only
from lms.people.models import User
from tests.conftest import NOW, PASSWORD


def test_a_visitor_who_only_reads_gets_no_cookie(make_app, make_offering):
    offering = make_offering("Digital dømmekraft", capacity=3)
    visitor = make_app(WTF_CSRF_ENABLED=True).test_client()
    for path in ("/", "/kurs", f"/kurs/{offering.id}", "/kurs?tema=Lesing", "/fyrtarn"):
        response = visitor.get(path)
        assert response.status_code == 200, path
        assert response.headers.getlist("Set-Cookie") == [], path
        # The language switch is there, without a token to keep.
        page = response.get_data(as_text=True)
        assert 'action="/sprak"' in page and 'name="csrf_token"' not in page[:page.index("</header>")]


def test_a_visitor_switches_language_without_a_token(make_app, make_offering):
    make_offering("Digital dømmekraft", capacity=3)
    visitor = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = visitor.post("/sprak", data={"lang": "nn", "next": "/kurs"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/kurs")
    assert '<html lang="nn"' in visitor.get("/kurs").get_data(as_text=True)


def test_a_signed_in_persons_switch_is_checked_and_a_forged_one_changes_nothing(make_app, make_user):
    person = make_user()
    person_id, email = person.id, person.email
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = client.get("/logg-inn").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/logg-inn", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    # Another site's form: no token.
    assert client.post("/sprak", data={"lang": "en", "next": "/"}).status_code == 400
    assert _locale(person_id) is None
    header = client.get("/mine-kurs").get_data(as_text=True)
    header = header[:header.index("</header>")]
    token = re.search(r'name="csrf_token" value="([^"]+)"', header).group(1)
    assert client.post("/sprak", data={"lang": "en", "next": "/", "csrf_token": token}).status_code == 302
    assert _locale(person_id) == "en"


def _locale(person_id: int) -> str | None:
    """The account's language as the database has it; the read ends at once (the other app writes next)."""
    db.session.rollback()
    try:
        return db.session.scalar(sa.select(User.locale).where(User.id == person_id))
    finally:
        db.session.rollback()


def test_the_switch_returns_each_page_to_itself_on_pages_of_one_kind(login, make_user, make_offering):
    first, second = make_offering("Første kurs"), make_offering("Andre kurs")
    client = login(make_user())
    for path in (f"/kurs/{first.id}", f"/kurs/{second.id}", f"/kurs/{first.id}?fra=epost&x=1", "/kurs",
                 "/kurs?tema=Lesing&side=2"):
        page = client.get(path).get_data(as_text=True)
        assert re.findall(r'name="next" value="([^"]*)"', page) == [path.replace("&", "&amp;")
                                                                     if "?" in path else path + "?"], path


def _app_with_a_writing_view(make_app, marked: bool):
    other = make_app()

    def writes():
        db.session.add(AuditEntry(at=NOW, actor_id=None, object_type="test", object_id=1, from_state=None,
                                  to_state="x", note="written on GET"))
        db.session.commit()
        return "ok"

    other.add_url_rule("/skriver", "skriver", reads_only(writes) if marked else writes, methods=["GET", "POST"])
    return other


def _written() -> int:
    db.session.rollback()
    try:
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.object_type == "test"))
    finally:
        db.session.rollback()


def test_a_page_marked_as_only_reading_that_writes_is_refused_on_postgresql(make_app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads in a transaction of its own; reads_only changes nothing there")
    client = _app_with_a_writing_view(make_app, marked=True).test_client()
    with pytest.raises(WriteInReadingRequest):
        client.get("/skriver")
    assert _written() == 0
    # The same view's POST is not a reading request: it writes as any other.
    assert client.post("/skriver").status_code == 200
    assert _written() == 1


def test_an_unmarked_page_that_writes_on_get_still_writes(make_app):
    client = _app_with_a_writing_view(make_app, marked=False).test_client()
    assert client.get("/skriver").status_code == 200
    assert _written() == 1


@pytest.mark.parametrize("path", ["/kurs", "/kurs?tema=Lesing", "/kurs/{offering}", "/kalender", "/nettverk"])
def test_the_pages_people_land_on_read_without_a_transaction_on_postgresql(login, make_user, make_offering, path):
    # Each statement of these pages is complete in itself: no BEGIN and ROLLBACK round trips around them.
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads in a transaction of its own; reads_only changes nothing there")
    path = path.format(offering=make_offering("Digital dømmekraft", capacity=3).id)
    client = login(make_user("Kari Nordmann"))
    db.session.remove()  # as at the end of a request: the page takes its connection from the pool
    seen = []
    listener = lambda conn, *args: seen.append(conn.connection.dbapi_connection.autocommit)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    assert seen and all(seen), seen
