"""The security headers of every response, and the API docs page with a policy of its own.

The pages run no inline script: their JavaScript is ``/static/app.js`` and plotly.js
(served from the installed plotly package), so the Content Security Policy allows
scripts from the app's own origin only. Styles keep ``'unsafe-inline'`` because
plotly.js styles the charts it draws through style attributes. The app can never be
framed (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), and over https
browsers are told to come back over https only (HSTS).
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
# Swagger UI's assets come from its CDN (the docs page only; the app itself loads nothing
# from elsewhere).
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_ICON = "https://fastapi.tiangolo.com"
# Responses that browsers may keep: the static assets (they hold no data).
CACHEABLE = ("/static/",)

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def secure(request: Request, response: Response) -> Response:
    """Add the security headers to ``response`` (a route's own CSP is kept)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CSP)
    if not request.url.path.startswith(CACHEABLE):
        response.headers.setdefault("Cache-Control", "no-store")
    web = getattr(request.app.state, "web", None)
    if web is not None and web.sessions.https(request):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


async def docs_page(request: Request) -> Response:
    """Swagger UI for /openapi.json; its one inline script is allowed by its hash."""
    page = get_swagger_ui_html(openapi_url="/openapi.json", title="csmetrics API")
    html = bytes(page.body).decode()
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    )
    policy = (
        f"default-src 'self'; script-src 'self' {DOCS_CDN} {hashes}; "
        f"style-src 'self' {DOCS_CDN} 'unsafe-inline'; img-src 'self' data: {DOCS_ICON}; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})
