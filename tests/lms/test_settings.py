"""A programme admin changes the platform's settings; the rules follow at once."""
from datetime import timedelta

from catalog.enrollment import operations as ops
from catalog.enrollment.models import EnrollmentState
from lms.db import db
from lms.settings import operations as settings
from tests.conftest import nothing_changes


def test_admin_sees_every_setting_with_its_default(login, admin):
    page = login(admin).get("/admin/innstillinger").get_data(as_text=True)
    assert "Timer en tilbudt plass holdes" in page and "Standard: 48" in page
    assert "Skolestart (MM-DD)" in page


def test_changed_offer_hours_apply_to_the_next_offer(login, admin, make_offering, make_user, now):
    response = login(admin).post("/admin/innstillinger", data={"catalog.offer_hours": "24"})
    assert response.status_code == 303
    offering = make_offering(capacity=1)
    a, b = make_user(), make_user()
    first = ops.enroll(offering.id, a, actor=a, now=now)
    waiting = ops.enroll(offering.id, b, actor=b, now=now)
    ops.cancel_enrollment(first, actor=a, now=now)
    assert waiting.state == EnrollmentState.OFFERED
    assert waiting.offer_expires_at == now + timedelta(hours=24)


def test_bad_values_are_refused_in_norwegian_and_nothing_is_saved(login, admin):
    c = login(admin)
    with nothing_changes():
        response = c.post("/admin/innstillinger", data={"catalog.offer_hours": "-3", "onboarding.school_start": "13-40",
                                                         "catalog.new_hire_months": "6"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Verdien må være minst 0." in page and "Ugyldig verdi" in page
    assert 'value="-3"' in page and 'value="13-40"' in page  # what was typed stays
    db.session.expire_all()
    db.session.commit()
    assert settings.get("catalog.new_hire_months") == 12  # not half-saved


def test_only_programme_admins_may_change_settings(login, make_user):
    c = login(make_user())
    assert c.get("/admin/innstillinger").status_code == 403
    with nothing_changes():
        assert c.post("/admin/innstillinger", data={"catalog.offer_hours": "1"}).status_code == 403


def test_a_number_too_large_for_any_date_is_refused_not_stored(login, admin, make_offering, make_user, now):
    c = login(admin)
    with nothing_changes():
        response = c.post("/admin/innstillinger", data={"catalog.offer_hours": "9" * 20,
                                                         "lighthouse.cancel_hours": "9" * 5000})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Verdien kan være høyst 100000." in page and "Ugyldig verdi" in page
    assert settings.get("catalog.offer_hours") == 48
