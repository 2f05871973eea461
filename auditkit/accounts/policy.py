"""The one place that decides who may see and do what.

Routes declare their decision with `@requires(...)` or `@public`; the route-inventory test
fails for any endpoint that has neither. Services build their queries from the scoped helpers
here (`visible_clients`), so that a user of another organisation never reaches an object:
a URL to something the user may not see answers 404.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlmodel import select

from auditkit.models import (
    STAFF_ROLES,
    Audit,
    AuditTeamMember,
    Certification,
    Client,
    Role,
    User,
    UserRole,
)


class Permission(StrEnum):
    SIGNED_IN = "signed_in"
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_CLIENTS = "view_clients"
    VIEW_CHECKLISTS = "view_checklists"
    MANAGE_CLIENTS = "manage_clients"
    VIEW_PROGRAMMES = "view_programmes"
    MANAGE_PROGRAMMES = "manage_programmes"
    VIEW_AUDITS = "view_audits"
    MANAGE_AUDITORS = "manage_auditors"


GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.SIGNED_IN: frozenset(Role),
    Permission.MANAGE_USERS: frozenset({Role.ADMIN}),
    Permission.MANAGE_SETTINGS: frozenset({Role.ADMIN}),
    Permission.VIEW_CLIENTS: frozenset(Role),
    Permission.VIEW_CHECKLISTS: STAFF_ROLES,
    Permission.MANAGE_CLIENTS: frozenset({Role.ADMIN, Role.PROGRAMME_MANAGER}),
    Permission.VIEW_PROGRAMMES: STAFF_ROLES,
    Permission.MANAGE_PROGRAMMES: frozenset({Role.ADMIN, Role.PROGRAMME_MANAGER}),
    Permission.VIEW_AUDITS: STAFF_ROLES,
    Permission.MANAGE_AUDITORS: frozenset({Role.ADMIN, Role.PROGRAMME_MANAGER}),
}
SEES_EVERY_AUDIT = frozenset({Role.ADMIN, Role.PROGRAMME_MANAGER, Role.REVIEWER})


def roles_of(user) -> frozenset[Role]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(user.roles)


def may(user, permission: Permission) -> bool:
    return bool(roles_of(user) & GRANTS[permission])


def is_staff(user) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def requires(permission: Permission) -> Callable:
    """Route decorator: sign-in is required; a signed-in user without the permission gets 403."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            from auditkit.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not may(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapper.authorisation = permission
        return wrapper

    return decorate


def public(view):
    """Route decorator for the few pages anyone may open (login, health)."""
    view.authorisation = "public"
    return view


def authorisation_of(view) -> str | None:
    decision = getattr(view, "authorisation", None)
    return str(decision) if decision is not None else None


def visible_clients(user):
    """Clients this user may see: staff see the body's clients, an auditee only their own."""
    query = select(Client)
    if is_staff(user):
        return query
    if Role.AUDITEE in roles_of(user) and user.client_id is not None:
        return query.where(Client.id == user.client_id)
    return query.where(Client.id.is_(None))


def visible_certifications(user):
    """Certifications of the clients this user may see. Staff see every client, and an
    always-true `IN (SELECT id FROM client)` would steer SQLite away from better indexes."""
    if is_staff(user):
        return select(Certification)
    clients = visible_clients(user).with_only_columns(Client.id)
    return select(Certification).where(Certification.client_id.in_(clients))


def visible_audits(user):
    """Programme managers, administrators and reviewers see every audit of the body; an
    auditor only the audits they are on; an auditee only their own organisation's."""
    roles = roles_of(user)
    query = select(Audit)
    if roles & SEES_EVERY_AUDIT:
        return query
    if Role.AUDITOR in roles:
        on_team = select(AuditTeamMember.audit_id).where(AuditTeamMember.user_id == user.id)
        return query.where(Audit.id.in_(on_team))
    certifications = visible_certifications(user).with_only_columns(Certification.id)
    return query.where(Audit.certification_id.in_(certifications))


def sees_programmes(user) -> bool:
    """Auditors who hold no other role see their own audits only (their full list is "My
    audits"); every other staff member sees the whole body's programmes."""
    return is_staff(user) and bool(roles_of(user) - {Role.AUDITOR})


def visible_auditor_records(user):
    """Staff records (TEAM-02: qualifications, languages, declared engagements): those who see
    every audit, or manage auditors, see everyone's; other staff only their own."""
    staff = select(UserRole.user_id).where(UserRole.role.in_(sorted(STAFF_ROLES)))
    query = select(User).where(User.id.in_(staff))
    if roles_of(user) & SEES_EVERY_AUDIT or may(user, Permission.MANAGE_AUDITORS):
        return query
    if is_staff(user):
        return query.where(User.id == user.id)
    return query.where(User.id.is_(None))


def may_declare_for(user, member_user_id: int | None) -> bool:
    """IMP-05: a team member signs their own declaration; a programme manager may record one on
    a member's behalf, with a statement of how it was given."""
    return may(user, Permission.MANAGE_PROGRAMMES) or (
        member_user_id is not None and member_user_id == user.id)
