"""Log in, log out, change your own password."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from auditkit.accounts import services as accounts
from auditkit.accounts.forms import ChangePasswordForm, LoginForm
from auditkit.accounts.policy import Permission, public, requires
from auditkit.extensions import limiter
from auditkit.web.sessions import start_login
from auditkit.web.templating import render_page
from auditkit.web.transactions import commit, request_db

bp = Blueprint("accounts", __name__)

GENERIC_FAILURE = "The e-mail address or password is not correct."


def _failed_login(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("5 per minute", methods=["POST"], deduct_when=_failed_login)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(form.next.data))
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_page("accounts/login.html", form=form, status=status)
    outcome = accounts.authenticate(request_db(), form.email.data, form.password.data,
                                    request.remote_addr)
    if outcome.user is not None and session.get("_user_id"):
        # Logging in again in the same browser: the session it replaces ends, so a copy of
        # the old cookie stops working too.
        accounts.end_session(request_db(), session["_user_id"], reason="replaced")
    commit()
    if outcome.reason == "inactive":
        form.form_errors.append("This account has been deactivated. Ask your administrator.")
        return render_page("accounts/login.html", form=form, status=403)
    if outcome.user is None:
        form.form_errors.append(GENERIC_FAILURE)
        return render_page("accounts/login.html", form=form, status=401)
    start_login(outcome.user)
    login_user(outcome.user)
    return redirect(_safe_next(form.next.data))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host, scheme or protocol-relative URL."""
    target = (target or "").strip()
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or target.startswith("/\\")
            or parts.scheme or parts.netloc or any(c in target for c in "\r\n\t")):
        return url_for("web.home")
    return target


@bp.post("/logout")
@requires(Permission.SIGNED_IN)
def logout():
    accounts.end_session(request_db(), current_user.session_id, reason="logout")
    commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Permission.SIGNED_IN)
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_page("accounts/password.html", form=form, status=status)
    if form.new_password.data != form.confirm_password.data:
        form.confirm_password.errors.append("The two new passwords are not the same.")
        return render_page("accounts/password.html", form=form, status=422)
    try:
        new_session = accounts.change_own_password(
            request_db(), current_user.id, form.current_password.data, form.new_password.data,
            keep_session_id=current_user.session_id)
    except accounts.AccountError as error:
        getattr(form, error.field_name or "new_password").errors.append(str(error))
        return render_page("accounts/password.html", form=form, status=422)
    commit()
    user = accounts.CurrentUser(current_user.id, current_user.email, current_user.full_name,
                                current_user.roles, current_user.client_id, new_session)
    start_login(user)
    login_user(user)
    flash("Your password is changed. Every other session has been logged out.", "success")
    return redirect(url_for("web.home"))
