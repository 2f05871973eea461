"""Template helpers: full page or named block, navigation by role, the body's name."""

from flask import Flask, render_template, request
from flask_login import current_user
from jinja2_fragments.flask import render_block as _render_block

from auditkit.accounts.policy import Permission, may
from auditkit.models import ROLE_LABELS, Role


def render_block(template: str, block: str, **context) -> str:
    return _render_block(template, block, **context)


def render_page(template: str, block: str = "content", status: int = 200, **context):
    """A plain request gets the page; an htmx request gets the named block."""
    if request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted"):
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return body, status, {"Vary": "HX-Request"}


FEATURE_NAVIGATION: list[tuple[str, str, Permission]] = [
    ("clients.index", "Clients", Permission.VIEW_PROGRAMMES),
    ("dashboard.dashboard", "Dashboard", Permission.VIEW_PROGRAMMES),
    ("programmes.certifications_list", "Certifications", Permission.VIEW_PROGRAMMES),
    ("scheduling.my_audits", "My audits", Permission.VIEW_AUDITS),
    ("scheduling.auditors", "Auditors", Permission.VIEW_AUDITS),
    ("programmes.audit_time_table", "42001 audit-time table", Permission.MANAGE_SETTINGS),
]


def navigation(user) -> list[tuple[str, str]]:
    items = [("web.home", "Home")]
    # Each feature adds its entry here, in the order a user works: plan, audit, decide.
    items += [(endpoint, label) for endpoint, label, permission in FEATURE_NAVIGATION
              if may(user, permission)]
    if may(user, Permission.MANAGE_USERS):
        items.append(("admin.users", "Users"))
    if may(user, Permission.MANAGE_SETTINGS):
        items.append(("admin.settings", "Body settings"))
        items.append(("admin.policies", "Policies"))
        items.append(("admin.history", "History"))
    return items


def local_time(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp shown in the body's time zone."""
    from auditkit.admin.services import in_body_zone

    return in_body_zone(moment).strftime(fmt) if moment else ""


def init_templating(app: Flask) -> None:
    app.add_template_filter(local_time)

    @app.context_processor
    def inject():
        from auditkit.admin.services import body_header

        header = body_header()
        return {
            "nav_items": navigation(current_user) if current_user.is_authenticated else [],
            "role_labels": ROLE_LABELS,
            "Role": Role,
            "may": may,
            "Permission": Permission,
            "body_name": header.name,
            "body_time_zone": header.time_zone,
        }
