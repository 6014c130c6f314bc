"""What an LMS link may point to and what a leader may enroll staff in: provided by the feature plugins.

The host never imports a feature. A plugin that has pages an LMS should link
to, or an enrollment the LMS's member list can fill, registers them here in
its ``init_app``:

* :func:`register_link_targets` (*who calls it*: the catalogue and the fyrtårn
  scheme; *what it carries*: ``provider(user)`` returning the
  :class:`LinkTarget` a person adding content in the LMS may pick, each named
  by endpoint and values, never by URL);
* :func:`register_enrollment` (*who calls it*: the catalogue; *what it
  carries*: ``choices(user)`` returning ``(offering id, title)`` the user may
  enroll staff in, and ``enroll(offering_id, person, actor, now)`` running
  the catalogue's own enrollment rule and returning a line for the leader,
  or raising :class:`EnrollmentRefused` with the rule's message).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from flask import Flask, current_app

_TARGETS = "kp_lti_link_targets"
_ENROLLMENT = "kp_lti_enrollment"


@dataclass(frozen=True)
class LinkFilter:
    """A query argument the person may add to a target, such as the catalogue's kind or theme."""

    name: str
    label: str
    choices: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LinkTarget:
    """A page an LMS link may open: the catalogue, an offering, a learning film, the fyrtårn page, "Mine kurs"."""

    #: Unique among the targets, e.g. ``offering:12``.
    key: str
    #: The heading it is listed under on the selection page.
    group: str
    title: str
    endpoint: str
    values: tuple[tuple[str, object], ...] = ()
    filters: tuple[LinkFilter, ...] = ()
    text: str = ""


class EnrollmentRefused(Exception):
    """The feature's enrollment rule said no; the message is for the leader."""


@dataclass(frozen=True)
class EnrollmentHook:
    choices: Callable[[object], list[tuple[int, str]]]
    enroll: Callable[[int, object, object, datetime], str]


def register_link_targets(app: Flask, provider: Callable[[object], list[LinkTarget]]) -> None:
    """Offer a plugin's pages to LMS links (deep linking); see the module's docstring."""
    app.extensions.setdefault(_TARGETS, []).append(provider)


def link_targets(user) -> list[LinkTarget]:
    """Return every page an LMS link may open for ``user``, from every plugin."""
    return [target for provider in current_app.extensions.get(_TARGETS, []) for target in provider(user)]


def register_enrollment(app: Flask, choices: Callable[[object], list[tuple[int, str]]],
                        enroll: Callable[[int, object, object, datetime], str]) -> None:
    """Let a leader enroll LMS course members in a plugin's offerings; see the module's docstring."""
    app.extensions[_ENROLLMENT] = EnrollmentHook(choices=choices, enroll=enroll)


def enrollment() -> EnrollmentHook | None:
    """Return the registered enrollment hook, or None when no plugin offers one."""
    return current_app.extensions.get(_ENROLLMENT)
