"""Statement of Applicability screens of a client: view, history, edit, import, print.

Anyone who may see the client may read its SoA (staff: every client; an auditee: only their
own organisation; another client's answers 404). Programme managers and administrators record
new revisions.
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from auditkit.accounts.policy import Permission, may, requires
from auditkit.models.clients import Scheme
from auditkit.soa import services
from auditkit.soa.forms import (
    APPLICABILITY_OPTIONS,
    STATUS_OPTIONS,
    EditForm,
    ImportForm,
    answers_from_form,
    answers_from_rows,
)
from auditkit.soa.importer import COLUMN_NAMES, HEADERS, INFORMATIONAL, MAX_FILE_BYTES
from auditkit.web.numbers import whole_number
from auditkit.web.templating import render_page
from auditkit.web.transactions import commit, request_db

bp = Blueprint("soa", __name__, url_prefix="/clients/<int:client_id>/soa")


def _scheme(value: str) -> Scheme:
    scheme = services.scheme_of(value)
    if scheme is None:
        abort(404)
    return scheme


def _page(client_id: int, scheme: Scheme, revision: int | None = None) -> services.SoAPage:
    page = services.soa_page(request_db(), current_user, client_id, scheme, revision)
    if page is None:
        abort(404)
    return page


def _editable_page(client_id: int, scheme_value: str) -> services.SoAPage:
    page = _page(client_id, _scheme(scheme_value))
    if not page.has_annex_a:
        abort(404)
    return page


@bp.get("")
@requires(Permission.VIEW_CLIENTS)
def index(client_id: int):
    found = services.overview(request_db(), current_user, client_id)
    if found is None:
        abort(404)
    return render_page("soa/index.html", overview=found,
                       can_edit=may(current_user, Permission.MANAGE_CLIENTS))


@bp.get("/<scheme>")
@requires(Permission.VIEW_CLIENTS)
def show(client_id: int, scheme: str):
    return _soa_screen(_page(client_id, _scheme(scheme)))


@bp.get("/<scheme>/revisions/<int:revision>")
@requires(Permission.VIEW_CLIENTS)
def revision(client_id: int, scheme: str, revision: int):
    return _soa_screen(_page(client_id, _scheme(scheme), revision))


def _soa_screen(page: services.SoAPage):
    return render_page("soa/soa.html", page=page,
                       can_edit=may(current_user, Permission.MANAGE_CLIENTS))


@bp.get("/<scheme>/print")
@requires(Permission.VIEW_CLIENTS)
def printable(client_id: int, scheme: str):
    wanted = request.args.get("revision", type=int)
    page = _page(client_id, _scheme(scheme), wanted)
    return render_page("soa/print.html", page=page, printed_at=services.now())


@bp.get("/<scheme>/export.csv")
@requires(Permission.VIEW_CLIENTS)
def export(client_id: int, scheme: str):
    found = services.export(request_db(), current_user, client_id, _scheme(scheme))
    if found is None:
        abort(404)
    filename, text = found
    return ("\ufeff" + text, 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/<scheme>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLIENTS)
def edit(client_id: int, scheme: str):
    page = _editable_page(client_id, scheme)
    if request.method == "GET":
        form = EditForm(formdata=None)
        form.base_revision.data = str(page.current.revision if page.current else 0)
        return _edit_screen(page, form, answers_from_rows(page.rows))
    form = EditForm()
    controls = services.annex_a(page.scheme).controls
    answers, entries = answers_from_form(request.form, controls)
    refused = sum(1 for answer in answers if answer.errors)
    if not form.validate_on_submit() or refused:
        if refused:
            form.form_errors.append(_refused_message(answers))
        return _edit_screen(page, form, answers, 422)
    try:
        number = services.save_revision(
            request_db(), current_user, client_id, page.scheme, entries, form.header(),
            base_revision=_int(form.base_revision.data), actor_id=current_user.id)
    except services.StaleEdit:
        return _stale_edit_screen(client_id, page.scheme, form, answers)
    except services.SoAInputError as error:
        form.form_errors.extend(problem.message for problem in error.problems)
        return _edit_screen(page, form, answers, 422)
    commit()
    flash(f"Revision {number} of the {page.scheme.label} SoA saved.", "success")
    return redirect(url_for("soa.show", client_id=client_id, scheme=page.scheme.value))


def _stale_edit_screen(client_id: int, scheme: Scheme, form, answers):
    """Someone recorded a revision since the form was opened: nothing is saved; the form keeps
    this user's answers, links to the newer revision, and a second save (now against it)
    records these answers as the next revision."""
    request_db().rollback()
    fresh = _page(client_id, scheme)
    newer = fresh.current
    form.form_errors.append(
        f"Revision {newer.revision} ({newer.client_version_label}) was recorded by "
        f"{newer.created_by} after you opened this page. Nothing was saved. Compare it with "
        f"your answers below; saving again records your answers as revision "
        f"{newer.revision + 1}.")
    form.base_revision.data = str(newer.revision)
    return _edit_screen(fresh, form, answers, 409, newer=newer)


def _refused_message(answers) -> str:
    named = [answer.control_id for answer in answers if answer.errors]
    shown = ", ".join(named[:10]) + (", ..." if len(named) > 10 else "")
    return (f"Nothing was saved: {len(named)} control{'s need' if len(named) > 1 else ' needs'} "
            f"attention ({shown}). The reasons are shown next to each control.")


def _int(value: str | None) -> int | None:
    # A tampered value never matches a revision: reported as stale.
    return whole_number(value, -1) if value not in (None, "") else None


def _edit_screen(page, form, answers, status: int = 200, newer=None):
    return render_page("soa/edit.html", page=page, form=form, answers=answers, newer=newer,
                       status_options=STATUS_OPTIONS, applicability_options=APPLICABILITY_OPTIONS,
                       status=status)


@bp.route("/<scheme>/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLIENTS)
def import_file(client_id: int, scheme: str):
    page = _editable_page(client_id, scheme)
    if request.method == "GET":
        return _import_screen(page, ImportForm())
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_screen(page, form, status=422)
    upload = form.file.data
    data = upload.read(MAX_FILE_BYTES + 1)  # one byte more is enough to refuse a larger file
    try:
        number, result = services.import_file(
            request_db(), current_user, client_id, page.scheme, data,
            upload.filename or "", form.header(), actor_id=current_user.id)
    except services.ImportRefused as refused:
        return _import_screen(page, form, refused.result, upload.filename, 422)
    except services.SoAInputError as error:
        form.form_errors.extend(problem.message for problem in error.problems)
        return _import_screen(page, form, status=422)
    except services.StaleEdit:
        form.form_errors.append("Someone recorded a new revision at the same moment. Nothing "
                                "was imported: upload the file again.")
        return _import_screen(page, form, status=409)
    commit()
    flash(f"Revision {number} of the {page.scheme.label} SoA imported from "
          f"{upload.filename or 'the file'} ({len(result.entries)} controls).", "success")
    if result.ignored_columns:
        flash(f"Columns not used: {', '.join(result.ignored_columns)}.", "warning")
    return redirect(url_for("soa.show", client_id=client_id, scheme=page.scheme.value))


def _import_screen(page, form, result=None, filename=None, status: int = 200):
    return render_page("soa/import.html", page=page, form=form, result=result,
                       filename=filename, headers=HEADERS, column_names=COLUMN_NAMES,
                       informational=INFORMATIONAL, status_options=STATUS_OPTIONS[1:],
                       status=status)
