"""Friendly error pages for browsers (the JSON API keeps its own error shape)."""

from __future__ import annotations

from flask import Response, g, render_template

from registry.errors import ApiError
from registry.web import security

_TITLES = {
    400: "That request could not be handled",
    401: "Please log in first",
    403: "That is not allowed",
    404: "Page not found",
    405: "That is not allowed here",
    409: "That conflicts with what is there",
    413: "That was too large",
    429: "Too many requests",
}


def error_page(e: ApiError) -> Response:
    """Render `e` as an HTML page with its status, message and hint."""
    if e.status >= 500:
        g.viewer = None  # the database may be what failed: do not touch it again
    title = _TITLES.get(e.status, "Something went wrong" if e.status >= 500 else "That request failed")
    html = render_template("web/error.html", title=title, error=e)
    response = Response(html, status=e.status, mimetype="text/html")
    for name, value in e.headers.items():
        if name.lower() != "www-authenticate":  # a Bearer challenge means nothing to a browser
            response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    security.add_security_headers(response)
    return response
