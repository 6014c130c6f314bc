"""Loading the demo schools and people from ``content/demo/``.

``schools.md`` and ``people.md`` carry their data in YAML front matter; the
Markdown below it is for the people who edit them. Schools are matched by
organisation number and people by e-mail, so loading twice changes nothing
and a corrected file updates what is already there. Every demo account shares
the one password that ``people.md`` documents.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.auth.operations import MIN_PASSWORD_LENGTH, hash_password
from lms.db import db
from lms.i18n import LANGUAGE_NAMES, OSLO
from lms.content import DemoContentError, content_dir, read_front_matter
from lms.people.models import Membership, Role, School, User
from lms.people.operations import PeopleError, SchoolData, normalise_org_number
from lms.schoolyear import school_year_of

def valid_org_number(number: str) -> bool:
    """Return whether a Norwegian organisation number is nine digits with a correct check digit."""
    try:
        return normalise_org_number(number) == number
    except PeopleError:
        return False


def _school_year(now: datetime) -> int:
    return school_year_of(now.astimezone(OSLO).date())


def school_year_date(spec: dict, school_year: int, where: str) -> date:
    """Turn ``{month, day, years_before}`` into a date of the school year starting in August ``school_year``."""
    try:
        month, day = int(spec["month"]), int(spec["day"])
        years_before = int(spec.get("years_before", 0))
        year = (school_year if month >= 8 else school_year + 1) - years_before
        return date(year, month, day)
    except (KeyError, TypeError, ValueError) as err:
        raise DemoContentError(f"{where}: ugyldig dato {spec!r} ({err})") from None


# --- the files --------------------------------------------------------------------

@dataclass
class DemoPerson:
    email: str
    name: str
    roles: list[Role]
    school: str | None = None
    hire_date: dict | None = None
    digital_supervisor: bool = False
    #: The language the person has chosen (nb, nn, en); None leaves it to them.
    locale: str | None = None
    note: str = ""


@dataclass
class DemoPeople:
    password: str
    schools: list[SchoolData]
    people: list[DemoPerson]

    @property
    def admin_email(self) -> str:
        return next(p.email for p in self.people if Role.ADMIN in p.roles)


def read_demo_people() -> DemoPeople:
    """Read and check ``content/demo/schools.md`` and ``people.md``."""
    directory = content_dir() / "demo"
    schools_path, people_path = directory / "schools.md", directory / "people.md"
    schools = []
    for i, row in enumerate(read_front_matter(schools_path).metadata.get("schools") or []):
        where = f"{schools_path}: skole {i + 1}"
        try:
            school = SchoolData(name=str(row["name"]).strip(), org_number=str(row["org_number"]).strip(),
                                district=str(row.get("district", "")).strip(),
                                focus_areas=[str(a).strip() for a in row.get("focus_areas") or []])
        except (KeyError, TypeError) as err:
            raise DemoContentError(f"{where}: mangler {err}") from None
        if not valid_org_number(school.org_number):
            raise DemoContentError(f"{where}: {school.org_number} er ikke et gyldig organisasjonsnummer")
        schools.append(school)
    if len({s.name for s in schools}) != len(schools) or len({s.org_number for s in schools}) != len(schools):
        raise DemoContentError(f"{schools_path}: to skoler har samme navn eller organisasjonsnummer")

    meta = read_front_matter(people_path).metadata
    password = str(meta.get("password", ""))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DemoContentError(f"{people_path}: demopassordet må ha minst {MIN_PASSWORD_LENGTH} tegn")
    names = {s.name for s in schools}
    people = []
    for i, row in enumerate(meta.get("people") or []):
        where = f"{people_path}: person {i + 1}"
        try:
            person = DemoPerson(email=str(row["email"]).strip().lower(), name=str(row["name"]).strip(),
                                roles=[Role(r) for r in row["roles"]], school=row.get("school"),
                                hire_date=row.get("hire_date"),
                                digital_supervisor=bool(row.get("digital_supervisor", False)),
                                locale=str(row["locale"]) if row.get("locale") else None, note=str(row.get("note", "")))
        except (KeyError, TypeError, ValueError) as err:
            raise DemoContentError(f"{where}: {err}") from None
        if person.locale is not None and person.locale not in LANGUAGE_NAMES:
            raise DemoContentError(f"{where}: ukjent språk {person.locale!r} (bruk nb, nn eller en)")
        if any(r != Role.ADMIN for r in person.roles) and person.school not in names:
            raise DemoContentError(f"{where}: skolen {person.school!r} står ikke i {schools_path.name}")
        people.append(person)
    if len({p.email for p in people}) != len(people):
        raise DemoContentError(f"{people_path}: to personer har samme e-postadresse")
    if not any(Role.ADMIN in p.roles for p in people):
        raise DemoContentError(f"{people_path}: mangler en programadministrator")
    return DemoPeople(password=password, schools=schools, people=people)


# --- loading ------------------------------------------------------------------------

@dataclass
class PeopleSummary:
    school_year: int
    schools_created: int = 0
    schools_updated: int = 0
    schools_total: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_total: int = 0


def _set(obj, **values) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def load_people(now: datetime) -> PeopleSummary:
    """Create or update the demo schools and people; running it twice changes nothing.

    A person's name, hire date and flags follow the file; missing roles are
    added but none are taken away, and a password is only set where none is.
    """
    demo = read_demo_people()
    school_year = _school_year(now)
    summary = PeopleSummary(school_year=school_year, schools_total=len(demo.schools), people_total=len(demo.people))

    by_name: dict[str, School] = {}
    for row in demo.schools:
        school = db.session.scalar(sa.select(School).where(School.org_number == row.org_number))
        values = dict(name=row.name, district=row.district, focus_areas_text="\n".join(row.focus_areas))
        if school is None:
            school = School(org_number=row.org_number, **values)
            db.session.add(school)
            summary.schools_created += 1
        elif _set(school, **values):
            summary.schools_updated += 1
        by_name[row.name] = school
    db.session.flush()

    password_hash = None  # scrypt is slow on purpose: hash once, only if someone needs it
    for row in demo.people:
        hire_date = (school_year_date(row.hire_date, school_year, f"people.md: {row.email}")
                     if row.hire_date else None)
        user = db.session.scalar(sa.select(User).where(User.email == row.email))
        values = dict(name=row.name, hire_date=hire_date, is_digital_supervisor=row.digital_supervisor)
        if row.locale is not None:  # otherwise the person's own choice stays
            values["locale"] = row.locale
        changed = False
        if user is None:
            user = User(email=row.email, created_at=now, **values)
            db.session.add(user)
            summary.people_created += 1
        else:
            changed = _set(user, **values)
        if not user.password_hash:
            password_hash = password_hash or hash_password(demo.password)
            user.password_hash = password_hash
            changed = True
        have = {(m.school_id, m.role) for m in user.memberships}
        for role in row.roles:
            school = None if role == Role.ADMIN else by_name[row.school]
            if (school.id if school else None, role) not in have:
                user.memberships.append(Membership(role=role, school=school))
                changed = True
        if changed and user.id is not None:
            summary.people_updated += 1
    db.session.flush()
    return summary


def demo_admin() -> User:
    """Return the demo programme admin, who owns the demo programme."""
    email = read_demo_people().admin_email
    admin = db.session.scalar(sa.select(User).where(User.email == email))
    if admin is None or not admin.is_admin:
        raise DemoContentError(f"Programadministratoren {email} er ikke lastet: last demopersonene først.")
    return admin


@dataclass
class DemoAccount:
    email: str
    name: str
    roles: str
    school: str
    password: str
    loaded: bool


def demo_accounts() -> list[DemoAccount]:
    """Return the demo accounts as the files describe them, and whether each is in the database."""
    demo = read_demo_people()
    emails = [p.email for p in demo.people]
    loaded = set(db.session.scalars(sa.select(User.email).where(User.email.in_(emails))))
    accounts = []
    for p in demo.people:
        roles = [r.label for r in p.roles] + ([_("digital veileder")] if p.digital_supervisor else [])
        described = ", ".join(roles) + (f" ({p.note})" if p.note else "")
        accounts.append(DemoAccount(email=p.email, name=p.name, roles=described,
                                    school=p.school or "Oppvekst skole (alle skoler)",
                                    password=demo.password, loaded=p.email in loaded))
    return accounts
