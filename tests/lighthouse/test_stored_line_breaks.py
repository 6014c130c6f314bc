"""Text with line breaks and control characters already in the database (written before the fields refused it,
or by a CLI or an import) reaches every output whole: pages, feeds, .ics files, the mails the worker sends, exports.
"""
from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timezone

import icalendar
import pytest
from openpyxl import load_workbook

from catalog.enrollment import operations as enrollment_ops
from events import operations as feed_ops
from events.models import FeedScope
from lighthouse.bookings import operations as booking_ops
from lms.db import db
from lms.i18n import OSLO
from lms.mail import operations as mail
from lms.people.models import Role
from tests.lms.test_mail import SmtpServer

START = datetime.combine(date(2026, 9, 8), time(12), tzinfo=OSLO).astimezone(timezone.utc)
BROKEN = "Kurs\r\nmed\tlinjeskift\x0b"
WHOLE = "Kurs med linjeskift"


@pytest.fixture
def smtp(app, monkeypatch):
    server = SmtpServer()
    server.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_SECURITY": "none",
                       "SMTP_TIMEOUT": 10.0, "MAIL_FROM": "Kompetanseportalen <kurs@kommune.test>"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


def assert_calendar_whole(body: bytes, *summaries: str) -> icalendar.Calendar:
    """The body is a calendar whose every line is a property or a folded continuation, showing these titles."""
    text = body.decode().replace("\r\n ", "")  # unfold
    assert text.endswith("\r\n")
    for line in text.split("\r\n")[:-1]:
        assert re.match(r"[A-Z][A-Z0-9-]*[;:]", line) and ":" in line, repr(line)
        assert not any(ch in line for ch in "\n\r\t\x0b\x00"), repr(line)
    calendar = icalendar.Calendar.from_ical(body)
    found = {str(event["SUMMARY"]) for event in calendar.walk("VEVENT")}
    assert all(any(summary in title for title in found) for summary in summaries), found
    return calendar


def test_line_breaks_in_stored_titles_and_names_break_no_output(app, login, admin, make_offering, make_user,
                                                                make_school, make_profile, make_bookable,
                                                                make_window, smtp, now):
    school = make_school("Bekkestua skole")
    teacher = make_user("Tor Lærer", school=school)
    leader = make_user("Line Leder", roles=(Role.LEADER,), school=school)
    offering = make_offering()
    profile = make_profile("Frida Fyrtårn")
    bookable = make_bookable(profile)
    make_window(profile)
    # Written past the forms, as a CLI, an import or an older version could have.
    offering.title, offering.theme = BROKEN, "a\nb"
    offering.sessions[0].location = "Rådhuset\nsal 2"
    bookable.title = BROKEN
    school.name = "Bekkestua\r\nskole"
    teacher.name = "Tor\nLærer"
    db.session.flush()
    enrollment_ops.enroll(offering.id, teacher, actor=teacher, now=now)
    booking = booking_ops.request_booking(bookable.id, school.id, actor=leader, starts_at=START,
                                          participants_count=4, now=now, note="", participant_ids=[teacher.id])
    booking_ops.confirm_booking(booking, actor=profile.user, now=now, location="Personalrommet\r\n2. etasje")
    personal = feed_ops.issue_feed_token(FeedScope.PERSON, teacher.id, actor=teacher, now=now)
    school_feed = feed_ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=leader, now=now)
    db.session.commit()

    anyone = app.test_client()
    for url in (f"/kurs/{offering.id}/kalender.ics", f"/kurs/{offering.id}/okter/{offering.sessions[0].id}.ics",
                "/kurs/kalender.ics"):
        response = anyone.get(url)
        assert response.status_code == 200, url
        assert_calendar_whole(response.data, WHOLE)
    assert_calendar_whole(anyone.get("/kurs/kalender.ics?tema=a%0Ab").data)
    calendar = assert_calendar_whole(anyone.get(f"/kurs/{offering.id}/kalender.ics").data, WHOLE)
    assert str(calendar["X-WR-CALNAME"]) == WHOLE
    assert {str(e["LOCATION"]) for e in calendar.walk("VEVENT")} == {"Rådhuset sal 2"}
    assert_calendar_whole(anyone.get(f"/kalender/{personal}.ics").data, WHOLE)
    assert_calendar_whole(anyone.get(f"/kalender/{school_feed}.ics").data, WHOLE)
    lead = login(leader)
    response = lead.get(f"/bestillinger/{booking.id}.ics")
    assert response.status_code == 200
    assert_calendar_whole(response.data, WHOLE)
    assert lead.get(f"/bestillinger/{booking.id}").status_code == 200
    assert login(admin).get(f"/kurs/{offering.id}").status_code == 200

    staff = login(admin)
    csv_text = staff.get(f"/kurs/{offering.id}/deltakere.csv").get_data(as_text=True)
    assert len(csv_text.splitlines()) == 2 and "Tor Lærer;" in csv_text and "Bekkestua  skole" in csv_text
    sheet = load_workbook(io.BytesIO(staff.get(f"/kurs/{offering.id}/deltakere.xlsx").data)).active
    assert sheet["A2"].value == "Tor Lærer"

    queued = db.session.query(mail.OutboxMessage).count()
    assert queued >= 3  # the enrollment, the request, the confirmations
    report = mail.send_pending()
    assert (report.sent, report.failed, report.retrying) == (queued, 0, 0)
    for message in smtp.inbox.messages:
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                assert_calendar_whole(part.get_payload(decode=True), WHOLE)
    assert any(WHOLE in message["Subject"] for message in smtp.inbox.messages)
