"""Checklist versions and the version each audit keeps.

An audit keeps the checklist version it started with: a later edit of the file never rewrites
a past audit. `ChecklistVersion` stores the whole loaded checklist once per distinct content,
under the SHA-256 of that content; `AuditChecklist` points an audit at one of them per checklist.
Neither row is ever updated.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from auditkit.db import UTCDateTime
from auditkit.models.core import in_values, now

CHECKLIST_SOURCES = ("shipped", "body", "file")  # auditkit.standards.model.Source


class ChecklistVersion(SQLModel, table=True):
    """One distinct content of one checklist file; `id` is the SHA-256 (hex) of `content_json`,
    the canonical JSON of the loaded checklist (auditkit.standards.versions)."""

    __tablename__ = "checklist_version"
    __table_args__ = (
        CheckConstraint(in_values("source", CHECKLIST_SOURCES), name="ck_checklist_version_source"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    checklist_key: str = Field(sa_column=Column(String(100), nullable=False, index=True))
    framework: str = Field(sa_column=Column(String(60), nullable=False))
    edition: str = Field(sa_column=Column(String(200), nullable=False))
    source: str = Field(sa_column=Column(String(10), nullable=False))
    content_json: str = Field(sa_column=Column(Text, nullable=False))
    first_seen_at: datetime = Field(default_factory=now,
                                    sa_column=Column(UTCDateTime(), nullable=False))


class AuditChecklist(SQLModel, table=True):
    """The checklist version an audit was pinned to, once, when it was scheduled."""

    __tablename__ = "audit_checklist"

    audit_id: int = Field(sa_column=Column(
        Integer, ForeignKey("audit.id", ondelete="CASCADE"), primary_key=True))
    checklist_key: str = Field(sa_column=Column(String(100), primary_key=True))
    checklist_version_id: str = Field(sa_column=Column(
        String(64), ForeignKey("checklist_version.id"), nullable=False, index=True))
    pinned_at: datetime = Field(default_factory=now,
                                sa_column=Column(UTCDateTime(), nullable=False))
