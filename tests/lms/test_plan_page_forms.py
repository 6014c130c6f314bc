"""The plan page's empty add forms are kept rendered per process: they must show what is true now."""
import re

import sqlalchemy as sa

from lms.db import db
from lms.people.models import Role
from lms.plans import operations as ops
from lms.plans.models import Milestone
from tests.conftest import PASSWORD


def milestone_form(client, plan) -> str:
    response = client.get(f"/utviklingsplan/{plan.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    start = page.index(f'action="/utviklingsplan/{plan.id}/milepael"')
    return page[start:page.index("</form>", start)]


def test_new_staff_and_a_renamed_milestone_show_in_the_milestone_form_at_once(login, leader, plan, make_user, school,
                                                                               now):
    client = login(leader)
    ops.add_milestone(plan, "Alle har nettbrett", leader.id, now.date(), "", [], actor=leader, now=now)
    db.session.commit()
    form = milestone_form(client, plan)
    assert "Rita Rektor" in form and "Alle har nettbrett" in form and "Nina Nyansatt" not in form
    make_user("Nina Nyansatt", school=school)
    db.session.execute(sa.update(Milestone).where(Milestone.plan_id == plan.id).values(what="Alle har PC"))
    db.session.commit()
    form = milestone_form(client, plan)
    assert "Nina Nyansatt" in form and "Alle har PC" in form and "Alle har nettbrett" not in form


def test_the_kept_add_forms_follow_the_language(login, leader, plan):
    client = login(leader)
    assert "Indikator (hva som måles)" in client.get(f"/utviklingsplan/{plan.id}").get_data(as_text=True)
    client.set_cookie("kp_lang", "en")
    page = client.get(f"/utviklingsplan/{plan.id}").get_data(as_text=True)
    assert "Indikator (hva som måles)" not in page and "Legg til mål" not in page


def test_each_session_gets_its_own_csrf_token_in_the_kept_add_forms(make_app, make_user, school, plan):
    email = make_user("Rune Rektor", roles=(Role.LEADER,), school=school).email
    plan_id = plan.id
    db.session.commit()
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    phone, laptop = csrf_app.test_client(), csrf_app.test_client()

    def goal_token(client) -> str:
        page = client.get(f"/utviklingsplan/{plan_id}").get_data(as_text=True)
        return re.search(r'name="mal4-csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    for client in (phone, laptop):
        sign_in = client.get("/logg-inn").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', sign_in).group(1)
        assert client.post("/logg-inn", data={"email": email, "password": PASSWORD,
                                              "csrf_token": token}).status_code == 302
    phone_token, laptop_token = goal_token(phone), goal_token(laptop)
    assert phone_token != laptop_token
    goal = {"mal4-indicator": "Andel lærere på kurs", "mal4-target": "80 % innen juni"}
    assert laptop.post(f"/utviklingsplan/{plan_id}/mal/4", data={**goal, "mal4-csrf_token": phone_token}
                       ).status_code == 400
    assert phone.post(f"/utviklingsplan/{plan_id}/mal/4", data={**goal, "mal4-csrf_token": phone_token}
                      ).status_code == 303
    assert "Andel lærere på kurs" in phone.get(f"/utviklingsplan/{plan_id}").get_data(as_text=True)
