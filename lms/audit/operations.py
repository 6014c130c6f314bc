"""Writing the audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import joinedload

from lms.audit.models import AuditEntry
from lms.db import db
from lms.people.models import User


def record(*, object_type: str, object_id: int, from_state: str | None, to_state: str,
           actor_id: int | None, at: datetime, note: str = "") -> AuditEntry:
    """Write one state change to the audit log in the current transaction."""
    entry = AuditEntry(object_type=object_type, object_id=object_id, from_state=from_state,
                       to_state=to_state, actor_id=actor_id, at=at, note=note)
    db.session.add(entry)
    return entry


def history(object_type: str, object_id: int) -> list[AuditEntry]:
    """Return an object's audit entries, oldest first."""
    return list(db.session.scalars(
        db.select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.at, AuditEntry.id)
        # Every history shows who did it: their names in the same statement, not one more per person.
        .options(joinedload(AuditEntry.actor).lazyload(User.memberships))
    ))
