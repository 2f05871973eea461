"""Client organisations: sites, personnel per scheme, contacts, AI systems in scope."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from auditkit.db import UTCDateTime
from auditkit.models.core import in_values, now


class Scheme(StrEnum):
    ISO42001 = "iso42001"
    ISO27001 = "iso27001"
    ISO9001 = "iso9001"

    @property
    def label(self) -> str:
        return SCHEME_LABELS[self]

    @property
    def edition(self) -> str:
        return SCHEME_EDITIONS[self]


SCHEME_LABELS = {
    Scheme.ISO42001: "ISO/IEC 42001",
    Scheme.ISO27001: "ISO/IEC 27001",
    Scheme.ISO9001: "ISO 9001",
}
SCHEME_EDITIONS = {
    Scheme.ISO42001: "ISO/IEC 42001:2023",
    Scheme.ISO27001: "ISO/IEC 27001:2022",
    Scheme.ISO9001: "ISO 9001:2015",
}


class AIRole(StrEnum):
    """The organisation's role towards AI (42001 clause 4.1), which sets the 42006 audit time."""

    PRODUCER = "producer"
    DEVELOPER = "developer"
    PROVIDER = "provider"
    USER = "user"
    MULTIPLE = "multiple"


class SiteKind(StrEnum):
    CENTRAL_FUNCTION = "central_function"
    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    VIRTUAL = "virtual"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    UNACCEPTABLE = "unacceptable"


client_version = Column("version", Integer, nullable=False, default=1)


class Client(SQLModel, table=True):
    """A client organisation of the body."""

    __mapper_args__ = {"version_id_col": client_version}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    address: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    language: str = Field(default="English",
                          sa_column=Column(String(60), nullable=False, default="English"))
    sector: str = Field(default="", sa_column=Column(String(200), nullable=False, default=""))
    created_at: datetime = Field(default_factory=now,
                                 sa_column=Column(UTCDateTime(), nullable=False))
    version: int = Field(default=1, sa_column=client_version)


class Site(SQLModel, table=True):
    __table_args__ = (CheckConstraint(in_values("kind", SiteKind), name="ck_site_kind"),
                      UniqueConstraint("client_id", "name", name="uq_site_client_name"))

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id", ondelete="CASCADE"),
                                            nullable=False, index=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    address: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    personnel: int = Field(default=0, nullable=False)


class SchemePersonnel(SQLModel, table=True):
    """Effective personnel of a client for one scheme (TIME-04); for 42001 also the AI-involved
    headcount and the organisation's AI role, which the 42006 table needs."""

    __tablename__ = "scheme_personnel"
    __table_args__ = (
        CheckConstraint(in_values("scheme", Scheme), name="ck_scheme_personnel_scheme"),
        CheckConstraint(f"ai_role IS NULL OR {in_values('ai_role', AIRole)}",
                        name="ck_scheme_personnel_ai_role"),
    )

    client_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id", ondelete="CASCADE"),
                                            primary_key=True))
    scheme: str = Field(sa_column=Column(String(20), primary_key=True))
    effective_personnel: int = Field(nullable=False)
    ai_personnel: int | None = Field(default=None, nullable=True)
    ai_role: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))


class ClientTechnicalArea(SQLModel, table=True):
    """A technical area (IAF/EA code for QMS, ISMS or AI technical area) the client's scope
    touches; the audit team as a whole must cover each one (TEAM-03)."""

    __tablename__ = "client_technical_area"
    __table_args__ = (
        CheckConstraint(in_values("scheme", Scheme), name="ck_client_technical_area_scheme"),)

    client_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id", ondelete="CASCADE"),
                                            primary_key=True))
    scheme: str = Field(sa_column=Column(String(20), primary_key=True))
    area: str = Field(sa_column=Column(String(80), primary_key=True))


class ClientContact(SQLModel, table=True):
    __tablename__ = "client_contact"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id", ondelete="CASCADE"),
                                            nullable=False, index=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    position: str = Field(default="", sa_column=Column(String(200), nullable=False, default=""))
    email: str = Field(default="", sa_column=Column(String(254), nullable=False, default=""))
    phone: str = Field(default="", sa_column=Column(String(50), nullable=False, default=""))


class AISystem(SQLModel, table=True):
    """An AI system in the scope of a 42001 client's management system."""

    __tablename__ = "ai_system"
    __table_args__ = (
        CheckConstraint(in_values("ai_role", AIRole), name="ck_ai_system_ai_role"),
        CheckConstraint(in_values("risk_level", RiskLevel), name="ck_ai_system_risk_level"),
        UniqueConstraint("client_id", "name", name="uq_ai_system_client_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id", ondelete="CASCADE"),
                                            nullable=False, index=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    purpose: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    ai_role: str = Field(sa_column=Column(String(20), nullable=False))
    risk_level: str = Field(sa_column=Column(String(20), nullable=False))


class AISystemSite(SQLModel, table=True):
    __tablename__ = "ai_system_site"

    ai_system_id: int = Field(sa_column=Column(
        Integer, ForeignKey("ai_system.id", ondelete="CASCADE"), primary_key=True))
    site_id: int = Field(sa_column=Column(
        Integer, ForeignKey("site.id", ondelete="CASCADE"), primary_key=True))
