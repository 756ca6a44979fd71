"""The registry's web pages: server-rendered (Jinja, autoescaped), accessible, working without
JavaScript (one script of our own adds copy buttons).

`bp` is registered at "/" by `registry.app.create_app`; `error_page` renders an `ApiError`
for browsers. One module per area: catalog_pages (home, search, plugin, publisher),
community_forms (reviews, reports), moderation_pages (the admins' /admin/moderation),
auth_pages (register, log in/out), recovery_pages (password reset), account_pages (tokens,
keys, identities, password, sessions), domain_pages (a publisher proves a domain), api_docs
(the API reference); security sets up sessions (sessions.py), Flask-Login and CSRF, and the
header rules.
"""

from __future__ import annotations

# Imported for their side effect: each adds its routes to `bp`.
from registry.web import (  # noqa: F401
    account_pages,
    api_docs,
    auth_pages,
    catalog_pages,
    community_forms,
    domain_pages,
    moderation_pages,
    recovery_pages,
)
from registry.web.blueprint import bp
from registry.web.error_page import error_page

__all__ = ["bp", "error_page"]
