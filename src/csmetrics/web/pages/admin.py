"""Admin pages: users (add, role, password, active), sign-in lockouts and the audit log."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import quote_plus

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from csmetrics.errors import CsMetricsError
from csmetrics.web.access import Viewer, requires
from csmetrics.web.auth import client_address
from csmetrics.web.rendering import render
from csmetrics.web.roles import ADMINS, ROLES
from csmetrics.web.state import AuditEntry, users
from csmetrics.web.state.models import utcnow

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
        locked = web.limits.active(db, utcnow())
    csms = web.data.csms()
    return render(
        request,
        "admin_users.html.j2",
        viewer,
        users=found,
        lockouts=locked,
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
                address=client_address(request),
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
                db,
                login,
                role,
                csm_id=csm_id or None,
                team=team or None,
                by=viewer.login.login,
                address=client_address(request),
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
            users.reset_password(
                db, login, password, by=viewer.login.login, address=client_address(request)
            )
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
            users.set_active(
                db, login, active == "1", by=viewer.login.login, address=client_address(request)
            )
    except CsMetricsError as exc:
        return _done(str(exc), error=True)
    return _done(f"{login} {'activated' if active == '1' else 'deactivated'}")


@router.post("/admin/lockouts/clear")
def clear_lockout(request: Request, viewer: Admin, lockout: Annotated[int, Form()]) -> Response:
    """Lift a sign-in lockout before it lapses (audited as lockout.clear)."""
    web = request.app.state.web
    with web.store.session() as db:
        lifted = web.limits.clear(
            db,
            utcnow(),
            viewer.login.login,
            lockout_id=lockout,
            address=client_address(request),
        )
    if not lifted:
        return _done(f"lockout {lockout} is not in force", error=True)
    return _done("Lockout lifted")


AUDIT_PAGE = 200


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    viewer: Admin,
    action: Annotated[
        str, Query(max_length=64, description="An action, or a family such as user.*")
    ] = "",
    login: Annotated[str, Query(max_length=120, description="Who (exact login).")] = "",
    address: Annotated[str, Query(max_length=64, description="Client address.")] = "",
    text: Annotated[str, Query(max_length=200, description="In target or detail.")] = "",
    since: Annotated[date | None, Query(description="From this day (UTC).")] = None,
    until: Annotated[date | None, Query(description="To this day (UTC), inclusive.")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The audit log, newest first, filtered (every filter is a bound parameter)."""
    web = request.app.state.web
    query = select(AuditEntry)
    wanted = action.strip()
    if wanted.endswith("*"):  # a family: login.* is login, login.failed, login.lockout
        base = wanted[:-1].rstrip(".")
        query = query.where(
            (AuditEntry.action == base) | AuditEntry.action.startswith(f"{base}.", autoescape=True)
        )
    elif wanted:
        query = query.where(AuditEntry.action == wanted)
    if login.strip():
        query = query.where(AuditEntry.login == login.strip())
    if address.strip():
        query = query.where(AuditEntry.address == address.strip())
    if text.strip():
        query = query.where(
            AuditEntry.target.contains(text.strip(), autoescape=True)
            | AuditEntry.detail.contains(text.strip(), autoescape=True)
        )
    if since is not None:
        query = query.where(AuditEntry.at >= datetime.combine(since, time.min))
    if until is not None:
        query = query.where(AuditEntry.at < datetime.combine(until + timedelta(days=1), time.min))
    with web.store.session() as db:
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        entries = db.scalars(
            query.order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE).offset((page - 1) * AUDIT_PAGE)
        ).all()
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
        actions = db.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    chosen = {
        "action": action,
        "login": login,
        "address": address,
        "text": text,
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    pages = max(1, -(-total // AUDIT_PAGE))
    return render(
        request,
        "admin_audit.html.j2",
        viewer,
        entries=rows,
        total=total,
        page=min(page, pages),
        pages=pages,
        actions=actions,
        families=sorted({a.split(".")[0] + ".*" for a in actions if "." in a}),
        chosen=chosen,
        query={k: v for k, v in chosen.items() if v},
    )
