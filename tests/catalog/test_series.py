"""A series: meetings of a forum or a network that each are joined on their own."""
from datetime import timedelta

from catalog.enrollment import operations as ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings import operations as offering_ops
from catalog.offerings.models import Offering, OfferingStatus
from lms.db import db


def test_the_organiser_makes_the_next_meeting_of_a_series_from_the_last(login, admin, make_offering):
    autumn = make_offering("Brukerforum for foresatte", capacity=300, theme="Skole-hjem-samarbeid")
    c = login(admin)
    response = c.post(f"/kurs/{autumn.id}/neste-i-serien")
    assert response.status_code == 303 and response.headers["Location"].endswith("/rediger")
    spring = db.session.scalars(db.select(Offering).where(Offering.id != autumn.id)).one()
    db.session.refresh(autumn)
    assert spring.status == OfferingStatus.DRAFT and spring.series_id == autumn.series_id is not None
    assert (spring.title, spring.capacity, spring.theme) == ("Brukerforum for foresatte", 300, "Skole-hjem-samarbeid")
    assert spring.sessions == []


def test_each_meeting_of_a_series_is_joined_on_its_own(login, admin, make_offering, make_user, now):
    autumn = make_offering("Nettverksmøte: Kildekritikk", starts_in=timedelta(days=10))
    spring = offering_ops.add_next_in_series(autumn, actor=admin, now=now)
    spring.title = "Nettverksmøte: Personvern"
    start = now + timedelta(days=150)
    offering_ops.add_session(spring, actor=admin, now=now, starts_at=start, ends_at=start + timedelta(hours=2))
    offering_ops.publish(spring, actor=admin, now=now)
    db.session.commit()
    teacher = make_user()
    after_autumn = autumn.first_starts_at + timedelta(days=1)
    assert ops.registration_problem(autumn, after_autumn) is not None
    assert ops.enroll(spring.id, teacher, actor=teacher, now=after_autumn).state == EnrollmentState.ENROLLED
    db.session.commit()
    page = login(teacher).get(f"/kurs/{autumn.id}").get_data(as_text=True)
    assert "Alle møtene i" in page and "Du melder deg på hvert møte for seg." in page
    assert f'href="/kurs/{spring.id}">Nettverksmøte: Personvern</a>' in page
    catalogue = login(teacher).get("/kurs").get_data(as_text=True)
    assert "meld deg på hvert for seg" in catalogue
