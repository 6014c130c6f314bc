"""Forms of enrollment: signing up oneself or one's staff."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from lms.forms import coerce_id


class EnrollForm(FlaskForm):
    """Enroll oneself, or (for a leader) one of the school's staff."""

    person_id = SelectField(_l("Ansatt"), coerce=coerce_id, validate_choice=False, validators=[Optional()])
