"""Learning films: who may manage them, saving and publishing, finding them, embedding their video."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from lighthouse.films.models import DEFAULT_LICENCE, FilmGrade, LearningFilm
from lighthouse.profiles.models import GradeLevel, LighthouseProfile, Subject
from lms.db import db
from lms.people.models import User


class FilmError(ValueError):
    """A film that cannot be saved or changed as asked; the message is for the user."""


class FilmNotAllowed(FilmError):
    """The actor may not do this to this film (the views answer 403)."""


# --- licences -------------------------------------------------------------------

@dataclass(frozen=True)
class Licence:
    code: str
    label: object
    #: The licence's deed in Norwegian; None for "all rights reserved".
    deed_url: str | None


ALL_RIGHTS_RESERVED = "Alle rettigheter forbeholdt"

#: The licences a fyrtårn may choose, in the order the form shows them.
LICENCES: tuple[Licence, ...] = (
    Licence("CC BY 4.0", _l("CC BY 4.0 – Navngivelse"), "https://creativecommons.org/licenses/by/4.0/deed.no"),
    Licence("CC BY-SA 4.0", _l("CC BY-SA 4.0 – Navngivelse, Del på samme vilkår"),
            "https://creativecommons.org/licenses/by-sa/4.0/deed.no"),
    Licence("CC BY-ND 4.0", _l("CC BY-ND 4.0 – Navngivelse, Ingen bearbeidelser"),
            "https://creativecommons.org/licenses/by-nd/4.0/deed.no"),
    Licence("CC BY-NC 4.0", _l("CC BY-NC 4.0 – Navngivelse, Ikke-kommersiell"),
            "https://creativecommons.org/licenses/by-nc/4.0/deed.no"),
    Licence("CC BY-NC-SA 4.0", _l("CC BY-NC-SA 4.0 – Navngivelse, Ikke-kommersiell, Del på samme vilkår"),
            "https://creativecommons.org/licenses/by-nc-sa/4.0/deed.no"),
    Licence("CC BY-NC-ND 4.0", _l("CC BY-NC-ND 4.0 – Navngivelse, Ikke-kommersiell, Ingen bearbeidelser"),
            "https://creativecommons.org/licenses/by-nc-nd/4.0/deed.no"),
    Licence("CC0 1.0", _l("CC0 1.0 – Ingen rettigheter forbeholdt"),
            "https://creativecommons.org/publicdomain/zero/1.0/deed.no"),
    Licence(ALL_RIGHTS_RESERVED, _l("Alle rettigheter forbeholdt"), None),
)
_LICENCE_BY_CODE = {lic.code: lic for lic in LICENCES}


def licence(code: str) -> Licence:
    """Return the licence a film names (one not in the list is shown as named, without a link)."""
    return _LICENCE_BY_CODE.get(code) or Licence(code, code, None)


# --- video ------------------------------------------------------------------------

YOUTUBE_EMBED = "https://www.youtube-nocookie.com"
VIMEO_EMBED = "https://player.vimeo.com"
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtube-nocookie.com",
                  "youtube-nocookie.com"}
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{1,12}$")
_VIMEO_HASH = re.compile(r"^[0-9a-f]{6,20}$")


def video_url_problem(url: str) -> str | None:
    """Return why ``url`` cannot be a film's address (translated), or None when it can."""
    url = (url or "").strip()
    if not url:
        return _("Skriv adressen til filmen.")
    if len(url) > 500:
        return _("Adressen kan ikke være lengre enn 500 tegn.")
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
    except ValueError:
        scheme, host = "", ""
    if scheme != "https" or "." not in host or any(ch.isspace() for ch in url):
        return _("Skriv en fullstendig nettadresse som begynner med https://.")
    return None


def embed_hosts(extra_hosts: list[str] | tuple = ()) -> list[str]:
    """Return the origins film pages may frame: YouTube (no cookies), Vimeo, and the configured services."""
    origins = [YOUTUBE_EMBED, VIMEO_EMBED]
    for raw in extra_hosts:
        host = _host_of_setting(raw)
        if host and f"https://{host}" not in origins:
            origins.append(f"https://{host}")
    return origins


def _host_of_setting(raw: str) -> str | None:
    """Return the host a setting names, written as ``video.kommune.no`` or ``https://video.kommune.no``."""
    raw = raw.strip().lower()
    if "://" not in raw:
        raw = "https://" + raw
    try:
        host = urlsplit(raw).hostname
    except ValueError:
        return None
    # A CSP source must not carry anything that could widen or break the policy.
    return host if host and re.fullmatch(r"[a-z0-9.-]+", host) else None


def embed_url(url: str, extra_hosts: list[str] | tuple = ()) -> str | None:
    """Return the address to embed a film from, or None when its service is not one that may be framed."""
    try:
        parts = urlsplit((url or "").strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme != "https" or not host:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if host in _YOUTUBE_HOSTS:
        video_id = None
        if host == "youtu.be" and segments:
            video_id = segments[0]
        elif segments[:1] == ["watch"] or not segments:
            video_id = (parse_qs(parts.query).get("v") or [None])[0]
        elif len(segments) >= 2 and segments[0] in ("embed", "shorts", "live", "v"):
            video_id = segments[1]
        if video_id and _YOUTUBE_ID.match(video_id):
            return f"{YOUTUBE_EMBED}/embed/{video_id}"
        return None
    if host in _VIMEO_HOSTS:
        numbers = [i for i, s in enumerate(segments) if _VIMEO_ID.match(s)]
        if not numbers:
            return None
        at = numbers[0]
        embed = f"{VIMEO_EMBED}/video/{segments[at]}"
        private = segments[at + 1] if at + 1 < len(segments) else (parse_qs(parts.query).get("h") or [""])[0]
        return f"{embed}?h={private}" if private and _VIMEO_HASH.match(private) else embed
    allowed = {h for raw in extra_hosts if (h := _host_of_setting(raw))}
    if host in allowed:
        return url.strip()
    return None


# --- permissions ------------------------------------------------------------------

def profile_of(user: User | None) -> LighthouseProfile | None:
    """Return the fyrtårn profile of a person, or None."""
    if user is None:
        return None
    return db.session.scalar(sa.select(LighthouseProfile).where(LighthouseProfile.user_id == user.id))


def can_manage_films(user: User | None) -> bool:
    """May this person write films at all (a fyrtårn or an admin)?"""
    return user is not None and (user.is_admin or profile_of(user) is not None)


def can_manage(user: User | None, film: LearningFilm) -> bool:
    """May this person change this film (its fyrtårn, or an admin)?"""
    return user is not None and (user.is_admin or film.profile.user_id == user.id)


def can_see(user: User | None, film: LearningFilm) -> bool:
    """Published films are for everyone; drafts only for their fyrtårn and admins."""
    return film.published_at is not None or can_manage(user, film)


# --- saving -----------------------------------------------------------------------

@dataclass
class FilmData:
    """The editable fields of a film, as the form gives them."""

    title: str
    video_url: str
    subject: Subject
    grades: list[GradeLevel] = field(default_factory=list)
    summary: str = ""
    tasks: str = ""
    licence: str = DEFAULT_LICENCE
    #: The fyrtårn the film is by; only an admin may name another than themself.
    profile_id: int | None = None


def _check(data: FilmData) -> None:
    if not data.title.strip():
        raise FilmError(_("Filmen må ha en tittel."))
    if len(data.title.strip()) > 200:
        raise FilmError(_("Tittelen kan ikke være lengre enn 200 tegn."))
    if len(data.summary.strip()) > 500:
        raise FilmError(_("Sammendraget kan ikke være lengre enn 500 tegn."))
    if problem := video_url_problem(data.video_url):
        raise FilmError(problem)
    if not data.grades:
        raise FilmError(_("Velg minst ett trinn."))
    if data.licence not in _LICENCE_BY_CODE:
        raise FilmError(_("Velg en lisens fra listen."))


def _profile_for(data: FilmData, actor: User) -> LighthouseProfile:
    """Return the fyrtårn a film is saved for: the actor's own, or (for admins) the one named."""
    own = profile_of(actor)
    if data.profile_id is None or (own is not None and data.profile_id == own.id):
        if own is None:
            raise FilmNotAllowed(_("Bare fyrtårn kan publisere læringsfilmer."))
        return own
    if not actor.is_admin:
        raise FilmNotAllowed(_("Du kan bare lagre filmer i ditt eget navn."))
    profile = db.session.get(LighthouseProfile, data.profile_id)
    if profile is None:
        raise FilmError(_("Velg et fyrtårn fra listen."))
    return profile


def _apply(film: LearningFilm, data: FilmData, now: datetime) -> None:
    film.title = data.title.strip()
    film.summary = data.summary.strip()
    film.video_url = data.video_url.strip()
    film.tasks = data.tasks
    film.subject = data.subject
    film.licence = data.licence
    wanted = set(data.grades)
    film.grade_rows = [row for row in film.grade_rows if row.grade in wanted]
    have = {row.grade for row in film.grade_rows}
    film.grade_rows += [FilmGrade(grade=g) for g in GradeLevel if g in wanted and g not in have]
    film.updated_at = now


def create_film(data: FilmData, *, actor: User, now: datetime) -> LearningFilm:
    """Save a new film as a draft; the fyrtårn publishes it when it is ready."""
    profile = _profile_for(data, actor)
    _check(data)
    film = LearningFilm(profile=profile, created_at=now, published_at=None)
    _apply(film, data, now)
    db.session.add(film)
    db.session.flush()
    return film


def update_film(film: LearningFilm, data: FilmData, *, actor: User, now: datetime) -> None:
    """Save changes to a film; an admin may move it to another fyrtårn."""
    if not can_manage(actor, film):
        raise FilmNotAllowed(_("Du kan ikke endre denne filmen."))
    _check(data)
    if actor.is_admin and data.profile_id is not None and data.profile_id != film.profile_id:
        profile = db.session.get(LighthouseProfile, data.profile_id)
        if profile is None:
            raise FilmError(_("Velg et fyrtårn fra listen."))
        film.profile = profile
    _apply(film, data, now)
    db.session.flush()


def publish_film(film: LearningFilm, *, actor: User, now: datetime) -> None:
    """Make a draft visible to everyone."""
    if not can_manage(actor, film):
        raise FilmNotAllowed(_("Du kan ikke publisere denne filmen."))
    if film.published_at is not None:
        raise FilmError(_("Filmen er allerede publisert."))
    film.published_at = now
    film.updated_at = now
    db.session.flush()


def unpublish_film(film: LearningFilm, *, actor: User, now: datetime) -> None:
    """Take a film back to draft: only its fyrtårn and admins see it."""
    if not can_manage(actor, film):
        raise FilmNotAllowed(_("Du kan ikke endre denne filmen."))
    if film.published_at is None:
        raise FilmError(_("Filmen er ikke publisert."))
    film.published_at = None
    film.updated_at = now
    db.session.flush()


# --- finding ----------------------------------------------------------------------

@dataclass
class FilmFilter:
    q: str = ""
    subject: Subject | None = None
    grade: GradeLevel | None = None


#: Letters that SQLite's lower() leaves alone (it folds ASCII only); folded by hand on both databases.
_FOLD = {"Æ": "æ", "Ø": "ø", "Å": "å", "Ä": "ä", "Ö": "ö", "Ü": "ü", "É": "é", "È": "è"}


def _folded(column) -> sa.ColumnElement:
    expr = column
    for upper, lower in _FOLD.items():
        expr = sa.func.replace(expr, upper, lower)
    return sa.func.lower(expr)


def published_query(f: FilmFilter) -> sa.Select:
    """Return the query for published films matching the filter, newest first."""
    query = sa.select(LearningFilm).where(LearningFilm.published_at.is_not(None))
    words = f.q.strip().lower()
    if words:
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        query = query.where(sa.or_(*(_folded(col).like(like, escape="\\")
                                     for col in (LearningFilm.title, LearningFilm.summary, LearningFilm.tasks))))
    if f.subject:
        query = query.where(LearningFilm.subject == f.subject)
    if f.grade:
        query = query.where(sa.exists().where(FilmGrade.film_id == LearningFilm.id, FilmGrade.grade == f.grade))
    return query.order_by(LearningFilm.published_at.desc(), LearningFilm.id.desc())


def find_published(f: FilmFilter, *, page: int, size: int) -> tuple[list[LearningFilm], int, int, int]:
    """Return one page of published films matching the filter, with the total, the page shown and the pages."""
    query = published_query(f)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max((total + size - 1) // size, 1)
    page = min(max(page, 1), pages)
    films = list(db.session.scalars(query.options(selectinload(LearningFilm.grade_rows))
                                    .limit(size).offset((page - 1) * size)))
    return films, total, page, pages


def newest_films(limit: int) -> list[LearningFilm]:
    """Return the latest published films, newest first."""
    return list(db.session.scalars(published_query(FilmFilter()).limit(limit)))


def managed_films(actor: User) -> list[LearningFilm]:
    """Return the films this person manages: their own, or every film for an admin; drafts first."""
    query = sa.select(LearningFilm)
    if not actor.is_admin:
        own = profile_of(actor)
        if own is None:
            raise FilmNotAllowed(_("Bare fyrtårn kan publisere læringsfilmer."))
        query = query.where(LearningFilm.profile_id == own.id)
    return list(db.session.scalars(query.order_by(LearningFilm.published_at.is_not(None),
                                                  LearningFilm.updated_at.desc(), LearningFilm.id.desc())))


def profile_choices() -> list[LighthouseProfile]:
    """Return every fyrtårn, by name, for an admin who saves a film in someone's name."""
    return list(db.session.scalars(sa.select(LighthouseProfile).join(LighthouseProfile.user)
                                   .order_by(User.name, LighthouseProfile.id)))
