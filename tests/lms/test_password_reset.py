"""«Glemt passord?»: a time-limited link by mail, used once, the same answer for every address."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from lms.auth.models import LoginSession, PasswordReset
from lms.auth.reset import LINK_LIFETIME, RESEND_AFTER
from lms.db import db, set_clock
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from tests.conftest import NOW, PASSWORD

NEW_PASSWORD = "blåbær-syltetøy-2026"


def page(response) -> str:
    return response.get_data(as_text=True)


def mails_to(email: str) -> list[OutboxMessage]:
    db.session.commit()  # end this test's transaction, so it sees what the requests committed
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == email)
                                   .order_by(OutboxMessage.id)))


def link_in(message: OutboxMessage) -> str:
    """Return the path of the mail's link (the mail names the platform's public address)."""
    return urlsplit(re.search(r"https?://\S+/nytt-passord/\S+", render(message).text).group(0)).path


def ask(client, email: str):
    return client.post("/glemt-passord", data={"email": email})


def test_the_sign_in_page_offers_it_and_its_fields_say_what_they_are_for(client):
    login = page(client.get("/logg-inn"))
    assert 'href="/glemt-passord">Glemt passord?</a>' in login
    assert 'autocomplete="username"' in login and 'autocomplete="current-password"' in login
    assert 'autocomplete="email"' in page(client.get("/glemt-passord"))


def test_a_known_and_an_unknown_address_get_the_same_answer_and_only_the_known_a_mail(client, make_user):
    kari = make_user("Kari Nordmann", email="kari@skole.test")
    db.session.commit()
    known, unknown = ask(client, "Kari@Skole.test "), ask(client, "ingen@skole.test")
    assert known.status_code == unknown.status_code == 200

    def answer(response, email):
        return page(response).split("<main")[1].replace(email, "ADDRESS")

    assert answer(known, "Kari@Skole.test ") == answer(unknown, "ingen@skole.test")
    [mail] = mails_to(kari.email)
    assert mails_to("ingen@skole.test") == []
    told = render(mail)
    assert told.subject == "Nytt passord til Kompetanseportalen" and "virker én gang" in told.text


def test_the_link_sets_a_new_password_once_and_signs_the_account_out_everywhere(app, client, login, make_user):
    kari = make_user(email="kari@skole.test")
    elsewhere = login(kari)
    ask(client, kari.email)
    path = link_in(mails_to(kari.email)[0])
    form = page(client.get(path))
    assert 'autocomplete="new-password"' in form
    done = client.post(path, data={"new": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"].endswith("/logg-inn")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)
                             .where(LoginSession.revoked_at.is_(None))) == 0
    assert elsewhere.get("/min-konto").status_code == 302
    assert client.post("/logg-inn", data={"email": kari.email, "password": PASSWORD}).status_code == 400
    assert client.post("/logg-inn", data={"email": kari.email, "password": NEW_PASSWORD}).status_code == 302
    again = app.test_client().get(path)
    assert again.status_code == 404 and "Lenken virker ikke lenger" in page(again)


def test_only_the_hash_of_the_token_is_kept(client, make_user):
    kari = make_user(email="kari@skole.test")
    db.session.commit()
    ask(client, kari.email)
    token = link_in(mails_to(kari.email)[0]).rsplit("/", 1)[1]
    db.session.commit()
    stored = db.session.execute(sa.select(PasswordReset.__table__)).all()
    assert len(stored) == 1 and token not in repr(stored) and len(token) >= 43  # 256 bits


@pytest.mark.parametrize("after, status", [(LINK_LIFETIME - timedelta(seconds=1), 200), (LINK_LIFETIME, 404)],
                         ids=["a-second-before", "at-the-hour"])
def test_a_link_works_for_an_hour(client, make_user, after, status):
    kari = make_user(email="kari@skole.test")
    db.session.commit()
    ask(client, kari.email)
    path = link_in(mails_to(kari.email)[0])
    set_clock(NOW + after)
    assert client.get(path).status_code == status
    assert client.post(path, data={"new": NEW_PASSWORD}).status_code == (303 if status == 200 else 404)


def test_a_newer_link_ends_the_older_and_asking_again_at_once_sends_nothing(client, make_user):
    kari = make_user(email="kari@skole.test")
    db.session.commit()
    ask(client, kari.email)
    ask(client, kari.email)
    assert len(mails_to(kari.email)) == 1
    set_clock(NOW + RESEND_AFTER + timedelta(seconds=1))
    ask(client, kari.email)
    first, second = (link_in(m) for m in mails_to(kari.email))
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_a_weak_password_is_refused_and_the_link_still_works(client, make_user):
    kari = make_user(email="kari@skole.test")
    db.session.commit()
    ask(client, kari.email)
    path = link_in(mails_to(kari.email)[0])
    weak = client.post(path, data={"new": "kort"})
    assert weak.status_code == 400 and "Passordet må ha minst 10 tegn." in page(weak)
    assert client.post(path, data={"new": NEW_PASSWORD}).status_code == 303


def test_a_deactivated_account_gets_no_link_and_a_made_up_one_is_404(client, make_user):
    gone = make_user(email="sluttet@skole.test", active=False)
    db.session.commit()
    assert ask(client, gone.email).status_code == 200
    assert mails_to(gone.email) == []
    assert client.get("/nytt-passord/" + "x" * 43).status_code == 404
    assert ask(client, "").status_code == 400


# --- found by mutation testing (tests/MUTANTS.md) ---------------------------------------------------------

def test_the_mail_says_word_for_word_until_when_the_link_works(client, make_user):
    kari = make_user(email="kari@skole.test")
    db.session.commit()
    ask(client, kari.email)
    told = render(mails_to(kari.email)[0])
    url = re.search(r"https?://\S+/nytt-passord/\S+", told.text).group(0)
    assert told.text == (
        "Noen (forhåpentligvis du) ba om å få sette nytt passord på kontoen din i Kompetanseportalen.\n\n"
        "Åpne lenken for å velge et nytt passord. Den virker én gang, fram til tirsdag 1. september 2026 kl. 11:00:\n"
        f"{url}\n\n"
        "Ba du ikke om dette, kan du se bort fra e-posten: passordet ditt er uendret.")


def test_each_person_gets_a_link_of_their_own_at_once_and_an_unknown_address_none(client, make_user):
    kari = make_user(email="kari@skole.test")
    per = make_user(email="per@skole.test")
    db.session.commit()
    ask(client, per.email)
    ask(client, kari.email)  # at once: Per's new link holds back only Per's next
    ask(client, "ingen@skole.test")
    [to_kari], [to_per] = mails_to(kari.email), mails_to(per.email)
    assert client.post(link_in(to_kari), data={"new": NEW_PASSWORD}).status_code == 303
    assert client.get(link_in(to_per)).status_code == 200  # Kari's new password ends her links only


def test_a_new_link_comes_at_once_after_the_last_was_used_and_exactly_two_minutes_after_the_last(client, make_user):
    kari = make_user(email="kari@skole.test")
    db.session.commit()
    ask(client, kari.email)
    assert client.post(link_in(mails_to(kari.email)[0]), data={"new": NEW_PASSWORD}).status_code == 303
    ask(client, kari.email)
    assert len(mails_to(kari.email)) == 2
    set_clock(NOW + RESEND_AFTER)
    ask(client, kari.email)
    assert len(mails_to(kari.email)) == 3
