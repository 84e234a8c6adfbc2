"""Each registered page as HTML at its path and as CSV tables under /export/<path>."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from csmetrics.web.access import Viewer, requires
from csmetrics.web.auth import client_address
from csmetrics.web.filters import FILTER_KEYS, Filters, filters
from csmetrics.web.rendering import render
from csmetrics.web.scoped import ScopedData
from csmetrics.web.state.users import audit
from csmetrics.web.views import PAGES, Page, View

router = APIRouter()


async def build_view(
    request: Request, page: Page, viewer: Viewer, chosen: Filters, **path: str
) -> View:
    """The page's view for this viewer (built off the event loop: it may compute)."""
    params = {k: v for k, v in request.query_params.items() if k in page.params}
    web = request.app.state.web
    key = (
        page.name,
        viewer.scope,
        viewer.login.csm_id,
        chosen,
        tuple(sorted(params.items())),
        tuple(sorted(path.items())),
    )

    def build() -> View:
        return page.build(ScopedData(web.data, viewer, chosen), params, **path)

    return await run_in_threadpool(web.data.view_cached, key, build)


def options(request: Request, viewer: Viewer, chosen: Filters) -> dict[str, Any]:
    """What the filter bar offers: the snapshot's periods and the visible teams, CSMs..."""
    web = request.app.state.web
    d = ScopedData(web.data, viewer, Filters())
    saved = web.saved_views(viewer.login.user_id)
    return {
        "periods": [p.label for p in reversed(d.periods())],
        "teams": d.teams() if viewer.role != "csm" else [],
        "tiers": d.tiers(),
        "segments": d.segments(),
        "csms": d.csms()[["csm_id", "name"]].to_dict("records") if viewer.role != "csm" else [],
        "saved": saved,
    }


def _html(page: Page) -> Callable[..., Any]:
    guard = requires(*page.roles)

    async def handler(
        request: Request,
        viewer: Viewer = Depends(guard),  # noqa: B008 (a closure: Annotated cannot see it)
        chosen: Filters = Depends(filters),  # noqa: B008
    ) -> HTMLResponse:
        view = await build_view(request, page, viewer, chosen, **request.path_params)
        opts = await run_in_threadpool(options, request, viewer, chosen)
        return render(
            request,
            page.template,
            viewer,
            filters=chosen,
            view=view,
            page=page,
            options=opts,
            export_query=request.url.query,
            filter_keys=FILTER_KEYS,
        )

    handler.__name__ = f"page_{page.name}"
    handler.__doc__ = page.description
    return handler


def _csv(page: Page) -> Callable[..., Any]:
    guard = requires(*page.roles)

    async def handler(
        request: Request,
        viewer: Viewer = Depends(guard),  # noqa: B008 (a closure: Annotated cannot see it)
        chosen: Filters = Depends(filters),  # noqa: B008
        table: str = Query(description="Which table of the page."),
    ) -> Response:
        path = {k: v for k, v in request.path_params.items()}
        view = await build_view(request, page, viewer, chosen, **path)
        found = view.table(table)
        if found is None:
            raise HTTPException(404, f"the {page.title} page has no table {table!r}")
        columns = [c.key for c in found.columns if c.key in found.frame.columns]
        frame = found.frame[columns]
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, date_format="%Y-%m-%d")
        web = request.app.state.web
        with web.store.session() as db:
            audit(
                db,
                viewer.login.login,
                "export",
                f"{request.url.path}?table={table}",
                f"{len(frame)} rows",
                user_id=viewer.login.user_id,
                address=client_address(request),
            )
        name = f"{page.name}-{table}-{view.as_of.isoformat()}.csv"
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    handler.__name__ = f"export_{page.name}"
    handler.__doc__ = f"A table of the {page.title} page as CSV."
    return handler


for _page in PAGES:
    router.add_api_route(
        f"/export{_page.path if _page.path != '/' else '/overview'}",
        _csv(_page),
        methods=["GET"],
        include_in_schema=False,
        name=f"export_{_page.name}",
    )
for _page in PAGES:
    router.add_api_route(
        _page.path,
        _html(_page),
        methods=["GET"],
        response_class=HTMLResponse,
        include_in_schema=False,
        name=f"page_{_page.name}",
    )
