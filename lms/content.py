"""The content directory: Markdown with front matter (information pages, the demo programme)."""
from __future__ import annotations

from pathlib import Path

import frontmatter
from flask import current_app

#: content/ beside the packages; a deployment installed elsewhere sets CONTENT_DIR.
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"


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
