"""The Kompetanseportalen host: one place that wires the application."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from lms import config as config_module
from lms import collector, i18n, plugins, pool, security, shared_cache
from lms.auth import reset as password_reset
from lms.auth import throttle as sign_in_throttle
from lms.auth.login import login_manager
from lms.auth.views import bp as auth_bp
from lms.cli import backup_command, demo_cli, restore_command
from lms.core.header import main_menu, page_header
from lms.core.views import bp as core_bp
from lms.core.views import register_error_handlers
from lms.db import MAX_ID, configure_sqlite, db, init_reads_only, render_migration_item
from lms.feide import client as feide_client
from lms.feide.views import bp as feide_bp
from lms.identity import models as _identity_models  # noqa: F401 (the schema knows linked accounts)
from lms.lti import models as _lti_models  # noqa: F401 (the schema knows the LTI tables)
from lms.lti import setup as lti_setup
from lms.lti import views as lti_views
from lms.mail.cli import mail_cli
from lms.mail.views import bp as mail_bp
from lms.markdown import render as render_markdown
from lms.pages.views import bp as pages_bp
from lms.plans import models as _plan_models  # noqa: F401 (the schema knows the development plans)
from lms.plans import mails as plan_mails
from lms.plans.cli import plans_cli
from lms.plans.views import bp as plans_bp
from lms.people.cli import people_cli
from lms.people.views import bp as people_bp
from lms.settings.views import bp as settings_bp

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
#: The language the municipality writes its programme in.
PROGRAMME_LANG = "nb"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


# --- migrations, loaded when asked for --------------------------------------------------
#
# Flask-Migrate brings Alembic, some 11 MB that every worker serving pages
# would carry for nothing: only ``flask db``, the tests and migrations/env.py
# use it. Its state and its commands are made the first time one of them asks.

class _Migrations:
    """Flask-Migrate's entry in ``app.extensions``, replaced by the real one on first use."""

    def __init__(self, app: Flask):
        self._app = app

    def __getattr__(self, name: str):
        from flask_migrate import Migrate

        Migrate(self._app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True,
                render_item=render_migration_item)
        return getattr(self._app.extensions["migrate"], name)


class _MigrationCommands(click.Group):
    """``flask db``: Flask-Migrate's command group, imported when the command line looks into it."""

    @staticmethod
    def _commands() -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # The real group runs from here on: its options, its callback, its commands.
        return self._commands().make_context(info_name, args, parent=parent, **extra)

HOST_MENU = (
    # Everyone at a school reads its plan; leaders write it, admins review every school's.
    plugins.MenuItem("plans.index", _l("Utviklingsplan"), lambda u: u is not None and bool(u.memberships), 60),
    plugins.MenuItem("plans.overview", _l("Planoversikt"), lambda u: u is not None and u.is_admin, 61),
    plugins.MenuItem("people.schools", _l("Skoler"), lambda u: u is not None and u.is_admin, 80),
    plugins.MenuItem("people.people", _l("Ansatte"),
                     lambda u: u is not None and (u.is_admin or bool(u.led_school_ids())), 81),
    plugins.MenuItem("settings.index", _l("Innstillinger"), lambda u: u is not None and u.is_admin, 82),
    plugins.MenuItem("mail.outbox", _l("E-post"), lambda u: u is not None and u.is_admin, 83),
    plugins.MenuItem("lti_admin.index", _l("LMS"), lambda u: u is not None and u.is_admin, 84),
    # After a launch from an LMS course with a member list, for the school's leaders.
    plugins.MenuItem("lti_content.members", _l("Deltakere i LMS-emnet"), lti_views.members_offered, 85),
)


def programme_lang() -> Markup:
    """Return ` lang="nb"` where the page is in another language than the programme's texts, else nothing.

    Titles, descriptions and organisers of the programme are the
    municipality's own bokmål; a page in English or nynorsk marks them as
    bokmål (WCAG 3.1.2), e.g. ``<h1{{ programme_lang() }}>``. A global, so
    that macros imported without context can use it too.
    """
    lang = str(get_locale() or PROGRAMME_LANG)
    return Markup("") if lang == PROGRAMME_LANG else Markup(f' lang="{PROGRAMME_LANG}"')


class IdConverter(IntegerConverter):
    """``<int:...>`` in a URL: an id the database can hold, so a larger number is a 404, not an error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    """Create the application; ``config`` overrides the environment's settings."""
    app = Flask(__name__, instance_path=os.environ.get("KP_INSTANCE_PATH") or None)
    app.url_map.converters["int"] = IdConverter
    app.config.update(config_module.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    config_module.check(app.config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS",
                          config_module.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)
    pool.init_app(app, db)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    shared_cache.init_app(app)
    app.extensions["migrate"] = _Migrations(app)
    app.cli.add_command(_MigrationCommands("db", help="Database migrations (Alembic, through Flask-Migrate)."))
    login_manager.init_app(app)
    security.init_app(app)
    enabled = plugins.enabled_plugins(app.config["DISABLED_PLUGINS"])
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        [str(TRANSLATIONS_DIR)] + [p.translations for p in enabled if p.translations])
    i18n.init_app(app)

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    feide_client.init_app(app)
    sign_in_throttle.init_app(app)
    password_reset.init_app(app)
    app.register_blueprint(feide_bp)
    lti_setup.init_app(app)
    app.register_blueprint(people_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(plans_bp)
    app.cli.add_command(people_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(mail_cli)
    app.cli.add_command(plans_cli)
    plan_mails.init_app(app)
    register_error_handlers(app)

    plugins.init_plugins(app, enabled)
    init_reads_only(app)
    app.jinja_env.globals["programme_lang"] = programme_lang

    app.extensions["kp_host_menu"] = HOST_MENU

    @app.context_processor
    def _layout_context():
        # Once per request and person: the page and the parts rendered for keeping all ask for it.
        menu = main_menu()
        return {
            "main_menu": menu,
            "page_header": lambda: page_header(menu),
            "current_lang": str(get_locale()),
            "languages": [(code, i18n.LANGUAGE_NAMES[code]) for code in app.config["LANGUAGES"]],
            "render_markdown": render_markdown,
        }

    if app.config.get("TRUSTED_PROXIES"):
        # The client's address (for the sign-in throttle) and scheme (feeds and cookies must know the client
        # came over https) as the proxies in front pass them on; see README. Around what the plugins put in
        # front of Flask (a feed's 304), so that they see them too.
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    collector.init_app(app)  # last: around everything else the app does with a request
    return app
