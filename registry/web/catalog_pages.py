"""The public pages: home, search, a plugin, a publisher (queries come from registry.catalog)."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, render_template, request, session, url_for
from markupsafe import Markup

from registry import accounts, catalog
from registry.context import current_registry
from registry.declared import declared, link
from registry.errors import ApiError, not_found
from registry.models import Review
from registry.search_cache import RenderedPage
from registry.web.blueprint import bp
from registry.web.capabilities import capability_views, widening
from registry.web.commands import PARAMETER_HEADINGS, command_views
from registry.web.install import current_root_pin
from registry.web.readme import render_readme
from registry.web.security import current_viewer
from sdk.capabilities import KINDS
from sdk.index_format import describe_signer
from sdk.sizes import human_size


@bp.get("/")
def home() -> str:
    with current_registry().db.read() as session:
        popular, recent = catalog.popular_and_recent(session)
        return render_template(
            "web/home.html",
            popular=popular,
            recent=recent,
            categories=catalog.vocabulary(session, current_registry().search_cache).categories,
            total=catalog.count_plugins(session),
            capabilities=sorted(KINDS),
            pin=current_root_pin(),
        )


@bp.get("/search")
def search() -> str:
    """The search page. For visitors who are not logged in it is the same page for everyone
    (no name, no CSRF token, no flashed message), so it is rendered once per query and
    repository generation and kept a few seconds, like the API's answers."""
    query = catalog.SearchQuery.from_args(request.args)
    reg = current_registry()
    with reg.db.read() as session:
        key, html = catalog.cached_search_page(session, query, reg.search_cache) if _same_for_all() else (None, None)
        if html is not None:
            return html
        plugins, total = catalog.search(session, query, reg.search_cache)
        pages = max(1, math.ceil(total / query.per_page))
        known = catalog.vocabulary(session, reg.search_cache)
        categories = list(known.categories)
        if query.category and query.category not in dict(categories):
            categories.append((query.category, 0))  # still selected, so the form keeps what was asked
        suggestion = None
        if total == 0 and query.q:
            corrected = catalog.corrected_query(query, known.words)
            # Only a suggestion that finds something: one more search, on the no-result path only.
            if corrected is not None and catalog.search(session, corrected, reg.search_cache)[1]:
                suggestion = corrected
        html = render_template(
            "web/search.html",
            query=query,
            suggestion=suggestion,
            suggestion_url=_search_url(suggestion, 1) if suggestion else "",
            heading=search_heading(query),
            categories=categories,
            plugins=plugins,
            total=total,
            pages=pages,
            page_url=lambda page: _search_url(query, page),
            sorts=catalog.SORTS,
            capabilities=sorted(KINDS),
        )
    if key is not None:
        reg.search_cache.put(key, RenderedPage(html))
    return html


def _same_for_all() -> bool:
    """Nobody is logged in and no message waits for this visitor: the page holds nothing personal."""
    return current_viewer() is None and not session.get("_flashes")


def search_heading(query: catalog.SearchQuery) -> str:
    """The results page's h1, saying every filter in force: `Plugins matching “git” in vcs
    using process, without network access`."""
    parts = [f"Plugins matching “{query.q}”" if query.q else "Plugins"]
    if query.category:
        parts.append(f"in {query.category}")
    qualifiers = []
    if query.capability:
        qualifiers.append(f"using {query.capability}")
    if query.no_network:
        qualifiers.append("without network access")
    if not (query.q or query.category or qualifiers):
        return "All plugins"
    return " ".join([*parts, ", ".join(qualifiers)] if qualifiers else parts)


def _search_url(query: catalog.SearchQuery, page: int) -> str:
    args: dict[str, Any] = {
        "q": query.q,
        "category": query.category,
        "capability": query.capability,
        "network": "none" if query.no_network else "",
        "sort": query.sort if query.sort != "relevance" else "",
        "page": page if page > 1 else "",
    }
    if query.per_page != catalog.SearchQuery.per_page:
        args["per_page"] = query.per_page
    return url_for("web.search", **{k: v for k, v in args.items() if v != ""})


@bp.get("/plugins/<name>")
def plugin(name: str) -> Response:
    return plugin_page(name)


def plugin_page(
    name: str, *, status: int = 200, form_errors: dict[str, str] | None = None, drafts: dict[str, str] | None = None
) -> Response:
    """The plugin's page; a form that failed shows its error (`form_errors[form]`) and its draft."""
    viewer = current_viewer()
    drafts = drafts or {}
    with current_registry().db.read() as session:
        try:
            found = catalog.get_plugin(session, name)
        except ApiError as e:
            if e.status != 404:
                raise
            raise not_found(e.message, hint="search for it: " + url_for("web.search", q=name[:40])) from None
        latest = catalog.latest_version(found)
        reviews = catalog.reviews(session, found)
        mine: Review | None = next((r for r in reviews if viewer is not None and r.user_id == viewer.id), None)
        review_draft = {
            "stars": drafts.get("stars", str(mine.stars) if mine else ""),
            "text": drafts.get("text", mine.text if mine else ""),
        }
        html = render_template(
            "web/plugin.html",
            plugin=found,
            latest=latest,
            versions=catalog.versions_newest_first(found),
            signer_changes=catalog.signer_changes(found),
            describe_signer=describe_signer,
            capabilities=capability_views(latest.manifest_text),
            declared=declared(latest.manifest_text),
            commands=command_views(latest.manifest_text),
            parameter_headings=PARAMETER_HEADINGS,
            link=link,
            readme=Markup(render_readme(latest.readme)),
            install_command=f"acc plugin install {found.name}",
            pin=current_root_pin(),
            reviews=reviews,
            my_review=mine,
            review_draft=review_draft,
            report_draft=drafts.get("reason", ""),
            form_errors=form_errors or {},
        )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/plugins/<name>/versions/<version>")
def version(name: str, version: str) -> str:
    """One version: what it may do and asks for beyond the version before it, its commands,
    README, size and publish date."""
    with current_registry().db.read() as session:
        found = catalog.get_plugin(session, name)
        try:
            row = catalog.get_version(found, version)
        except ApiError as e:
            raise not_found(e.message, hint="its versions are listed on " + url_for("web.plugin", name=name)) from None
        older = catalog.versions_newest_first(found)
        previous = next(iter(older[older.index(row) + 1 :]), None)
        changes = widening(previous.manifest_text if previous else None, row.manifest_text)
        return render_template(
            "web/version.html",
            plugin=found,
            version=row,
            previous=previous,
            wider=[c for c in changes if c.widens],
            narrower=[c for c in changes if not c.widens],
            capabilities=capability_views(row.manifest_text),
            commands=command_views(row.manifest_text),
            parameter_headings=PARAMETER_HEADINGS,
            readme=Markup(render_readme(row.readme)),
            install_command=f"acc plugin install {found.name}=={row.version}",
            size=human_size(row.archive_length),
        )


@bp.get("/publishers/<name>")
def publisher(name: str) -> str:
    with current_registry().db.read() as session:
        user = accounts.get_user(session, name)
        return render_template("web/publisher.html", publisher=user, plugins=catalog.publisher_plugins(session, user))
