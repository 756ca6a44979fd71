"""The `web` blueprint and what every page shares: who is logged in, and the cache and
security headers of each page (sessions, CSRF and the form-body cap: registry/web/security.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request, session

from registry.web import security

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web")


@bp.after_request
def _after(response: Response) -> Response:
    security.add_security_headers(response)
    if request.endpoint == "web.static":
        return response
    personal = (
        security.current_viewer() is not None
        or g.get("csrf_used", False)
        or session.modified
        or request.method != "GET"
    )
    if personal:
        response.headers["Cache-Control"] = "private, no-store"
    elif response.status_code == 200 and "Cache-Control" not in response.headers:
        # Anonymous pages may be cached briefly; the session interface adds `Vary: Cookie`.
        response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.app_context_processor
def _template_context() -> dict[str, Any]:
    return {"viewer": security.current_viewer()}


# A global (not context) so that imported macros can call it too.
bp.add_app_template_global(security.csrf_token, "csrf_token")
