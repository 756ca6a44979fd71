"""Compiled components, cached on disk under a key of (wasm sha256, wasmtime version, engine).

Precompiled bytes are native code, so only bytes this host compiled itself, from wasm
whose hash it computed, are ever loaded: the key is derived from the wasm we hold,
never from anything an archive or registry says.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from host.digest import sha256_hex
from host.engine import EngineSettings
from host.errors import LoadError
from sdk.atomic import MAPPED_FILE_PIECE_BYTES, atomic_write_bytes


def cache_key(wasm_sha256: str, settings: EngineSettings, kind: str = "") -> str:
    """The file stem of a compilation: `kind` tells apart what else is compiled from the same
    bytes (a thin component, a shared runtime module) from the whole component ("")."""
    infix = f"-{kind}" if kind else ""
    return f"{wasm_sha256}{infix}-wasmtime{_wasmtime_version()}-{settings.fingerprint()}"


@functools.cache
def _wasmtime_version() -> str:
    """The installed wasmtime-py's version, from its dist-info directory's name beside the
    package (`importlib.metadata` would add about 30 ms to every `acc plugin run`)."""
    import wasmtime

    site = Path(wasmtime.__file__).resolve().parent.parent
    found = [p.name.removeprefix("wasmtime-").removesuffix(".dist-info") for p in site.glob("wasmtime-*.dist-info")]
    if len(found) == 1:
        return found[0]
    import importlib.metadata  # an unusual install: ask the slow way

    return importlib.metadata.version("wasmtime")


def load_component(
    engine: Any, settings: EngineSettings, wasm: bytes | Path, cache_dir: Path, *, wasm_sha256: str | None = None
) -> Any:
    """Return a `wasmtime.component.Component`, compiling it only on a cache miss.

    `wasm_sha256` is the hash verified at install. On a hit the wasm file is not even
    read (it is 18 MB for a Python plugin); on a miss the bytes about to be compiled are
    hashed and must match it, so a plugin.wasm changed on disk after install is refused
    instead of being compiled and cached under the trusted hash.
    """
    from wasmtime import WasmtimeError
    from wasmtime.component import Component

    if wasm_sha256 is None:
        wasm = wasm.read_bytes() if isinstance(wasm, Path) else wasm
        wasm_sha256 = sha256_hex(wasm)
    path = cache_dir / f"{cache_key(wasm_sha256, settings)}.cwasm"
    if path.is_file():
        try:
            return Component.deserialize_file(engine, str(path))
        except WasmtimeError:
            path.unlink(missing_ok=True)  # stale or damaged: compile again below
    data = wasm.read_bytes() if isinstance(wasm, Path) else wasm
    if sha256_hex(data) != wasm_sha256:
        raise LoadError(
            "plugin.wasm does not match the hash recorded when it was installed",
            hint="the installed files were changed; reinstall the plugin from its signed archive",
        )
    try:
        component = Component(engine, data)
    except WasmtimeError as e:
        raise LoadError(
            f"plugin.wasm is not a valid WebAssembly component: {_first_line(e)}",
            hint="rebuild the plugin with `acc plugin build`",
        ) from e
    atomic_write_bytes(path, bytes(component.serialize()), piece_bytes=MAPPED_FILE_PIECE_BYTES)
    return component


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
