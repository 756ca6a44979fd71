"""The registry's web pages: server-rendered (Jinja, autoescaped), accessible, working without
JavaScript (one script of our own adds copy buttons).

`bp` is registered at "/" by `registry.app.create_app`; `error_page` renders an `ApiError`
for browsers. One module per area: catalog_pages (home, search, plugin, publisher),
community_forms (reviews, reports), auth_pages (register, log in/out), account_pages
(tokens, keys, identities), api_docs (the API reference); security holds the session,
CSRF and header rules.
"""

from __future__ import annotations

# Imported for their side effect: each adds its routes to `bp`.
from registry.web import account_pages, api_docs, auth_pages, catalog_pages, community_forms  # noqa: F401
from registry.web.blueprint import bp
from registry.web.error_page import error_page

__all__ = ["bp", "error_page"]
