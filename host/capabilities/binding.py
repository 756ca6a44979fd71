"""What a capability's `bind` receives and returns.

`BindContext` is everything of the host a binding may use: the plugin's manifest, the
project, the host's paths and policy, and the few services that live above the
capability modules (the Messages API gateway, inter-plugin calls). `Binding` is what it
returns: host functions by WIT function name, and directories to preopen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from host.paths import HostPaths
from host.policy import HostPolicy
from sdk.capabilities import Capability
from sdk.capabilities.llm import LlmCapability
from sdk.errors import AccError
from sdk.manifest import Manifest

if TYPE_CHECKING:
    from host.interrupt import Interrupt

HostFunction = Callable[..., Any]
ScopeT = TypeVar("ScopeT", bound=Capability)


class Gateway(Protocol):
    """The host's way to Claude for the `llm` capability (`host.capabilities.llm.LlmGateway`)."""

    def complete(self, plugin: str, scope: LlmCapability, request_json: str) -> str: ...


class PluginCalls(Protocol):
    """The host's side of the `plugins` capability (implemented by `host.runner.PluginHost`)."""

    def call_stack(self) -> list[str]: ...

    def run_plugin(self, name: str, command: str, value: Any) -> Any: ...

    def deliver_event(self, plugin: str, topic: str, payload: str) -> bool: ...


@dataclass(frozen=True)
class Preopen:
    """A host directory the guest sees at `guest_path` (WASI), read-only unless `writable`."""

    host_path: Path
    guest_path: str
    writable: bool


@dataclass(frozen=True)
class Binding:
    """A granted capability, bound: its host functions and its preopens."""

    functions: Mapping[str, HostFunction] = field(default_factory=dict)
    preopens: tuple[Preopen, ...] = ()


@dataclass
class BindContext:
    """What the host gives a binding. One per sandbox."""

    manifest: Manifest
    #: The capability kinds the user granted this plugin (a binding may depend on another
    #: grant: programs may write the project when the plugin holds fs read-write).
    granted: frozenset[str]
    paths: HostPaths
    policy: HostPolicy
    project_dir: Path | None
    #: Where `secrets` grants read from; captured once from the acc process's environment.
    secret_source: Mapping[str, str]
    #: The user's HOME/XDG_CONFIG_HOME, for git's commit identity only (see the git profile).
    user_config_environment: Mapping[str, str]
    #: The Messages API gateway, made on first use.
    llm: Callable[[], Gateway]
    plugins: PluginCalls
    #: Registers a function to run when the sandbox closes (a kv store's connection).
    on_close: Callable[[Callable[[], None]], None]
    #: Hands the host an error the user must see whatever the plugin makes of the
    #: capability error it got (no OS sandbox for `process`): the run fails with it.
    fail_run: Callable[[AccError], None]
    #: Granted kinds the user narrowed to reading only (`fs` of a read-write manifest):
    #: bound read-only, and no program is shown the project read-write on their account.
    read_only: frozenset[str] = frozenset()
    #: Fired when the call under way is stopped; bindings that wait (a launched program) watch it.
    interrupt: Interrupt | None = None


BindFunction = Callable[[Capability, BindContext], Binding]


def scope_as(capability: Capability, scope_type: type[ScopeT]) -> ScopeT:
    """`capability` as its kind's scope type; a TypeError names a host bug, never user input."""
    if not isinstance(capability, scope_type):
        raise TypeError(f"a {scope_type.kind} binding was given a {capability.kind} capability")
    return capability
