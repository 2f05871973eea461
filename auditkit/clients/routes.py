"""Client screens: the list, the client page, its edit screens and the bulk import."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from auditkit.accounts.policy import Permission, may, requires
from auditkit.clients import checks, services
from auditkit.clients.forms import (
    AISystemsForm,
    ClientDetailsForm,
    ContactsForm,
    ImportForm,
    PersonnelForm,
    SitesForm,
)
from auditkit.clients.importer import COLUMNS, MAX_FILE_BYTES, ImportKind
from auditkit.models import Scheme
from auditkit.web import drafts
from auditkit.web.numbers import whole_number
from auditkit.web.templating import render_page
from auditkit.web.transactions import commit, request_db

bp = Blueprint("clients", __name__, url_prefix="/clients")

CONFLICT = ("Someone else saved changes to this client after you opened this page. Your "
            "changes below were not saved; the version saved now is shown beside them. Save "
            "again to replace it with yours, or reload the page to start from theirs.")


# --- helpers ----------------------------------------------------------------------------------

def _profile_or_404(client_id: int) -> services.ClientProfile:
    profile = services.get_profile(request_db(), current_user, client_id)
    if profile is None:
        abort(404)
    return profile


def _number(text: str | None) -> int | None:
    """An id from a hidden field: None when empty, -1 (no such row) when not a number."""
    text = (text or "").strip()
    if not text:
        return None
    return whole_number(text, -1)


def _version(form) -> int:
    return whole_number(form.version.data, 0)


def _fields_by_name(form) -> dict:
    found = {}
    for field in form:
        if field.type == "FieldList":
            for entry in field.entries:
                found.update({sub.name: sub for sub in entry})
        else:
            found[field.name] = field
    return found


def _attach(form, problems: list[services.Problem]) -> None:
    fields = _fields_by_name(form)
    for problem in problems:
        target = fields.get(problem.field)
        if target is None:
            form.form_errors.append(problem.message)
        else:
            target.errors = list(target.errors) + [problem.message]


# --- list and page ----------------------------------------------------------------------------

@bp.get("")
@requires(Permission.VIEW_PROGRAMMES)
def index():
    query = request.args.get("q", "").strip()[:100]
    page = request.args.get("page", "1")
    listing = services.list_clients(request_db(), current_user, query,
                                    whole_number(page, 1))
    return render_page("clients/index.html", block="client_results", listing=listing,
                       can_edit=may(current_user, Permission.MANAGE_CLIENTS))


@bp.get("/<int:client_id>")
@requires(Permission.VIEW_CLIENTS)
def show(client_id: int):
    profile = _profile_or_404(client_id)
    staff = may(current_user, Permission.VIEW_PROGRAMMES)
    history = services.client_history(request_db(), client_id) if staff else []
    return render_page("clients/show.html", profile=profile, history=history, staff=staff,
                       can_edit=may(current_user, Permission.MANAGE_CLIENTS),
                       schemes=list(Scheme), client=profile, **_certifications_slot(client_id))


def _certifications_slot(client_id: int) -> dict:
    """What the programmes feature's part of the client page needs
    (templates/programmes/_client_certifications.html); nothing while that feature is not
    registered, so the page never depends on it."""
    if "programmes" not in current_app.blueprints:
        return {"show_certifications": False}
    from auditkit.programmes.certifications import client_certifications

    return {"show_certifications": True,
            "client_certifications": client_certifications(request_db(), current_user,
                                                           client_id),
            "can_manage_programmes": may(current_user, Permission.MANAGE_PROGRAMMES)}


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLIENTS)
def create():
    if request.method == "GET":
        form = ClientDetailsForm(formdata=drafts.restored_formdata(request.path) or None)
        return render_page("clients/new.html", form=form)
    form = ClientDetailsForm()
    if not form.validate_on_submit():
        return render_page("clients/new.html", form=form, status=422)
    try:
        client_id = services.create_client(request_db(), _details(form),
                                           actor_id=current_user.id)
    except services.ClientInputError as error:
        request_db().rollback()
        _attach(form, error.problems)
        return render_page("clients/new.html", form=form, status=422)
    commit()
    flash(f"Client {form.name.data.strip()} created. Add its sites, personnel and contacts.",
          "success")
    return redirect(url_for("clients.show", client_id=client_id))


def _details(form) -> services.ClientDetails:
    return services.ClientDetails(form.name.data or "", form.address.data or "",
                                  form.language.data or "", form.sector.data or "")


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLIENTS)
def edit(client_id: int):
    profile = _profile_or_404(client_id)
    if request.method == "GET":
        restored = drafts.restored_formdata(request.path)
        form = ClientDetailsForm(formdata=restored or None,
                                 data=None if restored else _details_data(profile))
        return _edit_page("clients/edit.html", form, profile)
    form = ClientDetailsForm()
    if not form.validate_on_submit():
        return _edit_page("clients/edit.html", form, profile, 422)
    return _save(form, profile, "clients/edit.html", "Details saved.", lambda: (
        services.update_details(request_db(), current_user, client_id, _details(form),
                                expected_version=_version(form), actor_id=current_user.id)))


def _details_data(profile: services.ClientProfile) -> dict:
    return {"name": profile.name, "address": profile.address, "language": profile.language,
            "sector": profile.sector, "version": str(profile.version)}


def _edit_page(template: str, form, profile, status: int = 200, conflict: bool = False):
    return render_page(template, form=form, profile=profile, status=status, conflict=conflict,
                       schemes=list(Scheme))


def _save(form, profile, template: str, message: str, save: Callable, anchor: str = ""):
    """Run one save; 409 with both versions when someone else saved first, 422 with the
    messages in place when the input cannot be saved. Nothing changes in either case."""
    try:
        warnings = save()
    except services.StaleEdit:
        request_db().rollback()
        current = _profile_or_404(profile.id)
        form.version.data = str(current.version)
        form.form_errors.append(CONFLICT)
        return _edit_page(template, form, current, 409, conflict=True)
    except services.ClientInputError as error:
        request_db().rollback()
        _attach(form, error.problems)
        return _edit_page(template, form, profile, 422)
    except LookupError:
        abort(404)
    commit()
    flash(message, "success")
    for warning in warnings if isinstance(warnings, list) else []:
        flash(warning, "warning")
    return redirect(url_for("clients.show", client_id=profile.id) + anchor)


# --- lists of rows: sites, contacts, AI systems -------------------------------------------------

@dataclass(frozen=True)
class RowEditor:
    """One screen that edits a list of rows of a client."""

    template: str
    list_name: str
    form_class: type
    initial: Callable  # profile -> list of row dicts
    to_input: Callable  # row form -> service input
    save: Callable  # services.save_*
    message: str
    anchor: str


def _site_rows(profile):
    return [{"site_id": str(s.id), "name": s.name, "kind": s.kind, "address": s.address,
             "personnel": s.personnel} for s in profile.sites]


def _site_input(row) -> services.SiteInput:
    return services.SiteInput(_number(row.site_id.data), row.name.data or "", row.kind.data or "",
                              row.address.data or "", row.personnel.data, bool(row.remove.data))


def _contact_rows(profile):
    return [{"contact_id": str(c.id), "name": c.name, "position": c.position, "email": c.email,
             "phone": c.phone} for c in profile.contacts]


def _contact_input(row) -> services.ContactInput:
    return services.ContactInput(_number(row.contact_id.data), row.name.data or "",
                                 row.position.data or "", row.email.data or "",
                                 row.phone.data or "", bool(row.remove.data))


def _system_rows(profile):
    return [{"ai_system_id": str(s.id), "name": s.name, "purpose": s.purpose,
             "ai_role": s.ai_role, "risk_level": s.risk_level,
             "site_ids": [str(i) for i in s.site_ids]} for s in profile.ai_systems]


def _system_input(row) -> services.AISystemInput:
    site_ids = tuple(-1 if n is None else n for n in map(_number, row.site_ids.data or []))
    return services.AISystemInput(_number(row.ai_system_id.data), row.name.data or "",
                                  row.purpose.data or "", row.ai_role.data or "",
                                  row.risk_level.data or "", site_ids, bool(row.remove.data))


EDITORS = {
    "sites": RowEditor("clients/sites.html", "sites", SitesForm, _site_rows, _site_input,
                       services.save_sites, "Sites saved.", "#sites"),
    "contacts": RowEditor("clients/contacts.html", "contacts", ContactsForm, _contact_rows,
                          _contact_input, services.save_contacts, "Contacts saved.",
                          "#contacts"),
    "systems": RowEditor("clients/ai_systems.html", "systems", AISystemsForm, _system_rows,
                         _system_input, services.save_ai_systems, "AI systems saved.",
                         "#ai-systems"),
}


def _with_site_choices(form, profile):
    if isinstance(form, AISystemsForm):
        choices = [SelectChoice(str(site.id), site.name) for site in profile.sites]
        for entry in form.systems.entries:
            entry.form.site_ids.choices = choices
    return form


def _edit_rows(editor: RowEditor, client_id: int):
    profile = _profile_or_404(client_id)
    if request.method == "GET":
        restored = drafts.restored_formdata(request.path)
        form = editor.form_class(formdata=restored or None, data=None if restored else {
            editor.list_name: editor.initial(profile), "version": str(profile.version)})
        if not restored:
            getattr(form, editor.list_name).append_entry()
        return _edit_page(editor.template, _with_site_choices(form, profile), profile)
    form = editor.form_class()
    if request.form.get("add_row"):
        getattr(form, editor.list_name).append_entry()
        return _edit_page(editor.template, _with_site_choices(form, profile), profile)
    _with_site_choices(form, profile)
    if not form.validate_on_submit():
        return _edit_page(editor.template, form, profile, 422)
    rows = [editor.to_input(entry.form) for entry in getattr(form, editor.list_name).entries]
    return _save(form, profile, editor.template, editor.message, lambda: editor.save(
        request_db(), current_user, client_id, rows, expected_version=_version(form),
        actor_id=current_user.id), editor.anchor)


@bp.route("/<int:client_id>/sites", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLIENTS)
def sites(client_id: int):
    return _edit_rows(EDITORS["sites"], client_id)


@bp.route("/<int:client_id>/contacts", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLIENTS)
def contacts(client_id: int):
    return _edit_rows(EDITORS["contacts"], client_id)


@bp.route("/<int:client_id>/ai-systems", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLIENTS)
def ai_systems(client_id: int):
    return _edit_rows(EDITORS["systems"], client_id)


# --- personnel and technical areas ------------------------------------------------------------

@bp.route("/<int:client_id>/personnel", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLIENTS)
def personnel(client_id: int):
    profile = _profile_or_404(client_id)
    if request.method == "GET":
        restored = drafts.restored_formdata(request.path)
        form = PersonnelForm(formdata=restored or None,
                             data=None if restored else _personnel_data(profile))
        return _personnel_page(form, profile)
    form = PersonnelForm()
    if not form.validate_on_submit():
        return _personnel_page(form, profile, 422)
    entries = [_personnel_input(form, scheme) for scheme in Scheme]
    return _save(form, profile, "clients/personnel.html", "Personnel and technical areas saved.",
                 lambda: services.save_personnel(
                     request_db(), current_user, client_id, entries,
                     expected_version=_version(form), actor_id=current_user.id), "#personnel")


def _personnel_page(form, profile, status: int = 200):
    return _edit_page("clients/personnel.html", form, profile, status)


def _personnel_data(profile: services.ClientProfile) -> dict:
    data = {"version": str(profile.version)}
    for scheme in Scheme:
        row = profile.personnel.get(scheme.value)
        data[f"{scheme.value}_effective_personnel"] = row.effective_personnel if row else None
        data[f"{scheme.value}_areas"] = "; ".join(profile.areas.get(scheme.value, []))
        if scheme is Scheme.ISO42001:
            data["iso42001_ai_personnel"] = row.ai_personnel if row else None
            data["iso42001_ai_role"] = (row.ai_role or "") if row else ""
    return data


def _personnel_input(form, scheme: Scheme) -> services.PersonnelInput:
    def value(name):
        key = f"{scheme.value}_{name}"
        return form[key].data if key in form else None

    return services.PersonnelInput(
        scheme, value("effective_personnel"), value("ai_personnel"), value("ai_role") or None,
        tuple(checks.split_list(value("areas") or "")))


# --- bulk import --------------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLIENTS)
def import_data():
    form = ImportForm()
    if request.method == "GET":
        return _import_page(form)
    if not form.validate_on_submit():
        return _import_page(form, status=422)
    kind = ImportKind(form.kind.data)
    if kind is ImportKind.AUDITORS and not may(current_user, Permission.MANAGE_AUDITORS):
        abort(403)
    upload = form.upload.data
    data = upload.read(MAX_FILE_BYTES + 1)
    check = services.check_import(request_db(), kind, data, upload.filename or "")
    if not check.ok:
        return _import_page(form, check=check, status=422)
    if request.form.get("action") != "import":
        return _import_page(form, check=check)
    try:
        message = services.apply_import(request_db(), check, actor_id=current_user.id)
    except services.ImportRefused as error:
        request_db().rollback()
        form.form_errors.append(str(error))
        return _import_page(form, status=409)
    commit()
    flash(message, "success")
    if kind is ImportKind.AUDITORS:
        return redirect(url_for("clients.import_data"))
    return redirect(url_for("clients.index"))


def _import_page(form, check=None, status: int = 200):
    return render_page("clients/import.html", form=form, check=check, columns=COLUMNS,
                       kinds=list(ImportKind), max_mib=MAX_FILE_BYTES // (1024 * 1024),
                       status=status)
