"""Network pages: Mine nettverk, a network's page and its gatherings, composing groups, rounds of gatherings."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from catalog.networks import calendar as network_calendar
from catalog.networks import composition
from catalog.networks import operations as ops
from catalog.networks.forms import (AdditionForm, CarriedBackForm, ComposeForm, GatheringForm, MinutesForm, MoveForm,
                                    NetworkForm, ResourceForm, RoundForm)
from catalog.networks.models import GatheringRound, Network, NetworkKind, ProposalStatus
from events.calendar import CACHE_CONTROL, build_calendar, ics_filename, webcal_url
from events.feeds import FeedAnswer, answer_feed
from events.models import SessionStatus
from lms.auth.operations import require
from lms.cache import FragmentCache, kept_with_csrf
from lms.core.header import kept_page
from lms.db import db, now_utc, reads_only, this_minute
from lms.forms import FIRST_YEAR, LAST_YEAR, REFUSED, ActionForm, save, whole_number
from lms.i18n import OSLO, fmt_date
from lms.links import absolute_url
from lms.people.models import School, User
from lms.schoolyear import school_year_of
from lms.shared_cache import write_generation

bp = Blueprint("networks", __name__, template_folder="../templates")


def _network(network_id: int) -> Network:
    try:
        return ops.get_network(network_id)
    except ops.NetworkNotFound:
        abort(404)


def _gathering(network: Network, gathering_id: int):
    try:
        return ops.get_gathering(network, gathering_id)
    except ops.NetworkNotFound:
        abort(404)


def _this_year() -> int:
    return school_year_of(now_utc().astimezone(OSLO).date())


# --- Mine nettverk and the list ---------------------------------------------------------

@bp.get("/nettverk")
@reads_only
@login_required
def index():
    generation = write_generation()
    if generation is not None:
        minute = this_minute()
        return kept_page(page_cache, ("mine", generation, request.url_root, minute), PAGE_TTL,
                         "catalog/networks/index.html",
                         context_of=lambda: {"mine": ops.my_networks(current_user, minute)})
    mine = ops.my_networks(current_user, now_utc())
    return kept_page(page_cache, ("mine", request.url_root, current_user.is_admin, tuple(mine)), PAGE_TTL,
                     "catalog/networks/index.html", mine=mine)


@bp.get("/nettverk/alle")
@login_required
def all_networks():
    require(current_user.is_admin)
    networks = list(db.session.scalars(db.select(Network).order_by(Network.kind.desc(), Network.school_year.desc(),
                                                                   Network.name, Network.id)))
    return render_template("catalog/networks/all.html", networks=networks)


def _fill_choices(form: NetworkForm) -> None:
    form.school_ids.choices = [(s.id, s.name) for s in db.session.scalars(db.select(School).order_by(School.name))]
    people = db.session.scalars(db.select(User).where(User.active).order_by(User.name, User.id).limit(2000))
    form.coordinator_id.choices = [(0, _("Ingen"))] + [(u.id, f"{u.name} ({u.email})") for u in people]


def _network_data(form: NetworkForm) -> ops.NetworkData:
    return ops.NetworkData(
        name=form.name.data or "", kind=NetworkKind(form.kind.data), description=form.description.data or "",
        target_group_text=form.target_group_text.data or "", timing=form.timing.data or "",
        organiser=form.organiser.data or "", coordinator_id=form.coordinator_id.data or None,
        school_year=form.school_year.data, include_leaders=form.include_leaders.data,
        include_digital_supervisors=form.include_digital_supervisors.data,
        include_environment_teachers=form.include_environment_teachers.data,
        include_teachers=form.include_teachers.data, school_ids=list(form.school_ids.data or []))


@bp.route("/nettverk/ny", methods=["GET", "POST"])
@login_required
def new():
    require(current_user.is_admin)
    form = NetworkForm()
    _fill_choices(form)
    if form.validate_on_submit():
        network = save(form, lambda: ops.create_network(_network_data(form), actor=current_user, now=now_utc()),
                       ops.NetworkError)
        if network is not REFUSED:
            flash(_("Nettverket er opprettet."), "success")
            return redirect(url_for("networks.show", network_id=network.id), 303)
    return render_template("catalog/networks/form.html", form=form, network=None), \
        400 if request.method == "POST" else 200


@bp.route("/nettverk/<int:network_id>/endre", methods=["GET", "POST"])
@login_required
def edit(network_id: int):
    network = _network(network_id)
    ops.require_manage(current_user, network)
    if request.method == "GET":
        form = NetworkForm(data={
            "name": network.name, "kind": network.kind.value, "school_year": network.school_year,
            "description": network.description, "target_group_text": network.target_group_text,
            "timing": network.timing, "organiser": network.organiser, "coordinator_id": network.coordinator_id or 0,
            "include_leaders": network.include_leaders,
            "include_digital_supervisors": network.include_digital_supervisors,
            "include_environment_teachers": network.include_environment_teachers,
            "include_teachers": network.include_teachers, "school_ids": network.school_ids})
    else:
        form = NetworkForm()
    _fill_choices(form)
    if form.validate_on_submit():
        done = save(form, lambda: ops.update_network(network, _network_data(form), actor=current_user, now=now_utc()),
                    ops.NetworkError)
        if done is not REFUSED:
            flash(_("Nettverket er lagret."), "success")
            return redirect(url_for("networks.show", network_id=network.id), 303)
    return render_template("catalog/networks/form.html", form=form, network=network), \
        400 if request.method == "POST" else 200


# --- a network's page ----------------------------------------------------------------------

#: How many of the latest minutes the network page lists; the archive page has them all.
ARCHIVE_SHOWN = 6

#: The network page and Mine nettverk, kept rendered whole per process for what they show
#: (``lms.core.header.kept_page``). A key holds every row the page is made from (for the network page: the
#: network with its coordinator and schools, the participants, the gatherings it lists, the resources; all read
#: as plain columns on every request) and what differs between readers (managing, taking part, their absences),
#: so a change made by any instance is never served stale. Where the platform shares a cache (Redis), the pages
#: are kept under its write generation instead, read first, which any instance's commit raises: then a page
#: kept for a person is used without reading anything until the next write anywhere (or the next minute).
#: The header's person, language and menu are added to the key, the page's address and CSRF token put in per
#: request; a page with a refused form, a new feed link or a message to show once is rendered anew.
page_cache = FragmentCache(maxsize=1024, max_chars=3_000_000)
PAGE_TTL = 3600


def _page(network_id: int, now: datetime, resource_form: ResourceForm | None = None,
          new_link: dict | None = None, keep_body: bool = False) -> tuple[dict, tuple]:
    """Read what the network page shows this reader (404 and 403 as they apply).

    Return the template's context and the rows it is made from with what
    differs between readers (the key the page is kept under without a shared cache).
    With ``keep_body`` the body is kept by those rows: a page made anew under a
    new write generation then renders only its layout again.
    """
    try:
        network = ops.network_head(network_id)
    except ops.NetworkNotFound:
        abort(404)
    people = network.people
    ids = network.participant_ids
    ops.require_view(current_user, network, ids)
    page, resources = ops.page_rows(network.id, now, ARCHIVE_SHOWN)
    may_manage = ops.may_manage(current_user, network)
    taking_part = ops.is_participant(current_user, network, ids)
    absent = ops.absences_among(current_user.id, [g.gathering_id for g in page.upcoming]) if taking_part \
        else frozenset()

    def render() -> str:
        people_by_school: dict[int, list[str]] = {}
        for _user_id, name, school_id in people:
            people_by_school.setdefault(school_id, []).append(name)
        return render_template(
            "catalog/networks/_page.html", network=network, people_by_school=people_by_school,
            upcoming=page.upcoming, past=page.past, past_total=page.past_total,
            archive=_archive_rows([(g.gathering_id, g.starts_at) for g in page.published], ARCHIVE_SHOWN),
            archive_total=page.archive_total, resources=resources,
            resource_form=resource_form or ResourceForm(formdata=None), action_form=ActionForm(), absent=absent,
            may_manage=may_manage, taking_part=taking_part, new_link=new_link, SessionStatus=SessionStatus)

    rows = (network, page, resources, may_manage, taking_part, absent)
    if not keep_body:
        return {"network": network, "body": lambda: Markup(render())}, rows
    return ({"network": network, "body": lambda: kept_with_csrf(
        page_cache, ("body", request.url_root, str(get_locale()), *rows), PAGE_TTL, render)}, rows)


def _show(network_id: int, *, resource_form: ResourceForm | None = None, new_link: dict | None = None):
    if resource_form is None and new_link is None:
        # Kept whole, layout included: the body is rendered only when the page is made anew.
        generation = write_generation()
        if generation is not None:
            # Read before anything else; nothing the page shows (nor whether this person may see it) has
            # changed while no instance has committed a write since, and the header's key holds the person.
            minute = this_minute()
            return kept_page(page_cache, ("network", generation, network_id, request.url_root, minute), PAGE_TTL,
                             "catalog/networks/show.html", context_of=lambda: _page(network_id, minute, keep_body=True)[0])
        context, rows = _page(network_id, now_utc())
        return kept_page(page_cache, ("network", request.url_root, *rows), PAGE_TTL, "catalog/networks/show.html",
                         **context)
    context, _rows = _page(network_id, now_utc(), resource_form, new_link)
    return render_template("catalog/networks/show.html", **context)


def _archive_rows(newest_first: list[tuple[int, datetime]], shown: int | None = None) -> list[dict]:
    """Return the archive's rows from (gathering id, start) newest first, each with the one before it.

    Each day is written once (formatting dates is not free): a gathering's
    day is also the next one's "previous".
    """
    entries = newest_first[:shown + 1] if shown is not None else newest_first
    days = [fmt_date(starts_at) for _id, starts_at in entries]
    return [{"gathering_id": gathering_id, "day": days[i],
             "previous_id": entries[i + 1][0] if i + 1 < len(entries) else None,
             "previous_day": days[i + 1] if i + 1 < len(entries) else ""}
            for i, (gathering_id, _start) in enumerate(entries[:shown] if shown is not None else entries)]


@bp.get("/nettverk/<int:network_id>")
@reads_only
@login_required
def show(network_id: int):
    return _show(network_id)


@bp.get("/nettverk/<int:network_id>/referater")
@login_required
def archive(network_id: int):
    network = _network(network_id)
    ops.require_view(current_user, network)
    return render_template("catalog/networks/archive.html", network=network, archive=_archive_rows(
        [(a.gathering.id, a.gathering.session.starts_at) for a in ops.minutes_archive(network)]))


@bp.post("/nettverk/<int:network_id>/ressurser")
@login_required
def add_resource(network_id: int):
    network = _network(network_id)
    ops.require_view(current_user, network)
    form = ResourceForm()
    if form.validate_on_submit():
        done = save(form, lambda: ops.add_resource(network, title=form.title.data, url=form.url.data or "",
                                                   note=form.note.data or "", actor=current_user, now=now_utc()),
                    ops.NetworkError)
        if done is not REFUSED:
            flash(_("Ressursen er delt med nettverket."), "success")
            return redirect(url_for("networks.show", network_id=network.id, _anchor="ressurser"), 303)
    return _show(network.id, resource_form=form), 400


@bp.post("/nettverk/<int:network_id>/kalenderlenke")
@login_required
def new_feed_link(network_id: int):
    network = _network(network_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    token = ops.issue_network_feed_token(network, actor=current_user, now=now_utc())
    db.session.commit()
    https = absolute_url("networks.feed", token=token)
    response = make_response(_show(network.id, new_link={"https": https, "webcal": webcal_url(https)}))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/nettverk/kalender/<token>.ics")
def feed(token: str):
    # No sign-in: the token opens this one feed, and a wrong one looks like a missing page.
    response = answer_feed(lambda: _network_feed(token))
    if response is None:
        return Response(_("Fant ikke kalenderen."), 404, content_type="text/plain; charset=utf-8",
                        headers={"Cache-Control": CACHE_CONTROL})
    return response


def _network_feed(token: str) -> FeedAnswer | None:
    found = ops.network_for_feed_token(token)
    if found is None:
        return None
    network, locale = found
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        name = _("Kompetanseportalen – %(network)s", network=network.name)
        body = build_calendar(network_calendar.network_events(network.id, now_utc()), name=name)
    return FeedAnswer(body=body, filename=ics_filename(network.name))


# --- gatherings ---------------------------------------------------------------------------

def _host_choices(form: GatheringForm, network: Network) -> None:
    form.host_school_id.choices = [(0, _("Ingen vertsskole"))] + [
        (row.school.id, row.school.name) for row in sorted(network.member_rows, key=lambda r: r.school.name)]


@bp.route("/nettverk/<int:network_id>/samlinger/ny", methods=["GET", "POST"])
@login_required
def new_gathering(network_id: int):
    network = _network(network_id)
    ops.require_manage(current_user, network)
    form = GatheringForm()
    _host_choices(form, network)
    if form.validate_on_submit():
        starts_at, ends_at = form.oslo_times()
        done = save(form, lambda: ops.add_gathering(network, starts_at=starts_at, ends_at=ends_at,
                                                    location=form.location.data or "",
                                                    host_school_id=form.host_school_id.data or None,
                                                    actor=current_user, now=now_utc()), ops.NetworkError)
        if done is not REFUSED:
            flash(_("Samlingen er lagt inn, og deltakerne får invitasjon."), "success")
            return redirect(url_for("networks.show", network_id=network.id), 303)
    return render_template("catalog/networks/gathering_form.html", form=form, network=network, gathering=None), \
        400 if request.method == "POST" else 200


@bp.route("/nettverk/<int:network_id>/samlinger/<int:gathering_id>/endre", methods=["GET", "POST"])
@login_required
def edit_gathering(network_id: int, gathering_id: int):
    network = _network(network_id)
    g = _gathering(network, gathering_id)
    ops.require_manage(current_user, network)
    if request.method == "GET":
        if problem := ops.editing_problem(g, now_utc()):
            flash(problem, "error")
            return _back(network, g)
        starts, ends = g.session.starts_at.astimezone(OSLO), g.session.ends_at.astimezone(OSLO)
        form = GatheringForm(formdata=None, data={"day": starts.date(), "start": starts.time(), "end": ends.time(),
                                                  "host_school_id": g.host_school_id or 0,
                                                  "location": g.session.location})
    else:
        form = GatheringForm()
    _host_choices(form, network)
    if form.validate_on_submit():
        starts_at, ends_at = form.oslo_times()
        changed = save(form, lambda: ops.update_gathering(g, starts_at=starts_at, ends_at=ends_at,
                                                          location=form.location.data or "",
                                                          host_school_id=form.host_school_id.data or None,
                                                          actor=current_user, now=now_utc()), ops.NetworkError)
        if changed is not REFUSED:
            flash(_("Samlingen er endret, og deltakerne får oppdatert invitasjon.") if changed
                  else _("Samlingen er lagret. Tid og sted er som før, så ingen får ny invitasjon."), "success")
            return _back(network, g)
    return render_template("catalog/networks/gathering_form.html", form=form, network=network, gathering=g), \
        400 if request.method == "POST" else 200


def _gathering_page(network, gathering, *, minutes_form=None, addition_form=None, carried_form=None, status=200):
    ops.require_view(current_user, network)
    turnout = ops.turnout(gathering)
    manage = ops.may_manage(current_user, network)
    led = current_user.led_school_ids()
    visible = turnout if manage else [t for t in turnout if t.school.id in led]
    carried_form = carried_form or CarriedBackForm(formdata=None)
    carried_form.school_id.choices = [(t.school.id, t.school.name) for t in turnout
                                      if manage or t.school.id in led]
    return render_template(
        "catalog/networks/gathering.html", network=network, gathering=gathering, turnout=visible,
        all_turnout=turnout, may_manage=manage, may_write=ops.may_write_minutes(current_user, gathering),
        may_attend=manage or ops._leads_host(current_user, gathering),
        minutes_form=minutes_form or MinutesForm(formdata=None, data={"text": gathering.minutes}),
        addition_form=addition_form or AdditionForm(formdata=None), carried_form=carried_form,
        not_recorded=ops.schools_not_carried_back(gathering), action_form=ActionForm(),
        absent=current_user.id in ops.absent_ids(gathering), taking_part=ops.is_participant(current_user, network),
        started=gathering.session.starts_at <= now_utc(), SessionStatus=SessionStatus), status


@bp.get("/nettverk/<int:network_id>/samlinger/<int:gathering_id>")
@login_required
def gathering(network_id: int, gathering_id: int):
    network = _network(network_id)
    return _gathering_page(network, _gathering(network, gathering_id))


def _back(network, gathering):
    return redirect(url_for("networks.gathering", network_id=network.id, gathering_id=gathering.id), 303)


@bp.post("/nettverk/<int:network_id>/samlinger/<int:gathering_id>/kommer-ikke")
@login_required
def cannot_come(network_id: int, gathering_id: int):
    network = _network(network_id)
    g = _gathering(network, gathering_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    cannot = request.form.get("kommer") != "ja"
    try:
        ops.say_cannot_come(g, current_user, now_utc(), cannot=cannot)
    except ops.NetworkError as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        db.session.commit()
        flash(_("Vi har notert at du ikke kommer.") if cannot else _("Vi har notert at du kommer likevel."), "success")
    return redirect(request.form.get("next") if request.form.get("next") == url_for(
        "networks.show", network_id=network.id) else url_for("networks.gathering", network_id=network.id,
                                                             gathering_id=g.id), 303)


@bp.post("/nettverk/<int:network_id>/samlinger/<int:gathering_id>/avlys")
@login_required
def cancel_gathering(network_id: int, gathering_id: int):
    network = _network(network_id)
    g = _gathering(network, gathering_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ops.cancel_gathering(g, actor=current_user, now=now_utc())
    db.session.commit()
    flash(_("Samlingen er avlyst, og deltakerne får beskjed."), "success")
    return _back(network, g)


@bp.post("/nettverk/<int:network_id>/samlinger/<int:gathering_id>/oppmote")
@login_required
def attendance(network_id: int, gathering_id: int):
    network = _network(network_id)
    g = _gathering(network, gathering_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    present = {i for i in (whole_number(v) for v in request.form.getlist("present")) if i}
    counts = {}
    for school_id in g.network.school_ids:
        raw = request.form.get(f"count-{school_id}", "").strip()
        if raw:
            number = whole_number(raw, 10000)
            if number is None:
                flash(_("Skriv antallet som et helt tall mellom 1 og 10 000."), "error")
                return _back(network, g)
            counts[school_id] = number
    done = save(form, lambda: ops.record_attendance(g, user_ids=present, school_counts=counts, actor=current_user,
                                                    now=now_utc()), ops.NetworkError)
    if done is REFUSED:
        flash(form.form_errors[-1], "error")
    else:
        flash(_("Oppmøtet er lagret."), "success")
    return _back(network, g)


@bp.post("/nettverk/<int:network_id>/samlinger/<int:gathering_id>/referat")
@login_required
def write_minutes(network_id: int, gathering_id: int):
    network = _network(network_id)
    g = _gathering(network, gathering_id)
    form = MinutesForm()
    if form.validate_on_submit():
        publish = request.form.get("publish") == "1"

        def run():
            ops.write_minutes(g, form.text.data, actor=current_user, now=now_utc())
            if publish:
                ops.publish_minutes(g, actor=current_user, now=now_utc())
        if save(form, run, ops.NetworkError) is not REFUSED:
            flash(_("Referatet er publisert.") if publish else _("Referatet er lagret."), "success")
            return _back(network, g)
    return _gathering_page(network, g, minutes_form=form, status=400)


@bp.post("/nettverk/<int:network_id>/samlinger/<int:gathering_id>/referat/tillegg")
@login_required
def add_to_minutes(network_id: int, gathering_id: int):
    network = _network(network_id)
    g = _gathering(network, gathering_id)
    form = AdditionForm()
    if form.validate_on_submit():
        if save(form, lambda: ops.add_to_minutes(g, form.text.data, actor=current_user, now=now_utc()),
                ops.NetworkError) is not REFUSED:
            flash(_("Tillegget er lagt til referatet."), "success")
            return _back(network, g)
    return _gathering_page(network, g, addition_form=form, status=400)


@bp.post("/nettverk/<int:network_id>/samlinger/<int:gathering_id>/delt")
@login_required
def carried_back(network_id: int, gathering_id: int):
    network = _network(network_id)
    g = _gathering(network, gathering_id)
    form = CarriedBackForm()
    if form.validate_on_submit():
        if save(form, lambda: ops.record_carried_back(
                g, school_id=form.school_id.data, shared_on=form.shared_on.data, place=form.place.data,
                reached=form.reached.data, note=form.note.data or "", actor=current_user, now=now_utc()),
                ops.NetworkError) is not REFUSED:
            flash(_("Det er notert hvordan skolen delte det den lærte."), "success")
            return _back(network, g)
    return _gathering_page(network, g, carried_form=form, status=400)


# --- composing collaboration groups ---------------------------------------------------------

def _groups_page(school_year: int, compose_form=None, move_form=None, status=200):
    draft = ops.composition_of_year(school_year)
    # A new proposal starts from what the present one was composed with.
    compose_form = compose_form or ComposeForm(formdata=None, data={
        "school_year": school_year, **({"last_year": draft.composed_with.value} if draft.composed_with else {})})
    move_form = move_form or MoveForm(formdata=None)
    move_form.school_id.choices = [(0, _("Velg skole"))] + sorted(
        ((s.id, f"{s.name} ({g.network.name})") for g in draft.groups for s in g.schools), key=lambda c: c[1])
    move_form.to_network_id.choices = [(0, _("Velg gruppe"))] + [(g.network.id, g.network.name) for g in draft.groups]
    return render_template("catalog/networks/groups.html", draft=draft, school_year=school_year,
                           compose_form=compose_form, move_form=move_form, action_form=ActionForm(),
                           last_year_points=composition.LAST_YEAR_POINTS), status


@bp.get("/nettverk/grupper")
@login_required
def groups():
    require(current_user.is_admin)
    year = whole_number(request.args.get("skoleaar"), LAST_YEAR)
    # A year the compose form would refuse is not shown either: the page opens on this school year instead.
    return _groups_page(year if year and year >= FIRST_YEAR else _this_year())


@bp.post("/nettverk/grupper/foresla")
@login_required
def compose():
    require(current_user.is_admin)
    form = ComposeForm()
    if form.validate_on_submit():
        year = form.school_year.data
        if save(form, lambda: ops.compose_groups(year, composition.LastYear(form.last_year.data), actor=current_user,
                                                 now=now_utc()), ops.NetworkError) is not REFUSED:
            flash(_("Forslaget til grupper er laget. Flytt skoler om du vil, og publiser."), "success")
            return redirect(url_for("networks.groups", skoleaar=year), 303)
    return _groups_page(form.school_year.data if isinstance(form.school_year.data, int)
                        and 2000 <= form.school_year.data <= 2100 else _this_year(), compose_form=form, status=400)


@bp.post("/nettverk/grupper/<int:school_year>/flytt")
@login_required
def move(school_year: int):
    require(current_user.is_admin)
    form = MoveForm()
    form.school_id.choices, form.to_network_id.choices = [], []
    if form.validate_on_submit():
        if save(form, lambda: ops.move_school(form.school_id.data, form.to_network_id.data, school_year=school_year,
                                              actor=current_user, now=now_utc()), ops.NetworkError) is not REFUSED:
            flash(_("Skolen er flyttet."), "success")
            return redirect(url_for("networks.groups", skoleaar=school_year), 303)
    return _groups_page(school_year, move_form=form, status=400)


@bp.post("/nettverk/grupper/<int:school_year>/publiser")
@login_required
def publish(school_year: int):
    require(current_user.is_admin)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    queued = save(form, lambda: ops.publish_groups(school_year, actor=current_user, now=now_utc()), ops.NetworkError)
    if queued is REFUSED:
        flash(form.form_errors[-1], "error")
    else:
        flash(_("Gruppene er publisert. %(n)d skoleledere får e-post.", n=queued), "success")
    return redirect(url_for("networks.groups", skoleaar=school_year), 303)


# --- rounds of gatherings ----------------------------------------------------------------

def _round(round_id: int) -> GatheringRound:
    return db.get_or_404(GatheringRound, round_id)


@bp.route("/nettverk/runder", methods=["GET", "POST"])
@login_required
def rounds():
    require(current_user.is_admin)
    form = RoundForm(data={"school_year": _this_year()}) if request.method == "GET" else RoundForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            if save(form, lambda: ops.create_round(school_year=form.school_year.data, title=form.title.data,
                                                   window_start=form.window_start.data,
                                                   window_end=form.window_end.data, actor=current_user,
                                                   now=now_utc()), ops.NetworkError) is not REFUSED:
                flash(_("Runden er opprettet. Gruppenes ledere kan nå avtale samlingen."), "success")
                return redirect(url_for("networks.rounds"), 303)
        status = 400
    all_rounds = list(db.session.scalars(db.select(GatheringRound).order_by(GatheringRound.window_start.desc())))
    rows = [(r, ops.round_groups(r), ops.unscheduled_groups(r)) for r in all_rounds]
    return render_template("catalog/networks/rounds.html", form=form, rows=rows, action_form=ActionForm()), status


@bp.post("/nettverk/runder/<int:round_id>/paminn")
@login_required
def remind(round_id: int):
    round_ = _round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    queued = ops.remind_unscheduled(round_, actor=current_user, now=now_utc())
    db.session.commit()
    flash(_("Påminnelse sendt til %(n)d skoleledere.", n=queued), "success")
    return redirect(url_for("networks.rounds"), 303)


def _schedule_page(network, round_, form=None, status=200):
    ops.require_view(current_user, network)
    form = form or GatheringForm(formdata=None)
    _host_choices(form, network)
    led = current_user.led_school_ids() & set(network.school_ids)
    return render_template("catalog/networks/schedule.html", network=network, round=round_, form=form,
                           proposals=ops.proposals(round_, network), agreed=ops.agreed_proposal(round_.id, network.id),
                           is_leader=bool(led), led=led, action_form=ActionForm(),
                           ProposalStatus=ProposalStatus, now=now_utc()), status


@bp.get("/nettverk/<int:network_id>/runder/<int:round_id>")
@login_required
def schedule(network_id: int, round_id: int):
    network, round_ = _network(network_id), _round(round_id)
    if not ops.in_round(network, round_):
        abort(404)  # no such page to agree on: proposing for it is refused too
    return _schedule_page(network, round_)


@bp.post("/nettverk/<int:network_id>/runder/<int:round_id>/forslag")
@login_required
def propose(network_id: int, round_id: int):
    network, round_ = _network(network_id), _round(round_id)
    form = GatheringForm()
    _host_choices(form, network)
    if form.validate_on_submit():
        starts_at, ends_at = form.oslo_times()
        result = save(form, lambda: ops.propose_date(
            round_, network.id, starts_at=starts_at, ends_at=ends_at, host_school_id=form.host_school_id.data or None,
            location=form.location.data or "", actor=current_user, now=now_utc()).status, ops.NetworkError)
        if result is not REFUSED:
            # The status as this request left it: read after the commit, it may be another leader's doing.
            flash(_("Samlingen er avtalt.") if result == ProposalStatus.AGREED
                  else _("Forslaget er sendt til de andre skolene i gruppen."), "success")
            return redirect(url_for("networks.schedule", network_id=network.id, round_id=round_.id), 303)
    return _schedule_page(network, round_, form, 400)


@bp.post("/nettverk/<int:network_id>/runder/<int:round_id>/forslag/<int:proposal_id>/bekreft")
@login_required
def confirm(network_id: int, round_id: int, proposal_id: int):
    network, round_ = _network(network_id), _round(round_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    result = save(form, lambda: ops.confirm_proposal(proposal_id, actor=current_user, now=now_utc()).status,
                  ops.NetworkError)
    if result is REFUSED:
        flash(form.form_errors[-1], "error")
    else:
        flash(_("Samlingen er avtalt.") if result == ProposalStatus.AGREED
              else _("Du har bekreftet forslaget."), "success")
    return redirect(url_for("networks.schedule", network_id=network.id, round_id=round_.id), 303)



