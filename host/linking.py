"""Link a plugin's imports: bound capabilities to their host functions, the rest to `denied`.

Only interfaces the manifest declares are linked at all (the import check has already
refused anything else). A declared capability the user did not grant (it has no
binding) is linked to stubs that return `denied` with a message saying how to grant it,
so the plugin can degrade gracefully instead of failing to load.

Two hooks for whoever runs the calls: `on_denied(kind, function)` hears of every refusal
(a stub of an ungranted kind, or a binding's `Denied` for a scope it does not cover),
for an audit trail; and once the call's `Interrupt` has fired, every capability call
fails at once, so a stopped call starts no new host work.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from host import wasmtime_compat
from host.capabilities.binding import Binding, HostFunction
from host.capabilities.errors import CapabilityError, Failed
from host.logsink import LogSink
from host.wasmtime_compat import HostErr
from sdk.abi import interface_name
from sdk.capabilities import KINDS
from sdk.manifest import Manifest

if TYPE_CHECKING:
    from host.interrupt import Interrupt

#: Told of each refused capability call: (capability kind, WIT function name).
DenialObserver = Callable[[str, str], None]


def make_record(**fields: Any) -> Any:
    from wasmtime.component import Record

    record = Record()
    for key, value in fields.items():
        setattr(record, key, value)
    return record


def _lowered(value: Any) -> Any:
    # Bindings return plain dataclasses (ProcessOutput, HttpResponse) whose fields are the
    # WIT record's fields; the component model wants a Record.
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return make_record(**{f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return value


def _guarded(
    fn: HostFunction, kind: str, name: str, interrupt: Interrupt | None, on_denied: DenialObserver | None
) -> HostFunction:
    """Turn capability errors into the ABI's error variant; never let Python escape into wasm."""
    from wasmtime.component import Variant

    def call(_store: Any, *args: Any) -> Any:
        if interrupt is not None and interrupt.is_set():
            return HostErr(Variant("limit", f"the call was stopped: {interrupt.reason}"))
        try:
            return _lowered(fn(*args))
        except CapabilityError as e:
            if e.kind == "denied" and on_denied is not None:
                on_denied(kind, name)
            return HostErr(Variant(e.kind, e.message))
        except Exception as e:  # a host bug must reach the guest as an error, not a crash
            return HostErr(Variant("failed", f"host error in capability: {type(e).__name__}: {e}"))

    return call


def _denied(message: str, kind: str, name: str, on_denied: DenialObserver | None) -> HostFunction:
    from wasmtime.component import Variant

    def call(_store: Any, *_args: Any) -> Any:
        if on_denied is not None:
            on_denied(kind, name)
        return HostErr(Variant("denied", message))

    return call


def link(
    linker: Any,
    manifest: Manifest,
    bindings: Mapping[str, Binding],
    log: LogSink,
    *,
    interrupt: Interrupt | None = None,
    on_denied: DenialObserver | None = None,
) -> None:
    """Define every acc:plugin import of the plugin's world on `linker`."""
    wasmtime_compat.install()
    wasmtime_compat.install_fast_bytes()
    with linker.root() as root:
        with root.add_instance(interface_name("log")) as instance:
            instance.add_func("log", lambda _s, level, message: log.log(_level_name(level), message))
            instance.add_func("progress", lambda _s, done, total, message: log.progress(done, total, message))
        for kind in sorted(manifest.capabilities):
            spec = KINDS[kind]
            if spec.interface is None:
                continue  # fs: served by WASI preopens
            binding = bindings.get(kind)
            with root.add_instance(interface_name(spec.interface)) as instance:
                for fn_name in spec.functions:
                    if binding is None:
                        instance.add_func(fn_name, _denied(
                            f"{manifest.name} was not granted the {kind} capability "
                            f"(grant it with: acc plugin grant {manifest.name} {kind})",
                            kind, fn_name, on_denied))  # fmt: skip
                    else:
                        function = binding.functions.get(fn_name, _unavailable(kind))
                        instance.add_func(fn_name, _guarded(function, kind, fn_name, interrupt, on_denied))


def _unavailable(kind: str) -> HostFunction:
    def call(*_args: Any) -> Any:
        raise Failed(f"the {kind} capability is not available in this host yet")

    return call


def _level_name(level: Any) -> str:
    # wasmtime-py lifts a WIT enum case as its name (a str); be lenient with other shapes.
    return str(getattr(level, "tag", level))
