"""Registered LMS platforms, their deployments, the tool's own keys, and the launch's one-time values."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import db, now_utc
from lms.people.models import School


class LtiPlatform(db.Model):
    """An LMS registered to launch the tool: its issuer, our client id there, and its endpoints.

    A registration is keyed on issuer and client id (Canvas may leave the
    deployment out of the login request); the deployment is checked at launch.
    """

    __tablename__ = "lti_platform"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    issuer: Mapped[str] = mapped_column(sa.String(255))
    client_id: Mapped[str] = mapped_column(sa.String(255))
    #: The platform's OIDC authorisation endpoint, where the tool sends the browser from /lti/login.
    auth_login_url: Mapped[str] = mapped_column(sa.String(500))
    #: The platform's OAuth 2 token endpoint (client credentials, for Names and Role Provisioning).
    auth_token_url: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The platform's public keys (JWKS) that sign its launches.
    keyset_url: Mapped[str] = mapped_column(sa.String(500))
    #: The keyset as last fetched (JSON), shared by every instance; fetched again on an unknown key id.
    keyset_json: Mapped[str] = mapped_column(sa.Text, default="")
    keyset_fetched_at: Mapped[datetime | None]
    #: Origins, one per line, besides the endpoints' own, whose pages may frame the tool (the LMS's web address).
    frame_origins_text: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    deployments: Mapped[list["LtiDeployment"]] = relationship(back_populates="platform", cascade="all, delete-orphan",
                                                              order_by="LtiDeployment.id")

    __table_args__ = (sa.UniqueConstraint("issuer", "client_id", name="uq_lti_platform_issuer_client"),)


class LtiDeployment(db.Model):
    """One deployment of the tool in a platform, and the school it belongs to.

    Without a school, the launch names it in the custom parameter
    ``school_org_number`` (one deployment for the whole municipality).
    """

    __tablename__ = "lti_deployment"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(sa.String(255))
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id", ondelete="SET NULL"))

    platform: Mapped[LtiPlatform] = relationship(back_populates="deployments")
    school: Mapped[School | None] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployment_platform_deployment"),)


class LtiToolKey(db.Model):
    """A key pair the tool signs with (deep-linking responses, service assertions), published at /lti/jwks.

    The newest key without ``retired_at`` signs. A rotated key stops signing
    at once but stays published until ``published_until``, so platforms that
    cached the old keyset still accept what it signed.
    """

    __tablename__ = "lti_tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The private key as a JWK (JSON). Secret: it never leaves the server.
    private_jwk: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    retired_at: Mapped[datetime | None]
    published_until: Mapped[datetime | None]


class LtiNonce(db.Model):
    """A launch's nonce seen once: the unique index refuses it a second time.

    The nonce is made at login initiation and travels, signed, in the state;
    a login leaves nothing in the database until its launch uses the nonce up.
    """

    __tablename__ = "lti_nonce"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_platform.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(sa.String(255))
    #: When the id_token that carried it expires; the row may be deleted after that.
    expires_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (sa.UniqueConstraint("platform_id", "nonce", name="uq_lti_nonce_platform_nonce"),)
