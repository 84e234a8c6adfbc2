"""Demo logins, one per role, linked to the demo company's people (``--demo-users``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select

from csmetrics.web.state import StateStore, User
from csmetrics.web.state import users as user_ops

DEMO_PASSWORD = "csmetrics-demo"


@dataclass(frozen=True)
class DemoLogin:
    login: str
    role: str
    who: str


def ensure_demo_users(store: StateStore, csms: pd.DataFrame) -> list[DemoLogin]:
    """Create (or reset to the demo password) admin, leader, manager and csm logins.

    The leader is the csms row with role leader, the manager the first manager, the
    CSM the first CSM of that manager's team (``csms`` needs csm_id, name, team, role).
    """
    by_role = {role: csms[csms["role"] == role] for role in ("leader", "manager", "csm")}
    leader = _first(by_role["leader"])
    manager = _first(by_role["manager"])
    team = str(manager["team"]) if manager is not None else None
    team_csms = by_role["csm"][by_role["csm"]["team"] == team] if team else by_role["csm"]
    csm = _first(team_csms) if len(team_csms) else _first(by_role["csm"])
    wanted = [
        ("admin", "admin", None, None, "Demo admin"),
        ("leader", "leader", _id(leader), None, _name(leader, "Demo leader")),
        ("manager", "manager", _id(manager), team, _name(manager, "Demo manager")),
        ("csm", "csm", _id(csm), None, _name(csm, "Demo CSM")),
    ]
    out = []
    with store.session() as db:
        for login, role, csm_id, team_name, name in wanted:
            if role == "manager" and team_name is None:
                continue
            if role == "csm" and csm_id is None:
                continue
            existing = db.scalar(select(User).where(User.login == login))
            if existing is None:
                user_ops.add(
                    db,
                    login,
                    DEMO_PASSWORD,
                    role,
                    name=name,
                    csm_id=csm_id,
                    team=team_name,
                    by="demo",
                )
            else:
                user_ops.set_role(
                    db, login, role, csm_id=csm_id or "", team=team_name or "", by="demo"
                )
                user_ops.reset_password(db, login, DEMO_PASSWORD, by="demo")
                existing.name, existing.active = name, True
            who = (
                name
                + (f" ({csm_id})" if csm_id else "")
                + (f", team {team_name}" if team_name else "")
            )
            out.append(DemoLogin(login, role, who))
    return out


def _first(frame: pd.DataFrame) -> pd.Series | None:
    return None if frame is None or frame.empty else frame.iloc[0]


def _id(row: pd.Series | None) -> str | None:
    return None if row is None else str(row["csm_id"])


def _name(row: pd.Series | None, default: str) -> str:
    return default if row is None else str(row["name"])
