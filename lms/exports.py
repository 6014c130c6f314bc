"""The one writer of every spreadsheet the platform hands out: CSV and XLSX.

Every export (participants, the fyrtårn overview, and any later one:
bookings, parents, plans, networks) builds its rows as plain Python values and
answers with :func:`csv_response` or :func:`xlsx_response`; it never formats a
cell by hand. The writer makes each text cell safe on the way out:

- a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a leading ``'``, so that Excel, LibreOffice and Google Sheets
  show it as text instead of running it as a formula (CSV injection);
- control characters and line breaks become a space, so that every row is one
  line and XLSX (whose XML refuses most control characters) can hold it;
- in XLSX, text is written as a string cell, never as a formula.

Numbers (``int``, ``float``) stay numbers: they cannot carry a formula.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from flask import Response

from lms.text import CONTROL_CHARACTERS

#: What makes a spreadsheet program read a cell as a formula (or hide where one starts).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | None


def safe_text(value: object) -> str:
    """Return ``value`` as spreadsheet text that no program runs as a formula and that stays on one line."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return CONTROL_CHARACTERS.sub(" ", text)


def safe_cell(value: object) -> Cell:
    """Return a number as it is and anything else as :func:`safe_text`."""
    if isinstance(value, bool):
        return safe_text(value)
    if isinstance(value, (int, float)):
        return value
    return safe_text(value)


def csv_body(rows: Iterable[Sequence[object]]) -> str:
    """Return the rows as CSV for Norwegian Excel: a BOM (for æøå) and semicolons."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return "\ufeff" + out.getvalue()


def xlsx_body(rows: Iterable[Sequence[object]], sheet_title: str) -> bytes:
    """Return the rows as an XLSX workbook of one sheet, text as string cells."""
    from openpyxl import Workbook  # here, not with the module: 5 MB a worker carries only once someone exports

    workbook = Workbook()
    sheet = workbook.active
    # A sheet title may not hold []:*?/\ and is at most 31 characters.
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", safe_text(sheet_title).lstrip("'"))[:31] or "Ark"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            value = safe_cell(value)
            cell.value = value
            if isinstance(value, str):
                # openpyxl reads a str starting with "=" as a formula; say that it is text whatever it holds.
                cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _attachment(filename: str) -> dict[str, str]:
    # Filenames are built by our code from ids and fixed words; keep them to safe characters anyway.
    name = re.sub(r"[^A-Za-z0-9._-]", "-", filename)
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def csv_response(rows: Iterable[Sequence[object]], filename: str) -> Response:
    """Answer with the rows as a CSV download named ``filename``."""
    return Response(csv_body(rows), mimetype=CSV_MIMETYPE, headers=_attachment(filename))


def xlsx_response(rows: Iterable[Sequence[object]], filename: str, sheet_title: str) -> Response:
    """Answer with the rows as an XLSX download named ``filename``."""
    return Response(xlsx_body(rows, sheet_title), mimetype=XLSX_MIMETYPE, headers=_attachment(filename))
