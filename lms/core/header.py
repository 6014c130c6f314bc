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

A page whose body is the same for everyone who may see it can be kept whole,
layout and header included (:func:`kept_page`): keyed by what its body shows
and by the header's key, with the same two things put in per request. A
page with a message to show once (a flash) is rendered anew.
"""
from __future__ import annotations

from typing import Callable, Hashable, Mapping

from flask import current_app, g, render_template, request, session
from flask.globals import _cv_request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from lms import plugins
from lms.cache import CSRF_PLACEHOLDER, FragmentCache, keeping_whole_page, with_csrf_token, without_csrf_token

header_cache = FragmentCache(maxsize=4096, max_chars=2_000_000)
#: How long a header is kept unused; its key holds all it shows, so this only bounds memory.
HEADER_TTL = 3600
#: Stands where the page's own address goes in a kept header (the language switch comes back to it).
PATH_PLACEHOLDER = "\x00kp-page-path\x00"


def main_menu() -> list:
    """Return the main menu entries this request's person (or a visitor) sees, worked out once per request.

    Kept on the request's own context, not on ``g``, which a test's
    application context shares between requests.
    """
    user = current_user if current_user.is_authenticated else None
    request_ctx = _cv_request.get(None)
    kept = getattr(request_ctx, "kp_main_menu", None)
    if kept is not None and kept[0] == (user.id if user else None):
        return kept[1]
    app = current_app._get_current_object()
    items = [item for plugin in plugins.active(app) for item in plugin.menu] + list(app.extensions["kp_host_menu"])
    menu = sorted((i for i in items if i.visible(user)), key=lambda i: i.order)
    if request_ctx is not None:
        request_ctx.kp_main_menu = (user.id if user else None, menu)
    return menu


def _header_key(menu) -> tuple:
    user = current_user if current_user.is_authenticated else None
    # The menu's labels are its entries' in the language of the key: the entries stand for them (translating
    # a dozen labels only to make the key cost a tenth of a signed-in page).
    return (user.id if user else None, user.name if user else None, str(get_locale()),
            tuple(item.endpoint for item in menu), request.endpoint)


def _with_request_parts(kept: str) -> Markup:
    """Return a kept header or page with this request's address and CSRF token put in."""
    return with_csrf_token(kept.replace(PATH_PLACEHOLDER, str(escape(request.full_path))))


#: Stands where the header goes in a page kept for every reader (``kept_page(header_apart=True)``).
HEADER_PLACEHOLDER = "\x00kp-page-header\x00"


def page_header(menu) -> Markup:
    """Return the header for this request, rendered once per person, language, menu and kind of page."""
    if getattr(_cv_request.get(None), "kp_header_apart", False):
        return Markup(HEADER_PLACEHOLDER)  # the page is kept for every reader: each gets their own put in
    kept = header_cache.get_or_make(_header_key(menu), HEADER_TTL, lambda: render_template(
        "core/_header.html", main_menu=menu, csrf_token=lambda: CSRF_PLACEHOLDER, next_path=PATH_PLACEHOLDER))
    if keeping_whole_page():
        return Markup(kept)  # the page it is part of is kept whole, with the placeholders in
    return _with_request_parts(kept)


def kept_page(cache: FragmentCache, key: Hashable, ttl: float, template: str, *,
              own: Mapping[str, Callable[[], str]] | None = None,
              context_of: Callable[[], Mapping] | None = None, header_apart: bool = False, **context) -> Markup:
    """Return ``template``, a page of the layout, rendered once per ``key`` and header and kept in ``cache``.

    ``key`` must hold everything the page shows apart from the layout (whose
    person, language, menu and kind of page are added here) and the parts in
    ``own``: the rows its body is made from and what differs between those who
    may see it. Per request only the page's address, the CSRF token and the
    reader's own parts are put in: ``own`` maps a name the template prints to
    what renders that part for this request (a person's enroll box, say). A
    page with a flashed message is rendered as it is, once. ``context_of``,
    where given, makes the rest of the template's context, only when the page
    is rendered (a page whose key is not made of its rows: the plan page).
    With ``header_apart`` the page is kept once for every reader in one
    language (nothing but the header may differ between them then: the
    offering page of those who do not manage it), and each reader's own
    header, kept per person, is put in per request.
    """
    own = own or {}

    def full_context() -> dict:
        return {**context, **(context_of() if context_of is not None else {})}
    if session.get("_flashes"):
        return Markup(render_template(template, **full_context(),
                                      **{name: Markup(make()) for name, make in own.items()}))
    places = {name: f"\x00kp-own-{name}\x00" for name in own}
    layout = ("every reader", str(get_locale())) if header_apart else _header_key(main_menu())
    page = _with_request_parts(cache.get_or_make(
        (key, template, tuple(own), layout), ttl,
        lambda: _render_whole(template, {**full_context(), **{name: Markup(place) for name, place in places.items()}},
                              header_apart)))
    if header_apart:
        page = Markup(str(page).replace(HEADER_PLACEHOLDER, str(page_header(main_menu())), 1))
    for name, place in places.items():
        page = Markup(str(page).replace(place, str(own[name]())))
    return page


def _render_whole(template: str, context: dict, header_apart: bool = False) -> str:
    request_ctx = _cv_request.get()
    request_ctx.kp_keeping_page = True
    request_ctx.kp_header_apart = header_apart
    try:
        html = render_template(template, **context)
    finally:
        request_ctx.kp_keeping_page = False
        request_ctx.kp_header_apart = False
    # A form rendered into the page as it was made carries this session's token: it is kept as the placeholder.
    return without_csrf_token(html) if current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g else html
