"""Each registered page's data as JSON at /api/<path> (OpenAPI at /docs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from csmetrics.web.access import Viewer, requires
from csmetrics.web.filters import Filters, filters
from csmetrics.web.pages.views import build_view
from csmetrics.web.roles import EVERYONE
from csmetrics.web.scoped import ScopedData
from csmetrics.web.views import PAGES, Page
from csmetrics.web.views.base import records

router = APIRouter(prefix="/api", tags=["pages"])


def api_path(page: Page) -> str:
    return page.path if page.path != "/" else "/overview"


def _json(page: Page) -> Callable[..., Any]:
    guard = requires(*page.roles)

    async def handler(
        request: Request,
        viewer: Viewer = Depends(guard),  # noqa: B008 (a closure: Annotated cannot see it)
        chosen: Filters = Depends(filters),  # noqa: B008
    ) -> dict[str, Any]:
        view = await build_view(request, page, viewer, chosen, **request.path_params)
        return view.to_json()

    handler.__name__ = f"api_{page.name}"
    return handler


def page_parameters(page: Page) -> list[dict[str, Any]]:
    """The page's own query parameters (read from the query string, not by FastAPI), so
    that the OpenAPI description lists them and clients and API fuzzers can send them."""
    return [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in page.params
    ]


for _page in PAGES:
    extra = f" Page parameters: {', '.join(_page.params)}." if _page.params else ""
    router.add_api_route(
        api_path(_page),
        _json(_page),
        methods=["GET"],
        name=f"api_{_page.name}",
        summary=_page.title,
        description=(_page.description or _page.title)
        + extra
        + f" Roles: {', '.join(r.value for r in _page.roles)}.",
        openapi_extra={"parameters": page_parameters(_page)} if _page.params else None,
    )


@router.get("/me", summary="The signed-in user and their scope")
def me(viewer: Annotated[Viewer, Depends(requires(*EVERYONE))]) -> dict[str, Any]:
    login, scope = viewer.login, viewer.scope
    return {
        "login": login.login,
        "name": login.name,
        "role": login.role,
        "csm_id": login.csm_id,
        "team": scope.team,
        "sees": "everything"
        if scope.everything
        else ("team" if scope.role == "manager" else "own book"),
    }


@router.get("/accounts/{account_id}/health", summary="One account's health score explained")
async def account_health(
    request: Request,
    account_id: str,
    viewer: Annotated[Viewer, Depends(requires(*EVERYONE))],
) -> dict[str, Any]:
    """The account's score measure by measure: raw value, points, weight, contribution."""
    web = request.app.state.web

    def load() -> Any:
        return ScopedData(web.data, viewer, Filters()).health_explanation(account_id)

    found = await run_in_threadpool(load)
    if isinstance(found, str):
        return {"account_id": account_id, "available": False, "note": found, "measures": []}
    columns = ["label", "source", "value", "points", "weight", "contribution", "previous", "note"]
    return {
        "account_id": account_id,
        "available": True,
        "model": found.model,
        "as_of": found.as_of.isoformat(),
        "score": found.score,
        "band": found.band,
        "why": found.why,
        "measures": records(found.measures, columns),
    }
