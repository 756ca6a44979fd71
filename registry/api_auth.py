"""Who is calling the API, and may they: one check in front of every API endpoint.

Each endpoint that needs a token says what it needs with `@requires(...)` (or `@web_only`,
for what no token may do). The blueprint runs `authorize_request` before every request:
it finds the endpoint's requirement, and a write (any method but GET/HEAD/OPTIONS) whose
endpoint declares none is refused, so a new write endpoint cannot forget its check. For a
declared requirement it counts the write against the per-address limit, authenticates the
bearer token and checks its permission (registry.permissions.check) on the plugin the URL
names. The caller is kept in `flask.g`, where registry.audit finds the token to record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, request

from registry import accounts
from registry.context import current_registry
from registry.errors import ApiError, forbidden
from registry.models import utcnow
from registry.permissions import Permission, check
from registry.ratelimit import hit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REQUIREMENT = "acc_requirement"

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Requirement:
    """What an endpoint needs from the caller's token."""

    #: None: any valid token of the account (reading its own token list).
    permission: Permission | None
    #: The URL argument that names the plugin acted on; None with `plugin_in_body` (publish:
    #: the name is in the archive) or for account-wide actions.
    plugin_arg: str | None = None
    #: The plugin is named by the request body: the endpoint must call `Caller.require`.
    plugin_in_body: bool = False
    #: The URL argument naming a token: a token may always act on itself (revoke itself).
    own_token_arg: str | None = None
    #: Set for actions no token may do; says where to do them instead.
    web_only: str | None = None


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of this request: the account and the token it used."""

    user_id: int
    token_id: int
    token_prefix: str
    permissions: tuple[str, ...]
    plugins: tuple[str, ...] | None

    def require(self, permission: Permission, plugin: str | None) -> None:
        check(self.permissions, self.plugins, permission, plugin)


def requires(
    permission: Permission | None,
    *,
    plugin_arg: str | None = None,
    plugin_in_body: bool = False,
    own_token_arg: str | None = None,
) -> Callable[[View], View]:
    """Declare what the decorated endpoint needs (see `Requirement`)."""
    requirement = Requirement(permission, plugin_arg, plugin_in_body, own_token_arg)
    return _declare(requirement)


def web_only(action: str) -> Callable[[View], View]:
    """Declare an endpoint that refuses every token: `action` is done on the web, with a password."""
    return _declare(Requirement(None, web_only=action))


def _declare(requirement: Requirement) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        setattr(view, _REQUIREMENT, requirement)
        return view

    return decorate


def requirement_of(view: Callable[..., Any]) -> Requirement | None:
    found = getattr(view, _REQUIREMENT, None)
    return found if isinstance(found, Requirement) else None


def authorize_request() -> None:
    """The API blueprint's before_request: authenticate and authorize, or refuse."""
    view = current_app.view_functions.get(request.endpoint or "")
    requirement = requirement_of(view) if view is not None else None
    if requirement is None:
        if request.method in SAFE_METHODS or view is None:
            return  # a public read (or no route: the 404/405 handlers answer)
        raise forbidden(
            "this endpoint declares no permission, so it refuses every request",
            hint="tell the registry operator: every write endpoint must declare what it needs",
        )
    caller = _authenticate()
    g.api_caller = caller
    if requirement.web_only is not None:
        raise ApiError(
            403,
            "web_only",
            f"an API token cannot {requirement.web_only}",
            hint="do it on your account page on the registry's web site: it asks for your password",
        )
    args = request.view_args or {}
    if requirement.own_token_arg is not None and args.get(requirement.own_token_arg) == caller.token_id:
        return  # any token may revoke itself: that only takes power away
    if requirement.permission is None or requirement.plugin_in_body:
        if requirement.permission is not None:
            # The plugin is named later (by the archive); the permission itself is checked now.
            check(caller.permissions, None, requirement.permission, None)
        return
    plugin = args.get(requirement.plugin_arg) if requirement.plugin_arg else None
    caller.require(requirement.permission, plugin if isinstance(plugin, str) else None)


def current_caller() -> Caller:
    """The caller `authorize_request` authenticated for this request."""
    caller = g.get("api_caller")
    assert isinstance(caller, Caller), "the endpoint has no @requires declaration"
    return caller


def client_address() -> str:
    return request.remote_addr or "unknown"


def _authenticate() -> Caller:
    reg = current_registry()
    hit(reg.db, "write", client_address(), reg.config.write_rate_per_minute)
    with reg.db.write() as session:
        token = accounts.authenticate(session, request.headers.get("Authorization"), utcnow())
        token.last_used_at = utcnow()
        return Caller(
            user_id=token.user_id,
            token_id=token.id,
            token_prefix=token.prefix,
            permissions=tuple(token.permissions),
            plugins=tuple(token.plugins) if token.plugins is not None else None,
        )
