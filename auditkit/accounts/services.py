"""Users, roles, login and server-side sessions."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import delete, func, update
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, select

from auditkit import db as database
from auditkit.accounts import passwords
from auditkit.history import record_change
from auditkit.models import STAFF_ROLES, AuthSession, BodySettings, Client, Role, User, UserRole

LOCK_AFTER_FAILURES = 10
LOCK_MINUTES = 15
TOUCH_EVERY = timedelta(seconds=60)


class AccountError(ValueError):
    """Bad input for an account change; the message is shown to the user as is."""

    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.field_name = field_name


@dataclass(frozen=True)
class CurrentUser(UserMixin):
    """The signed-in user as templates and policy see it. `get_id` is the server-side session
    id, so ending that session signs the browser out."""

    id: int
    email: str
    full_name: str
    roles: frozenset[Role]
    client_id: int | None
    session_id: str

    def get_id(self) -> str:
        return self.session_id

    def has_role(self, role: Role) -> bool:
        return role in self.roles


@dataclass
class UserSummary:
    id: int
    email: str
    full_name: str
    is_active: bool
    roles: list[Role]
    client_id: int | None
    client_name: str | None
    locked: bool
    version: int
    created_at: datetime
    role_labels: list[str] = field(default_factory=list)


@dataclass
class LoginOutcome:
    user: CurrentUser | None
    reason: str  # ok, invalid, inactive


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


# --- roles -----------------------------------------------------------------------------------

def parse_roles(values) -> list[Role]:
    roles: list[Role] = []
    for value in values:
        try:
            role = Role(str(value).strip())
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise AccountError(f"Unknown role {value!r}; use one of {allowed}.", "roles") from None
        if role not in roles:
            roles.append(role)
    return roles


def check_role_combination(roles: list[Role], client_id: int | None) -> None:
    if not roles:
        raise AccountError("Give the user at least one role.", "roles")
    if Role.AUDITEE in roles:
        if len(roles) > 1:
            raise AccountError("An auditee cannot also hold staff roles.", "roles")
        if client_id is None:
            raise AccountError("An auditee belongs to one client organisation: choose it.",
                               "client_id")
    elif client_id is not None:
        raise AccountError("Only auditees belong to a client organisation.", "client_id")


def roles_by_user(db: Session, user_ids) -> dict[int, list[Role]]:
    result: dict[int, list[Role]] = {user_id: [] for user_id in user_ids}
    if not result:
        return result
    rows = db.exec(select(UserRole).where(UserRole.user_id.in_(list(result))))
    for row in rows:
        result[row.user_id].append(Role(row.role))
    for roles in result.values():
        roles.sort(key=list(Role).index)
    return result


def _set_roles(db: Session, user_id: int, roles: list[Role]) -> None:
    db.exec(delete(UserRole).where(UserRole.user_id == user_id))
    for role in roles:
        db.add(UserRole(user_id=user_id, role=role.value))


# --- users -----------------------------------------------------------------------------------

def _body_name(db: Session) -> str:
    body = db.get(BodySettings, 1)
    return body.name if body else ""


def _check_new_password(db: Session, password: str, email: str, full_name: str) -> None:
    context = passwords.context_words(email.split("@")[0], full_name, _body_name(db))
    problems = passwords.password_problems(password, context=context)
    if problems:
        raise AccountError(problems[0], "password")


def create_user(db: Session, *, email: str, full_name: str, password: str, roles,
                client_id: int | None = None, actor_id: int | None = None) -> User:
    email = normalise_email(email)
    full_name = (full_name or "").strip() or email.split("@")[0]
    roles = parse_roles(roles)
    if not email or "@" not in email:
        raise AccountError("Enter a valid e-mail address.", "email")
    check_role_combination(roles, client_id)
    if client_id is not None and db.get(Client, client_id) is None:
        raise AccountError(f"There is no client with id {client_id}.", "client_id")
    if db.exec(select(User.id).where(User.email == email)).first() is not None:
        raise AccountError("A user with this e-mail address already exists.", "email")
    _check_new_password(db, password, email, full_name)
    user = User(email=email, full_name=full_name, client_id=client_id,
                password_hash=passwords.hash_password(password))
    db.add(user)
    db.flush()
    _set_roles(db, user.id, roles)
    record_change(db, actor_id=actor_id, subject="user", subject_id=user.id,
                  field_name="created", before=None,
                  after=f"{email} ({', '.join(r.value for r in roles)})")
    return user


def list_users(db: Session, search: str = "") -> list[UserSummary]:
    """Users, active first; `search` matches name, e-mail, client or role (case-insensitive)."""
    query = (select(User, Client.name).join(Client, isouter=True)
             .order_by(User.is_active.desc(), User.full_name))
    if search:
        pattern, escape = database.contains_pattern(search), database.LIKE_ESCAPE
        with_role = select(UserRole.user_id).where(
            func.lower(UserRole.role).like(pattern, escape=escape))
        query = query.where(func.lower(User.full_name).like(pattern, escape=escape)
                            | func.lower(User.email).like(pattern, escape=escape)
                            | func.lower(Client.name).like(pattern, escape=escape)
                            | User.id.in_(with_role))
    rows = db.exec(query).all()
    roles = roles_by_user(db, [user.id for user, _ in rows])
    now = database.utcnow()
    return [_summary(user, client_name, roles[user.id], now) for user, client_name in rows]


def _summary(user: User, client_name: str | None, roles: list[Role], now) -> UserSummary:
    return UserSummary(
        id=user.id, email=user.email, full_name=user.full_name, is_active=user.is_active,
        roles=roles, role_labels=[r.label for r in roles], client_id=user.client_id,
        client_name=client_name, locked=bool(user.locked_until and user.locked_until > now),
        version=user.version, created_at=user.created_at)


def get_user_summary(db: Session, user_id: int) -> UserSummary | None:
    row = db.exec(select(User, Client.name).join(Client, isouter=True)
                  .where(User.id == user_id)).first()
    if row is None:
        return None
    user, client_name = row
    return _summary(user, client_name, roles_by_user(db, [user.id])[user.id],
                    database.utcnow())


class StaleEdit(Exception):
    """Someone else saved this record since the form was opened."""


def update_user(db: Session, user_id: int, *, full_name: str, roles, client_id: int | None,
                is_active: bool, expected_version: int, actor_id: int) -> None:
    user = db.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    if user.version != expected_version:
        raise StaleEdit()
    roles = parse_roles(roles)
    check_role_combination(roles, client_id)
    if client_id is not None and db.get(Client, client_id) is None:
        raise AccountError(f"There is no client with id {client_id}.", "client_id")
    if user_id == actor_id and (not is_active or Role.ADMIN not in roles):
        raise AccountError("You cannot remove your own administrator role or deactivate "
                           "yourself; ask another administrator.", "roles")
    if Role.ADMIN not in roles or not is_active:
        _keep_one_admin(db, user_id)
    before_roles = roles_by_user(db, [user_id])[user_id]
    changes = {"full_name": (user.full_name, full_name.strip() or user.full_name),
               "client_id": (user.client_id, client_id),
               "is_active": (user.is_active, is_active)}
    for name, (before, after) in changes.items():
        if before != after:
            record_change(db, actor_id=actor_id, subject="user", subject_id=user_id,
                          field_name=name, before=before, after=after)
            setattr(user, name, after)
    if set(before_roles) != set(roles):
        record_change(db, actor_id=actor_id, subject="user", subject_id=user_id,
                      field_name="roles", before=[r.value for r in before_roles],
                      after=[r.value for r in roles])
        _set_roles(db, user_id, roles)
    # Roles live in their own table: touch the row so its version moves on every save.
    flag_modified(user, "full_name")
    db.add(user)
    if not is_active:
        end_sessions(db, user_id, reason="deactivated")


def _keep_one_admin(db: Session, user_id: int) -> None:
    other_admins = db.exec(
        select(func.count()).select_from(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN.value, User.is_active, User.id != user_id)).one()
    if other_admins == 0:
        raise AccountError("The body needs at least one active administrator.", "roles")


def reset_password(db: Session, user_id: int, new_password: str, *, actor_id: int) -> None:
    user = db.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    _check_new_password(db, new_password, user.email, user.full_name)
    _store_password(db, user, new_password)
    record_change(db, actor_id=actor_id, subject="user", subject_id=user_id,
                  field_name="password", before=None, after="reset by administrator")
    end_sessions(db, user_id, reason="password_reset")


def change_own_password(db: Session, user_id: int, current_password: str, new_password: str,
                        keep_session_id: str) -> str:
    """Change the password; every session ends and a new one is returned for this browser."""
    user = db.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    if not passwords.verify_password(user.password_hash, current_password):
        raise AccountError("Your current password is not correct.", "current_password")
    if current_password == new_password:
        raise AccountError("Choose a password different from the current one.", "new_password")
    try:
        _check_new_password(db, new_password, user.email, user.full_name)
    except AccountError as error:
        raise AccountError(str(error), "new_password") from None
    _store_password(db, user, new_password)
    record_change(db, actor_id=user_id, subject="user", subject_id=user_id,
                  field_name="password", before=None, after="changed by the user")
    end_sessions(db, user_id, reason="password_changed")
    return _open_session(db, user_id, ip_address=None)


def _store_password(db: Session, user: User, new_password: str) -> None:
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = database.utcnow()
    user.failed_login_count = 0
    user.locked_until = None
    db.add(user)


# --- login and sessions ----------------------------------------------------------------------

def authenticate(db: Session, email: str, password: str, ip_address: str | None) -> LoginOutcome:
    user = db.exec(select(User).where(User.email == normalise_email(email))).first()
    now = database.utcnow()
    if user is None:
        passwords.verify_password(None, password)
        return LoginOutcome(None, "invalid")
    if user.locked_until and user.locked_until > now:
        passwords.verify_password(None, password)
        return LoginOutcome(None, "invalid")
    if not passwords.verify_password(user.password_hash, password):
        _count_failure(db, user, now)
        return LoginOutcome(None, "invalid")
    if not user.is_active:
        return LoginOutcome(None, "inactive")
    user.failed_login_count = 0
    user.locked_until = None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    db.add(user)
    session_id = _open_session(db, user.id, ip_address)
    roles = frozenset(roles_by_user(db, [user.id])[user.id])
    return LoginOutcome(CurrentUser(user.id, user.email, user.full_name, roles, user.client_id,
                                    session_id), "ok")


def _count_failure(db: Session, user: User, now) -> None:
    if user.locked_until and user.locked_until <= now:
        user.failed_login_count = 0
        user.locked_until = None
    user.failed_login_count += 1
    if user.failed_login_count >= LOCK_AFTER_FAILURES:
        user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
    db.add(user)


def _open_session(db: Session, user_id: int, ip_address: str | None) -> str:
    session_id = secrets.token_urlsafe(32)
    now = database.utcnow()  # the same clock as the timeout checks in check_session
    db.add(AuthSession(id=session_id, user_id=user_id, ip_address=ip_address, created_at=now,
                       last_seen_at=now))
    return session_id


def end_session(db: Session, session_id: str, reason: str) -> None:
    db.exec(update(AuthSession).where(AuthSession.id == session_id, AuthSession.ended_at.is_(None))
            .values(ended_at=database.utcnow(), end_reason=reason))


def end_sessions(db: Session, user_id: int, reason: str) -> None:
    db.exec(update(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
            .values(ended_at=database.utcnow(), end_reason=reason))


@dataclass
class SessionCheck:
    user: CurrentUser | None
    expired: str | None = None  # idle, absolute, ended: why a known session no longer counts
    touch: bool = False


def check_session(db: Session, session_id: str, now: datetime | None = None) -> SessionCheck:
    """Load the user of a server-side session, applying idle and absolute timeouts."""
    now = now or database.utcnow()
    row = db.exec(select(AuthSession, User).join(User, User.id == AuthSession.user_id)
                  .where(AuthSession.id == session_id)).first()
    if row is None:
        return SessionCheck(None, "ended")
    auth_session, user = row
    if auth_session.ended_at is not None or not user.is_active:
        return SessionCheck(None, "ended")
    body = db.get(BodySettings, 1) or BodySettings()
    if now - auth_session.last_seen_at > timedelta(minutes=body.session_idle_minutes):
        return SessionCheck(None, "idle")
    if now - auth_session.created_at > timedelta(hours=body.session_absolute_hours):
        return SessionCheck(None, "absolute")
    roles = frozenset(roles_by_user(db, [user.id])[user.id])
    current = CurrentUser(user.id, user.email, user.full_name, roles, user.client_id,
                          auth_session.id)
    return SessionCheck(current, touch=now - auth_session.last_seen_at > TOUCH_EVERY)


def session_owner(db: Session, session_id: str) -> int | None:
    """The user a server-side session belongs (or belonged) to."""
    return db.exec(select(AuthSession.user_id).where(AuthSession.id == session_id)).first()


def touch_session(db: Session, session_id: str) -> None:
    db.exec(update(AuthSession).where(AuthSession.id == session_id)
            .values(last_seen_at=database.utcnow()))


def staff_role_values() -> list[str]:
    return [role.value for role in Role if role in STAFF_ROLES]
