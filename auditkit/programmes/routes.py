"""Certifications, their cycle, taking on certified clients, and audit time.

Who may do what: staff see every certification (VIEW_PROGRAMMES); an auditee sees only their
own organisation's, read-only (the scoped queries answer 404 for any other); programme managers
and administrators open and change them (MANAGE_PROGRAMMES); administrators keep the body's
ISO/IEC 42001 audit-time table (MANAGE_SETTINGS).
"""

import re

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from auditkit.accounts.policy import Permission, is_staff, may, requires
from auditkit.accounts.services import StaleEdit
from auditkit.models import AuditType
from auditkit.programmes import audit_time, certifications, cycles, overview, services
from auditkit.programmes.forms import (
    AimsRowForm,
    AuditTimeForm,
    CertificationForm,
    DecisionForm,
    DeleteRowForm,
    TakeOverForm,
)
from auditkit.programmes.services import NotFound, ProgrammeError
from auditkit.programmes.timeline import day_text
from auditkit.web.numbers import whole_number
from auditkit.web.templating import render_page
from auditkit.web.transactions import commit, request_db

bp = Blueprint("programmes", __name__)


@bp.app_template_filter("programme_day")
def programme_day(value) -> str:
    """A date as people read it on the programme screens: 24 November 2026."""
    return day_text(value) if value else "—"


@bp.app_template_filter("days")
def days(value) -> str:
    """A number of days as computed (3.6, 4.5, 16), never in exponent form."""
    return audit_time.days_text(value)


def _found(load, *args, **kwargs):
    try:
        return load(*args, **kwargs)
    except NotFound:
        abort(404)


def _find_field(form, name: str):
    for field in form:
        if field.name == name:
            return field
        if field.type == "FormField":
            found = _find_field(field.form, name)
        elif field.type == "FieldList":
            found = next((hit for entry in field.entries
                          if (hit := _find_field(entry.form, name)) is not None), None)
        else:
            found = None
        if found is not None:
            return found
    return None


def _show_error(form, error: ProgrammeError) -> None:
    request_db().rollback()
    field = _find_field(form, error.field_name) if error.field_name else None
    if field is not None:
        field.errors = list(field.errors) + [str(error)]
    else:
        form.form_errors.append(str(error))


# --- certifications ------------------------------------------------------------------------------

@bp.get("/certifications")
@requires(Permission.VIEW_PROGRAMMES)
def certifications_list():
    rows = certifications.certification_rows(request_db(), current_user)
    return render_page("programmes/certifications.html", rows=rows,
                       can_manage=may(current_user, Permission.MANAGE_PROGRAMMES))


@bp.route("/certifications/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROGRAMMES)
def new_certification():
    db = request_db()
    client_id = request.args.get("client_id", type=int)
    if client_id is None:
        return render_page("programmes/certification_new.html", client=None, form=None,
                           clients=services.client_choices(db, current_user))
    client = _found(certifications.client_for_new_certification, db, current_user, client_id)
    form = CertificationForm()
    form.offer_sites(certifications.client_sites(db, client.id))
    if request.method == "GET" or not form.validate_on_submit():
        return _new_page(client, form, 422 if request.method == "POST" else 200)
    try:
        created = certifications.open_certification(db, current_user, client.id, form.to_input(),
                                                    actor_id=current_user.id)
    except ProgrammeError as error:
        _show_error(form, error)
        return _new_page(client, form, 422)
    commit()
    flash(f"Certification {created.reference} opened.", "success")
    return redirect(url_for("programmes.certification", certification_id=created.id))


def _new_page(client, form, status: int):
    return render_page("programmes/certification_new.html", client=client, form=form,
                       clients=[], status=status)


@bp.get("/certifications/<int:certification_id>")
@requires(Permission.SIGNED_IN)
def certification(certification_id: int):
    """Staff see every certification; an auditee only their own organisation's (404 else)."""
    page = _found(overview.certification_page, request_db(), current_user, certification_id)
    return render_page("programmes/certification.html", page=page,
                       can_manage=may(current_user, Permission.MANAGE_PROGRAMMES),
                       is_staff=is_staff(current_user), **_scheduling_links())


def _scheduling_links() -> dict:
    """Links to the scheduling feature's screens, when it is installed."""
    views = current_app.view_functions
    return {"plan_audit_endpoint": "scheduling.new_audit" if "scheduling.new_audit" in views
            else None,
            "audit_endpoint": "scheduling.audit" if "scheduling.audit" in views else None}


@bp.route("/certifications/<int:certification_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROGRAMMES)
def edit_certification(certification_id: int):
    db = request_db()
    page = _found(overview.certification_page, db, current_user, certification_id)
    form = CertificationForm(formdata=None) if request.method == "GET" else CertificationForm()
    form.offer_sites(certifications.client_sites(db, page.client_id))
    if request.method == "GET":
        _fill_certification_form(form, page, db)
        return _edit_page(page, form, 200)
    if not form.validate_on_submit():
        return _edit_page(page, form, 422)
    try:
        certifications.update_certification(
            db, current_user, certification_id, form.to_input(),
            expected_version=whole_number(form.version.data, 0), actor_id=current_user.id)
    except StaleEdit:
        request_db().rollback()
        form.form_errors.append("Someone else changed this certification after you opened the "
                                "page. Reload to see their changes.")
        return _edit_page(page, form, 409)
    except ProgrammeError as error:
        _show_error(form, error)
        return _edit_page(page, form, 422)
    commit()
    flash("Certification saved.", "success")
    return redirect(url_for("programmes.certification", certification_id=certification_id))


def _fill_certification_form(form, page, db) -> None:
    form.schemes.data = [line.scheme for line in page.schemes]
    for line in page.schemes:
        form.edition_field(line.scheme).data = line.edition
    form.integration.data = page.integration
    form.scope.data = page.scope
    form.site_ids.data = [str(site_id) for site_id in
                          certifications.certification_site_ids(db, page.id)]
    form.version.data = str(page.version)


def _edit_page(page, form, status: int):
    return render_page("programmes/certification_edit.html", page=page, form=form,
                       status=status)


# --- the cycle -----------------------------------------------------------------------------------

@bp.route("/certifications/<int:certification_id>/decision", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROGRAMMES)
def record_decision(certification_id: int):
    db = request_db()
    page = _found(overview.certification_page, db, current_user, certification_id)
    form = DecisionForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _decision_page(page, form, 422 if request.method == "POST" else 200)
    try:
        cycles.record_decision(db, current_user, certification_id, form.decision_date.data,
                               form.note.data or "", actor_id=current_user.id)
    except ProgrammeError as error:
        _show_error(form, error)
        return _decision_page(page, form, 422)
    commit()
    flash("Certification decision recorded: cycle 1 starts.", "success")
    return redirect(url_for("programmes.certification", certification_id=certification_id))


def _decision_page(page, form, status: int):
    return render_page("programmes/decision.html", page=page, form=form, status=status)


@bp.route("/certifications/<int:certification_id>/take-over", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROGRAMMES)
def take_over(certification_id: int):
    db = request_db()
    page = _found(overview.certification_page, db, current_user, certification_id)
    form = TakeOverForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _take_over_page(page, form, 422 if request.method == "POST" else 200)
    try:
        cycles.take_over(db, current_user, certification_id, form.to_input(),
                         actor_id=current_user.id)
    except ProgrammeError as error:
        _show_error(form, error)
        return _take_over_page(page, form, 422)
    commit()
    flash("Existing certification taken on: the cycle continues with its own expiry.",
          "success")
    return redirect(url_for("programmes.certification", certification_id=certification_id))


def _take_over_page(page, form, status: int):
    expected = None
    if form.decision_date.data:
        expected = cycles.expected_expiry(request_db(), form.decision_date.data)
    return render_page("programmes/take_over.html", page=page, form=form,
                       expected_expiry=expected, status=status)


# --- audit time ----------------------------------------------------------------------------------

@bp.get("/certifications/<int:certification_id>/audit-time")
@requires(Permission.VIEW_PROGRAMMES)
def audit_time_screen(certification_id: int):
    """Calculating changes nothing, so it is a GET any staff member may use; saving the result
    with an audit is the POST below."""
    context = _found(audit_time.time_context, request_db(), current_user, certification_id)
    if "calculate" not in request.args:
        form = _first_time_form(context)
        return _time_page(context, form, None, 200)
    form = AuditTimeForm(formdata=request.args, meta={"csrf": False})
    form.offer_audits(context.audits)
    form.name_headcounts(context.schemes)
    result, status = _calculated(context, form)
    if result is not None and request.args.get("print"):
        data = audit_time.preview(request_db(), context, result,
                                  calculated_by=current_user.full_name)
        return render_page("programmes/audit_time_print.html", data=data, audit=None,
                           planned_for_label=result.planned_for_label,
                           back_url=_screen_url(context, print_view=False))
    return _time_page(context, form, result, status)


FIELD_NAME = re.compile(r"[a-z][a-z0-9_-]{0,60}")


def _screen_url(context, *, print_view: bool) -> str:
    # Only the calculator's own field names travel on: url_for reads `_anchor`, `_external`,
    # `_scheme` and `_method` as instructions, never as query arguments.
    args = {name: values for name, values in request.args.to_dict(flat=False).items()
            if name != "print" and FIELD_NAME.fullmatch(name)}
    if print_view:
        args["print"] = ["1"]
    return url_for("programmes.audit_time_screen", certification_id=context.certification_id,
                   **args)


@bp.post("/certifications/<int:certification_id>/audit-time")
@requires(Permission.MANAGE_PROGRAMMES)
def save_audit_time(certification_id: int):
    db = request_db()
    context = _found(audit_time.time_context, db, current_user, certification_id)
    form = AuditTimeForm()
    form.offer_audits(context.audits)
    form.name_headcounts(context.schemes)
    if not form.validate_on_submit():
        return _time_page(context, form, None, 422)
    audit_id = form.selected_audit_id()
    if audit_id is None:
        form.audit_id.errors = ["Choose the audit to store the time with."]
        return _time_page(context, form, None, 422)
    try:
        audit, _result = audit_time.save_for_audit(
            db, current_user, context, audit_id, form.to_input(), actor_id=current_user.id,
            actor_name=current_user.full_name)
    except NotFound:
        abort(404)
    except ProgrammeError as error:
        _show_error(form, error)
        return _time_page(context, form, None, 422)
    commit()
    flash(f"Audit time saved: {audit.planned_days} days planned for the "
          f"{AuditType(audit.audit_type).label} audit.", "success")
    return redirect(url_for("programmes.audit_time_print", audit_id=audit.id))


def _first_time_form(context):
    chosen = context.audit(request.args.get("audit_id", type=int))
    schemes = []
    for line in context.schemes:
        record = context.personnel.get(line.scheme)
        schemes.append({"scheme": line.scheme,
                        "effective_personnel": record.headcount if record else None,
                        "ai_role": (record.ai_role if record else None) or ""})
    form = AuditTimeForm(formdata=None, meta={"csrf": False}, schemes=schemes,
                         planned_for=chosen.planned_for if chosen else "initial",
                         audit_id=str(chosen.id) if chosen else "",
                         stage1_share=context.stage1_share)
    form.offer_audits(context.audits)
    form.name_headcounts(context.schemes)
    return form


def _calculated(context, form):
    if not form.validate():
        return None, 422
    try:
        return audit_time.calculate(context, form.to_input()), 200
    except ProgrammeError as error:
        _show_error(form, error)
        return None, 422


def _time_page(context, form, result, status: int):
    return render_page("programmes/audit_time.html", context=context, form=form, result=result,
                       can_manage=may(current_user, Permission.MANAGE_PROGRAMMES),
                       print_url=_screen_url(context, print_view=True) if result else None,
                       status=status)


@bp.get("/audit-time/<int:audit_id>")
@requires(Permission.SIGNED_IN)
def audit_time_print(audit_id: int):
    """The stored justification, printable (TIME-01: available to the client as well). Scoped
    by visible_audits: an auditor sees the audits they are on, an auditee their own."""
    stored = _found(audit_time.stored_justification, request_db(), current_user, audit_id)
    return render_page("programmes/audit_time_print.html", data=stored.data, audit=stored,
                       planned_for_label=stored.planned_for_label,
                       back_url=url_for("programmes.certification",
                                        certification_id=stored.certification_id))


# --- the body's ISO/IEC 42001 audit-time table ---------------------------------------------------

@bp.route("/audit-time-table", methods=["GET", "POST"])
@requires(Permission.MANAGE_SETTINGS)
def audit_time_table():
    db = request_db()
    form = AimsRowForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            audit_time.add_aims_row(db, ai_role=form.ai_role.data,
                                    min_personnel=form.min_personnel.data,
                                    max_personnel=form.max_personnel.data, days=form.days.data,
                                    actor_id=current_user.id)
        except ProgrammeError as error:
            _show_error(form, error)
        else:
            commit()
            flash("Row added to the ISO/IEC 42001 audit-time table.", "success")
            return redirect(url_for("programmes.audit_time_table"))
    return render_page("programmes/audit_time_table.html", form=form,
                       rows=audit_time.aims_table(db), delete_form=DeleteRowForm(formdata=None),
                       status=422 if request.method == "POST" else 200)


@bp.post("/audit-time-table/delete")
@requires(Permission.MANAGE_SETTINGS)
def delete_audit_time_row():
    form = DeleteRowForm()
    if not form.validate_on_submit():
        abort(400)
    _found(audit_time.delete_aims_row, request_db(), form.row_id.data, actor_id=current_user.id)
    commit()
    flash("Row deleted.", "success")
    return redirect(url_for("programmes.audit_time_table"))
