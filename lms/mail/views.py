"""The outbox page: programme admins read the mail the platform sends (and, in development, would send)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.db import db, now_utc
from lms.forms import page_number
from lms.mail import operations
from lms.mail.models import MailStatus

bp = Blueprint("mail", __name__, url_prefix="/admin/epost")


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in person; the operations decide who may see it."""


@bp.route("")
def outbox():
    status = request.args.get("status", "")
    chosen = MailStatus(status) if status in set(MailStatus) else None
    pagination = operations.outbox_page(current_user, status=chosen, page=page_number(request.args),
                                        per_page=current_app.config["PAGE_SIZE"])
    # Unsent mails are written now, as they will be; sent ones show what was sent.
    previews = {m.id: operations.preview(m) for m in pagination.items if m.sent_at is None}
    return render_template("mail/outbox.html", pagination=pagination, previews=previews, status=chosen,
                           statuses=list(MailStatus))


@bp.route("/<int:message_id>")
def message(message_id: int):
    message = operations.get_message(current_user, message_id)
    return render_template("mail/message.html", message=message, preview=operations.preview(message))


@bp.route("/<int:message_id>/vedlegg/<int:number>")
def attachment(message_id: int, number: int):
    attachments = operations.preview(operations.get_message(current_user, message_id)).attachments
    if not 1 <= number <= len(attachments):
        abort(404)
    found = attachments[number - 1]
    # The content type as the mail carried it, once (send_file would add a second charset and its own Date).
    response = Response(found.data, content_type=found.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=found.filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:message_id>/send-igjen", methods=["POST"])
def retry(message_id: int):
    message = operations.get_message(current_user, message_id)
    try:
        operations.retry(message, current_user, now_utc())
    except operations.MailError as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        db.session.commit()
        flash(_("E-posten sendes på nytt."), "success")
    return redirect(url_for(".message", message_id=message_id), 303)
