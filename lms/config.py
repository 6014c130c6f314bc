"""Deployment settings, read from environment variables when the app is made.

Settings that an admin may change while the platform runs (waitlist offer
hours and the like) live in the database instead: see :mod:`lms.settings`.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-not-secret-change-me"


class ConfigError(RuntimeError):
    """The deployment settings are unsafe or incomplete."""


def _env_list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


def _env_number(name: str, default: int | float, kind: type = int) -> int | float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0")
    return value


#: SMTP connection security; the default follows the port's convention.
SMTP_SECURITY = ("none", "starttls", "ssl")
_SMTP_SECURITY_BY_PORT = {465: "ssl", 587: "starttls"}
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _mail_settings() -> dict:
    """Return the mail worker's settings: no ``KP_SMTP_HOST`` means mail is printed, not sent."""
    port = int(_env_number("KP_SMTP_PORT", 25))
    return {
        "SMTP_HOST": os.environ.get("KP_SMTP_HOST", "").strip(),
        "SMTP_PORT": port,
        "SMTP_SECURITY": os.environ.get("KP_SMTP_SECURITY", "").strip().lower()
        or _SMTP_SECURITY_BY_PORT.get(port, "none"),
        "SMTP_USER": os.environ.get("KP_SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("KP_SMTP_PASSWORD", ""),
        "SMTP_TIMEOUT": float(_env_number("KP_SMTP_TIMEOUT", 30.0, float)),
        "MAIL_FROM": os.environ.get("KP_MAIL_FROM", "").strip() or "Kompetanseportalen <noreply@localhost>",
        # Tries before a mail the server refuses outright (5xx) is given up.
        "MAIL_MAX_ATTEMPTS": int(_env_number("KP_MAIL_MAX_ATTEMPTS", 5)),
    }


#: Feide's production issuer and groups API (KP_FEIDE_ISSUER, KP_FEIDE_GROUPS_API override them).
FEIDE_ISSUER = "https://auth.dataporten.no"
FEIDE_GROUPS_API = "https://groups-api.dataporten.no/groups"


def _feide_settings() -> dict:
    """Return Feide's sign-in settings: without a client id and secret there is no Feide sign-in."""
    return {
        "FEIDE_CLIENT_ID": os.environ.get("KP_FEIDE_CLIENT_ID", "").strip(),
        "FEIDE_CLIENT_SECRET": os.environ.get("KP_FEIDE_CLIENT_SECRET", "").strip(),
        "FEIDE_ISSUER": os.environ.get("KP_FEIDE_ISSUER", "").strip() or FEIDE_ISSUER,
        "FEIDE_GROUPS_API": os.environ.get("KP_FEIDE_GROUPS_API", "").strip() or FEIDE_GROUPS_API,
        # Seconds to wait for each answer from Feide.
        "FEIDE_TIMEOUT": 10.0,
    }


def _trusted_proxies(env: str) -> int:
    """How many proxies in front pass on the client's address and scheme: one in production, else none."""
    raw = os.environ.get("KP_TRUSTED_PROXIES", "").strip() or ("1" if env == "production" else "0")
    if not raw.isdecimal() or int(raw) > 10:
        raise ConfigError(f"KP_TRUSTED_PROXIES must be a whole number from 0 to 10, not {raw!r}")
    return int(raw)


#: Default minutes a sign-in session may be idle, and hours it lives at most: a school day, not a week.
SESSION_IDLE_MINUTES, SESSION_LIFETIME_HOURS = 120, 12
#: The default request size limit: 3 MiB.
MAX_REQUEST_BYTES = 3 * 1024 * 1024


def from_environment(instance_path: str) -> dict:
    """Return the settings that environment variables give, with safe defaults."""
    sqlite_path = Path(instance_path) / "kompetanseportal.db"
    env = os.environ.get("KP_ENV", "development")
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("KP_SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("KP_DATABASE_URL", f"sqlite:///{sqlite_path}"),
        # Frames are allowed from these origins only (the LMS the platform runs in).
        "FRAME_ANCESTORS": _env_list("KP_FRAME_ANCESTORS"),
        # Video services besides YouTube and Vimeo whose films pages may embed (the municipality's own).
        "VIDEO_EMBED_HOSTS": _env_list("KP_VIDEO_EMBED_HOSTS"),
        # Feature plugins switched off in this deployment, by entry point name.
        "DISABLED_PLUGINS": _env_list("KP_DISABLED_PLUGINS"),
        "BASE_URL": os.environ.get("KP_BASE_URL", "http://127.0.0.1:5000"),
        "SESSION_COOKIE_SECURE": env == "production",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": os.environ.get("KP_COOKIE_SAMESITE", "Lax"),
        "PREFERRED_URL_SCHEME": "https" if env == "production" else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "nb",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
        # Bokmål first (the default and the source), nynorsk, English; see lms.i18n.select_locale.
        "LANGUAGES": ["nb", "nn", "en"],
        "PAGE_SIZE": int(os.environ.get("KP_PAGE_SIZE", "20")),
        # A sign-in session ends after this long without a request, and this long after sign-in whatever happens.
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=_env_number("KP_SESSION_IDLE_MINUTES", SESSION_IDLE_MINUTES)),
        "SESSION_LIFETIME": timedelta(hours=_env_number("KP_SESSION_LIFETIME_HOURS", SESSION_LIFETIME_HOURS)),
        # Proxies in front that set X-Forwarded-For/-Proto: the sign-in throttle counts the address they pass
        # on, and feeds and cookies know the client came over https.
        "TRUSTED_PROXIES": _trusted_proxies(env),
        # The largest request body read at all (a bigger one is answered 413 before it is read): the staff
        # CSV import (2 MB) with room for the form around it.
        "MAX_CONTENT_LENGTH": int(_env_number("KP_MAX_REQUEST_BYTES", MAX_REQUEST_BYTES)),
        # Seconds a rendered catalogue result list may be reused (0: never).
        "CATALOG_CACHE_SECONDS": float(os.environ.get("KP_CATALOG_CACHE_SECONDS", "10")),
        # Redis shared by every instance (empty: none); feeds then answer unchanged versions from it.
        "REDIS_URL": os.environ.get("KP_REDIS_URL", "").strip(),
        # Start of every key the platform writes in Redis, so several deployments (or test runs) can share one.
        "REDIS_PREFIX": os.environ.get("KP_REDIS_PREFIX", "").strip() or "kp:",
        **_mail_settings(),
        **_feide_settings(),
    }


def engine_options(database_uri: str) -> dict:
    """Return the SQLAlchemy engine options for a database."""
    # No pool_pre_ping: a pooled connection is checked only after lying idle (lms.pool), not on every request.
    options: dict = {}
    if database_uri.startswith("postgresql"):
        # PostgreSQL's JIT compiles the catalogue's queries on every request,
        # costing more (15-30 ms) than running them; web requests never gain.
        options["connect_args"] = {"options": "-c jit=off"}
        # Feed reads run in autocommit (lms.db.read_without_transaction): no rollback to send.
        options["skip_autocommit_rollback"] = True
    return options


def check(config) -> None:
    """Refuse settings that must never reach production."""
    if config["ENV_NAME"] == "production" and config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise ConfigError("KP_SECRET_KEY must be set in production (KP_ENV=production)")
    if config["ENV_NAME"] == "production" and len(config["SECRET_KEY"]) < 32:
        raise ConfigError("KP_SECRET_KEY must be at least 32 characters in production")
    check_mail(config)
    if bool(config.get("FEIDE_CLIENT_ID")) != bool(config.get("FEIDE_CLIENT_SECRET")):
        raise ConfigError("KP_FEIDE_CLIENT_ID and KP_FEIDE_CLIENT_SECRET are set together (both from Feide's customer portal)")


def check_mail(config) -> None:
    """Refuse SMTP settings that cannot work or would send the password in clear text."""
    if config.get("SMTP_SECURITY", "none") not in SMTP_SECURITY:
        raise ConfigError(f"KP_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, "
                          f"not {config['SMTP_SECURITY']!r}")
    if (config.get("SMTP_USER") and config.get("SMTP_SECURITY", "none") == "none"
            and config.get("SMTP_HOST") not in _LOOPBACK_HOSTS):
        raise ConfigError("KP_SMTP_USER needs KP_SMTP_SECURITY=starttls or ssl: "
                          "the password would cross the network unencrypted")
    if "@" not in config.get("MAIL_FROM", "@"):
        raise ConfigError("KP_MAIL_FROM must be a mail address, e.g. 'Kompetanseportalen <kurs@kommune.no>'")
