"""Flask-Login wiring: the browser's token is looked up as a LoginSession."""
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from lms.auth.operations import user_for_token

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Logg inn for å se denne siden.")
login_manager.login_message_category = "info"
# The server-side LoginSession ends sessions on logout; Flask-Login's own
# protection would only add a second, weaker check.
login_manager.session_protection = None
login_manager.user_loader(user_for_token)
