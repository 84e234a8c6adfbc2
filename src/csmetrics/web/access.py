"""Who may see what: THE one place the access rule lives.

Two halves, both here:

* **Routes** declare their rule with ``requires(*roles)`` (or ``public()``) as a
  dependency. The dependency finds the login, refuses other roles (403), checks the
  CSRF token of every state-changing request, and hands the route a ``Viewer``.
  ``rule_of(route)`` reads the declaration back, so a test can walk every route and
  fail on one that declares nothing.
* **Data**: a ``Viewer``'s ``Scope`` (role, csm_id, team) becomes an ``AccountFilter``
  that every data accessor applies (``web.data.ScopedData``): a row is visible when
  the account's owner on the day the row is about is one of the scope's CSMs (a
  CSM: themselves; a manager: the CSMs of their team, ``csms.team``; admin and
  leader: everyone). Ownership on a day follows the KPI engine (``kpis.grains``):
  the assignment valid that day, else ``accounts.csm_id``. Period numbers use the
  owner on the period's first day (as every KPI attributes them); lists of accounts
  use the owner on the data's as-of day (the current book).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from csmetrics.web.auth import Login, check_csrf
from csmetrics.web.filters import Filters
from csmetrics.web.roles import Role

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RULE_ATTRIBUTE = "access_rule"


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form, the API answers 401."""


class NotVisible(Exception):
    """The object exists but is outside the viewer's scope (or does not exist): 404."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class Rule:
    """The roles a route admits; ``public`` routes need no login."""

    roles: tuple[Role, ...]
    public: bool = False

    def admits(self, role: str) -> bool:
        return self.public or role in self.roles


@dataclass(frozen=True)
class Scope:
    """What a login may see: everything, a team's CSMs, or one CSM's book."""

    role: Role
    csm_id: str | None
    team: str | None

    @property
    def everything(self) -> bool:
        return self.role in (Role.admin, Role.leader)

    def csm_ids(self, csms: pd.DataFrame) -> frozenset[str] | None:
        """The CSMs whose accounts are visible (None: all). ``csms``: csm_id, team."""
        if self.everything:
            return None
        if self.role == Role.manager:
            return frozenset(csms.loc[csms["team"] == self.team, "csm_id"].astype(str))
        return frozenset([self.csm_id]) if self.csm_id else frozenset()


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request and their scope."""

    login: Login
    scope: Scope

    @property
    def role(self) -> Role:
        return self.scope.role


@dataclass(frozen=True)
class AccountFilter:
    """The scope's CSMs combined with the page's filters, applied to frames of rows that
    carry the owner (``csm_id``), the owner's ``team`` and the account's tier/segment."""

    csm_ids: frozenset[str] | None
    team: str | None = None
    tier: str | None = None
    segment: str | None = None
    csm: str | None = None

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        keep = pd.Series(True, index=frame.index)
        if self.csm_ids is not None:
            keep &= frame["csm_id"].isin(self.csm_ids)
        for column, wanted in (
            ("team", self.team),
            ("tier", self.tier),
            ("segment", self.segment),
            ("csm_id", self.csm),
        ):
            if wanted is not None:
                keep &= frame[column] == wanted
        return keep.fillna(False).astype(bool)

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[self.mask(frame)].reset_index(drop=True)

    def sees_csm(self, csm_id: str | None) -> bool:
        """Whether the scope covers this CSM (their scorecard, statement)."""
        return self.csm_ids is None or (csm_id is not None and csm_id in self.csm_ids)

    @property
    def scoped(self) -> bool:
        return self.csm_ids is not None


def account_filter(scope: Scope, filters: Filters, csms: pd.DataFrame) -> AccountFilter:
    return AccountFilter(
        csm_ids=scope.csm_ids(csms),
        team=filters.team,
        tier=filters.tier,
        segment=filters.segment,
        csm=filters.csm,
    )


def scope_of(login: Login, csms: pd.DataFrame) -> Scope:
    """A login's scope; a CSM's team (for labels) comes from csms."""
    role = Role(login.role)
    team = login.team
    if role == Role.csm and login.csm_id is not None:
        match = csms.loc[csms["csm_id"] == login.csm_id, "team"]
        team = str(match.iloc[0]) if len(match) else None
    return Scope(role=role, csm_id=login.csm_id, team=team)


# -- route rules ------------------------------------------------------------------------


def requires(*roles: Role) -> Callable[..., Any]:
    """A dependency admitting only ``roles``; it also checks CSRF on state changes."""
    rule = Rule(tuple(roles))

    async def guard(request: Request) -> Viewer:
        web = request.app.state.web
        login = web.sessions.current(request)
        if login is None:
            raise LoginRequired()
        if not rule.admits(login.role):
            raise HTTPException(403, "your role does not open this page")
        if request.method not in SAFE_METHODS:
            await check_csrf(request, login.csrf_token)
        # Off the event loop: the CSMs come from the workspace cache, whose lock a long
        # computation may hold; waiting for it here would stall every other request.
        csms = await run_in_threadpool(web.data.csms)
        return Viewer(login, scope_of(login, csms))

    setattr(guard, RULE_ATTRIBUTE, rule)
    return guard


def public() -> Callable[..., Any]:
    """A dependency for routes open without login (the login form); POSTs still need the
    login form's CSRF token."""
    rule = Rule((), public=True)

    async def guard(request: Request) -> Login | None:
        web = request.app.state.web
        if request.method not in SAFE_METHODS:
            await check_csrf(request, web.sessions.expected_login_token(request))
        return web.sessions.current(request)

    setattr(guard, RULE_ATTRIBUTE, rule)
    return guard


def all_routes(routes: Iterable[Any]) -> list[Any]:
    """Every route of an app, including those of included routers (the walk the access
    test makes)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out += all_routes(inner.routes)
        else:
            out.append(route)
    return out


def rule_of(route: Any) -> Rule | None:
    """The rule a route declared through its dependencies, or None."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    for call in _calls(dependant.dependencies):
        rule = getattr(call, RULE_ATTRIBUTE, None)
        if isinstance(rule, Rule):
            return rule
    return None


def _calls(dependencies: Iterable[Any]) -> Iterable[Any]:
    for dependency in dependencies:
        yield dependency.call
        yield from _calls(dependency.dependencies)
