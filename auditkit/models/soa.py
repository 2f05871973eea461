"""Statements of Applicability: per client and scheme, which Annex A controls apply.

Each revision is kept whole and never edited: a change makes the next revision, so a
certificate can cite the version it was granted on.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from auditkit.db import UTCDateTime
from auditkit.models.clients import Scheme
from auditkit.models.core import in_values, now


class ImplementationStatus(StrEnum):
    IMPLEMENTED = "implemented"
    PARTIALLY_IMPLEMENTED = "partially_implemented"
    PLANNED = "planned"
    NOT_IMPLEMENTED = "not_implemented"


class StatementOfApplicability(SQLModel, table=True):
    __tablename__ = "statement_of_applicability"
    __table_args__ = (
        CheckConstraint(in_values("scheme", Scheme), name="ck_soa_scheme"),
        UniqueConstraint("client_id", "scheme", "revision", name="uq_soa_revision"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id", ondelete="CASCADE"),
                                            nullable=False, index=True))
    scheme: str = Field(sa_column=Column(String(20), nullable=False))
    checklist_key: str = Field(sa_column=Column(String(60), nullable=False))
    revision: int = Field(nullable=False)
    client_version_label: str = Field(default="", sa_column=Column(String(60), nullable=False,
                                                                   default=""))
    client_version_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("user_account.id"), nullable=True))
    created_at: datetime = Field(default_factory=now,
                                 sa_column=Column(UTCDateTime(), nullable=False))


class SoAEntry(SQLModel, table=True):
    __tablename__ = "soa_entry"
    __table_args__ = (
        CheckConstraint(f"implementation_status IS NULL OR "
                        f"{in_values('implementation_status', ImplementationStatus)}",
                        name="ck_soa_entry_status"),
        CheckConstraint("applicable OR justification <> ''",
                        name="ck_soa_entry_exclusion_justified"),
    )

    soa_id: int = Field(sa_column=Column(
        Integer, ForeignKey("statement_of_applicability.id", ondelete="CASCADE"),
        primary_key=True))
    control_id: str = Field(sa_column=Column(String(40), primary_key=True))
    applicable: bool = Field(sa_column=Column(Boolean, nullable=False))
    justification: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    implementation_status: str | None = Field(default=None,
                                              sa_column=Column(String(30), nullable=True))
