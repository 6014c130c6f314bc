"""The outbox worker against a real SMTP server on loopback, and the admin outbox page."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from flask_babel import gettext as _

from catalog.enrollment import operations as enrollment_ops
from lms.config import ConfigError, check_mail, from_environment
from lms.db import db, set_clock
from lms.mail import operations as mail
from lms.mail.models import OutboxMessage
from lms.mail.transport import ConsoleTransport, SmtpTransport, transport_from_config
from lms.people.models import Role, User
from tests.concurrency.live import free_port

HELLO = "test.hello"
INVITE = "test.invite"
BROKEN = "test.broken"
CALENDAR = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\n"
            b"BEGIN:VEVENT\r\nUID:s1@test\r\nDTSTAMP:20260901T080000Z\r\nDTSTART:20261001T120000Z\r\n"
            b"SUMMARY:Digital vurdering\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


class Inbox:
    """An SMTP handler that keeps what it accepted, and can refuse or hold a mail when told to."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        #: Recipient -> the reply that refuses them.
        self.refuse: dict[str, str] = {}
        #: Hold the n-th mail's DATA (counting every DATA, 1-based) until ``release`` is set, then answer 451.
        self.hold_at: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        #: Hold the first mail until this many connections have sent MAIL FROM.
        self.wait_for_peers = 0
        self.peers_seen = threading.Event()
        self._peers: set = set()
        self._data_count = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self._peers.add(session.peer)
        if self.wait_for_peers and len(self._peers) >= self.wait_for_peers:
            self.peers_seen.set()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self._data_count += 1
        loop = asyncio.get_running_loop()
        if self._data_count == 1 and self.wait_for_peers:
            await loop.run_in_executor(None, self.peers_seen.wait, 60)
        if self._data_count == self.hold_at:
            self.held.set()
            # Wait without blocking the server: other connections carry on meanwhile.
            await loop.run_in_executor(None, self.release.wait, 60)
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 2.0.0 OK"

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that a test can stop and start again on the same port."""

    def __init__(self, **smtp_parameters):
        self.inbox = Inbox()
        self.port = free_port()
        #: aiosmtpd's SMTP options: ``tls_context`` and ``require_starttls``, an ``authenticator``...
        self.smtp_parameters = smtp_parameters
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **self.smtp_parameters)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp(app, monkeypatch):
    """Start an SMTP server and point the app's mail settings at it."""
    server = SmtpServer()
    server.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_SECURITY": "none",
                       "SMTP_TIMEOUT": 10.0, "MAIL_FROM": "Kompetanseportalen <kurs@kommune.test>"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


def _render_hello(params: dict) -> mail.RenderedMail:
    if params.get("gone"):
        raise mail.MailObsolete("the course is gone")
    return mail.RenderedMail(subject=_("Ingen tilgang"),
                             text=f"{params['name']}\n\n{_('Du har ikke tilgang til denne siden.')}")


def _render_invite(params: dict) -> mail.RenderedMail:
    return mail.RenderedMail(subject="Invitasjon", text="Velkommen til kurset.", attachments=(
        mail.Attachment("invitasjon.ics", "text/calendar; method=REQUEST; charset=utf-8", CALENDAR),))


def _render_broken(params: dict) -> mail.RenderedMail:
    return mail.RenderedMail(subject=params["missing"], text="")


@pytest.fixture(autouse=True)
def _renderers(app):
    mail.register_renderer(app, HELLO, _render_hello)
    mail.register_renderer(app, INVITE, _render_invite)
    mail.register_renderer(app, BROKEN, _render_broken)


@pytest.fixture
def send(app):
    """Run ``flask mail send`` once in this process; return its output."""
    def run(*args: str) -> str:
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["mail", "send", *args])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        return result.output
    return run


def _outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))


def _plain_text(message: EmailMessage) -> str:
    """Return the text part with the wire's CRLF line ends as a mail program shows them."""
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


# --- delivery ---------------------------------------------------------------

def test_mail_arrives_once_in_the_recipients_language_with_a_plain_text_part(smtp, send, make_user, now):
    norwegian = make_user("Bjørn Ærlig", email="bjorn@skole.test")
    english = make_user("Emma English", email="emma@skole.test", locale="en")
    mail.queue_event(HELLO, norwegian, {"name": "Bjørn Ærlig"}, now)
    mail.queue_event(HELLO, english, {"name": "Emma English"}, now)

    output = send()

    assert "Sendt 2, feilet 0, venter 0." in output
    by_recipient = {m["To"]: m for m in smtp.inbox.messages}
    assert set(by_recipient) == {"bjorn@skole.test", "emma@skole.test"}
    assert by_recipient["bjorn@skole.test"]["Subject"] == "Ingen tilgang"
    assert _plain_text(by_recipient["bjorn@skole.test"]).startswith("Bjørn Ærlig\n\nDu har ikke tilgang")
    assert by_recipient["emma@skole.test"]["Subject"] == "Access denied"
    assert "You do not have access to this page." in _plain_text(by_recipient["emma@skole.test"])
    for received in smtp.inbox.messages:
        assert received.get_content_type() == "text/plain"
        assert received.get_content_charset() == "utf-8"
        assert received["From"] == "Kompetanseportalen <kurs@kommune.test>"
        assert received["Date"]
    # The outbox keeps what was sent, for the outbox page.
    sent = {m.recipient: m for m in _outbox()}
    assert sent["emma@skole.test"].subject == "Access denied"
    assert "You do not have access" in sent["emma@skole.test"].body_text
    assert all(m.sent_at == now for m in sent.values())

    assert "Sendt 0, feilet 0, venter 0." in send()
    assert len(smtp.inbox.messages) == 2


def test_message_id_is_stable_so_receivers_can_drop_a_repeat(smtp, send, make_user, now):
    message = mail.queue_event(HELLO, make_user(), {"name": "Kari"}, now)
    db.session.flush()
    expected = mail.message_id(message, "kurs@kommune.test")
    send()
    assert smtp.inbox.message_ids() == [expected]
    assert expected == f"<20260901080000.{message.id}.outbox@kommune.test>"


def _tree(part) -> tuple:
    """Return a MIME part's content types as nested tuples, with a calendar's method where it has one."""
    kind = part.get_content_type() + (f";method={part.get_param('method')}" if part.get_param("method") else "")
    if part.is_multipart():
        return (kind, *[_tree(p) for p in part.iter_parts()])
    return kind


def test_an_invitation_is_built_as_outlook_and_gmail_expect(smtp, send, make_user, now):
    """Issue 15, finding 4: the calendar beside the text in an alternative, and the same file attached."""
    mail.queue_event(INVITE, make_user(), {}, now)
    send()
    [received] = smtp.inbox.messages
    assert _tree(received) == ("multipart/mixed",
                               ("multipart/alternative", "text/plain", "text/calendar;method=REQUEST"),
                               "application/ics")
    assert _plain_text(received) == "Velkommen til kurset.\n"
    alternative = next(received.iter_parts())
    calendar = alternative.get_body(("calendar",)) or list(alternative.iter_parts())[1]
    assert calendar.get_param("charset") == "utf-8"
    assert calendar.get("Content-Disposition") is None  # shown inline, not a file
    assert calendar.get_payload(decode=True) == CALENDAR
    [attachment] = list(received.iter_attachments())
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invitasjon.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_payload(decode=True) == CALENDAR


def test_finished_mail_is_sent_as_it_was_queued(smtp, send, now):
    mail.queue("foresatt@example.no", "Påmelding til foreldreskolen", "Velkommen, æøå.", now)
    send()
    [received] = smtp.inbox.messages
    assert received["Subject"] == "Påmelding til foreldreskolen"
    assert _plain_text(received) == "Velkommen, æøå.\n"


def test_nothing_is_lost_while_the_mail_server_is_down(smtp, send, make_user, now):
    users = [make_user() for _ in range(5)]
    for user in users:
        mail.queue_event(HELLO, user, {"name": user.name}, now)
    smtp.stop()

    output = send()

    assert "E-posttjeneren svarer ikke" in output
    assert "Sendt 0, feilet 0, venter 5." in output
    first, *others = _outbox()
    # The first try failed and waits a minute; the others were not tried, so keep their turn.
    assert (first.attempts, first.next_attempt_at, first.failed_at) == (1, now + timedelta(minutes=1), None)
    assert first.last_error
    assert all(m.attempts == 0 and m.next_attempt_at is None for m in others)

    set_clock(now + timedelta(minutes=1))
    send()
    first = _outbox()[0]
    assert (first.attempts, first.next_attempt_at) == (2, now + timedelta(minutes=3))  # waits twice as long

    smtp.start()
    set_clock(now + timedelta(minutes=2))
    assert "Sendt 4, feilet 0, venter 1." in send()  # the first still waits for its turn
    set_clock(now + timedelta(minutes=3))
    assert "Sendt 1, feilet 0, venter 0." in send()
    set_clock(now + timedelta(hours=2))
    send()

    assert sorted(m["To"] for m in smtp.inbox.messages) == sorted(u.email for u in users)
    assert len(set(smtp.inbox.message_ids())) == 5
    assert all(m.sent_at is not None for m in _outbox())


def test_temporary_refusal_is_retried_without_holding_up_the_others(smtp, send, make_user, now):
    busy = make_user(email="full@skole.test")
    other = make_user()
    mail.queue_event(HELLO, busy, {"name": "Full"}, now)
    mail.queue_event(HELLO, other, {"name": "Ola"}, now)
    smtp.inbox.refuse["full@skole.test"] = "452 4.2.2 Mailbox full"

    assert "Sendt 1, feilet 0, venter 1." in send()
    refused = _outbox()[0]
    assert refused.last_error.startswith("452")
    for minutes in (1, 3, 7, 15, 31, 63):  # past max attempts: a temporary refusal is never given up
        set_clock(now + timedelta(minutes=minutes))
        send()
    refused = _outbox()[0]
    assert refused.failed_at is None and refused.attempts == 7
    assert refused.next_attempt_at == now + timedelta(minutes=63) + timedelta(hours=1)  # the backoff is capped

    del smtp.inbox.refuse["full@skole.test"]
    set_clock(now + timedelta(hours=3))
    send()
    assert sorted(m["To"] for m in smtp.inbox.messages) == sorted(["full@skole.test", other.email])


def test_permanent_refusal_fails_after_max_attempts_and_shows_on_the_outbox_page(
        app, smtp, send, make_user, admin, login, now, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    mail.queue_event(HELLO, make_user(email="finnes.ikke@skole.test"), {"name": "Ukjent"}, now)
    smtp.inbox.refuse["finnes.ikke@skole.test"] = "550 5.1.1 User unknown"

    send()
    set_clock(now + timedelta(minutes=1))
    send()
    assert _outbox()[0].failed_at is None
    set_clock(now + timedelta(minutes=3))
    assert "Sendt 0, feilet 1, venter 0." in send()
    set_clock(now + timedelta(days=1))
    send()

    [message] = _outbox()
    assert message.failed_at == now + timedelta(minutes=3) and message.attempts == 3
    assert message.last_error == "550 5.1.1 User unknown"
    assert smtp.inbox.messages == []
    page = login(admin).get("/admin/epost?status=failed").get_data(as_text=True)
    assert "finnes.ikke@skole.test" in page
    assert "Feilet" in page and "550 5.1.1 User unknown" in page


def test_obsolete_mail_is_given_up_at_once_and_explained(smtp, send, make_user, admin, login, now):
    message = mail.queue_event(HELLO, make_user(), {"gone": True}, now)
    db.session.flush()
    page = login(admin).get("/admin/epost").get_data(as_text=True)
    assert "det den gjaldt, finnes ikke lenger" in page

    assert "Sendt 0, feilet 1, venter 0." in send()
    message = db.session.get(OutboxMessage, message.id)
    assert message.failed_at == now and message.last_error == "Utdatert: the course is gone"
    assert smtp.inbox.messages == []


def test_a_mail_that_cannot_be_written_does_not_hold_up_the_others(app, smtp, send, make_user, now, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    mail.queue_event(BROKEN, make_user(), {}, now)
    mail.queue_event(HELLO, make_user(email="kari@skole.test"), {"name": "Kari"}, now)

    assert "Sendt 1, feilet 0, venter 1." in send()
    broken = _outbox()[0]
    assert broken.last_error == "KeyError: 'missing'" and broken.next_attempt_at == now + timedelta(minutes=1)
    set_clock(now + timedelta(minutes=1))
    assert "Sendt 0, feilet 1, venter 0." in send()
    assert [m["To"] for m in smtp.inbox.messages] == ["kari@skole.test"]


def test_a_stop_request_ends_the_batch_between_mails(app, smtp, make_user, now):
    for n in range(3):
        mail.queue_event(HELLO, make_user(), {"name": f"Kari {n}"}, now)
    db.session.commit()
    report = mail.send_pending(should_stop=lambda: len(smtp.inbox.messages) >= 1)
    assert report.sent == 1 and mail.waiting_count() == 2


# --- without a mail server --------------------------------------------------

def test_without_smtp_host_the_worker_prints_the_mail_and_marks_it_sent(app, send, make_user, now, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    mail.queue_event(INVITE, make_user(email="kari@skole.test"), {}, now)
    output = send()
    assert "To: kari@skole.test" in output and "Subject: Invitasjon" in output
    assert "Velkommen til kurset." in output
    assert "[Invitasjon: text/calendar; method=REQUEST]" in output
    assert "[Vedlegg: invitasjon.ics (application/ics" in output
    assert "Sendt 1, feilet 0, venter 0." in output
    assert _outbox()[0].sent_at == now


def test_production_refuses_to_print_mail_instead_of_sending_it(app, send, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code != 0 and "KP_SMTP_HOST" in result.output


def test_transport_follows_the_settings(app):
    assert isinstance(transport_from_config({"SMTP_HOST": ""}), ConsoleTransport)
    smtp = transport_from_config({**app.config, "SMTP_HOST": "smtp.kommune.no", "SMTP_PORT": 587,
                                  "SMTP_SECURITY": "starttls"})
    assert isinstance(smtp, SmtpTransport) and (smtp.host, smtp.port, smtp.security) == ("smtp.kommune.no", 587,
                                                                                         "starttls")


@pytest.mark.parametrize("port, security", [("25", "none"), ("587", "starttls"), ("465", "ssl")])
def test_smtp_security_defaults_to_the_ports_convention(monkeypatch, tmp_path, port, security):
    monkeypatch.setenv("KP_SMTP_PORT", port)
    monkeypatch.delenv("KP_SMTP_SECURITY", raising=False)
    assert from_environment(str(tmp_path))["SMTP_SECURITY"] == security


@pytest.mark.parametrize("env, complaint", [
    ({"KP_SMTP_SECURITY": "tls13"}, "KP_SMTP_SECURITY"),
    ({"KP_SMTP_HOST": "smtp.kommune.no", "KP_SMTP_USER": "portal", "KP_SMTP_SECURITY": "none"}, "KP_SMTP_USER"),
    ({"KP_MAIL_FROM": "noreply"}, "KP_MAIL_FROM"),
    ({"KP_SMTP_PORT": "tjuefem"}, "KP_SMTP_PORT"),
    ({"KP_SMTP_TIMEOUT": "0"}, "KP_SMTP_TIMEOUT"),
    ({"KP_MAIL_MAX_ATTEMPTS": "-1"}, "KP_MAIL_MAX_ATTEMPTS"),
])
def test_unusable_mail_settings_are_refused(monkeypatch, tmp_path, env, complaint):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=complaint):
        check_mail(from_environment(str(tmp_path)))


def test_backoff_doubles_from_a_minute_up_to_an_hour():
    assert [mail.backoff(n) for n in (1, 2, 3, 6, 7, 50)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 32, 60, 60)]


# --- queueing ---------------------------------------------------------------

def test_queueing_the_same_dedupe_key_twice_queues_one_mail(make_user, now):
    user = make_user()
    first = mail.queue_event(HELLO, user, {"name": "Kari"}, now, dedupe_key="reminder:1:1")
    assert first is not None
    assert mail.queue_event(HELLO, user, {"name": "Kari"}, now, dedupe_key="reminder:1:1") is None
    db.session.commit()
    assert mail.queue_event(HELLO, user, {"name": "Kari"}, now, dedupe_key="reminder:1:1") is None
    assert mail.queue_event(HELLO, user, {"name": "Kari"}, now, dedupe_key="reminder:1:2") is not None
    db.session.commit()
    assert [m.dedupe_key for m in _outbox()] == ["reminder:1:1", "reminder:1:2"]


def test_a_key_queued_by_another_transaction_meanwhile_is_not_queued_again(app, make_user, make_app, now,
                                                                             monkeypatch):
    user_id = make_user().id
    db.session.commit()
    # The other transaction commits the key after ours has looked: the unique index has the last word.
    other = make_app()
    with other.app_context():
        mail.queue_event(HELLO, db.session.get(User, user_id), {"name": "Kari"}, now, dedupe_key="reminder:race")
        db.session.commit()
    user = db.session.get(User, user_id)
    original_scalar = db.session.scalar

    def blind_check(stmt, *args, **kwargs):
        return None if "dedupe_key" in str(stmt) else original_scalar(stmt, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", blind_check)
    assert mail.queue_event(HELLO, user, {"name": "Kari"}, now, dedupe_key="reminder:race") is None
    monkeypatch.undo()
    mail.queue_event(HELLO, user, {"name": "Kari"}, now)  # the transaction itself carries on
    db.session.commit()
    assert len(_outbox()) == 2


# --- the outbox page --------------------------------------------------------

def test_outbox_page_is_for_programme_admins_only(client, make_user, login):
    teacher = make_user(roles=(Role.TEACHER,))
    leader = make_user(roles=(Role.LEADER,))
    for person in (teacher, leader):
        signed_in = login(person)
        assert signed_in.get("/admin/epost").status_code == 403
        assert signed_in.get("/admin/epost/1").status_code == 403
        assert signed_in.post("/admin/epost/1/send-igjen").status_code == 403
        assert "/admin/epost" not in signed_in.get("/").get_data(as_text=True)
    assert client.get("/admin/epost").status_code == 302  # to the sign-in page


def test_outbox_page_shows_queued_mail_newest_first_in_the_recipients_language(
        app, make_user, admin, login, now):
    mail.queue_event(HELLO, make_user(email="eldst@skole.test"), {"name": "Eldst"}, now)
    mail.queue_event(HELLO, make_user(email="emma@skole.test", locale="en"), {"name": "Emma"}, now)
    signed_in = login(admin)

    response = signed_in.get("/admin/epost")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/admin/epost"' in signed_in.get("/").get_data(as_text=True)  # in the menu
    assert page.index("emma@skole.test") < page.index("eldst@skole.test")
    assert 'lang="en">Access denied</a>' in page
    assert ">Ingen tilgang</a>" in page
    assert "Venter" in page
    assert "2 e-poster" in page


def test_outbox_page_filters_by_status_and_pages(app, smtp, send, make_user, admin, login, now, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for n in range(3):
        mail.queue_event(HELLO, make_user(email=f"sendt{n}@skole.test"), {"name": "Sendt"}, now)
    send()
    mail.queue_event(HELLO, make_user(email="venter@skole.test"), {"name": "Venter"}, now)
    signed_in = login(admin)

    waiting = signed_in.get("/admin/epost?status=pending").get_data(as_text=True)
    assert "venter@skole.test" in waiting and "sendt0@" not in waiting
    sent = signed_in.get("/admin/epost?status=sent").get_data(as_text=True)
    assert "Sendt" in sent and "01.09.2026 10:00" in sent  # Oslo time
    assert "sendt2@skole.test" in sent and "sendt0@skole.test" not in sent
    assert "Side 1 av 2" in sent
    second = signed_in.get("/admin/epost?status=sent&side=2").get_data(as_text=True)
    assert "sendt0@skole.test" in second
    assert signed_in.get("/admin/epost?status=tull&side=99").status_code == 200


def test_message_page_shows_the_text_and_offers_the_attachments(make_user, admin, login, now):
    hello = mail.queue_event(HELLO, make_user(), {"name": "Kari <b>Nordmann</b>"}, now)
    invite = mail.queue_event(INVITE, make_user(), {}, now)
    db.session.flush()
    signed_in = login(admin)

    page = signed_in.get(f"/admin/epost/{hello.id}").get_data(as_text=True)
    assert "Kari &lt;b&gt;Nordmann&lt;/b&gt;</p>" in page
    assert "Du har ikke tilgang til denne siden." in page
    page = signed_in.get(f"/admin/epost/{invite.id}").get_data(as_text=True)
    assert "invitasjon.ics" in page
    download = signed_in.get(f"/admin/epost/{invite.id}/vedlegg/1")
    assert download.status_code == 200 and download.data == CALENDAR
    assert download.headers["Content-Type"].startswith("text/calendar; method=REQUEST")
    assert "attachment" in download.headers["Content-Disposition"]
    assert signed_in.get(f"/admin/epost/{invite.id}/vedlegg/2").status_code == 404
    assert signed_in.get(f"/admin/epost/{hello.id}/vedlegg/1").status_code == 404
    assert signed_in.get("/admin/epost/999999").status_code == 404


def test_failed_mail_can_be_sent_again(app, smtp, send, make_user, admin, login, now, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 1)
    message = mail.queue_event(HELLO, make_user(email="flyttet@skole.test"), {"name": "Kari"}, now)
    db.session.flush()
    smtp.inbox.refuse["flyttet@skole.test"] = "550 5.1.1 User unknown"
    send()
    signed_in = login(admin)
    page = signed_in.get(f"/admin/epost/{message.id}").get_data(as_text=True)
    assert "Send på nytt" in page

    del smtp.inbox.refuse["flyttet@skole.test"]
    response = signed_in.post(f"/admin/epost/{message.id}/send-igjen", follow_redirects=True)
    assert "E-posten sendes på nytt." in response.get_data(as_text=True)
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message.id)
    assert (message.failed_at, message.attempts, message.next_attempt_at) == (None, 0, None)
    response = signed_in.post(f"/admin/epost/{message.id}/send-igjen", follow_redirects=True)
    assert "Bare e-post som har feilet, kan sendes på nytt." in response.get_data(as_text=True)

    send()
    assert [m["To"] for m in smtp.inbox.messages] == ["flyttet@skole.test"]


def test_retry_needs_a_csrf_token(app, make_user, admin, login, now, monkeypatch):
    message = mail.queue("a@skole.test", "Emne", "Tekst", now)
    message.failed_at = now
    signed_in = login(admin)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert signed_in.post(f"/admin/epost/{message.id}/send-igjen").status_code == 400


def test_mail_to_a_nynorsk_person_is_written_in_nynorsk_by_the_worker(smtp, send, make_offering, make_user, now):
    """Subject, text and the dates in them follow the recipient's language, nynorsk as much as bokmål."""
    offering = make_offering("Vurdering for læring", starts_in=timedelta(days=35), capacity=1)  # Tue 6 Oct 10:00
    nynorsk = make_user("Sigrid Nynorsk", email="sigrid@skule.test", locale="nn")
    waiting = make_user("Kari Venter", email="kari@skule.test", locale="nn")
    bokmal = make_user("Bjørn Bokmål", email="bjorn@skole.test")
    enrollment_ops.enroll(offering.id, nynorsk, actor=nynorsk, now=now)
    enrollment_ops.enroll(offering.id, waiting, actor=waiting, now=now)
    assert {m.locale for m in _outbox()} == {"nn"}
    other = make_offering("Lesing i alle fag", starts_in=timedelta(days=35))
    enrollment_ops.enroll(other.id, bokmal, actor=bokmal, now=now)
    send()
    later = now + timedelta(days=34)  # the day before: the reminders go out
    set_clock(later)
    enrollment_ops.queue_reminders(later)
    send()

    by_subject = {(m["To"], m["Subject"]): m for m in smtp.inbox.messages}
    assert set(by_subject) >= {
        ("sigrid@skule.test", "Påmeldt: Vurdering for læring"),
        ("kari@skule.test", "Venteliste: Vurdering for læring"),
        ("sigrid@skule.test", "Påminning: Vurdering for læring tysdag 6. oktober 2026 kl. 10:00"),
        ("bjorn@skole.test", "Påminnelse: Lesing i alle fag tirsdag 6. oktober 2026 kl. 10:00"),
    }
    waitlisted = _plain_text(by_subject[("kari@skule.test", "Venteliste: Vurdering for læring")])
    assert "Du står som nummer 1 på ventelista til «Vurdering for læring»." in waitlisted
    assert "Datoane ligg som førebelse i kalenderen din" in waitlisted
    reminder = _plain_text(by_subject[("sigrid@skule.test",
                                       "Påminning: Vurdering for læring tysdag 6. oktober 2026 kl. 10:00")])
    assert reminder.startswith("Hei Sigrid Nynorsk,\n\nVelkomen til «Vurdering for læring» tysdag 6. oktober")
    assert "- tysdag 6. oktober 2026 kl. 10:00–12:00, Rådhuset, sal 2" in reminder
    assert "Om tilbodet: http" in reminder and "Mine kurs: http" in reminder
    [invitation] = list(by_subject[("sigrid@skule.test", "Påmeldt: Vurdering for læring")].iter_attachments())
    assert invitation.get_content_type() == "application/ics"


def test_attachment_download_names_its_type_once_and_leaves_the_date_to_the_server(make_user, admin, login, now):
    """Issue 15, finding 9: no doubled charset, and no Date of its own beside the server's."""
    invite = mail.queue_event(INVITE, make_user(), {}, now)
    db.session.flush()
    download = login(admin).get(f"/admin/epost/{invite.id}/vedlegg/1")
    assert download.headers.getlist("Content-Type") == ["text/calendar; method=REQUEST; charset=utf-8"]
    assert download.headers.getlist("Date") == []
    assert download.headers["Content-Disposition"] == "attachment; filename=invitasjon.ics"
    assert download.data == CALENDAR


def test_a_sent_mails_attachment_is_what_was_sent_not_written_again(app, smtp, send, make_user, admin, login, now,
                                                                    monkeypatch):
    """Issue 15, finding 9: the outbox offers the .ics the recipient got, whatever the data says today."""
    invite = mail.queue_event(INVITE, make_user(), {}, now)
    db.session.commit()
    send()
    changed = CALENDAR.replace(b"Digital vurdering", b"Endret siden")
    monkeypatch.setitem(app.extensions["kp_mail_renderers"], INVITE, lambda params: mail.RenderedMail(
        subject="Invitasjon", text="Endret.", attachments=(
            mail.Attachment("invitasjon.ics", "text/calendar; method=REQUEST; charset=utf-8", changed),)))
    signed_in = login(admin)
    assert signed_in.get(f"/admin/epost/{invite.id}/vedlegg/1").data == CALENDAR
    [received] = smtp.inbox.messages
    assert list(received.iter_attachments())[0].get_payload(decode=True) == CALENDAR
    # Unsent mail is still written as it will be.
    waiting = mail.queue_event(INVITE, make_user(), {}, now)
    db.session.flush()
    assert signed_in.get(f"/admin/epost/{waiting.id}/vedlegg/1").data == changed
