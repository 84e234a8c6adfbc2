"""The four roles of the web app, from most to least seeing."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """admin: users and settings, and every number; leader: every number; manager: their
    team's CSMs and accounts; csm: their own book only."""

    admin = "admin"
    leader = "leader"
    manager = "manager"
    csm = "csm"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)
EVERYONE: tuple[Role, ...] = tuple(Role)
LEADERS: tuple[Role, ...] = (Role.admin, Role.leader)
MANAGERS: tuple[Role, ...] = (Role.admin, Role.leader, Role.manager)
ADMINS: tuple[Role, ...] = (Role.admin,)
