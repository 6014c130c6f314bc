"""Text that must stay on one line: what a control character is, and how text is made safe for a line.

Single-line fields refuse control characters on the way in
(:class:`lms.forms.LineField`); every writer of an edge where a line break
means something (an iCalendar property, a mail header, a spreadsheet cell)
passes text through :func:`one_line` on the way out, so that text stored
before the fields refused it, or written by a CLI or an import, cannot break
what it is written into.
"""
from __future__ import annotations

import re

#: C0 and C1 control characters (line breaks and tabs among them), DEL, and Unicode's line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: The same, but for text of several lines: a line break (LF) is kept.
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    """Tell whether ``text`` holds a line break, a tab or another control character."""
    return CONTROL_CHARACTERS.search(text) is not None


def one_line(text: str | None) -> str:
    """Return ``text`` on one line: every control character and run of spaces becomes one space, ends trimmed."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text or "").split())


def lines(text: str | None) -> str:
    """Return ``text`` with its line breaks as LF and every other control character gone."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROL_BUT_NEWLINE.sub("", text)
