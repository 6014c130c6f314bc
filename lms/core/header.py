"""The page header, rendered once per person, language and page and kept per process.

The header (brand, language switch, account, main menu twice: wide and
folded) is the same on every view of a page by one person in one language,
and rendering it cost about as much as the rest of an offering's page. It is
kept rendered, keyed by everything it prints: the person (id and name), the
language, the menu entries they see, the page (endpoint and full path). The
one thing that differs per request, the CSRF token of its two forms, is put
in after rendering.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from lms.cache import CSRF_PLACEHOLDER, FragmentCache, with_csrf_token

header_cache = FragmentCache(maxsize=4096)
#: How long a header is kept unused; its key holds all it shows, so this only bounds memory.
HEADER_TTL = 3600


def page_header(main_menu) -> Markup:
    """Return the header for this request, rendered once per person, language, menu and page."""
    user = current_user if current_user.is_authenticated else None
    key = (user.id if user else None, user.name if user else None, str(get_locale()),
           tuple((item.endpoint, str(item.label)) for item in main_menu), request.endpoint, request.full_path)
    kept = header_cache.get_or_make(key, HEADER_TTL, lambda: render_template(
        "core/_header.html", main_menu=main_menu, csrf_token=lambda: CSRF_PLACEHOLDER))
    return with_csrf_token(kept)
