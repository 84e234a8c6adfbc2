"""Import and recompute while serving (admins only): the upload form at /admin/import,
and the same for scripts under /api/admin (module doc of ``web.imports``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote_plus

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from csmetrics.errors import CsMetricsError
from csmetrics.web.access import Viewer, requires
from csmetrics.web.auth import client_address
from csmetrics.web.imports import ImportBusy, ImportJob, importable_tables
from csmetrics.web.rendering import render
from csmetrics.web.roles import ADMINS
from csmetrics.web.state.users import audit

router = APIRouter()
Admin = Annotated[Viewer, Depends(requires(*ADMINS))]
TableField = Annotated[str, Form(max_length=64, description="The canonical table to import into.")]
FileField = Annotated[UploadFile, File(description="CSV/TSV, Parquet, Excel or JSON lines.")]


async def _submit(request: Request, viewer: Viewer, table: str, upload: UploadFile) -> ImportJob:
    web = request.app.state.web
    return await run_in_threadpool(
        web.imports.submit,
        table,
        upload.filename,
        upload.file,
        login=viewer.login.login,
        user_id=viewer.login.user_id,
        address=client_address(request),
    )


@router.get("/admin/import", response_class=HTMLResponse, include_in_schema=False)
def import_page(request: Request, viewer: Admin) -> Response:
    web = request.app.state.web
    return render(
        request,
        "admin_import.html.j2",
        viewer,
        tables=importable_tables(),
        jobs=[j.to_json() for j in web.imports.jobs()],
        recompute=web.data.recompute.to_json(),
        error=request.query_params.get("error", ""),
    )


@router.post("/admin/import", include_in_schema=False)
async def import_form(
    request: Request, viewer: Admin, table: TableField, file: FileField
) -> Response:
    try:
        job = await _submit(request, viewer, table, file)
    except CsMetricsError as exc:
        return RedirectResponse(f"/admin/import?error={quote_plus(str(exc))}", status_code=303)
    message = f"Importing {job.file} into {job.table} (job {job.id}); refresh to follow it"
    return RedirectResponse(f"/admin/import?msg={quote_plus(message)}", status_code=303)


@router.post(
    "/api/admin/import",
    status_code=202,
    tags=["admin"],
    summary="Import a file while serving",
    responses={409: {"description": "Another import is running."}},
)
async def import_api(
    request: Request, viewer: Admin, table: TableField, file: FileField
) -> dict[str, Any]:
    """Start importing the uploaded file into ``table`` in the background, with the checks
    of ``csmetrics import``; follow it at ``/api/admin/imports?id=<id>``."""
    try:
        job = await _submit(request, viewer, table, file)
    except ImportBusy as exc:
        raise HTTPException(409, str(exc)) from None
    except CsMetricsError as exc:
        raise HTTPException(400, str(exc)) from None
    return {**job.to_json(), "status": f"/api/admin/imports?id={job.id}"}


@router.get("/api/admin/imports", tags=["admin"], summary="Imports started through the app")
def imports_api(
    request: Request,
    viewer: Admin,
    id: Annotated[str | None, Query(max_length=32, description="One job (else all).")] = None,
) -> dict[str, Any]:
    """The import jobs, newest first (or the one asked for): state, rows read, loaded and
    rejected, the first rejections, or why the batch was refused."""
    web = request.app.state.web
    if id is None:
        return {"imports": [j.to_json() for j in web.imports.jobs()]}
    job = web.imports.get(id)
    if job is None:
        raise HTTPException(404, f"import {id}: not found")
    return job.to_json()


@router.post(
    "/api/admin/recompute",
    status_code=202,
    tags=["admin"],
    summary="Recompute the cached answers while serving",
)
def recompute_api(request: Request, viewer: Admin) -> Response:
    """Recompute the snapshot, health scores, risks, calls to action and the first pages'
    answers in the background; the previous ones are served until all are done."""
    web = request.app.state.web
    started = web.data.refresh(force=True)
    with web.store.session() as db:
        audit(
            db,
            viewer.login.login,
            "data.recompute",
            "",
            "started" if started else "joined the running recompute",
            user_id=viewer.login.user_id,
            address=client_address(request),
        )
    return JSONResponse({**web.data.recompute.to_json(), "started": started}, status_code=202)


@router.get("/api/admin/recompute", tags=["admin"], summary="The background recompute")
def recompute_status(request: Request, viewer: Admin) -> dict[str, Any]:
    """idle, running, done or failed; when it started and finished, and any error."""
    return dict(request.app.state.web.data.recompute.to_json())
