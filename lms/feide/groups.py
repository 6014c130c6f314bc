"""Reading Feide's groups API: which schools a person works at, and whether as staff.

``GET <KP_FEIDE_GROUPS_API>/me/groups`` answers a list of groups. Schools and
their owners (the municipality) are both of type ``fc:org``; a school has a
``parent`` (its owner) and an id ``fc:org:<realm>:unit:NO<organisation
number>``. The person's affiliation (``employee``, ``faculty``, ``staff``,
``student`` ...) is in the ``membership`` of an ``fc:org`` group, usually the
owner's; ``primaryAffiliation`` is optional and not relied on.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import requests

#: Affiliations that make a staff member; ``student`` alone is a pupil.
STAFF_AFFILIATIONS = frozenset({"employee", "faculty", "staff"})
_SCHOOL_ID = re.compile(r"^fc:org:[^:]+:unit:NO(\d{9})$")


class GroupsUnavailable(Exception):
    """The groups API could not be asked or gave no answer we can read."""


@dataclass(frozen=True)
class FeideMemberships:
    """What the groups API says of one person."""

    school_org_numbers: tuple[str, ...]
    affiliations: frozenset[str]

    @property
    def is_staff(self) -> bool:
        return bool(self.affiliations & STAFF_AFFILIATIONS)


def parse_groups(groups: object) -> FeideMemberships:
    """Return the schools and affiliations in a ``/me/groups`` answer; raise GroupsUnavailable if it is not one."""
    if not isinstance(groups, list):
        raise GroupsUnavailable("the groups API did not answer a list")
    schools: list[str] = []
    affiliations: set[str] = set()
    for group in groups:
        if not isinstance(group, dict) or group.get("type") != "fc:org":
            continue
        membership = group.get("membership") if isinstance(group.get("membership"), dict) else {}
        found = membership.get("affiliation", [])
        if isinstance(found, str):
            found = [found]
        affiliations.update(a for a in found if isinstance(a, str))
        match = _SCHOOL_ID.match(str(group.get("id", "")))
        if group.get("parent") and match and match.group(1) not in schools:
            schools.append(match.group(1))
    return FeideMemberships(tuple(schools), frozenset(affiliations))


def fetch_memberships(groups_api: str, access_token: str, timeout: float) -> FeideMemberships:
    """Ask the groups API for the signed-in person's groups with their access token."""
    try:
        response = requests.get(groups_api.rstrip("/") + "/me/groups", timeout=timeout,
                                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
        response.raise_for_status()
        answer = response.json()
    except (requests.RequestException, ValueError) as err:
        raise GroupsUnavailable(str(err)) from err
    return parse_groups(answer)
