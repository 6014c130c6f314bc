"""Keys: the tool's own (made on first use, published at /lti/jwks, rotated with an overlap) and the platforms'.

All JOSE work (keys, JWKS, signing and checking) is joserfc's.
"""
from __future__ import annotations

import json
import logging
import secrets
import threading
from datetime import datetime, timedelta

import requests
import sqlalchemy as sa
from joserfc.jwk import KeySet, RSAKey

from lms.audit import operations as audit
from lms.db import db
from lms.lti.models import LtiPlatform, LtiToolKey

log = logging.getLogger(__name__)

#: How long a rotated key stays published by default, so platforms that cached our keyset still accept it.
ROTATION_OVERLAP = timedelta(days=7)
#: A platform's keyset is fetched again on an unknown key id, but not more often than this.
KEYSET_REFETCH_AFTER = timedelta(seconds=60)
KEYSET_TIMEOUT_SECONDS = 10


class KeysetUnavailable(Exception):
    """A platform's public keys could not be fetched or read."""


# --- the tool's keys ----------------------------------------------------------

def _new_key(now: datetime, actor_id: int | None = None) -> LtiToolKey:
    kid = f"kp-{now:%Y%m%d}-{secrets.token_hex(4)}"
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"}, private=True)
    row = LtiToolKey(kid=kid, private_jwk=json.dumps(key.as_dict(private=True)), created_at=now)
    db.session.add(row)
    db.session.flush()
    audit.record(object_type="lti_tool_key", object_id=row.id, from_state=None, to_state="created",
                 actor_id=actor_id, at=now, note=kid)
    return row


def _current_row(now: datetime) -> LtiToolKey:
    row = db.session.scalar(sa.select(LtiToolKey).where(LtiToolKey.retired_at.is_(None))
                            .order_by(LtiToolKey.created_at.desc(), LtiToolKey.id.desc()).limit(1))
    return row if row is not None else _new_key(now)


def signing_key(now: datetime) -> RSAKey:
    """Return the key the tool signs with now, making the first one if there is none."""
    return RSAKey.import_key(json.loads(_current_row(now).private_jwk))


def published_keyset(now: datetime) -> dict:
    """Return the tool's public keys as a JWKS: the signing key and rotated keys still in their overlap."""
    _current_row(now)
    rows = db.session.scalars(sa.select(LtiToolKey).where(
        sa.or_(LtiToolKey.retired_at.is_(None), LtiToolKey.published_until > now)).order_by(LtiToolKey.id))
    return {"keys": [RSAKey.import_key(json.loads(row.private_jwk)).as_dict(private=False) for row in rows]}


def rotate(now: datetime, overlap: timedelta = ROTATION_OVERLAP, actor=None) -> LtiToolKey:
    """Make a new signing key; the old ones stop signing at once and stay published for ``overlap``."""
    actor_id = actor.id if actor is not None else None
    for row in db.session.scalars(sa.select(LtiToolKey).where(LtiToolKey.retired_at.is_(None))):
        row.retired_at = now
        row.published_until = now + overlap
        audit.record(object_type="lti_tool_key", object_id=row.id, from_state="signing", to_state="retired",
                     actor_id=actor_id, at=now, note=f"{row.kid} published until {row.published_until.isoformat()}")
    return _new_key(now, actor_id)


def tool_keys(now: datetime) -> list[LtiToolKey]:
    """Return every tool key still published, newest first (for the admin page)."""
    return list(db.session.scalars(sa.select(LtiToolKey).where(
        sa.or_(LtiToolKey.retired_at.is_(None), LtiToolKey.published_until > now))
        .order_by(LtiToolKey.created_at.desc(), LtiToolKey.id.desc())))


# --- the platforms' keys ------------------------------------------------------

#: Parsed keysets by their JSON text, so a launch does not parse the same keyset again.
_parsed: dict[str, KeySet] = {}
_parsed_lock = threading.Lock()


def _parse(text: str) -> KeySet:
    with _parsed_lock:
        found = _parsed.get(text)
    if found is None:
        try:
            found = KeySet.import_key_set(json.loads(text))
        except (ValueError, TypeError, KeyError) as err:
            raise KeysetUnavailable(f"the keyset is not a JWKS: {err}") from err
        with _parsed_lock:
            if len(_parsed) > 100:
                _parsed.clear()
            _parsed[text] = found
    return found


def fetch_keyset(platform: LtiPlatform, now: datetime) -> KeySet:
    """Fetch the platform's keyset from its URL and keep it on the registration for every instance."""
    try:
        response = requests.get(platform.keyset_url, timeout=KEYSET_TIMEOUT_SECONDS,
                                headers={"Accept": "application/json"})
        response.raise_for_status()
        text = response.text
    except requests.RequestException as err:
        raise KeysetUnavailable(f"{platform.keyset_url}: {err}") from err
    keys = _parse(text)
    platform.keyset_json = text
    platform.keyset_fetched_at = now
    log.info("fetched the keyset of %s", platform.issuer)
    return keys


def platform_keyset(platform: LtiPlatform, now: datetime) -> KeySet:
    """Return the platform's keyset as kept, fetching it the first time."""
    if platform.keyset_json:
        return _parse(platform.keyset_json)
    return fetch_keyset(platform, now)


def may_refetch(platform: LtiPlatform, now: datetime) -> bool:
    """Tell whether an unknown key id may fetch the keyset again (not more than once a minute)."""
    return platform.keyset_fetched_at is None or now - platform.keyset_fetched_at >= KEYSET_REFETCH_AFTER
