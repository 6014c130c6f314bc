"""Addresses that leave the site (in calendar feeds, `.ics` files and mail), and ones that must not.

A feed or a mail is read outside the page that made it, so its links are
absolute and start with the deployment's public address (``KP_BASE_URL``),
whether they are built in a request or in the mail worker. A page to go
back to after a form (``next``) is a path on this site, never another's.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values) -> str:
    """Return the public address of ``endpoint`` with ``values``."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


#: An id no row has, put in an address once and replaced by each row's own id (see :func:`addresses_of`).
_MARKER = 987654321987


def addresses_of(endpoint: str, id_name: str, **values):
    """Return a function giving ``url_for(endpoint, **values, id_name=id)`` for any id, the address built once.

    For pages that link every row of a long list (3,000 schools' plans, a plan's 40 measures): building an
    address is a route lookup, which costs more than the rest of a row.
    """
    address = url_for(endpoint, **values, **{id_name: _MARKER})
    marker = str(_MARKER)
    return lambda row_id: address.replace(marker, str(row_id))


def public_host() -> str:
    """Return the host name of the public address (for UIDs and Message-IDs)."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def same_site_path(target: str | None) -> str:
    """Return ``target`` if it is a path on this site, else the front page's path."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("core.index")
