"""Handing a finished mail to the mail server, or to the console in development.

The worker (:func:`lms.mail.operations.send_pending`) decides what to send
and what a failure means for the outbox; a transport only delivers, and
says which of two kinds a failure is: the server is unreachable (stop the
batch, try again later) or it refused this one mail.
"""
from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from typing import Mapping, Protocol, TextIO

from lms.config import ConfigError


class ServerUnavailable(Exception):
    """The mail server could not be reached or stopped talking: nothing more can be sent now."""


class MessageRefused(Exception):
    """The server refused this mail; ``permanent`` (5xx) when asking again is unlikely to help."""

    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.permanent = permanent


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver one mail or raise ServerUnavailable / MessageRefused."""

    def close(self) -> None:
        """Let go of any connection."""


def _describe(err: Exception) -> str:
    return f"{type(err).__name__}: {err}".rstrip(": ")


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}".strip()


class SmtpTransport:
    """One SMTP connection, opened at the first mail and reused for the rest of the batch."""

    def __init__(self, host: str, port: int, *, security: str = "none", user: str = "", password: str = "",
                 timeout: float = 30.0):
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.user:
                smtp.login(self.user, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Send over the batch's connection, sorting failures into unreachable and refused."""
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except (smtplib.SMTPException, OSError) as err:  # OSError: refused, reset, timed out, TLS
                raise ServerUnavailable(_describe(err)) from None
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPNotSupportedError as err:
            # An address in Unicode, and a server without SMTPUTF8: only this mail is affected.
            raise MessageRefused(str(err), permanent=True) from None
        except smtplib.SMTPRecipientsRefused as err:
            # One recipient per mail: every refusal is this mail's.
            raise self._refusal(*next(iter(err.recipients.values()))) from None
        except smtplib.SMTPDataError as err:
            raise self._refusal(err.smtp_code, err.smtp_error) from None
        except smtplib.SMTPSenderRefused as err:
            if err.smtp_code == 552:  # this mail is too large
                raise MessageRefused(_reply(err.smtp_code, err.smtp_error), permanent=True) from None
            # A refused sender is the settings' fault and the same for every mail: they wait.
            self._drop()
            raise ServerUnavailable(_reply(err.smtp_code, err.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as err:
            self._drop()
            raise ServerUnavailable(_describe(err)) from None

    def _refusal(self, code: int, text: bytes | str) -> Exception:
        if code == 421:  # the server is closing the connection: nothing more goes now
            self._drop()
            return ServerUnavailable(_reply(code, text))
        return MessageRefused(_reply(code, text), permanent=code >= 500)

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        """Say goodbye to the server if a connection is open."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the mail is already accepted; a rude goodbye changes nothing
            finally:
                self._drop()


class ConsoleTransport:
    """Print each mail readably instead of sending it (development without a mail server)."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout

    def send(self, message: EmailMessage) -> None:
        """Write the headers, the text and the attachments' names to the stream."""
        lines = ["=" * 72] + [f"{name}: {message[name]}" for name in ("From", "To", "Subject", "Date", "Message-ID")]
        body = message.get_body(("plain",))
        lines += ["", body.get_content().rstrip() if body is not None else ""]
        for part in message.walk():
            if part.get_content_type() == "text/calendar" and part.get_param("method"):
                lines.append(f"[Invitasjon: text/calendar; method={part.get_param('method')}]")
        for part in message.iter_attachments():
            lines.append(f"[Vedlegg: {part.get_filename()} ({part.get_content_type()}, "
                         f"{len(part.get_payload(decode=True) or b'')} byte)]")
        print("\n".join(lines), file=self.stream, flush=True)

    def close(self) -> None:
        """Nothing to close."""


def transport_from_config(config: Mapping) -> Transport:
    """Return the SMTP transport the settings describe, or the console without ``KP_SMTP_HOST``."""
    if not config.get("SMTP_HOST"):
        if config.get("ENV_NAME") == "production":
            # Printing would mark the mail sent while nobody receives it.
            raise ConfigError("KP_SMTP_HOST must be set in production: mail is only printed without it")
        return ConsoleTransport()
    return SmtpTransport(config["SMTP_HOST"], config["SMTP_PORT"], security=config["SMTP_SECURITY"],
                         user=config["SMTP_USER"], password=config["SMTP_PASSWORD"],
                         timeout=config["SMTP_TIMEOUT"])
