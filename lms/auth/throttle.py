"""Sign-in throttling: a growing delay after failed sign-ins, then a temporary lock, told to the account holder.

Failures are counted under keys (:class:`lms.auth.models.SignInThrottle`):
the account (the e-mail typed, whether or not anyone has it, so that the
answer does not tell which accounts exist) and the address the attempt came
from. After :data:`FREE_FAILURES` failures each further attempt must wait a
delay that doubles up to :data:`MAX_DELAY`; it is answered 429 without the
password being looked at. At :data:`ACCOUNT_LOCK_AFTER` failures the account
(at :data:`ADDRESS_LOCK_AFTER` the address) is locked for :data:`LOCK_TIME`,
and the account holder gets a mail.

Nobody can lock a known person out: a browser in which the person signed in
before carries a signed "known device" cookie, and its attempts for that
person are counted under that device alone, past the account's and the
address's locks; a correct sign-in from it clears the account's count too.

Every attempt is counted against its account (or known device) *before* the
password is checked, in a transaction of its own that holds the key's row,
so guesses sent in parallel cannot slip past the count; a correct sign-in
then removes that count. The address is checked before but counted only when
the attempt fails: a whole school signing in at once from one address must
not be slowed down by its own right passwords.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.auth.models import SignInThrottle
from lms.db import db
from lms.i18n import fmt_datetime
from lms.mail import operations as mail
from lms.people.models import User

#: Failed sign-ins under one account (or known device) that cost nothing; from the next one, each attempt waits.
FREE_FAILURES = 3
#: The same for one address, which a whole school may share.
ADDRESS_FREE_FAILURES = 10
#: The longest wait between two attempts before the lock.
MAX_DELAY = timedelta(seconds=30)
#: Failures under an account (or a known device) that lock it; under one address (a school's shared one too).
ACCOUNT_LOCK_AFTER, ADDRESS_LOCK_AFTER = 10, 50
#: How long a lock lasts; failures older than WINDOW are forgotten.
LOCK_TIME = timedelta(minutes=15)
WINDOW = timedelta(minutes=15)

LOCKED_MAIL = "lms.sign_in_locked"
#: The cookie that makes a browser a known device of the people who signed in with it.
DEVICE_COOKIE = "kp_device"
DEVICE_COOKIE_AGE = timedelta(days=365)
#: People remembered per device (a shared staff-room computer).
DEVICE_PEOPLE = 5
KEY_LENGTH = SignInThrottle.__table__.c.key.type.length


def delay_after(failures: int, free: int = FREE_FAILURES) -> timedelta:
    """Return how long the attempt after ``failures`` failures must wait, the first ``free`` costing nothing."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - free)), MAX_DELAY)


@dataclass(frozen=True)
class KnownDevice:
    """A browser's known-device cookie: its own id and the people who signed in with it."""

    device_id: str
    user_ids: tuple[int, ...] = ()


def _devices(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="kp-known-device")


def read_device(raw: str | None, secret_key: str) -> KnownDevice | None:
    """Return the known device a cookie value names, or None when it is missing, forged or too old."""
    if not raw:
        return None
    try:
        data = _devices(secret_key).loads(raw, max_age=int(DEVICE_COOKIE_AGE.total_seconds()))
        return KnownDevice(str(data["d"])[:64], tuple(int(u) for u in data["u"])[:DEVICE_PEOPLE])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def device_cookie(device: KnownDevice | None, user_id: int, secret_key: str) -> str:
    """Return the cookie value that remembers ``user_id`` (most recent first) on this device."""
    device_id = device.device_id if device else secrets.token_urlsafe(16)
    people = [user_id, *(u for u in (device.user_ids if device else ()) if u != user_id)][:DEVICE_PEOPLE]
    return _devices(secret_key).dumps({"d": device_id, "u": people})


@dataclass
class Attempt:
    """One sign-in attempt as counted: its keys, and why it must wait if it must."""

    #: Counted before the password is checked: the account, or the known device.
    keys: list[str]
    #: Checked before, counted only when the attempt fails: the address, which right sign-ins share.
    address_key: str | None
    account_key: str
    #: The person the device knows by this e-mail, when it does.
    known_user_id: int | None = None
    refusal: str = ""
    retry_after: int = 0
    #: Keys this attempt locked; a mail goes out when it then fails.
    locked: list[str] = field(default_factory=list)
    locked_until: datetime | None = None


def _key(kind: str, value: str) -> str:
    return f"{kind}:{value}"[:KEY_LENGTH]


def _rows(keys: list[str], now: datetime) -> list[SignInThrottle]:
    """Return the keys' rows, made where missing and locked for this transaction (in key order)."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for key in sorted(keys):
        db.session.execute(insert(SignInThrottle).values(key=key, failures=0, last_failed_at=now)
                           .on_conflict_do_nothing(index_elements=["key"]))
    rows = list(db.session.scalars(sa.select(SignInThrottle).where(SignInThrottle.key.in_(keys))
                                   .order_by(SignInThrottle.key).with_for_update()))
    for row in rows:
        if row.last_failed_at < now - WINDOW and (row.locked_until is None or row.locked_until <= now):
            row.failures, row.next_attempt_at, row.locked_until = 0, None, None
    return rows


def _is_address(key: str) -> bool:
    return key.startswith("address:")


def _count(rows: list[SignInThrottle], attempt: Attempt, now: datetime) -> None:
    for row in rows:
        address = _is_address(row.key)
        row.failures += 1
        row.last_failed_at = now
        row.next_attempt_at = now + delay_after(row.failures, ADDRESS_FREE_FAILURES if address else FREE_FAILURES)
        if row.failures >= (ADDRESS_LOCK_AFTER if address else ACCOUNT_LOCK_AFTER) and (
                row.locked_until is None or row.locked_until <= now):
            row.locked_until = now + LOCK_TIME
            attempt.locked.append(row.key)
            attempt.locked_until = row.locked_until
    db.session.flush()


def count_attempt(email: str, address: str, device: KnownDevice | None, now: datetime) -> Attempt:
    """Count a sign-in attempt before its password is checked; say why it must wait, if it must.

    The caller commits at once, so the count holds whatever the password
    check then finds.
    """
    email = email.strip().lower()
    account_key = _key("account", email)
    user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
    if device and user_id is not None and user_id in device.user_ids:
        attempt = Attempt([_key("device", f"{user_id}:{device.device_id}")], None, account_key, known_user_id=user_id)
    else:
        attempt = Attempt([account_key], _key("address", address or "unknown"), account_key)
    # Forget what is old, so that the table keeps only recent trouble.
    db.session.execute(sa.delete(SignInThrottle).where(
        SignInThrottle.last_failed_at < now - WINDOW - LOCK_TIME,
        sa.or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until < now)))
    rows = _rows(attempt.keys, now)
    if attempt.address_key:
        # Read, not made: a right sign-in leaves no trace of its address.
        rows += db.session.scalars(sa.select(SignInThrottle).where(SignInThrottle.key == attempt.address_key))
        for row in rows:
            if row.last_failed_at < now - WINDOW and (row.locked_until is None or row.locked_until <= now):
                row.failures, row.next_attempt_at, row.locked_until = 0, None, None
    waits = [(row.locked_until, True, row.key) for row in rows if row.locked_until and row.locked_until > now]
    waits += [(row.next_attempt_at, False, row.key) for row in rows
              if not (row.locked_until and row.locked_until > now) and row.next_attempt_at
              and row.next_attempt_at > now]
    if waits:
        until, locked, key = max(waits)
        attempt.retry_after = max(1, int((until - now).total_seconds() + 0.999))
        if not locked:
            attempt.refusal = ngettext("For mange mislykkede forsøk. Vent %(num)d sekund og prøv igjen.",
                                       "For mange mislykkede forsøk. Vent %(num)d sekunder og prøv igjen.",
                                       attempt.retry_after)
        elif _is_address(key):
            attempt.refusal = _("For mange mislykkede innlogginger fra denne adressen. Prøv igjen etter "
                                "%(time)s.", time=fmt_datetime(until))
        else:
            attempt.refusal = _("Innloggingen er sperret til %(time)s etter for mange feil passord. Du kan "
                                "fortsatt logge inn fra en nettleser du har logget inn med før.",
                                time=fmt_datetime(until))
        return attempt
    _count([row for row in rows if not _is_address(row.key)], attempt, now)
    return attempt


def attempt_failed(attempt: Attempt, now: datetime) -> None:
    """Count the failure against the address too, and tell the account holder if it locked their account."""
    if attempt.address_key:
        _count(_rows([attempt.address_key], now), attempt, now)
    if attempt.account_key not in attempt.locked:
        return
    user = db.session.scalar(sa.select(User).where(User.email == attempt.account_key.split(":", 1)[1]))
    if user is None or not user.active:
        return
    mail.queue_event(LOCKED_MAIL, user, {"until": attempt.locked_until.isoformat()}, now,
                     dedupe_key=f"{LOCKED_MAIL}:{user.id}:{attempt.locked_until:%Y%m%d%H%M%S}")


def attempt_succeeded(attempt: Attempt) -> None:
    """Forget the account's failures and those of the device the attempt came from.

    The address keeps its count: one right password must not wash away a
    spray of guesses at other accounts from there.
    """
    db.session.execute(sa.delete(SignInThrottle).where(SignInThrottle.key.in_([*attempt.keys, attempt.account_key])))


def render_locked(params: dict) -> mail.RenderedMail:
    """Write the mail that tells a person their sign-in is locked for a while."""
    until = datetime.fromisoformat(params["until"])
    return mail.RenderedMail(
        subject=_("Innloggingen din er midlertidig sperret"),
        text=_("Noen har prøvd å logge inn på kontoen din i Kompetanseportalen med feil passord mange ganger. "
               "Innlogging med passord er derfor sperret til %(time)s.\n\n"
               "Var det deg, kan du vente til da, eller logge inn fra en nettleser du har brukt før. "
               "Var det ikke deg, bør du bytte passord på «Min konto» når du er logget inn.",
               time=fmt_datetime(until)))


def init_app(app: Flask) -> None:
    mail.register_renderer(app, LOCKED_MAIL, render_locked)
