"""Accounts, the body itself, history and stored files."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from auditkit import db as database
from auditkit.db import UTCDateTime


class Role(StrEnum):
    ADMIN = "admin"
    PROGRAMME_MANAGER = "programme_manager"
    AUDITOR = "auditor"
    REVIEWER = "reviewer"
    AUDITEE = "auditee"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.PROGRAMME_MANAGER: "Programme manager",
    Role.AUDITOR: "Auditor",
    Role.REVIEWER: "Technical reviewer",
    Role.AUDITEE: "Auditee",
}
STAFF_ROLES = frozenset(Role) - {Role.AUDITEE}


def now() -> datetime:
    """Looked up at call time, so a test's frozen clock applies to new rows too."""
    return database.utcnow()


def in_values(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


user_version = Column("version", Integer, nullable=False, default=1)


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __mapper_args__ = {"version_id_col": user_version}

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    full_name: str = Field(sa_column=Column(String(200), nullable=False))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    is_active: bool = Field(default=True, nullable=False)
    client_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("client.id"), nullable=True))
    failed_login_count: int = Field(default=0, nullable=False)
    locked_until: datetime | None = Field(default=None,
                                          sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=now,
                                 sa_column=Column(UTCDateTime(), nullable=False))
    password_changed_at: datetime = Field(default_factory=now,
                                          sa_column=Column(UTCDateTime(), nullable=False))
    version: int = Field(default=1, sa_column=user_version)


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"
    __table_args__ = (CheckConstraint(in_values("role", Role), name="ck_user_role_role"),)

    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user_account.id",
                                                             ondelete="CASCADE"),
                                          primary_key=True))
    role: str = Field(sa_column=Column(String(32), primary_key=True))


class AuthSession(SQLModel, table=True):
    """Server-side login session: the cookie carries only its random id, so logout, password
    change and deactivation can end it everywhere."""

    __tablename__ = "auth_session"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user_account.id",
                                                             ondelete="CASCADE"),
                                          nullable=False, index=True))
    created_at: datetime = Field(default_factory=now,
                                 sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(default_factory=now,
                                   sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None,
                                      sa_column=Column(UTCDateTime(), nullable=True))
    end_reason: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    ip_address: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


settings_version = Column("version", Integer, nullable=False, default=1)


class BodySettings(SQLModel, table=True):
    """The certification body itself: one row."""

    __tablename__ = "body_settings"
    __mapper_args__ = {"version_id_col": settings_version}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    address: str = Field(default="", sa_column=Column(Text, nullable=False))
    accreditation_body: str = Field(default="", sa_column=Column(String(200), nullable=False))
    accreditation_number: str = Field(default="", sa_column=Column(String(100), nullable=False))
    time_zone: str = Field(default="UTC", sa_column=Column(String(64), nullable=False))
    logo_file_id: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("stored_file.id"), nullable=True))
    session_idle_minutes: int = Field(default=30, nullable=False)
    session_absolute_hours: int = Field(default=12, nullable=False)
    version: int = Field(default=1, sa_column=settings_version)


class PolicyValue(SQLModel, table=True):
    """A per-body policy (`cb_policy.*`) that differs from its default."""

    __tablename__ = "policy_value"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(String(64), nullable=False))


class ChangeRecord(SQLModel, table=True):
    """History of a change: who, when, what, before and after."""

    __tablename__ = "change_record"

    id: int | None = Field(default=None, primary_key=True)
    changed_at: datetime = Field(default_factory=now,
                                 sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=True))
    subject: str = Field(sa_column=Column(String(40), nullable=False, index=True))
    subject_id: str = Field(default="", sa_column=Column(String(64), nullable=False))
    field_name: str = Field(sa_column=Column(String(80), nullable=False))
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class StoredFile(SQLModel, table=True):
    """A file in storage, kept under a random id; the original name is display text only."""

    __tablename__ = "stored_file"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    original_name: str = Field(sa_column=Column(String(255), nullable=False))
    content_type: str = Field(sa_column=Column(String(100), nullable=False))
    size: int = Field(nullable=False)
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(default_factory=now,
                                 sa_column=Column(UTCDateTime(), nullable=False))


class FormDraft(SQLModel, table=True):
    """What a user typed into a form when their session had expired, kept until they log in
    again (the key lives in their browser session)."""

    __tablename__ = "form_draft"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    path: str = Field(sa_column=Column(String(500), nullable=False))
    fields_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=now,
                                 sa_column=Column(UTCDateTime(), nullable=False))
