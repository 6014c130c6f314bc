"""Markdown from users, rendered and sanitised."""
from __future__ import annotations

import threading
from functools import lru_cache
from html import unescape

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "blockquote", "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}


def render(text: str | None) -> Markup:
    """Return sanitised HTML for Markdown written by a user."""
    return Markup(_render(text or ""))


# Pages show the same few descriptions over and over; building a Markdown
# parser costs more than the rest of an offering page.
@lru_cache(maxsize=512)
def _render(text: str) -> str:
    html = _parser().reset().convert(text)
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


_local = threading.local()


def _parser() -> md.Markdown:
    """Return this thread's Markdown parser (building one costs more than using it)."""
    if not hasattr(_local, "parser"):
        _local.parser = md.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    return _local.parser


def plain_text(text: str | None) -> str:
    """Return the words of Markdown without any markup (for feeds and mail)."""
    return _plain_text(text or "")


@lru_cache(maxsize=512)
def _plain_text(text: str) -> str:
    # nh3 keeps entities (&amp;); plain text wants the characters themselves.
    return unescape(nh3.clean(_render(text), tags=set())).strip()
