"""Admin pages: users (add, role, password, active) and the audit log."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote_plus

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from csmetrics.errors import CsMetricsError
from csmetrics.web.access import Viewer, requires
from csmetrics.web.rendering import render
from csmetrics.web.roles import ADMINS, ROLES
from csmetrics.web.state import AuditEntry, users

router = APIRouter(include_in_schema=False)
Admin = Annotated[Viewer, Depends(requires(*ADMINS))]


def _done(message: str, error: bool = False) -> RedirectResponse:
    key = "error" if error else "msg"
    return RedirectResponse(f"/admin/users?{key}={quote_plus(message)}", status_code=303)


def check_workspace_link(request: Request, csm_id: str | None, team: str | None) -> None:
    """The csm_id and team a login links to must exist in the workspace's csms table."""
    csms = request.app.state.web.data.csms()
    if csm_id and csm_id not in set(csms["csm_id"].astype(str)):
        raise users.UserError(f"csm_id {csm_id!r} is not in the csms table")
    if team and team not in set(csms["team"].dropna().astype(str)):
        raise users.UserError(f"team {team!r} is not a team of the csms table")


@router.get("/admin/users", response_class=HTMLResponse)
def user_list(request: Request, viewer: Admin) -> Response:
    web = request.app.state.web
    with web.store.session() as db:
        found = users.listing(db)
    csms = web.data.csms()
    return render(
        request,
        "admin_users.html.j2",
        viewer,
        users=found,
        roles=ROLES,
        csms=csms.to_dict("records"),
        teams=sorted({str(t) for t in csms["team"].dropna()}),
        error=request.query_params.get("error", ""),
    )


@router.post("/admin/users")
def add_user(
    request: Request,
    viewer: Admin,
    login: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    csm_id: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
) -> Response:
    web = request.app.state.web
    try:
        check_workspace_link(request, csm_id or None, team or None)
        with web.store.session() as db:
            users.add(
                db,
                login.strip(),
                password,
                role,
                name=name.strip(),
                csm_id=csm_id or None,
                team=team or None,
                by=viewer.login.login,
            )
    except CsMetricsError as exc:
        return _done(str(exc), error=True)
    return _done(f"Added {login.strip()}")


@router.post("/admin/users/{login}/role")
def set_role(
    request: Request,
    login: str,
    viewer: Admin,
    role: Annotated[str, Form()],
    csm_id: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
) -> Response:
    web = request.app.state.web
    try:
        check_workspace_link(request, csm_id or None, team or None)
        with web.store.session() as db:
            users.set_role(
                db, login, role, csm_id=csm_id or None, team=team or None, by=viewer.login.login
            )
    except CsMetricsError as exc:
        return _done(str(exc), error=True)
    return _done(f"{login} is now {role}")


@router.post("/admin/users/{login}/password")
def reset_password(
    request: Request, login: str, viewer: Admin, password: Annotated[str, Form()]
) -> Response:
    web = request.app.state.web
    try:
        with web.store.session() as db:
            users.reset_password(db, login, password, by=viewer.login.login)
    except CsMetricsError as exc:
        return _done(str(exc), error=True)
    return _done(f"New password set for {login}")


@router.post("/admin/users/{login}/active")
def set_active(
    request: Request, login: str, viewer: Admin, active: Annotated[str, Form()]
) -> Response:
    web = request.app.state.web
    if login == viewer.login.login and active != "1":
        return _done("you cannot deactivate your own login", error=True)
    try:
        with web.store.session() as db:
            users.set_active(db, login, active == "1", by=viewer.login.login)
    except CsMetricsError as exc:
        return _done(str(exc), error=True)
    return _done(f"{login} {'activated' if active == '1' else 'deactivated'}")


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(request: Request, viewer: Admin) -> Response:
    web = request.app.state.web
    with web.store.session() as db:
        entries = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)).all()
        rows = [
            {
                "at": e.at,
                "login": e.login,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
                "address": e.address,
            }
            for e in entries
        ]
    return render(request, "admin_audit.html.j2", viewer, entries=rows)
