"""Login and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from csmetrics.web.access import Viewer, public, requires
from csmetrics.web.auth import Login, client_address
from csmetrics.web.rendering import render
from csmetrics.web.roles import EVERYONE
from csmetrics.web.state import users
from csmetrics.web.state.models import utcnow

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a local path: never send a user to another site after login."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    current: Annotated[Login | None, Depends(public())],
    next: str = "/",
) -> Response:
    if current is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(request, next)


def _form(
    request: Request,
    next: str,
    error: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    web = request.app.state.web
    token = web.sessions.new_login_token()
    response = render(
        request,
        "login.html.j2",
        None,
        status_code=status,
        next=safe_next(next),
        error=error,
        csrf_token=token,
    )
    response.headers.update(headers or {})
    web.sessions.set_login_token(request, response, token)
    return response


@router.post("/login")
def login(
    request: Request,
    _: Annotated[Login | None, Depends(public())],
    login: Annotated[str, Form(max_length=1000)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password unless a lockout already refuses the login or the address
    (``signin_limits``): the same answers whether or not the login exists."""
    web = request.app.state.web
    address = client_address(request)
    name = login.strip()[:120]
    with web.store.session() as db:
        now = utcnow()
        # A refused attempt is counted on its lockout's row, not given an audit entry.
        refusal = web.limits.refusal(db, name, address, now)
        user = None
        if refusal is None:
            user = users.authenticate(db, name, password)
            if user is None:
                users.audit(db, name, "login.failed", address=address)
                refusal = web.limits.failed(db, name, address, now)
            else:
                web.limits.succeeded(db, user.login)
                users.audit(db, user.login, "login", user_id=user.id, address=address)
    if refusal is not None:
        return _form(
            request,
            next,
            refusal.message,
            status=429,
            headers={"Retry-After": str(refusal.retry_after)},
        )
    if user is None:
        return _form(request, next, "Wrong login or password.", status=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    web.sessions.start(request, response, user)
    return response


@router.post("/logout")
def logout(request: Request, viewer: Annotated[Viewer, Depends(requires(*EVERYONE))]) -> Response:
    web = request.app.state.web
    with web.store.session() as db:
        users.audit(
            db,
            viewer.login.login,
            "logout",
            user_id=viewer.login.user_id,
            address=client_address(request),
        )
    response = RedirectResponse("/login?msg=Signed+out", status_code=303)
    web.sessions.end(response, viewer.login)
    return response
