"""The dashboard page: filters in, the lists out (whole page, or the lists alone for htmx)."""

from flask import Blueprint, current_app, request, url_for
from flask_login import current_user

from auditkit.accounts.policy import Permission, may, requires
from auditkit.dashboard import services
from auditkit.dashboard.forms import DashboardFilterForm, parse_month
from auditkit.web.templating import render_page
from auditkit.web.transactions import request_db

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# The pages other features own, where a line of the dashboard is dealt with.
CERTIFICATION_PAGE = "programmes.certification"
NEW_AUDIT_PAGE = "scheduling.new_audit"
AUDIT_PAGE = "scheduling.audit"
CLIENT_PAGE = "clients.show"
MY_AUDITS_PAGE = "scheduling.my_audits"
_STAND_IN = 987_654_321  # an id no real object has, replaced in built URLs


@bp.get("")
@requires(Permission.VIEW_PROGRAMMES)
def dashboard():
    db = request_db()
    form = DashboardFilterForm(formdata=request.args).with_choices(
        services.auditor_choices(db), services.scheme_choices())
    valid = form.validate()
    page = services.dashboard(db, current_user, _filters(form))
    return render_page("dashboard/dashboard.html", block="lists", status=200 if valid else 422,
                       page=page, form=form,
                       links=Links(can_plan=may(current_user, Permission.MANAGE_PROGRAMMES)))


def _filters(form: DashboardFilterForm) -> services.Filters:
    """The filters that passed validation; a refused one is shown with its message and left
    out, so the page still answers with the others."""
    auditor = form.auditor.data if form.auditor.data and not form.auditor.errors else None
    scheme = form.scheme.data if form.scheme.data and not form.scheme.errors else None
    month = parse_month(form.month.data) if not form.month.errors else None
    return services.Filters(auditor_id=int(auditor) if auditor else None, scheme=scheme,
                            month=month)


class Links:
    """URLs of the pages where a line is dealt with. Someone who may not plan audits is sent
    to the certification instead of the new-audit screen; a page another feature has not built
    gives None, and the line is shown without a link.

    A page of lines asks for hundreds of URLs of a few shapes: each shape is built once by
    Flask, with a stand-in id, and filled in for every line."""

    def __init__(self, can_plan: bool):
        self.can_plan = can_plan
        self._patterns: dict[tuple, str | None] = {}

    def _url(self, endpoint: str, object_id: int | None = None, id_name: str = "",
             **values) -> str | None:
        key = (endpoint, id_name, tuple(sorted(values.items())))
        if key not in self._patterns:
            arguments = {id_name: _STAND_IN} if id_name else {}
            self._patterns[key] = _url(endpoint, **arguments, **values)
        pattern = self._patterns[key]
        if pattern is None or not id_name:
            return pattern
        return pattern.replace(str(_STAND_IN), str(object_id), 1)

    def fix(self, fix: services.Fix) -> str | None:
        if fix.audit_type is not None and self.can_plan:
            return self._url(NEW_AUDIT_PAGE, fix.certification_id, "certification_id",
                             audit_type=fix.audit_type)
        return self.certification(fix.certification_id)

    def certification(self, certification_id: int) -> str | None:
        return self._url(CERTIFICATION_PAGE, certification_id, "certification_id")

    def audit(self, audit_id: int) -> str | None:
        return self._url(AUDIT_PAGE, audit_id, "audit_id")

    def client(self, client_id: int) -> str | None:
        return self._url(CLIENT_PAGE, client_id, "client_id")

    def my_audits(self) -> str | None:
        return self._url(MY_AUDITS_PAGE)


def _url(endpoint: str, **values) -> str | None:
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)
