"""Names of roles, kinds and modes as users read them."""

from auditkit.models import AuditMode, EngagementKind, TeamRole
from auditkit.models.clients import SCHEME_LABELS
from auditkit.models.programmes import AUDIT_STATUS_LABELS, AUDIT_TYPE_LABELS

TEAM_ROLE_LABELS = {
    TeamRole.LEAD_AUDITOR: "Lead auditor",
    TeamRole.AUDITOR: "Auditor",
    TeamRole.TECHNICAL_EXPERT: "Technical expert",
    TeamRole.OBSERVER: "Observer",
}
QUALIFICATION_ROLE_LABELS = {role: label for role, label in TEAM_ROLE_LABELS.items()
                             if role != TeamRole.OBSERVER}
ENGAGEMENT_KIND_LABELS = {
    EngagementKind.CONSULTANCY: "Consultancy for the client",
    EngagementKind.EMPLOYMENT: "Employment at the client",
}
MODE_LABELS = {
    AuditMode.ON_SITE: "On site",
    AuditMode.REMOTE: "Remote (ICT)",
    AuditMode.HYBRID: "Hybrid (on site and remote)",
}
STATUS_LABELS = AUDIT_STATUS_LABELS


def scheme_label(scheme: str) -> str:
    return SCHEME_LABELS.get(scheme, scheme)


def audit_type_label(audit_type: str) -> str:
    return AUDIT_TYPE_LABELS.get(audit_type, audit_type)


def team_role_label(role: str) -> str:
    return TEAM_ROLE_LABELS.get(role, role)
