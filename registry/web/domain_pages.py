"""A publisher proves a domain from the account page (registry/domain_proof.py): they type
it, get their token with where to publish it, and ask the registry to look.

Typing the domain only shows the token (a GET: nothing is stored, the token is derived);
the check is a POST, rate limited like every write (it makes the registry reach out).
"""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from registry.context import current_registry
from registry.domain_proof import TXT_LABEL, WELL_KNOWN_PATH, proof_record
from registry.errors import ApiError
from registry.models import User
from registry.publisher_verification import claimed_domain, domain_token, prove_domain
from registry.ratelimit import hit
from registry.web.blueprint import bp
from registry.web.forms import error_text, field
from registry.web.security import Viewer, client_address, current_viewer, require_viewer
from sdk.publisher_mark import PublisherMark, parse_mark

MAX_DOMAIN_FIELD = 300


def _publisher_mark(user: User) -> PublisherMark | None:
    return parse_mark(user.verified_by)


# A global (not context) so that imported macros (web/_macros.html verified_mark) can call it.
bp.add_app_template_global(_publisher_mark, "publisher_mark")


def _secret() -> bytes:
    key = current_app.secret_key
    return key if isinstance(key, bytes) else str(key).encode()


@bp.get("/account/domain")
def domain_proof() -> ResponseReturnValue:
    viewer = current_viewer()
    if viewer is None:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")), 303)
    typed = request.args.get("domain", "")[:MAX_DOMAIN_FIELD]
    try:
        domain = claimed_domain(typed)
    except ApiError as e:
        return _page(viewer, typed, None, error_text(e), e.status)
    return _page(viewer, domain, domain, None, 200)


@bp.post("/account/domain")
def check_domain_proof() -> ResponseReturnValue:
    viewer = require_viewer()
    reg = current_registry()
    hit(reg.db, "write", client_address(), reg.config.write_rate_per_minute)
    typed = field("domain", "The domain", limit=MAX_DOMAIN_FIELD, required=True)
    try:
        domain = claimed_domain(typed)
        mark = prove_domain(reg, viewer.name, domain, _secret(), client_address())
    except ApiError as e:
        if e.status >= 500 or e.status == 429:
            raise
        valid = e.code == "domain_not_proved"
        return _page(viewer, typed, domain if valid else None, error_text(e), e.status)
    flash(f"Proved: your account is now shown as a {mark.text()}.")
    return redirect(url_for("web.account", _anchor="publisher-mark"), 303)


def _page(viewer: Viewer, typed: str, domain: str | None, error: str | None, status: int) -> Response:
    with current_registry().db.read() as session:
        user = session.get(User, viewer.id)
        assert user is not None
        token = domain_token(_secret(), user, domain) if domain else None
    html = render_template(
        "web/domain_proof.html",
        typed=typed,
        domain=domain,
        record=proof_record(token) if token else None,
        txt_name=f"{TXT_LABEL}.{domain}" if domain else None,
        well_known_url=f"https://{domain}{WELL_KNOWN_PATH}" if domain else None,
        error=error,
    )
    return Response(html, status=status, mimetype="text/html")
