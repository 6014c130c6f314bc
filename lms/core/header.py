"""The page header, rendered once per person, language and kind of page and kept per process.

The header (brand, language switch, account, main menu twice: wide and
folded) is the same on every page of one kind (endpoint) for one person in
one language, but for the address the language switch returns to, and
rendering it cost about as much as the rest of an offering's page. It is kept
rendered, keyed by everything else it prints: the person (id and name), the
language, the menu entries they see, the endpoint (the menu marks its page).
What differs per request is put in after rendering: the page's own address
and, for a signed-in person, the CSRF token of the two forms. A visitor who is
not signed in gets a language switch without a token (``core.set_language``
only sets this browser's cookie for them), so reading a page sets no cookie.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from lms.cache import CSRF_PLACEHOLDER, FragmentCache, with_csrf_token

header_cache = FragmentCache(maxsize=4096)
#: How long a header is kept unused; its key holds all it shows, so this only bounds memory.
HEADER_TTL = 3600
#: Stands where the page's own address goes in a kept header (the language switch comes back to it).
PATH_PLACEHOLDER = "\x00kp-page-path\x00"


def page_header(main_menu) -> Markup:
    """Return the header for this request, rendered once per person, language, menu and kind of page."""
    user = current_user if current_user.is_authenticated else None
    # The menu's labels are its entries' in the language of the key: the entries stand for them (translating
    # a dozen labels only to make the key cost a tenth of a signed-in page).
    key = (user.id if user else None, user.name if user else None, str(get_locale()),
           tuple(item.endpoint for item in main_menu), request.endpoint)
    kept = header_cache.get_or_make(key, HEADER_TTL, lambda: render_template(
        "core/_header.html", main_menu=main_menu, csrf_token=lambda: CSRF_PLACEHOLDER, next_path=PATH_PLACEHOLDER))
    return with_csrf_token(kept.replace(PATH_PLACEHOLDER, str(escape(request.full_path))))
