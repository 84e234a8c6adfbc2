"""The FastAPI application: ``create_app(workspace_dir)``.

One process serves one workspace: it opens the store once (``WebData``), keeps users
and sessions in the state store (migrated to the latest schema at start), and warms
the KPI snapshot in the background so the first pages answer quickly.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from csmetrics import __version__
from csmetrics.errors import CsMetricsError
from csmetrics.web.access import LoginRequired, NotVisible, public, scope_of
from csmetrics.web.auth import Login, Sessions
from csmetrics.web.credentials import session_key
from csmetrics.web.data import WebData
from csmetrics.web.headers import docs_page, secure
from csmetrics.web.imports import Imports
from csmetrics.web.rendering import render, templates
from csmetrics.web.signin_limits import SigninLimits
from csmetrics.web.state import SavedView, StateStore

PLOTLY_URL = "/static/vendor/plotly.min.js"


@dataclass
class WebApp:
    """What every route shares (``request.app.state.web``)."""

    data: WebData
    store: StateStore
    sessions: Sessions
    templates: Jinja2Templates
    limits: SigninLimits
    imports: Imports

    def saved_views(self, user_id: int) -> list[dict[str, Any]]:
        with self.store.session() as db:
            rows = db.scalars(
                select(SavedView).where(SavedView.user_id == user_id).order_by(SavedView.name)
            ).all()
            return [{"id": v.id, "page": v.page, "name": v.name, "query": v.query} for v in rows]


def plotly_bundle() -> Path:
    """plotly.js as shipped inside the plotly Python package (served locally, no CDN)."""
    return Path(str(resources.files("plotly").joinpath("package_data", "plotly.min.js")))


def create_app(workspace_dir: Path | str, *, warm: bool = True) -> FastAPI:
    """The web app of one workspace; ``warm`` computes the snapshot in the background."""
    root = Path(workspace_dir)
    data = WebData(root, serve_stale=True)  # pages never wait for a recompute
    try:
        config = data.config
        store = StateStore.for_workspace(root, config)
        key = session_key(root, config)
    except Exception:
        data.close()
        raise
    web = WebApp(
        data=data,
        store=store,
        sessions=Sessions(
            store,
            key,
            config.web.session_hours,
            config.web.secure_cookies,
            config.web.session_idle_minutes,
        ),
        templates=templates(),
        limits=SigninLimits(config.web),
        imports=Imports(data, store),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm:
            threading.Thread(target=data.warm, name="csmetrics-warm", daemon=True).start()
        yield
        data.close()
        store.dispose()

    app = FastAPI(
        title="csmetrics",
        version=__version__,
        description="Customer Success metrics of one workspace: every page's data as JSON. "
        "Sign in at /login first; the session cookie authorises these calls.",
        lifespan=lifespan,
        docs_url=None,  # served by docs_page, with a Content Security Policy of its own
        redoc_url=None,
    )
    app.state.web = web
    app.add_route("/docs", docs_page, include_in_schema=False)
    folder = str(resources.files("csmetrics.web").joinpath("static"))

    @app.get(PLOTLY_URL, include_in_schema=False)
    def plotly_js(_: Annotated[Login | None, Depends(public())]) -> Response:
        return FileResponse(
            plotly_bundle(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=folder), name="static")
    from csmetrics.web.api import views as api_views
    from csmetrics.web.pages import admin, auth, forms, imports
    from csmetrics.web.pages import views as page_views

    for router in (
        auth.router,
        forms.router,
        admin.router,
        imports.router,
        api_views.router,
        page_views.router,
    ):
        app.include_router(router)
    _handlers(app)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        return secure(request, response)

    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    web = request.app.state.web
    login = web.sessions.current(request)
    viewer = None
    if login is not None:
        from csmetrics.web.access import Viewer

        viewer = Viewer(login, scope_of(login, web.data.csms()))
    return render(
        request, "error.html.j2", viewer, status_code=status, status=status, detail=message
    )


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "sign in first (POST /login)"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(NotVisible)
    async def not_visible(request: Request, exc: NotVisible) -> Response:
        return _error(request, 404, f"{exc.what}: not found in your view")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(CsMetricsError)
    async def user_error(request: Request, exc: CsMetricsError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        """A bug: a plain 500 that says nothing of the cause, with the same headers as
        every other response (this handler runs outside the header middleware; the
        server logs the traceback)."""
        response = (
            JSONResponse({"detail": "internal error"}, status_code=500)
            if _is_api(request)
            else PlainTextResponse("Internal error; it has been logged.", status_code=500)
        )
        return secure(request, response)
