"""Jinja2 templates with the number formats, and what every page's frame needs."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from csmetrics.web import format as fmt
from csmetrics.web.access import Viewer
from csmetrics.web.filters import Filters
from csmetrics.web.views.base import PAGES, _plain

NAV = (
    "overview",
    "scorecard",
    "accounts",
    "risks",
    "ctas",
    "renewals",
    "health",
    "adoption",
    "onboarding",
    "surveys",
    "advocacy",
    "compensation",
    "backtest",
)


def templates() -> Jinja2Templates:
    folder = str(resources.files("csmetrics.web").joinpath("templates"))
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = fmt.number
    env.filters["money"] = fmt.money
    env.filters["percent"] = fmt.percent
    env.filters["day"] = fmt.day
    env.filters["missing"] = fmt.missing
    env.filters["tojson_safe"] = lambda value: json.dumps(_plain(value))
    env.globals["link"] = link
    return Jinja2Templates(env=env)


def link(template: str, row: dict[str, Any]) -> str:
    """A link template such as /accounts/{account_id} filled from a row."""
    try:
        return template.format(**{k: ("" if fmt.missing(v) else v) for k, v in row.items()})
    except (KeyError, IndexError, ValueError):
        return ""


def nav_for(viewer: Viewer) -> list[dict[str, str]]:
    pages = {p.name: p for p in PAGES}
    items = [
        {"name": name, "title": pages[name].title, "path": pages[name].path}
        for name in NAV
        if name in pages and viewer.role in pages[name].roles
    ]
    if viewer.role == "admin":
        items.append({"name": "admin", "title": "Users", "path": "/admin/users"})
    return items


def render(
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    status_code: int = 200,
    filters: Filters | None = None,
    **context: Any,
) -> HTMLResponse:
    web = request.app.state.web
    base = {
        "viewer": viewer,
        "nav": nav_for(viewer) if viewer else [],
        "filters": filters or Filters(),
        "company": web.data.config.company.name,
        "currency": web.data.config.company.reporting_currency,
        "message": request.query_params.get("msg", ""),
        "recomputing": web.data.refreshing,  # the figures may be the previous data's
        "fmt": fmt,
    }
    return web.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
