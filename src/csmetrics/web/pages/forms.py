"""The forms that change something: a renewal forecast, closing a CTA, saved views.

Each checks the object against the viewer's scope (``ScopedData``) before writing,
and records what it did in the audit log.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote_plus

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool

from csmetrics.errors import CsMetricsError
from csmetrics.periods import parse_period
from csmetrics.web.access import NotVisible, Viewer, requires
from csmetrics.web.auth import client_address
from csmetrics.web.filters import Filters
from csmetrics.web.roles import EVERYONE
from csmetrics.web.scoped import ScopedData
from csmetrics.web.state import SavedView, SubmittedForecast
from csmetrics.web.state.models import utcnow
from csmetrics.web.state.users import audit
from csmetrics.web.views.renewals import OUTCOMES

router = APIRouter(include_in_schema=False)


def _back(path: str, message: str) -> RedirectResponse:
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joiner}msg={quote_plus(message)}", status_code=303)


@router.post("/renewals/forecast")
async def submit_forecast(
    request: Request,
    viewer: Annotated[Viewer, Depends(requires(*EVERYONE))],
    account_id: Annotated[str, Form()],
    quarter: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    probability: Annotated[float, Form(ge=0, le=100, description="Percent, 0-100.")],
) -> Response:
    """A CSM's call on one renewal: kept in the app state and written to the workspace's
    renewal_forecasts table, where the forecast analytics read it."""
    web = request.app.state.web
    address = client_address(request)
    if outcome not in OUTCOMES:
        raise HTTPException(422, f"outcome must be one of {', '.join(OUTCOMES)}")
    csm_id = viewer.login.csm_id
    if csm_id is None:
        raise HTTPException(403, "your login is not linked to a csm_id, so it cannot forecast")

    def write() -> str:
        d = ScopedData(web.data, viewer, Filters())
        period = parse_period(quarter, d.fiscal)
        if period.kind != "quarter":
            raise HTTPException(422, "forecasts are per quarter, e.g. 2026-Q3")
        d.account(account_id)  # NotVisible -> 404
        if period.end <= d.as_of:
            raise HTTPException(422, f"{period.label} is over; its renewals are decided")
        found = d.renewals(period)
        due = found.renewals if found is not None else d.upcoming(period)
        if account_id not in set(due["account_id"].astype(str)):
            raise HTTPException(422, f"{account_id} has no renewal in {period.label} in your view")
        now = utcnow()
        row = {
            "account_id": account_id,
            "csm_id": csm_id,
            "quarter": period.label,
            "outcome": outcome,
            "probability": round(probability / 100.0, 4),
            "submitted_at": now,
        }
        with web.data.lock:
            report = web.data.ws.load("renewal_forecasts", [row], source="web form")
            web.data.changed()
        if not report.ok:
            problems = "; ".join(str(r) for r in report.rejections[:3])
            raise HTTPException(422, f"the forecast was refused: {problems}")
        with web.store.session() as db:
            db.add(
                SubmittedForecast(
                    user_id=viewer.login.user_id,
                    account_id=account_id,
                    csm_id=csm_id,
                    quarter=period.label,
                    outcome=outcome,
                    probability=row["probability"],
                    submitted_at=now,
                )
            )
            audit(
                db,
                viewer.login.login,
                "forecast.submit",
                account_id,
                f"{period.label} {outcome} {probability:.0f}%",
                user_id=viewer.login.user_id,
                address=address,
            )
        return period.label

    label = await run_in_threadpool(write)
    return _back(
        f"/renewals?quarter={label}", f"Forecast saved: {account_id} {outcome} ({probability:.0f}%)"
    )


@router.post("/ctas/{cta_id}/close")
async def close_cta(
    request: Request,
    cta_id: str,
    viewer: Annotated[Viewer, Depends(requires(*EVERYONE))],
    outcome: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    """Close a call to action with what was done (the owner, their manager or a leader)."""
    web = request.app.state.web
    address = client_address(request)

    def close() -> None:
        d = ScopedData(web.data, viewer, Filters())
        row = d.cta(cta_id)
        if row["status"] != "open":
            raise HTTPException(409, f"{cta_id} is already closed")
        csms = set(web.data.csms()["csm_id"].astype(str))
        by = viewer.login.csm_id if viewer.login.csm_id in csms else None
        with web.data.lock:
            web.data.ws.close_cta(
                cta_id, outcome.strip(), by=by, on=max(date.today(), row["opened_at"])
            )
            web.data.changed()
        with web.store.session() as db:
            audit(
                db,
                viewer.login.login,
                "cta.close",
                cta_id,
                outcome.strip()[:500],
                user_id=viewer.login.user_id,
                address=address,
            )

    try:
        await run_in_threadpool(close)
    except NotVisible:
        raise
    except CsMetricsError as exc:
        raise HTTPException(422, str(exc)) from None
    return _back("/ctas", f"Closed {cta_id}")


@router.post("/views/save")
def save_view(
    request: Request,
    viewer: Annotated[Viewer, Depends(requires(*EVERYONE))],
    page: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(min_length=1, max_length=120)],
    query: Annotated[str, Form(max_length=2000)] = "",
    path: Annotated[str, Form(max_length=300)] = "/",
) -> Response:
    """Keep the page's filters under a name (replacing a view of the same name)."""
    web = request.app.state.web
    with web.store.session() as db:
        db.execute(
            delete(SavedView).where(
                SavedView.user_id == viewer.login.user_id,
                SavedView.page == page,
                SavedView.name == name.strip(),
            )
        )
        db.add(SavedView(user_id=viewer.login.user_id, page=page, name=name.strip(), query=query))
        audit(
            db,
            viewer.login.login,
            "view.save",
            f"{page}:{name.strip()}",
            query,
            user_id=viewer.login.user_id,
            address=client_address(request),
        )
    target = path if path.startswith("/") and not path.startswith("//") else "/"
    return _back(f"{target}?{query}" if query else target, f"Saved view “{name.strip()}”")


@router.post("/views/{view_id}/delete")
def delete_view(
    request: Request,
    view_id: int,
    viewer: Annotated[Viewer, Depends(requires(*EVERYONE))],
) -> Response:
    web = request.app.state.web
    with web.store.session() as db:
        found = db.scalar(
            select(SavedView).where(
                SavedView.id == view_id, SavedView.user_id == viewer.login.user_id
            )
        )
        if found is None:
            raise NotVisible(f"saved view {view_id}")
        audit(
            db,
            viewer.login.login,
            "view.delete",
            f"{found.page}:{found.name}",
            user_id=viewer.login.user_id,
            address=client_address(request),
        )
        db.delete(found)
    return _back("/", "Saved view deleted")
