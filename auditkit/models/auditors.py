"""Auditor records (TEAM-02): qualifications, languages and declared engagements with clients."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from auditkit.db import UTCDateTime
from auditkit.models.clients import Scheme
from auditkit.models.core import in_values, now


class QualificationRole(StrEnum):
    LEAD_AUDITOR = "lead_auditor"
    AUDITOR = "auditor"
    TECHNICAL_EXPERT = "technical_expert"


class EngagementKind(StrEnum):
    CONSULTANCY = "consultancy"
    EMPLOYMENT = "employment"


class AuditorProfile(SQLModel, table=True):
    __tablename__ = "auditor_profile"

    user_id: int = Field(sa_column=Column(
        Integer, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True))
    languages: str = Field(default="English", sa_column=Column(String(200), nullable=False))


class Qualification(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(in_values("scheme", Scheme), name="ck_qualification_scheme"),
        CheckConstraint(in_values("role", QualificationRole), name="ck_qualification_role"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from",
                        name="ck_qualification_dates"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(
        Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True))
    scheme: str = Field(sa_column=Column(String(20), nullable=False))
    role: str = Field(sa_column=Column(String(20), nullable=False))
    technical_areas: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_until: date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class EngagementDeclaration(SQLModel, table=True):
    """A person's declared consultancy for, or employment at, a client (IMP-03)."""

    __tablename__ = "engagement_declaration"
    __table_args__ = (
        CheckConstraint(in_values("kind", EngagementKind), name="ck_engagement_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(
        Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True))
    client_id: int = Field(sa_column=Column(
        Integer, ForeignKey("client.id", ondelete="CASCADE"), nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    ended_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    declared_at: datetime = Field(default_factory=now,
                                  sa_column=Column(UTCDateTime(), nullable=False))
