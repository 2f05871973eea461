"""Certifications, their three-year cycles, audits and audit teams (domain.md §1, §2, §5)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from auditkit.db import UTCDateTime
from auditkit.models.clients import AIRole, Scheme
from auditkit.models.core import in_values, now


class CertificationState(StrEnum):
    """domain.md §1.2; a restored certificate is active again."""

    APPLICANT = "applicant"
    STAGE1_DONE = "stage1_done"
    STAGE2_DONE = "stage2_done"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"
    TRANSFERRED_OUT = "transferred_out"


class Integration(StrEnum):
    SINGLE = "single"
    COMBINED = "combined"
    INTEGRATED = "integrated"
    JOINT = "joint"


class CycleOrigin(StrEnum):
    INITIAL = "initial"
    RECERTIFICATION = "recertification"
    RESTORATION = "restoration"
    TAKEN_OVER = "taken_over"  # certified by this body before auditkit
    TRANSFER = "transfer"  # transferred in under IAF MD 2 (CYC-TRF-04)


class AuditType(StrEnum):
    STAGE1 = "stage1"
    STAGE2 = "stage2"
    SURVEILLANCE = "surveillance"
    RECERTIFICATION = "recertification"
    SPECIAL_SCOPE_EXTENSION = "special_scope_extension"
    SPECIAL_SHORT_NOTICE = "special_short_notice"
    TRANSFER_REVIEW = "transfer_review"
    TRANSFER_VISIT = "transfer_visit"
    NC_FOLLOW_UP = "nc_follow_up"
    INTERNAL = "internal"

    @property
    def label(self) -> str:
        return AUDIT_TYPE_LABELS[self]


AUDIT_TYPE_LABELS = {
    AuditType.STAGE1: "Stage 1",
    AuditType.STAGE2: "Stage 2",
    AuditType.SURVEILLANCE: "Surveillance",
    AuditType.RECERTIFICATION: "Recertification",
    AuditType.SPECIAL_SCOPE_EXTENSION: "Special: scope extension",
    AuditType.SPECIAL_SHORT_NOTICE: "Special: short notice",
    AuditType.TRANSFER_REVIEW: "Transfer review",
    AuditType.TRANSFER_VISIT: "Transfer visit",
    AuditType.NC_FOLLOW_UP: "Nonconformity follow-up",
    AuditType.INTERNAL: "Internal audit",
}


class AuditStatus(StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return AUDIT_STATUS_LABELS[self]


AUDIT_STATUS_LABELS = {
    AuditStatus.PLANNED: "Planned",
    AuditStatus.CONFIRMED: "Team confirmed",
    AuditStatus.IN_PROGRESS: "In progress",
    AuditStatus.COMPLETED: "Completed",
    AuditStatus.CANCELLED: "Cancelled",
}


class AuditMode(StrEnum):
    ON_SITE = "on_site"
    REMOTE = "remote"
    HYBRID = "hybrid"


class TeamRole(StrEnum):
    LEAD_AUDITOR = "lead_auditor"
    AUDITOR = "auditor"
    TECHNICAL_EXPERT = "technical_expert"
    OBSERVER = "observer"


certification_version = Column("version", Integer, nullable=False, default=1)


class Certification(SQLModel, table=True):
    """One client's certification for one scheme or several (integrated or combined)."""

    __table_args__ = (
        CheckConstraint(in_values("state", CertificationState), name="ck_certification_state"),
        CheckConstraint(in_values("integration", Integration),
                        name="ck_certification_integration"),
    )
    __mapper_args__ = {"version_id_col": certification_version}

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id", ondelete="CASCADE"),
                                            nullable=False, index=True))
    reference: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    scope: str = Field(sa_column=Column(Text, nullable=False))
    integration: str = Field(default=Integration.SINGLE, sa_column=Column(String(20),
                                                                          nullable=False))
    state: str = Field(default=CertificationState.APPLICANT,
                       sa_column=Column(String(20), nullable=False, index=True))
    stage1_still_valid_note: str = Field(default="", sa_column=Column(Text, nullable=False,
                                                                      default=""))
    created_at: datetime = Field(default_factory=now,
                                 sa_column=Column(UTCDateTime(), nullable=False))
    version: int = Field(default=1, sa_column=certification_version)


class CertificationScheme(SQLModel, table=True):
    __tablename__ = "certification_scheme"
    __table_args__ = (
        CheckConstraint(in_values("scheme", Scheme), name="ck_certification_scheme_scheme"),)

    certification_id: int = Field(sa_column=Column(
        Integer, ForeignKey("certification.id", ondelete="CASCADE"), primary_key=True))
    scheme: str = Field(sa_column=Column(String(20), primary_key=True))
    edition: str = Field(sa_column=Column(String(40), nullable=False))


class CertificationSite(SQLModel, table=True):
    __tablename__ = "certification_site"

    certification_id: int = Field(sa_column=Column(
        Integer, ForeignKey("certification.id", ondelete="CASCADE"), primary_key=True))
    site_id: int = Field(sa_column=Column(
        Integer, ForeignKey("site.id", ondelete="CASCADE"), primary_key=True))


class Cycle(SQLModel, table=True):
    """One three-year cycle, from the decision that started it (CYC-VAL-01).

    The computed dates are stored when the cycle starts, with the policy they came from, so a
    later policy change never silently re-dates what was already planned.
    """

    __table_args__ = (
        CheckConstraint(in_values("origin", CycleOrigin), name="ck_cycle_origin"),
        UniqueConstraint("certification_id", "number", name="uq_cycle_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(sa_column=Column(
        Integer, ForeignKey("certification.id", ondelete="CASCADE"), nullable=False, index=True))
    number: int = Field(nullable=False)
    origin: str = Field(sa_column=Column(String(20), nullable=False))
    decision_date: date = Field(sa_column=Column(Date, nullable=False))
    previous_expiry: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    certificate_expiry: date = Field(sa_column=Column(Date, nullable=False, index=True))
    surveillance_1_window_start: date = Field(sa_column=Column(Date, nullable=False, index=True))
    surveillance_1_latest: date = Field(sa_column=Column(Date, nullable=False, index=True))
    surveillance_2_window_start: date = Field(sa_column=Column(Date, nullable=False, index=True))
    surveillance_2_window_end: date = Field(sa_column=Column(Date, nullable=False))
    recertification_earliest: date = Field(sa_column=Column(Date, nullable=False))
    recertification_target: date = Field(sa_column=Column(Date, nullable=False))
    restoration_deadline: date = Field(sa_column=Column(Date, nullable=False))
    policy_json: str = Field(sa_column=Column(Text, nullable=False))
    is_current: bool = Field(default=True, sa_column=Column(Boolean, nullable=False,
                                                            default=True, index=True))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


audit_version = Column("version", Integer, nullable=False, default=1)


class Audit(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(in_values("audit_type", AuditType), name="ck_audit_type"),
        CheckConstraint(in_values("status", AuditStatus), name="ck_audit_status"),
        CheckConstraint(in_values("mode", AuditMode), name="ck_audit_mode"),
        CheckConstraint("end_date >= start_date", name="ck_audit_dates"),
    )
    __mapper_args__ = {"version_id_col": audit_version}

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(sa_column=Column(
        Integer, ForeignKey("certification.id", ondelete="CASCADE"), nullable=False, index=True))
    cycle_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("cycle.id", ondelete="SET NULL"), nullable=True, index=True))
    audit_type: str = Field(sa_column=Column(String(30), nullable=False))
    status: str = Field(default=AuditStatus.PLANNED,
                        sa_column=Column(String(20), nullable=False, index=True))
    start_date: date = Field(sa_column=Column(Date, nullable=False, index=True))
    end_date: date = Field(sa_column=Column(Date, nullable=False))
    mode: str = Field(default=AuditMode.ON_SITE, sa_column=Column(String(10), nullable=False))
    ict_tool: str = Field(default="", sa_column=Column(String(200), nullable=False, default=""))
    planned_days: Decimal | None = Field(default=None,
                                         sa_column=Column(Numeric(6, 1), nullable=True))
    language: str = Field(default="English", sa_column=Column(String(60), nullable=False))
    client_objection_allowed: bool = Field(default=True, sa_column=Column(Boolean,
                                                                          nullable=False))
    team_confirmed_at: datetime | None = Field(default=None,
                                               sa_column=Column(UTCDateTime(), nullable=True))
    time_justification: str = Field(default="", sa_column=Column(Text, nullable=False,
                                                                 default=""))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    cancel_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=now,
                                 sa_column=Column(UTCDateTime(), nullable=False))
    version: int = Field(default=1, sa_column=audit_version)


class AuditSite(SQLModel, table=True):
    __tablename__ = "audit_site"

    audit_id: int = Field(sa_column=Column(
        Integer, ForeignKey("audit.id", ondelete="CASCADE"), primary_key=True))
    site_id: int = Field(sa_column=Column(
        Integer, ForeignKey("site.id", ondelete="CASCADE"), primary_key=True))


class AuditTeamMember(SQLModel, table=True):
    """A person on an audit: a user of auditkit, or a named person without a login (an
    observer or an external technical expert)."""

    __tablename__ = "audit_team_member"
    __table_args__ = (
        CheckConstraint(in_values("team_role", TeamRole), name="ck_audit_team_member_role"),
        CheckConstraint("user_id IS NOT NULL OR person_name <> ''",
                        name="ck_audit_team_member_person"),
        # NULL user_ids (named persons without a login) never collide, on both databases.
        UniqueConstraint("audit_id", "user_id", name="uq_audit_team_member_user"),
    )

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(sa_column=Column(
        Integer, ForeignKey("audit.id", ondelete="CASCADE"), nullable=False, index=True))
    user_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("user_account.id"), nullable=True, index=True))
    person_name: str = Field(default="", sa_column=Column(String(200), nullable=False,
                                                          default=""))
    team_role: str = Field(sa_column=Column(String(20), nullable=False))
    impartiality_declared_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True))
    impartiality_statement: str = Field(default="", sa_column=Column(Text, nullable=False,
                                                                     default=""))
    declaration_recorded_by_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("user_account.id"), nullable=True))
    client_objection: str = Field(default="", sa_column=Column(Text, nullable=False,
                                                               default=""))


class RuleOverride(SQLModel, table=True):
    """A recorded decision to go ahead despite a warning of a DEFAULT policy (never a MUST)."""

    __tablename__ = "rule_override"

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(sa_column=Column(
        Integer, ForeignKey("certification.id", ondelete="CASCADE"), nullable=False, index=True))
    audit_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("audit.id", ondelete="CASCADE"), nullable=True))
    rule_id: str = Field(sa_column=Column(String(20), nullable=False))
    justification: str = Field(sa_column=Column(Text, nullable=False))
    decided_by_id: int = Field(sa_column=Column(Integer, ForeignKey("user_account.id"),
                                                nullable=False))
    decided_at: datetime = Field(default_factory=now,
                                 sa_column=Column(UTCDateTime(), nullable=False))


class AuditTimeTableRow(SQLModel, table=True):
    """A body-maintained audit-time table row (the 42006 bands beyond the public first one)."""

    __tablename__ = "audit_time_table_row"
    __table_args__ = (
        CheckConstraint(in_values("scheme", Scheme), name="ck_audit_time_row_scheme"),
        CheckConstraint(f"ai_role IS NULL OR {in_values('ai_role', AIRole)}",
                        name="ck_audit_time_row_ai_role"),
        CheckConstraint("max_personnel >= min_personnel", name="ck_audit_time_row_band"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scheme: str = Field(sa_column=Column(String(20), nullable=False))
    ai_role: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    min_personnel: int = Field(nullable=False)
    max_personnel: int = Field(nullable=False)
    days: Decimal = Field(sa_column=Column(Numeric(6, 1), nullable=False))
