"""Link a plugin's imports: granted capabilities to their implementations, the rest to `denied`.

Only interfaces the manifest declares are linked at all (the import check has already
refused anything else). A declared capability the user did not grant is linked to
stubs that return `denied` with a message saying how to grant it, so the plugin can
degrade gracefully instead of failing to load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from host import wasmtime_compat
from host.capabilities import CapabilityError, Failed
from host.logsink import LogSink
from host.wasmtime_compat import HostErr
from sdk.abi import CAPABILITY_INTERFACES, interface_name
from sdk.manifest import Manifest

#: The functions of each capability interface, as named in the WIT.
INTERFACE_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "process": ("run",),
    "http": ("fetch",),
    "kv": ("get", "set", "delete", "list-keys"),
    "llm": ("complete",),
    "plugins": ("call", "emit"),
    "secrets": ("get",),
}

HostFunction = Callable[..., Any]


@dataclass
class CapabilityServices:
    """The implementations a sandbox's granted capabilities are linked to, keyed by interface."""

    functions: dict[str, dict[str, HostFunction]] = field(default_factory=dict)


def make_record(**fields: Any) -> Any:
    from wasmtime.component import Record

    record = Record()
    for key, value in fields.items():
        setattr(record, key, value)
    return record


def _guarded(fn: HostFunction) -> HostFunction:
    """Turn capability errors into the ABI's error variant; never let Python escape into wasm."""
    from wasmtime.component import Variant

    def call(_store: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except CapabilityError as e:
            return HostErr(Variant(e.kind, e.message))
        except Exception as e:  # a host bug must reach the guest as an error, not a crash
            return HostErr(Variant("failed", f"host error in capability: {type(e).__name__}: {e}"))

    return call


def _denied(message: str) -> HostFunction:
    from wasmtime.component import Variant

    def call(_store: Any, *_args: Any) -> Any:
        return HostErr(Variant("denied", message))

    return call


def link(linker: Any, manifest: Manifest, granted: frozenset[str], services: CapabilityServices, log: LogSink) -> None:
    """Define every acc:plugin import of the plugin's world on `linker`."""
    wasmtime_compat.install()
    with linker.root() as root:
        with root.add_instance(interface_name("log")) as instance:
            instance.add_func("log", lambda _s, level, message: log.log(_level_name(level), message))
            instance.add_func("progress", lambda _s, done, total, message: log.progress(done, total, message))
        for kind in sorted(manifest.capabilities):
            interface = CAPABILITY_INTERFACES[kind]
            if interface is None:
                continue  # fs: served by WASI preopens
            impls = services.functions.get(interface, {})
            with root.add_instance(interface_name(interface)) as instance:
                for fn_name in INTERFACE_FUNCTIONS[interface]:
                    if kind in granted and fn_name in impls:
                        instance.add_func(fn_name, _guarded(impls[fn_name]))
                    elif kind in granted:
                        instance.add_func(fn_name, _guarded(_unavailable(kind)))
                    else:
                        instance.add_func(
                            fn_name,
                            _denied(
                                f"{manifest.name} was not granted the {kind} capability "
                                f"(grant it with: acc plugin grant {manifest.name} {kind})"
                            ),
                        )


def _unavailable(kind: str) -> HostFunction:
    def call(*_args: Any) -> Any:
        raise Failed(f"the {kind} capability is not available in this host yet")

    return call


def _level_name(level: Any) -> str:
    # wasmtime-py lifts a WIT enum case as its name (a str); be lenient with other shapes.
    return str(getattr(level, "tag", level))
