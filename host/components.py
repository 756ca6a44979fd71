"""Compile and check a component: the one function every path that loads a plugin goes through.

Install, update, rollback, the sandbox and the registry's publish pipeline all call
`compile_and_check`: compile the component (or load this host's own cached compilation,
`host.compiled_cache`), then check it against its manifest: its imports are a subset of
what the manifest declares (plus WASI, served with nothing granted), and it exports the
guest interface of an ABI this host supports.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from host.abi import SUPPORTED_ABI_VERSIONS
from host.engine import EngineSettings, shared_engine
from host.errors import LoadError
from sdk.abi import ABI_PACKAGE, ALWAYS_IMPORTED, GUEST_INTERFACE, interface_name
from sdk.manifest import Manifest
from sdk.world import declared_interfaces

if TYPE_CHECKING:
    from host.runtime.loader import LoadedComponent

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


def compile_and_check(
    wasm: bytes | Path,
    manifest: Manifest,
    cache_dir: Path,
    *,
    wasm_sha256: str | None = None,
    settings: EngineSettings | None = None,
    runtime_dir: Path | None = None,
) -> LoadedComponent:
    """Compile `wasm` for this host (cached by content) and check it against `manifest`.

    The compile shares the Python runtime between plugins (`host.runtime`): only the thin
    per-plugin component is compiled per plugin. Returns the `LoadedComponent` a sandbox
    instantiates; raises `LoadError` for a component that is invalid, imports what the
    manifest does not declare, or is not an acc plugin. `wasm_sha256` is the hash verified
    at install (see `host.compiled_cache.load_component`).
    """
    from host.runtime.loader import load_plugin_component

    settings = settings or EngineSettings()
    engine = shared_engine(settings)
    loaded = load_plugin_component(engine, settings, wasm, cache_dir, wasm_sha256=wasm_sha256, runtime_dir=runtime_dir)
    check_interface(loaded.component, engine, manifest, loaded.runtime_imports)
    return loaded


def start_runtime_compile(
    wasm: bytes, cache_dir: Path, *, settings: EngineSettings | None = None, runtime_dir: Path | None = None
) -> threading.Thread:
    """Start compiling the shared Python runtime that `wasm` embeds, on a daemon thread.

    For an install: started once the archive is verified, it compiles while a consent
    prompt waits (wasmtime compiles outside the GIL). The thread only warms the caches the
    later `compile_and_check` reads: that call waits for a runtime module this thread is
    compiling instead of compiling it again, and reports any error itself. Nothing of the
    plugin itself is compiled here, and a runtime already compiled is only loaded.
    """
    from host.runtime.loader import compile_runtime_in_background

    settings = settings or EngineSettings()
    return compile_runtime_in_background(shared_engine(settings), settings, wasm, runtime_dir or cache_dir)


def check_interface(component: Any, engine: Any, manifest: Manifest, runtime_imports: Collection[str] = ()) -> None:
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


def _check_runtime_imports(imports: dict[str, Any], runtime_imports: Collection[str], manifest: Manifest) -> None:
    from wasmtime.component import ModuleType

    for name in sorted(runtime_imports):
        if name not in imports or not isinstance(imports[name].ty, ModuleType):
            raise LoadError(
                f"{manifest.name}'s compiled component does not import the runtime module {name}",
                hint="clear the compiled cache (ACC_CACHE_DIR/compiled) and run the plugin again",
            )
