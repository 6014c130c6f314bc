from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    # No format check: a malformed address simply fails to sign in, and the
    # strict validator refuses addresses (such as .test) that accounts may have.
    email = EmailField(_l("E-postadresse"), validators=[DataRequired(_l("Skriv inn e-postadressen din.")),
                                                      Length(max=254)], render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Passord"), validators=[DataRequired(_l("Skriv inn passordet ditt.")),
                                                        Length(max=200)], render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    """A person's own new password, given with the one they have now."""

    current = PasswordField(_l("Passordet du har nå"), validators=[DataRequired(_l("Skriv inn passordet ditt.")),
                                                                   Length(max=200)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("Nytt passord"), validators=[DataRequired(_l("Skriv inn et nytt passord.")),
                                                        Length(max=200)], render_kw={"autocomplete": "new-password"})


class ResetRequestForm(FlaskForm):
    """«Glemt passord?»: the address to send a link to."""

    email = EmailField(_l("E-postadresse"), validators=[DataRequired(_l("Skriv inn e-postadressen din.")),
                                                      Length(max=254)], render_kw={"autocomplete": "email"})


class ResetForm(FlaskForm):
    """A new password, set through the link in the mail."""

    new = PasswordField(_l("Nytt passord"), validators=[DataRequired(_l("Skriv inn et nytt passord.")),
                                                        Length(max=200)], render_kw={"autocomplete": "new-password"})
