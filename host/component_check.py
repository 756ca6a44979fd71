"""The static check of a component against its manifest: imports ⊆ declared capabilities."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from packaging.version import InvalidVersion, Version

from host.abi import SUPPORTED_ABI_VERSIONS
from host.errors import LoadError
from sdk.abi import ABI_PACKAGE, ALWAYS_IMPORTED, GUEST_INTERFACE, interface_name
from sdk.manifest import Manifest
from sdk.world import declared_interfaces

#: WASI interfaces a plugin may import. They are served by wasmtime's WASI with a
#: context that has no environment, no arguments, no network, no inherited stdio and
#: only the preopens of granted fs capabilities, so importing them grants nothing.
ALLOWED_WASI_PACKAGES = ("wasi:cli/", "wasi:clocks/", "wasi:filesystem/", "wasi:io/", "wasi:random/", "wasi:sockets/")


def check_imports(import_names: list[str], manifest: Manifest) -> None:
    """Raise `LoadError` for the first import the manifest does not allow."""
    allowed = set(ALWAYS_IMPORTED) | set(declared_interfaces(manifest))
    for name in sorted(import_names):
        if name.startswith(ALLOWED_WASI_PACKAGES):
            continue
        if name.startswith(f"{ABI_PACKAGE}/"):
            interface, _, version_text = name.removeprefix(f"{ABI_PACKAGE}/").partition("@")
            _check_version(name, version_text)
            if interface in allowed:
                continue
            raise LoadError(
                f"{manifest.name}'s component imports {name}, a capability its manifest does not declare",
                hint="the component does not match its plugin.toml; do not install it "
                "(an author rebuilds with `acc plugin build`)",
            )
        raise LoadError(
            f"{manifest.name}'s component imports {name}, which acc does not provide",
            hint="plugins may import only the acc:plugin interfaces and WASI",
        )


def component_imports(component: Any, engine: Any) -> list[str]:
    return list(component.type.imports(engine).keys())


def check_component(component: Any, engine: Any, manifest: Manifest, runtime_imports: Collection[str] = ()) -> None:
    """Check a compiled component: its imports, and that it exports the guest interface.

    `runtime_imports` are the shared runtime modules the host cut out of the plugin's
    component itself (`host.runtime.split`): each must be imported as a core module, and
    the remaining imports are exactly the original component's, checked as ever.
    """
    imports = component.type.imports(engine)
    _check_runtime_imports(imports, runtime_imports, manifest)
    check_imports([name for name in imports if name not in runtime_imports], manifest)
    exports = list(component.type.exports(engine).keys())
    wanted = [interface_name(GUEST_INTERFACE, v) for v in SUPPORTED_ABI_VERSIONS]
    if not any(name in exports for name in wanted):
        raise LoadError(
            f"{manifest.name}'s component does not export {wanted[0]}",
            hint="it is not an acc plugin; build plugins with `acc plugin build`",
        )


def _check_runtime_imports(imports: dict[str, Any], runtime_imports: Collection[str], manifest: Manifest) -> None:
    from wasmtime.component import ModuleType

    for name in sorted(runtime_imports):
        if name not in imports or not isinstance(imports[name].ty, ModuleType):
            raise LoadError(
                f"{manifest.name}'s compiled component does not import the runtime module {name}",
                hint="clear the compiled cache (ACC_CACHE_DIR/compiled) and run the plugin again",
            )


def _check_version(name: str, version_text: str) -> None:
    try:
        version = Version(version_text)
    except InvalidVersion as e:
        raise LoadError(f"component import {name} has no valid ABI version") from e
    if version not in SUPPORTED_ABI_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_ABI_VERSIONS)
        raise LoadError(
            f"component import {name} needs ABI {version}; this host supports {supported}",
            hint="update acc, or install a version of the plugin built for this ABI",
        )
