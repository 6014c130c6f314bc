"""Information pages: Markdown with front matter from ``content/pages/``."""
