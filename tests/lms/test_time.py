"""Times are stored in UTC and shown in Oslo time, right across daylight-saving changes."""
from datetime import date, datetime, timezone

import pytest
from flask_babel import force_locale

from lms.db import UTCDateTime
from lms.i18n import fmt_date, fmt_datetime, fmt_short, iso_week, week_label


@pytest.mark.parametrize("utc,shown", [
    # Summer time (UTC+2) until the last Sunday of October 2026 ...
    (datetime(2026, 10, 24, 12, 0, tzinfo=timezone.utc), "24.10.2026 14:00"),
    # ... winter time (UTC+1) after it.
    (datetime(2026, 10, 26, 13, 0, tzinfo=timezone.utc), "26.10.2026 14:00"),
    # Winter time before the last Sunday of March 2027, summer time after.
    (datetime(2027, 3, 27, 13, 0, tzinfo=timezone.utc), "27.03.2027 14:00"),
    (datetime(2027, 3, 29, 12, 0, tzinfo=timezone.utc), "29.03.2027 14:00"),
])
def test_oslo_time_across_dst(app, utc, shown):
    with app.test_request_context():
        assert fmt_short(utc) == shown


def test_norwegian_long_date_and_week(app):
    with app.test_request_context():
        value = datetime(2026, 10, 6, 12, 0, tzinfo=timezone.utc)
        assert fmt_datetime(value) == "tirsdag 6. oktober 2026 kl. 14:00"
        assert week_label(value) == "uke 41"


def test_nynorsk_long_date_and_week(app):
    with app.test_request_context(), force_locale("nn"):
        assert fmt_datetime(datetime(2026, 10, 13, 12, 0, tzinfo=timezone.utc)) == "tysdag 13. oktober 2026 kl. 14:00"
        assert week_label(datetime(2026, 10, 6, 12, 0, tzinfo=timezone.utc)) == "veke 41"
        assert fmt_date(date(2027, 3, 27)) == "27. mars 2027"
        assert fmt_short(datetime(2027, 3, 29, 12, 0, tzinfo=timezone.utc)) == "29.03.2027 14:00"


@pytest.mark.parametrize("day,nynorsk", [
    (date(2026, 10, 12), "måndag"), (date(2026, 10, 13), "tysdag"), (date(2026, 10, 14), "onsdag"),
    (date(2026, 10, 15), "torsdag"), (date(2026, 10, 16), "fredag"), (date(2026, 10, 17), "laurdag"),
    (date(2026, 10, 18), "søndag"),
])
def test_nynorsk_weekdays(app, day, nynorsk):
    at_noon = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc).replace(hour=10)
    with app.test_request_context(), force_locale("nn"):
        assert fmt_datetime(at_noon).split()[0] == nynorsk


def test_english_dates_when_english_is_chosen(app):
    with app.test_request_context(), force_locale("en"):
        assert fmt_datetime(datetime(2026, 10, 6, 12, 0, tzinfo=timezone.utc)).startswith("Tuesday")
        assert week_label(datetime(2026, 10, 6, 12, 0, tzinfo=timezone.utc)) == "week 41"


def test_iso_week_uses_oslo_date():
    # 23:30 UTC on Sunday 4 October is already Monday in Oslo: week 41, not 40.
    assert iso_week(datetime(2026, 10, 4, 23, 30, tzinfo=timezone.utc)) == 41
    assert iso_week(date(2027, 1, 1)) == 53


def test_utc_column_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), None)
