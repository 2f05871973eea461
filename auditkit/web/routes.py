"""Home page and health check."""

from flask import Blueprint, jsonify
from flask_login import current_user

from auditkit.accounts.policy import Permission, public, requires
from auditkit.web.services import database_reachable
from auditkit.web.templating import render_page

bp = Blueprint("web", __name__)


@bp.get("/")
@requires(Permission.SIGNED_IN)
def home():
    return render_page("main/home.html", user=current_user)


@bp.get("/healthz")
@public
def healthz():
    if database_reachable():
        return jsonify(status="ok", database="reachable")
    return jsonify(status="unavailable", database="unreachable"), 503
