"""All tables, one module per aggregate. Enumerations are stored as strings with a CHECK
constraint so that SQLite and PostgreSQL refuse the same values."""

from auditkit.models.auditors import (
    AuditorProfile,
    EngagementDeclaration,
    EngagementKind,
    Qualification,
    QualificationRole,
)
from auditkit.models.checklists import AuditChecklist, ChecklistVersion
from auditkit.models.clients import (
    AIRole,
    AISystem,
    AISystemSite,
    Client,
    ClientContact,
    ClientTechnicalArea,
    RiskLevel,
    Scheme,
    SchemePersonnel,
    Site,
    SiteKind,
)
from auditkit.models.core import (
    ROLE_LABELS,
    STAFF_ROLES,
    AuthSession,
    BodySettings,
    ChangeRecord,
    FormDraft,
    PolicyValue,
    Role,
    StoredFile,
    User,
    UserRole,
    now,
)
from auditkit.models.programmes import (
    Audit,
    AuditMode,
    AuditSite,
    AuditStatus,
    AuditTeamMember,
    AuditTimeTableRow,
    AuditType,
    Certification,
    CertificationScheme,
    CertificationSite,
    CertificationState,
    Cycle,
    CycleOrigin,
    Integration,
    RuleOverride,
    TeamRole,
)
from auditkit.models.soa import ImplementationStatus, SoAEntry, StatementOfApplicability

__all__ = [
    "AIRole", "AISystem", "AISystemSite", "Audit", "AuditChecklist", "AuditMode", "AuditSite",
    "AuditStatus", "AuditTeamMember", "AuditTimeTableRow", "AuditType", "AuditorProfile",
    "AuthSession", "BodySettings", "Certification", "CertificationScheme", "CertificationSite",
    "CertificationState", "ChangeRecord", "ChecklistVersion", "Client", "ClientContact",
    "ClientTechnicalArea", "Cycle", "CycleOrigin", "EngagementDeclaration", "EngagementKind",
    "FormDraft", "ImplementationStatus", "Integration", "PolicyValue", "Qualification",
    "QualificationRole", "ROLE_LABELS", "RiskLevel", "Role", "RuleOverride", "STAFF_ROLES",
    "Scheme", "SchemePersonnel", "Site", "SiteKind", "SoAEntry", "StatementOfApplicability",
    "StoredFile", "TeamRole", "User", "UserRole", "now",
]
