"""Managing schools and people, and importing staff from a CSV file.

Programme admins manage every school and person. A school leader manages the
staff of the schools they lead: people with a role there who are not
programme admins; their roles at other schools stay as they are. Every entry
point (the admin pages, ``flask people import``) calls these functions.
"""
from __future__ import annotations

import csv
import enum
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination

from lms.audit import operations as audit
from lms.auth.operations import AuthError, check_password_strength, require, set_password
from lms.db import db
from lms.i18n import parse_language
from lms.people.models import Membership, Role, School, User

#: Weights of the modulus-11 check on organisation numbers (Brønnøysundregistrene).
ORG_NUMBER_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
SCHOOL_ROLES = (Role.TEACHER, Role.LEADER, Role.LIGHTHOUSE)


class PeopleError(Exception):
    """A change to schools or people that the rules refuse; the message is for the user.

    ``field`` names the form field the message belongs to, if one does.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- who manages whom -------------------------------------------------------

def managed_school_ids(actor: User | None) -> set[int] | None:
    """Return the ids of the schools whose staff ``actor`` manages; None means every school.

    ``None`` as actor is the system itself (a CLI command run on the server).
    """
    if actor is None or actor.is_admin:
        return None
    return actor.led_school_ids()


def require_staff_manager(actor: User) -> None:
    """Refuse anyone who is neither a programme admin nor a school leader."""
    require(actor.is_admin or bool(actor.led_school_ids()))


def require_admin(actor: User) -> None:
    require(actor.is_admin, _("Bare programadministratorer kan gjøre dette."))


def can_manage_person(actor: User | None, user: User) -> bool:
    scope = managed_school_ids(actor)
    if scope is None:
        return True
    return not user.is_admin and any(m.school_id in scope for m in user.memberships)


def require_can_manage_person(actor: User, user: User) -> None:
    require_staff_manager(actor)
    require(can_manage_person(actor, user), _("Du kan bare se og endre ansatte ved din egen skole."))


def can_set_password(actor: User, user: User) -> bool:
    """Leaders give staff their first password; only programme admins replace one."""
    return actor.is_admin or not user.password_hash


def manageable_schools(actor: User) -> list[School]:
    """Return the schools ``actor`` may give people roles at, by name."""
    require_staff_manager(actor)
    stmt = sa.select(School).order_by(School.name, School.id)
    scope = managed_school_ids(actor)
    if scope is not None:
        stmt = stmt.where(School.id.in_(scope))
    return list(db.session.scalars(stmt))


# --- schools ----------------------------------------------------------------

def normalise_org_number(value: str) -> str:
    """Return the nine digits of a valid organisation number, or raise PeopleError."""
    digits = re.sub(r"\s", "", value or "")
    if not re.fullmatch(r"[0-9]{9}", digits):
        raise PeopleError(_("Organisasjonsnummeret må ha ni siffer."), "org_number")
    remainder = sum(int(d) * w for d, w in zip(digits, ORG_NUMBER_WEIGHTS)) % 11
    check = (11 - remainder) % 11
    if check == 10 or check != int(digits[8]):
        raise PeopleError(_("Organisasjonsnummeret er ikke gyldig: kontrollsifferet stemmer ikke."), "org_number")
    return digits


@dataclass
class SchoolData:
    """The editable fields of a school."""

    name: str
    org_number: str
    district: str = ""
    focus_areas: list[str] = field(default_factory=list)


def _apply_school(school: School, data: SchoolData) -> None:
    name = data.name.strip()
    if not name:
        raise PeopleError(_("Skriv inn skolens navn."), "name")
    org_number = normalise_org_number(data.org_number)
    taken = db.session.scalar(sa.select(School.id).where(School.org_number == org_number, School.id != school.id))
    if taken is not None:
        raise PeopleError(_("En annen skole har allerede dette organisasjonsnummeret."), "org_number")
    school.name = name
    school.org_number = org_number
    school.district = data.district.strip()
    school.focus_areas_text = "\n".join(a.strip() for a in data.focus_areas if a.strip())


def create_school(data: SchoolData, actor: User, now: datetime) -> School:
    """Register a new school."""
    require_admin(actor)
    school = School()
    _apply_school(school, data)
    db.session.add(school)
    db.session.flush()
    audit.record(object_type="school", object_id=school.id, from_state=None, to_state="created",
                 actor_id=actor.id, at=now)
    return school


def update_school(school: School, data: SchoolData, actor: User, now: datetime) -> None:
    """Change a school's name, organisation number, district and focus areas."""
    require_admin(actor)
    _apply_school(school, data)
    db.session.flush()
    audit.record(object_type="school", object_id=school.id, from_state=None, to_state="updated",
                 actor_id=actor.id, at=now)


def _like(query: str) -> str:
    escaped = query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def schools_page(actor: User, *, query: str = "", page: int = 1, per_page: int = 20) -> Pagination:
    """Return a page of schools matching ``query`` (name, number or district)."""
    require_admin(actor)
    stmt = sa.select(School).order_by(School.name, School.id)
    if query.strip():
        like = _like(query)
        stmt = stmt.where(sa.or_(sa.func.lower(School.name).like(like, escape="\\"),
                                 School.org_number.like(like, escape="\\"),
                                 sa.func.lower(School.district).like(like, escape="\\")))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


# --- people -----------------------------------------------------------------

def normalise_email(value: str) -> str:
    """Return the address trimmed and lowercased, or raise PeopleError if it is not one."""
    email = (value or "").strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise PeopleError(_("Skriv inn en gyldig e-postadresse, som navn@skole.no."), "email")
    return email


def _find_by_email(email: str, except_id: int | None = None) -> User | None:
    stmt = sa.select(User).where(User.email == email)
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return db.session.scalar(stmt)


@dataclass
class PersonData:
    """The editable fields of a person; an empty ``password`` leaves it as it is."""

    name: str
    email: str
    #: The person's language (nb, nn, en); None: not chosen, see :func:`lms.i18n.select_locale`.
    locale: str | None = None
    hire_date: date | None = None
    is_digital_supervisor: bool = False
    #: Environment teacher (miljølærer).
    is_environment_teacher: bool = False
    active: bool = True
    #: The person's roles as (role, school id); a programme admin's has no school.
    memberships: set[tuple[Role, int | None]] = field(default_factory=set)
    password: str = ""


def _in_scope(scope: set[int] | None, role: Role, school_id: int | None) -> bool:
    return scope is None or (role != Role.ADMIN and school_id in scope)


def _check_memberships(wanted: set[tuple[Role, int | None]], scope: set[int] | None) -> None:
    for role, school_id in wanted:
        if (role == Role.ADMIN) != (school_id is None):
            raise PeopleError(_("Velg en skole for hver rolle (bare programadministrator er uten skole)."),
                              "memberships")
        require(_in_scope(scope, role, school_id), _("Du kan bare gi roller ved din egen skole."))
    school_ids = {s for _role, s in wanted if s is not None}
    known = set(db.session.scalars(sa.select(School.id).where(School.id.in_(school_ids))))
    if school_ids - known:
        raise PeopleError(_("En av skolene finnes ikke lenger. Last siden på nytt."), "memberships")


def _apply_person(user: User, data: PersonData, actor: User, now: datetime) -> None:
    """Check every rule first, then change ``user``, so a refusal changes nothing."""
    scope = managed_school_ids(actor)
    name = data.name.strip()
    if not name or len(name) > 200:
        raise PeopleError(_("Skriv inn navnet (høyst 200 tegn)."), "name")
    email = normalise_email(data.email)
    if _find_by_email(email, except_id=user.id) is not None:
        raise PeopleError(_("Det finnes allerede en person med denne e-postadressen."), "email")
    if data.locale is not None and data.locale not in current_app.config["LANGUAGES"]:
        raise PeopleError(_("Velg et språk fra listen."), "locale")
    _check_memberships(data.memberships, scope)
    if user.id is None and scope is not None and not any(s in scope for _role, s in data.memberships):
        # Otherwise the leader could not see the person they just made.
        raise PeopleError(_("Gi personen en rolle ved skolen din."), "memberships")
    if user.id == actor.id and user.is_admin and (Role.ADMIN, None) not in data.memberships:
        raise PeopleError(_("Du kan ikke ta fra deg selv rollen som programadministrator."), "is_admin")
    if user.id == actor.id and not data.active:
        raise PeopleError(_("Du kan ikke deaktivere din egen konto."), "active")
    if data.password and not can_set_password(actor, user):
        raise PeopleError(_("Bare en programadministrator kan bytte et passord som allerede er satt."), "password")
    if data.password:
        try:
            check_password_strength(data.password)
        except AuthError as err:
            raise PeopleError(str(err), "password") from err
    if data.password:
        # Every other session of the person ends: whoever knew the old password is signed out.
        set_password(user, data.password, now, actor=actor)
    user.name, user.email, user.locale = name, email, data.locale
    user.hire_date, user.is_digital_supervisor, user.active = data.hire_date, data.is_digital_supervisor, data.active
    user.is_environment_teacher = data.is_environment_teacher
    current = {(m.role, m.school_id): m for m in user.memberships}
    for key, membership in current.items():
        if _in_scope(scope, *key) and key not in data.memberships:
            user.memberships.remove(membership)
    for role, school_id in data.memberships - current.keys():
        user.memberships.append(Membership(role=role, school_id=school_id))


def create_person(data: PersonData, actor: User, now: datetime) -> User:
    """Register a person with their roles and, if given, a first password."""
    require_staff_manager(actor)
    user = User(name="", email="", password_hash="", created_at=now)
    _apply_person(user, data, actor, now)
    db.session.add(user)
    db.session.flush()
    audit.record(object_type="user", object_id=user.id, from_state=None, to_state="created",
                 actor_id=actor.id, at=now)
    return user


def update_person(user: User, data: PersonData, actor: User, now: datetime) -> None:
    """Change a person's details, flags, roles and (if given) password."""
    require_can_manage_person(actor, user)
    was = "active" if user.active else "inactive"
    _apply_person(user, data, actor, now)
    db.session.flush()
    audit.record(object_type="user", object_id=user.id, from_state=was,
                 to_state="active" if user.active else "inactive", actor_id=actor.id, at=now,
                 note="password set" if data.password else "")


def choose_language(user: User, language: str, now: datetime) -> None:
    """Remember on ``user``'s account the language they chose: for pages, mail and calendar feeds."""
    if language not in current_app.config["LANGUAGES"]:
        raise PeopleError(_("Velg et språk fra listen."), "locale")
    if user.locale == language:
        return
    audit.record(object_type="user", object_id=user.id, from_state=user.locale, to_state=language,
                 actor_id=user.id, at=now, note="language")
    user.locale = language


def keep_language_chosen_before_sign_in(user: User, language: str | None, now: datetime) -> None:
    """Save on an account that has no language yet the one chosen in this browser before signing in."""
    if language and user.locale is None:
        choose_language(user, language, now)


def people_page(actor: User, *, query: str = "", school_id: int | None = None, page: int = 1,
                per_page: int = 20) -> Pagination:
    """Return a page of the people ``actor`` manages, by name, optionally searched and by school."""
    require_staff_manager(actor)
    scope = managed_school_ids(actor)
    if school_id is not None and scope is not None:
        require(school_id in scope, _("Du kan bare se ansatte ved din egen skole."))
    stmt = sa.select(User).order_by(User.name, User.id)
    if query.strip():
        like = _like(query)
        stmt = stmt.where(sa.or_(sa.func.lower(User.name).like(like, escape="\\"),
                                 User.email.like(like, escape="\\")))
    if school_id is not None:
        stmt = stmt.where(User.memberships.any(Membership.school_id == school_id))
    if scope is not None:
        stmt = stmt.where(User.memberships.any(Membership.school_id.in_(scope)),
                          ~User.memberships.any(Membership.role == Role.ADMIN))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


# --- the staff import -------------------------------------------------------

MAX_IMPORT_BYTES = 2_000_000
MAX_IMPORT_ROWS = 5_000
#: The import's columns as the template writes them; headers are matched
#: without case, spaces, hyphens and underscores ("E-post" = "epost").
IMPORT_COLUMNS = ("navn", "e-post", "skole", "rolle", "ansatt_dato", "digital_veileder", "språk", "miljølærer")
REQUIRED_COLUMNS = ("navn", "e-post", "skole", "rolle")
#: Roles as people write them, in bokmål and nynorsk.
IMPORT_ROLES = {"lærer": Role.TEACHER, "lærar": Role.TEACHER, "skoleleder": Role.LEADER, "skuleleiar": Role.LEADER,
                "rektor": Role.LEADER, "fyrtårn": Role.LIGHTHOUSE}
_YES_NO = {"ja": True, "nei": False, "": None}


class StaffImportError(PeopleError):
    """The file as a whole cannot be imported; nothing in it was saved."""


class ImportOutcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ImportLine:
    """What the import did with one row of the file, e.g. "rad 3: opprettet Kari Nordmann"."""

    row: int
    outcome: ImportOutcome
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class ImportReport:
    lines: list[ImportLine] = field(default_factory=list)

    def count(self, outcome: ImportOutcome) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def summary(self) -> str:
        return _("%(created)d opprettet, %(updated)d oppdatert, %(unchanged)d uendret, %(skipped)d hoppet over.",
                 created=self.count(ImportOutcome.CREATED), updated=self.count(ImportOutcome.UPDATED),
                 unchanged=self.count(ImportOutcome.UNCHANGED), skipped=self.count(ImportOutcome.SKIPPED))


class _SkipRow(Exception):
    """A row that cannot be imported; the message says why."""


def decode_csv(raw: bytes) -> str:
    """Return an uploaded file's text (UTF-8, with or without BOM), or raise StaffImportError."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise StaffImportError(_("Filen er for stor. Del den opp i filer under %(mb)d MB.",
                                 mb=MAX_IMPORT_BYTES // 1_000_000))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\0"
    if "\0" in text:
        raise StaffImportError(_("Filen er ikke en CSV-fil i UTF-8. I Excel: velg «Lagre som» og "
                                 "filtypen «CSV UTF-8 (kommadelt)»."))
    return text


def _column_key(header: str) -> str:
    return re.sub(r"[\s_\-]", "", header.lower())


def _read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the header's column keys and the numbered, non-blank data rows, or raise StaffImportError."""
    text = text.lstrip("\ufeff")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=first_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise StaffImportError(_("Filen kunne ikke leses som CSV. Sjekk at den er lagret som CSV.")) from None
    filled = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not filled:
        raise StaffImportError(_("Filen er tom."))
    header, data = filled[0][1], filled[1:]
    keys = [_column_key(cell) for cell in header]
    missing = [c for c in REQUIRED_COLUMNS if _column_key(c) not in keys]
    if missing:
        raise StaffImportError(_("Filen mangler kolonnene %(missing)s. Første rad må være overskriftene: %(expected)s.",
                                 missing=", ".join(missing), expected=";".join(IMPORT_COLUMNS)))
    if not data:
        raise StaffImportError(_("Filen har ingen ansatte under overskriftsraden."))
    if len(data) > MAX_IMPORT_ROWS:
        raise StaffImportError(_("Filen har for mange rader. Del den opp i filer med høyst %(n)d rader.",
                                 n=MAX_IMPORT_ROWS))
    return keys, data


def _parse_date(value: str, now: datetime) -> date | None:
    if not value:
        return None
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if 1950 <= day.year <= now.year + 1:
            return day
    raise _SkipRow(_("ugyldig ansattdato «%(value)s» (skriv dd.mm.åååå)", value=value[:40]))


@dataclass
class _StaffRow:
    name: str
    email: str
    school: School
    role: Role
    hire_date: date | None
    digital_supervisor: bool | None
    environment_teacher: bool | None
    #: nb, nn or en; None leaves the person's language as it is.
    locale: str | None


def _parse_row(values: dict[str, str], actor: User | None, now: datetime) -> _StaffRow:
    name = values.get("navn", "")
    if not name:
        raise _SkipRow(_("mangler navn"))
    if len(name) > 200:
        raise _SkipRow(_("navnet er for langt"))
    try:
        email = normalise_email(values.get("epost", ""))
    except PeopleError:
        raise _SkipRow(_("ugyldig e-postadresse «%(value)s»", value=values.get("epost", "")[:80])) from None
    org_number = re.sub(r"\s", "", values.get("skole", ""))
    school = db.session.scalar(sa.select(School).where(School.org_number == org_number)) if org_number else None
    if school is None:
        raise _SkipRow(_("ukjent skole «%(value)s» (skriv skolens organisasjonsnummer)", value=org_number[:40]))
    scope = managed_school_ids(actor)
    if scope is not None and school.id not in scope:
        raise _SkipRow(_("du kan bare importere ansatte ved din egen skole, ikke %(school)s", school=school.name))
    role = IMPORT_ROLES.get(values.get("rolle", "").lower())
    if role is None:
        raise _SkipRow(_("ukjent rolle «%(value)s» (bruk lærer, skoleleder eller fyrtårn)",
                         value=values.get("rolle", "")[:40]))
    supervisor = values.get("digitalveileder", "").lower()
    if supervisor not in _YES_NO:
        raise _SkipRow(_("digital_veileder må være ja eller nei"))
    environment = values.get("miljølærer", "").lower()
    if environment not in _YES_NO:
        raise _SkipRow(_("miljølærer må være ja eller nei"))
    language = values.get("språk", "")
    locale = parse_language(language) if language else None
    if language and locale is None:
        raise _SkipRow(_("ukjent språk «%(value)s» (bruk bokmål, nynorsk eller engelsk)", value=language[:40]))
    return _StaffRow(name=name, email=email, school=school, role=role,
                     hire_date=_parse_date(values.get("ansattdato", ""), now),
                     digital_supervisor=_YES_NO[supervisor],
                     environment_teacher=_YES_NO[environment], locale=locale)


def _import_row(row: _StaffRow, actor: User | None, now: datetime) -> tuple[ImportOutcome, list[str]]:
    """Create or update the row's person; return the outcome and what changed."""
    user = _find_by_email(row.email)
    outcome = ImportOutcome.UPDATED
    if user is None:
        user = User(name=row.name, email=row.email, password_hash="", created_at=now)
        db.session.add(user)
        outcome = ImportOutcome.CREATED
    elif not can_manage_person(actor, user):
        raise _SkipRow(_("personen er registrert ved en annen skole; kontakt en programadministrator"))
    changes = []
    if user.name != row.name:
        user.name = row.name
        changes.append(_("navn"))
    if row.hire_date is not None and user.hire_date != row.hire_date:
        user.hire_date = row.hire_date
        changes.append(_("ansattdato"))
    if row.digital_supervisor is not None and user.is_digital_supervisor != row.digital_supervisor:
        user.is_digital_supervisor = row.digital_supervisor
        changes.append(_("digital veileder"))
    if row.environment_teacher is not None and user.is_environment_teacher != row.environment_teacher:
        user.is_environment_teacher = row.environment_teacher
        changes.append(_("miljølærer"))
    if row.locale is not None and user.locale != row.locale:
        user.locale = row.locale
        changes.append(_("språk"))
    if not user.has_role(row.role, row.school.id):
        user.memberships.append(Membership(role=row.role, school_id=row.school.id, school=row.school))
        changes.append(_("%(role)s ved %(school)s", role=row.role.label, school=row.school.name))
    db.session.flush()
    if outcome == ImportOutcome.UPDATED and not changes:
        return ImportOutcome.UNCHANGED, []
    audit.record(object_type="user", object_id=user.id, from_state=None, to_state=str(outcome),
                 actor_id=actor.id if actor else None, at=now, note="csv import")
    return outcome, changes


def import_staff(text: str, actor: User | None, now: datetime) -> ImportReport:
    """Create or update staff from CSV text, matched by e-mail, and report row by row.

    A bad row is skipped and reported; the good ones are still imported. A
    problem with the whole file raises StaffImportError before anything
    changes. ``actor`` None is the system (the CLI), which may import to every
    school; a leader imports to the schools they lead.
    """
    if actor is not None:
        require_staff_manager(actor)
    keys, rows = _read_rows(text)
    report = ImportReport()
    for number, cells in rows:
        values = {key: cell.strip() for key, cell in zip(keys, cells)}
        try:
            row = _parse_row(values, actor, now)
            outcome, changes = _import_row(row, actor, now)
        except _SkipRow as skip:
            report.lines.append(ImportLine(number, ImportOutcome.SKIPPED,
                                           _("rad %(row)d: hoppet over – %(reason)s", row=number, reason=str(skip))))
            continue
        texts = {
            ImportOutcome.CREATED: _("rad %(row)d: opprettet %(name)s", row=number, name=row.name),
            ImportOutcome.UPDATED: _("rad %(row)d: oppdatert %(name)s (%(changes)s)", row=number, name=row.name,
                                     changes=", ".join(changes)),
            ImportOutcome.UNCHANGED: _("rad %(row)d: uendret %(name)s", row=number, name=row.name),
        }
        report.lines.append(ImportLine(number, outcome, texts[outcome]))
    return report


def import_template(actor: User) -> str:
    """Return a CSV file to fill in: the headers and one example row at a school ``actor`` manages."""
    schools = manageable_schools(actor)
    org_number = schools[0].org_number if schools else "974760673"
    lines = [";".join(IMPORT_COLUMNS), f"Kari Nordmann;kari.nordmann@skole.no;{org_number};lærer;01.08.2026;nei;nynorsk;nei"]
    return "\ufeff" + "\r\n".join(lines) + "\r\n"
