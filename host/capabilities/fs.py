"""Capability `fs`, bound: the project directory preopened at /project (WASI), read-only unless granted read-write.

There are no host functions: the guest uses ordinary file calls, and wasmtime's WASI
confines them to the preopen (absolute paths and `..` cannot leave it).
"""

from __future__ import annotations

from host.capabilities.binding import BindContext, Binding, Preopen, scope_as
from sdk.capabilities import Capability
from sdk.capabilities.fs import GUEST_PROJECT_DIR, FsCapability


def bind(capability: Capability, context: BindContext) -> Binding:
    fs = scope_as(capability, FsCapability)
    if context.project_dir is None:
        return Binding()
    return Binding(preopens=(Preopen(context.project_dir, GUEST_PROJECT_DIR, writable=fs.writable),))
