"""The content directory: Markdown with front matter (information pages, the demo programme)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import frontmatter
from flask import current_app

#: content/ beside the packages; a deployment installed elsewhere sets CONTENT_DIR.
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
#: Information pages: ``content/pages/<slug>.md``, served at ``/info/<slug>``.
PAGES_DIR = "pages"
PAGE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")


class DemoContentError(ValueError):
    """A demo content file that cannot be loaded; the message names the file and the problem."""


def content_dir() -> Path:
    """Return the content directory: ``CONTENT_DIR`` from the config, else ``content/`` in the repository."""
    configured = current_app.config.get("CONTENT_DIR")
    return Path(configured) if configured else DEFAULT_CONTENT_DIR


def read_front_matter(path: Path) -> frontmatter.Post:
    """Read a Markdown file with YAML front matter, naming the file in any error."""
    try:
        return frontmatter.load(path)
    except FileNotFoundError:
        raise DemoContentError(f"{path}: filen finnes ikke") from None
    except Exception as err:  # YAML errors come in several types
        raise DemoContentError(f"{path}: ugyldig front matter: {err}") from None


@dataclass(frozen=True)
class InfoPage:
    """An information page: a title, a one-line summary and a Markdown body in one language."""

    slug: str
    title: str
    summary: str
    body: str
    #: The language the page is written in (the municipality writes bokmål).
    lang: str = "nb"


def read_page(slug: str) -> InfoPage | None:
    """Return the information page ``content/pages/<slug>.md``, or None when there is none."""
    if not PAGE_SLUG.match(slug):
        return None
    path = content_dir() / PAGES_DIR / f"{slug}.md"
    if not path.is_file():
        return None
    post = read_front_matter(path)
    title = str(post.metadata.get("title", "")).strip()
    if not title:
        raise DemoContentError(f"{path}: mangler «title»")
    return InfoPage(slug=slug, title=title, summary=str(post.metadata.get("summary", "")).strip(),
                    body=post.content.strip(), lang=str(post.metadata.get("lang", "nb")).strip() or "nb")
