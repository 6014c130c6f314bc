"""Forms of the people admin: schools, people with their roles, the staff import."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from flask_wtf.i18n import translations
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, PasswordField, SelectChoice, SelectField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional

from lms.forms import LineField, coerce_id

from lms.i18n import LANGUAGE_NAMES
from lms.people.models import ROLE_LABELS, Role, School, User
from lms.people.operations import SCHOOL_ROLES, PersonData, SchoolData

#: The languages a person may have, each named in itself; "" is no choice made.
LANGUAGE_CHOICES = [SelectChoice("", _l("Ikke valgt (bokmål, eller nynorsk når nettleseren ber om det)")),
                    *(SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items())]
#: Rows for new roles shown under the existing ones.
BLANK_ROLE_ROWS = 1


class SchoolForm(FlaskForm):
    name = LineField(_l("Navn"), validators=[DataRequired(_l("Skriv inn skolens navn.")), Length(max=200)])
    org_number = LineField(_l("Organisasjonsnummer"),
                             validators=[DataRequired(_l("Skriv inn organisasjonsnummeret.")), Length(max=20)])
    district = LineField(_l("Område eller bydel"), validators=[Optional(), Length(max=120)])
    focus_areas = TextAreaField(_l("Satsingsområder"), validators=[Optional(), Length(max=5000)])

    @classmethod
    def initial(cls, school: School) -> dict:
        return {"name": school.name, "org_number": school.org_number, "district": school.district,
                "focus_areas": school.focus_areas_text}

    def school_data(self) -> SchoolData:
        return SchoolData(name=self.name.data, org_number=self.org_number.data, district=self.district.data or "",
                          focus_areas=(self.focus_areas.data or "").splitlines())


class MembershipForm(Form):
    """One row of the roles table: a role at a school. Schools are checked by the operation."""

    class Meta:
        def get_translations(self, form):
            return translations

    school_id = SelectField(_l("Skole"), coerce=coerce_id, default=0, validate_choice=False)
    role = SelectField(_l("Rolle"), default="", choices=[
        SelectChoice("", _l("Ingen rolle")), *(SelectChoice(r.value, ROLE_LABELS[r]) for r in SCHOOL_ROLES)])


class RoleRows(FieldList):
    """The rows of the roles table, whose errors read as sentences rather than one dict per row."""

    def validate(self, form, extra_validators=()):
        valid = super().validate(form, extra_validators)
        messages = []
        for row in self.errors:
            for field_messages in (row.values() if isinstance(row, dict) else [[row]]):
                messages.extend(m for m in field_messages if m not in messages)
        self.errors = messages
        return valid


class PersonForm(FlaskForm):
    name = LineField(_l("Navn"), validators=[DataRequired(_l("Skriv inn navnet.")), Length(max=200)])
    email = LineField(_l("E-postadresse"),
                        validators=[DataRequired(_l("Skriv inn e-postadressen.")), Length(max=254)])
    locale = SelectField(_l("Språk"), choices=LANGUAGE_CHOICES, default="")
    hire_date = DateField(_l("Ansatt dato"), format=["%Y-%m-%d", "%d.%m.%Y"], validators=[Optional()])
    is_digital_supervisor = BooleanField(_l("Digital veileder"))
    is_environment_teacher = BooleanField(_l("Miljølærer"))
    active = BooleanField(_l("Aktiv (kan logge inn)"), default=True)
    is_admin = BooleanField(_l("Programadministrator (alle skoler)"))
    password = PasswordField(_l("Passord"), validators=[Optional(), Length(max=200)])
    memberships = RoleRows(FormField(MembershipForm), _l("Roller ved skoler"), min_entries=1, max_entries=50)

    @classmethod
    def initial(cls, user: User | None, schools: list[School]) -> dict:
        """Return the form's data for ``user`` (None: a new person), with their roles at ``schools``."""
        school_ids = {s.id for s in schools}
        blank = {"school_id": schools[0].id if len(schools) == 1 else 0, "role": ""}
        if user is None:
            return {"memberships": [dict(blank, role=Role.TEACHER.value if len(schools) == 1 else "")]}
        rows = [{"school_id": m.school_id, "role": m.role.value}
                for m in user.memberships if m.school_id in school_ids]
        return {"name": user.name, "email": user.email, "locale": user.locale or "", "hire_date": user.hire_date,
                "is_digital_supervisor": user.is_digital_supervisor,
                "is_environment_teacher": user.is_environment_teacher, "active": user.active,
                "is_admin": user.is_admin, "memberships": rows + [blank] * BLANK_ROLE_ROWS}

    def set_schools(self, schools: list[School]) -> None:
        choices = [SelectChoice(0, _l("Velg skole"))] + [SelectChoice(s.id, s.name) for s in schools]
        for entry in self.memberships:
            entry.form.school_id.choices = choices

    def person_data(self) -> PersonData:
        wanted: set[tuple[Role, int | None]] = {
            (Role(row["role"]), row["school_id"] or None) for row in self.memberships.data if row["role"]
        }
        if self.is_admin.data:
            wanted.add((Role.ADMIN, None))
        return PersonData(name=self.name.data, email=self.email.data, locale=self.locale.data or None,
                          hire_date=self.hire_date.data, is_digital_supervisor=self.is_digital_supervisor.data,
                          is_environment_teacher=self.is_environment_teacher.data,
                          active=self.active.data, memberships=wanted, password=self.password.data or "")


class ImportForm(FlaskForm):
    file = FileField(_l("CSV-fil med ansatte"), validators=[FileRequired(_l("Velg en fil å importere."))])
    dry_run = BooleanField(_l("Bare vis hva som ville skjedd (lagrer ingenting)"))
