"""Login and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from csmetrics.web.access import Viewer, public, requires
from csmetrics.web.auth import Login
from csmetrics.web.rendering import render
from csmetrics.web.roles import EVERYONE
from csmetrics.web.state import users

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


def _form(request: Request, next: str, error: str = "", status: int = 200) -> Response:
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
    web.sessions.set_login_token(request, response, token)
    return response


@router.post("/login")
def login(
    request: Request,
    _: Annotated[Login | None, Depends(public())],
    login: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    web = request.app.state.web
    address = request.client.host if request.client else ""
    with web.store.session() as db:
        user = users.authenticate(db, login.strip(), password)
        if user is None:
            users.audit(db, login.strip()[:120], "login.failed", address=address)
        else:
            users.audit(db, user.login, "login", user_id=user.id, address=address)
    if user is None:
        return _form(request, next, "Wrong login or password.", status=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    web.sessions.start(request, response, user)
    return response


@router.post("/logout")
def logout(request: Request, viewer: Annotated[Viewer, Depends(requires(*EVERYONE))]) -> Response:
    web = request.app.state.web
    with web.store.session() as db:
        users.audit(db, viewer.login.login, "logout", user_id=viewer.login.user_id)
    response = RedirectResponse("/login?msg=Signed+out", status_code=303)
    web.sessions.end(response, viewer.login)
    return response
