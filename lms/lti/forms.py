from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lms.forms import LineField


class PlatformForm(FlaskForm):
    """A platform registration, as the platform's administrator gives it (see README, "LMS")."""

    name = LineField(_l("Navn"), validators=[Length(max=200)])
    issuer = LineField(_l("Issuer (iss)"), validators=[DataRequired(_l("Skriv inn plattformens issuer.")),
                                                         Length(max=255)])
    client_id = LineField(_l("Klient-ID"), validators=[DataRequired(_l("Skriv inn klient-ID-en.")),
                                                         Length(max=255)])
    auth_login_url = LineField(_l("Autorisasjonsadresse (OIDC auth)"),
                                 validators=[DataRequired(_l("Skriv inn autorisasjonsadressen.")), Length(max=500)])
    auth_token_url = LineField(_l("Token-adresse (for deltakerlister)"), validators=[Length(max=500)])
    keyset_url = LineField(_l("Nøkkeladresse (JWKS)"), validators=[DataRequired(_l("Skriv inn nøkkeladressen.")),
                                                                      Length(max=500)])
    deployment_ids = TextAreaField(_l("Deployment-ID-er, én per linje"), validators=[Length(max=5000)])
    school_org_number = LineField(_l("Skolens organisasjonsnummer (tomt: fra lanseringen)"),
                                    validators=[Length(max=20)])
    frame_origins = TextAreaField(_l("LMS-ets nettadresser som kan vise oss i en ramme, én per linje"),
                                  validators=[Length(max=5000)])


class InviteForm(FlaskForm):
    school_org_number = LineField(_l("Skolens organisasjonsnummer (tomt: fra lanseringen)"),
                                    validators=[Length(max=20)])
