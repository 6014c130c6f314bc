"""Settings that a programme admin may change while the platform runs."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import db


class SettingValue(db.Model):
    """A stored value overriding a registered setting's default."""

    __tablename__ = "setting_value"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(500))
