"""Managing logins: add, list, change role, reset password, check a password.

Used by ``csmetrics users ...`` and the admin page; both record what they did in the
audit log. Whether a csm_id or team exists in the workspace is checked by the caller
(the state store knows no analytics data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from csmetrics.errors import CsMetricsError
from csmetrics.web.passwords import hash_password, needs_rehash, verify_password
from csmetrics.web.roles import ROLES, Role
from csmetrics.web.state.models import AuditEntry, User, WebSession, utcnow

_LOGIN = re.compile(r"^[A-Za-z0-9._@+-]{2,120}$")


class UserError(CsMetricsError):
    """A user change is refused (unknown login, bad role, missing link)."""


@dataclass(frozen=True)
class UserInfo:
    """A user as the CLI and the admin page show it (never the hash)."""

    id: int
    login: str
    name: str
    role: str
    csm_id: str | None
    team: str | None
    active: bool


def info(user: User) -> UserInfo:
    return UserInfo(user.id, user.login, user.name, user.role, user.csm_id, user.team, user.active)


def check_link(role: str, csm_id: str | None, team: str | None) -> None:
    """A CSM needs the csm_id of their book; a manager the team they lead."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role == Role.csm and not csm_id:
        raise UserError("a csm login needs --csm-id (the csm_id of their book)")
    if role == Role.manager and not team:
        raise UserError("a manager login needs --team (the csms.team they lead)")


def get(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        raise UserError(f"no user {login!r}; `csmetrics users list` shows them")
    return user


def add(
    session: Session,
    login: str,
    password: str,
    role: str,
    *,
    name: str = "",
    csm_id: str | None = None,
    team: str | None = None,
    by: str = "cli",
    address: str = "",
) -> User:
    if not _LOGIN.match(login):
        raise UserError(f"login {login!r}: use 2-120 letters, digits and . _ @ + -")
    check_link(role, csm_id, team)
    if session.scalar(select(User).where(User.login == login)) is not None:
        raise UserError(f"user {login!r} already exists")
    user = User(
        login=login,
        name=name or login,
        password_hash=hash_password(password),
        role=role,
        csm_id=csm_id or None,
        team=team or None,
        active=True,
    )
    session.add(user)
    session.flush()
    audit(
        session,
        by,
        "user.add",
        login,
        f"role={role} csm_id={csm_id or ''} team={team or ''}",
        address=address,
    )
    return user


def listing(session: Session) -> list[UserInfo]:
    return [info(u) for u in session.scalars(select(User).order_by(User.login))]


def set_role(
    session: Session,
    login: str,
    role: str,
    *,
    csm_id: str | None = None,
    team: str | None = None,
    by: str = "cli",
    address: str = "",
) -> User:
    """Change a role (and its link); the user's sessions end so the change applies at once."""
    user = get(session, login)
    csm_id = csm_id if csm_id is not None else user.csm_id
    team = team if team is not None else user.team
    check_link(role, csm_id, team)
    user.role, user.csm_id, user.team = role, csm_id or None, team or None
    end_sessions(session, user)
    audit(
        session,
        by,
        "user.set_role",
        login,
        f"role={role} csm_id={csm_id or ''} team={team or ''}",
        address=address,
    )
    return user


def reset_password(
    session: Session, login: str, password: str, *, by: str = "cli", address: str = ""
) -> User:
    """A new password; the login's sessions end, so a stolen cookie dies with the old one."""
    user = get(session, login)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    end_sessions(session, user)
    audit(session, by, "user.reset_password", login, address=address)
    return user


def set_active(
    session: Session, login: str, active: bool, *, by: str = "cli", address: str = ""
) -> User:
    user = get(session, login)
    user.active = active
    if not active:
        end_sessions(session, user)
    audit(session, by, "user.activate" if active else "user.deactivate", login, address=address)
    return user


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active user with this login and password, else None (same answer for both)."""
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        verify_password(_DUMMY_HASH, password)  # the same work, so timing tells nothing
        return None
    if not user.active or not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def end_sessions(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def audit(
    session: Session,
    login: str,
    action: str,
    target: str = "",
    detail: str = "",
    *,
    user_id: int | None = None,
    address: str = "",
) -> None:
    session.add(
        AuditEntry(
            user_id=user_id,
            login=login,
            action=action,
            target=target[:200],
            detail=detail,
            address=address[:64],
        )
    )


_DUMMY_HASH = hash_password("not-a-real-password")
