"""Forms of enrollment: signing up oneself or one's staff."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import Optional

from lms.forms import coerce_id


def _coerce_person(value) -> int | None:
    """Return the chosen person's id; the picker's empty first choice is nobody."""
    return None if value in ("", None) else coerce_id(value)


class EnrollForm(FlaskForm):
    """Enroll oneself, or (for a leader) one of the school's staff.

    The leader's picker starts on nobody: a leader who sends it unchosen is
    asked to choose, not enrolled. Who already has a place is shown, not
    offered again.
    """

    person_id = SelectField(_l("Ansatt"), coerce=_coerce_person, validate_choice=False, validators=[Optional()])

    def offer_staff(self, people, taken: dict[int, str]) -> None:
        """Fill the picker: nobody first, then the staff; those in ``taken`` (id: state label) cannot be chosen."""
        self.person_id.choices = [SelectChoice("", str(_l("Velg en ansatt")))] + [
            SelectChoice(p.id, f"{p.name} ({taken[p.id]})" if p.id in taken else p.name,
                         render_kw={"disabled": True} if p.id in taken else {})
            for p in people]

    def chose_nobody(self, form_data) -> bool:
        """Return whether the staff picker was sent without anyone chosen."""
        return "person_id" in form_data and self.person_id.data is None
