"""What an API token may do: a set of permissions, some limited to named plugins.

A token is a credential for writes done by programs (`acc plugin publish`, CI jobs). It
carries only the permissions it was created with, and a token limited to named plugins
acts on those plugins only, whatever its account may do. Every write endpoint of the API
declares the one permission it needs (registry/api_auth.py refuses a write endpoint that
declares none), and `check` below is the one decision.

    publish               upload new versions                       (limited to named plugins)
    yank                  yank, unyank, deprecate, undeprecate       (limited to named plugins)
    manage-collaborators  add and remove collaborators               (limited to named plugins)
    review                rate, review and report plugins            (limited to named plugins)
    manage-account        revoke the account's other tokens          (the whole account: never
                                                                      on a token limited to plugins)

Adding a signing key or a Sigstore identity is no token's permission at all: it needs the
account's password on the web (registry/web/account_pages.py), so a stolen token cannot
register its thief's key and then publish validly signed versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from registry.errors import ApiError, bad_request


class Permission(StrEnum):
    PUBLISH = "publish"
    YANK = "yank"
    MANAGE_COLLABORATORS = "manage-collaborators"
    REVIEW = "review"
    MANAGE_ACCOUNT = "manage-account"


#: Permissions that a token limited to named plugins may use on those plugins only.
PLUGIN_SCOPED = frozenset({Permission.PUBLISH, Permission.YANK, Permission.MANAGE_COLLABORATORS, Permission.REVIEW})
#: What a new token may do when its creator names nothing: what `acc plugin publish`,
#: `yank` and `deprecate` need, and no more.
DEFAULT_PERMISSIONS = (Permission.PUBLISH, Permission.YANK)
#: One line per permission, for the account page and `acc registry token create --help`.
DESCRIPTIONS = {
    Permission.PUBLISH: "publish new versions",
    Permission.YANK: "yank, unyank and deprecate versions",
    Permission.MANAGE_COLLABORATORS: "add and remove collaborators",
    Permission.REVIEW: "rate, review and report plugins",
    Permission.MANAGE_ACCOUNT: "revoke this account's other tokens",
}


def parse_permissions(names: Iterable[str]) -> list[str]:
    """The permission names, checked and sorted; an unknown one is a 400 naming the known ones."""
    known = {p.value for p in Permission}
    chosen = set()
    for name in names:
        name = name.strip()
        if name not in known:
            raise bad_request(
                f"unknown token permission {name!r}",
                hint="permissions: " + ", ".join(p.value for p in Permission),
            )
        chosen.add(name)
    if not chosen:
        raise bad_request("a token needs at least one permission", hint="e.g. publish")
    return sorted(chosen)


def check_combination(permissions: Iterable[str], plugins: Iterable[str] | None) -> None:
    """Refuse creating a token limited to plugins with an account-wide permission it could never use."""
    account_wide = sorted(set(permissions) - {p.value for p in PLUGIN_SCOPED})
    if plugins and account_wide:
        raise bad_request(
            f"a token limited to named plugins cannot have the {', '.join(account_wide)} permission",
            hint="create a separate token, not limited to plugins, for managing the account",
        )


def check(granted: Iterable[str], plugins: Iterable[str] | None, permission: Permission, plugin: str | None) -> None:
    """Refuse (403 `insufficient_scope`) unless a token with `granted` permissions, limited to
    `plugins` (None: every plugin of its account), may use `permission` on `plugin`.

    A token limited to named plugins acts on those only: an account-wide permission, or a
    plugin-scoped one used without naming a plugin, is refused to it.
    """
    if permission.value not in set(granted):
        raise insufficient_scope(
            f"this token may not {DESCRIPTIONS[permission]} (it lacks the {permission.value} permission)",
            hint=f"create a token with the {permission.value} permission (account page, or "
            f"`acc registry token create --permission {permission.value}`)",
        )
    if plugins is None:
        return
    allowed = sorted(plugins)
    if permission not in PLUGIN_SCOPED:
        raise insufficient_scope(
            f"this token is limited to {', '.join(allowed)}: it may not act on the whole account",
            hint=f"use a token with the {permission.value} permission that is not limited to plugins",
        )
    if plugin is None or plugin not in allowed:
        target = f"plugin {plugin}" if plugin is not None else "plugins it is not limited to"
        raise insufficient_scope(
            f"this token is limited to {', '.join(allowed)}, not {target}",
            hint="use a token limited to this plugin, or one for all your plugins",
        )


def insufficient_scope(message: str, *, hint: str) -> ApiError:
    return ApiError(403, "insufficient_scope", message, hint=hint)
