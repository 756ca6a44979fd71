"""Capability `secrets`, bound: the named secrets a user granted, and no others.

Secrets come from the environment of the acc process, under their own names
(`GITHUB_TOKEN`), captured once by the caller: a plugin never sees the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from host.capabilities.binding import BindContext, Binding, scope_as
from host.capabilities.errors import Denied, Failed
from sdk.capabilities import Capability
from sdk.capabilities.secrets import SecretsCapability


def bind(capability: Capability, context: BindContext) -> Binding:
    scope = SecretsScope(scope_as(capability, SecretsCapability).secrets, context.secret_source)
    return Binding(functions={"get": lambda name: get_secret(scope, name)})


@dataclass(frozen=True)
class SecretsScope:
    names: tuple[str, ...]
    source: Mapping[str, str]


def get_secret(scope: SecretsScope, name: str) -> str:
    if name not in scope.names:
        raise Denied(f"secret {name!r} is not in this plugin's secrets grant (it may read: {', '.join(scope.names)})")
    value = scope.source.get(name)
    if value is None:
        raise Failed(f"secret {name} is not set: export {name} in the environment that runs acc")
    return value
