"""Administration: users, the body's settings and policies, and their history."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from auditkit.accounts import services as accounts
from auditkit.accounts.policy import Permission, requires
from auditkit.admin import services
from auditkit.admin.forms import (
    ResetPasswordForm,
    SettingsForm,
    UserCreateForm,
    UserEditForm,
    choices,
)
from auditkit.web import drafts
from auditkit.web.numbers import whole_number
from auditkit.web.templating import render_page
from auditkit.web.transactions import commit, request_db

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _with_client_choices(form):
    form.client_id.choices = choices(
        [("", "— none —")] + services.client_choices(request_db()))
    return form


def _client_id(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return -1  # reported as "no such client" by the service


@bp.get("/users")
@requires(Permission.MANAGE_USERS)
def users():
    query = request.args.get("q", "").strip()[:100]
    found = accounts.list_users(request_db(), query)
    return render_page("admin/users.html", block="user_rows", users=found, query=query)


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def create_user():
    restored = drafts.restored_formdata(request.path) if request.method == "GET" else None
    form = _with_client_choices(UserCreateForm(formdata=restored or None)
                                if request.method == "GET" else UserCreateForm())
    if request.method == "GET" or not form.validate_on_submit():
        return render_page("admin/user_new.html", form=form,
                           status=422 if request.method == "POST" else 200)
    try:
        user = accounts.create_user(
            request_db(), email=form.email.data, full_name=form.full_name.data,
            password=form.password.data, roles=form.roles.data,
            client_id=_client_id(form.client_id.data), actor_id=current_user.id)
    except accounts.AccountError as error:
        _field_error(form, error)
        return render_page("admin/user_new.html", form=form, status=422)
    commit()
    flash(f"User {user.email} created.", "success")
    return redirect(url_for("admin.users"))


def _field_error(form, error) -> None:
    field = getattr(form, error.field_name or "", None)
    if field is not None:
        field.errors = list(field.errors) + [str(error)]
    else:
        form.form_errors.append(str(error))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def edit_user(user_id: int):
    user = accounts.get_user_summary(request_db(), user_id)
    if user is None:
        abort(404)
    if request.method == "GET":
        restored = drafts.restored_formdata(request.path)
        form = _with_client_choices(UserEditForm(formdata=restored or None))
        if not form.version.data:
            form.full_name.data, form.roles.data = user.full_name, [r.value for r in user.roles]
            form.client_id.data = str(user.client_id or "")
            form.is_active.data, form.version.data = user.is_active, str(user.version)
        return _edit_page(form, user)
    form = _with_client_choices(UserEditForm())
    if not form.validate_on_submit():
        return _edit_page(form, user, 422)
    try:
        accounts.update_user(
            request_db(), user_id, full_name=form.full_name.data, roles=form.roles.data,
            client_id=_client_id(form.client_id.data), is_active=form.is_active.data,
            expected_version=whole_number(form.version.data, 0), actor_id=current_user.id)
    except accounts.StaleEdit:
        form.form_errors.append("Someone else changed this user after you opened the page. "
                                "Reload to see their changes.")
        return _edit_page(form, user, 409)
    except accounts.AccountError as error:
        _field_error(form, error)
        return _edit_page(form, user, 422)
    commit()
    flash(f"Changes to {user.email} saved.", "success")
    return redirect(url_for("admin.users"))


def _edit_page(form, user, status: int = 200):
    return render_page("admin/user_edit.html", form=form, user=user,
                       reset_form=ResetPasswordForm(), status=status)


@bp.post("/users/<int:user_id>/password")
@requires(Permission.MANAGE_USERS)
def reset_password(user_id: int):
    user = accounts.get_user_summary(request_db(), user_id)
    if user is None:
        abort(404)
    reset_form = ResetPasswordForm()
    if reset_form.validate_on_submit():
        try:
            accounts.reset_password(request_db(), user_id, reset_form.new_password.data,
                                    actor_id=current_user.id)
        except accounts.AccountError as error:
            reset_form.new_password.errors = [str(error)]
        else:
            commit()
            flash(f"Password of {user.email} reset; their sessions were ended.", "success")
            return redirect(url_for("admin.edit_user", user_id=user_id))
    form = _with_client_choices(UserEditForm(formdata=None))
    form.full_name.data, form.roles.data = user.full_name, [r.value for r in user.roles]
    form.client_id.data, form.is_active.data = str(user.client_id or ""), user.is_active
    form.version.data = str(user.version)
    return render_page("admin/user_edit.html", form=form, user=user, reset_form=reset_form,
                       status=422)


@bp.route("/settings", methods=["GET", "POST"])
@requires(Permission.MANAGE_SETTINGS)
def settings():
    body = services.body_settings(request_db())
    if request.method == "GET":
        form = SettingsForm(formdata=drafts.restored_formdata(request.path) or None, obj=body)
        if not form.version.data or form.version.data == str(body.version):
            form.version.data = str(body.version)
    else:
        form = SettingsForm()
    form.time_zone.choices = choices((zone, zone) for zone in services.time_zones())
    if request.method == "GET" or not form.validate_on_submit():
        return _settings_page(form, body, 422 if request.method == "POST" else 200)
    changes = {name: getattr(form, name).data for name in services.SETTINGS_FIELDS}
    changes = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()}
    try:
        changed = services.update_settings(request_db(), changes,
                                           expected_version=whole_number(form.version.data, 0),
                                           actor_id=current_user.id)
        upload = form.logo.data
        if upload and getattr(upload, "filename", ""):
            services.replace_logo(request_db(), upload.read(), upload.filename,
                                  actor_id=current_user.id)
            changed += 1
    except accounts.StaleEdit:
        form.form_errors.append("Someone else saved the settings after you opened the page. "
                                "Reload to see their changes.")
        return _settings_page(form, body, 409)
    except services.SettingsError as error:
        request_db().rollback()
        _field_error(form, error)
        return _settings_page(form, body, 422)
    commit()
    flash("Settings saved." if changed else "Nothing changed.", "success")
    return redirect(url_for("admin.settings"))


def _settings_page(form, body, status: int):
    return render_page("admin/settings.html", form=form, body=body, status=status)


@bp.get("/settings/logo")
@requires(Permission.SIGNED_IN)
def logo():
    found = services.logo(request_db())
    if found is None:
        abort(404)
    data, content_type = found
    # Served to signed-in users only, so it is no-store like every authenticated response.
    return data, 200, {"Content-Type": content_type}


@bp.route("/policies", methods=["GET", "POST"])
@requires(Permission.MANAGE_SETTINGS)
def policies():
    from flask_wtf import FlaskForm

    form = FlaskForm()
    errors: dict[str, str] = {}
    submitted: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        submitted = {name: request.form.get(name, "") for name in request.form
                     if name != "csrf_token"}
        try:
            changed = services.update_policies(request_db(), submitted, actor_id=current_user.id)
        except services.PolicyErrors as error:
            errors = error.errors
        else:
            commit()
            flash(f"{len(changed)} policies changed. Dates already planned keep their values; "
                  "the new policy applies to what is planned from now on." if changed
                  else "Nothing changed.", "success")
            return redirect(url_for("admin.policies"))
    elif request.method == "POST":
        abort(400)
    rows = services.policy_rows(request_db())
    labels = {row.definition.name: row.definition.label for row in rows}
    return render_page("admin/policies.html", form=form, rows=rows, errors=errors, labels=labels,
                       submitted=submitted, status=422 if errors else 200)


@bp.get("/history")
@requires(Permission.MANAGE_SETTINGS)
def history():
    subject = request.args.get("subject") or None
    if subject not in (None, "settings", "policy", "user"):
        abort(404)
    return render_page("admin/history.html", lines=services.history(request_db(), subject),
                       subject=subject)
