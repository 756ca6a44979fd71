"""The runtime half of each capability kind: `host/capabilities/<kind>.py`.

Each kind's module exports one function, `bind(capability, context) -> Binding`, that
returns the host functions serving the kind's ABI interface for a granted scope (and,
for `fs`, the directories to preopen). The modules are plain Python over the scope and
know nothing of wasmtime: `host.linking` adapts the functions to the component linker.
A capability call refuses or fails by raising a `host.capabilities.errors` error, which
the linker turns into the ABI's `error` variant.

`bind_granted` is the one place that asks "is it granted?": it binds exactly the
declared kinds the user granted. Everything else (the linker's `denied` stubs, the
sandbox's preopens, the config the guest starts with) follows from its result. The
format half of a kind (its scope fields, summary, wording, widening rules) is
`sdk/capabilities/<kind>.py`; the two modules share the kind's name.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable
from types import ModuleType

from host.capabilities.binding import BindContext, BindFunction, Binding
from sdk.capabilities import Capability
from sdk.manifest import Manifest

__all__ = ["BindContext", "Binding", "bind_granted", "binder", "unsupported", "warnings_for"]


def _module(kind: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{kind}")


def binder(kind: str) -> BindFunction:
    """The `bind` function of a kind's runtime module (imported on first use)."""
    bind: BindFunction = _module(kind).bind
    return bind


def bind_granted(manifest: Manifest, granted: frozenset[str], context: BindContext) -> dict[str, Binding]:
    """Bind every capability the manifest declares and the user granted, by kind.

    A kind in `context.read_only` (the user granted a read-write `fs` for reading only)
    is bound with its scope narrowed to reading.
    """
    return {
        kind: binder(kind)(_narrowed(capability) if kind in context.read_only else capability, context)
        for kind, capability in sorted(manifest.capabilities.items())
        if kind in granted
    }


def _narrowed(capability: Capability) -> Capability:
    from sdk.capabilities.fs import FsCapability

    if isinstance(capability, FsCapability):
        return dataclasses.replace(capability, writable=False)
    raise ValueError(f"a {capability.kind} grant cannot be narrowed to reading")


def warnings_for(capability: Capability) -> tuple[str, ...]:
    """What the host adds to the consent prompt for this scope (the process profiles' warnings)."""
    warnings: Callable[[Capability], Iterable[str]] | None = getattr(_module(capability.kind), "warnings", None)
    return tuple(warnings(capability)) if warnings is not None else ()


def unsupported(manifest: Manifest) -> list[str]:
    """Why this host cannot honour a declared scope (e.g. a narrowing of a profile it lacks)."""
    problems = []
    for capability in manifest.capabilities.values():
        check: Callable[[Capability], str] | None = getattr(_module(capability.kind), "check", None)
        problem = check(capability) if check is not None else ""
        if problem:
            problems.append(f"{capability.kind}: {problem}")
    return problems
