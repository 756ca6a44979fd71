"""Compiled components, cached on disk under a key of (wasm sha256, wasmtime version, engine).

Precompiled bytes are native code, so only bytes this host compiled itself, from wasm
whose hash it computed, are ever loaded: the key is derived from the wasm we hold,
never from anything an archive or registry says.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path
from typing import Any

from host.engine import EngineSettings
from host.errors import LoadError
from sdk.atomic import atomic_write_bytes


def cache_key(wasm_sha256: str, settings: EngineSettings) -> str:
    wasmtime_version = importlib.metadata.version("wasmtime")
    return f"{wasm_sha256}-wasmtime{wasmtime_version}-{settings.fingerprint()}"


def load_component(engine: Any, settings: EngineSettings, wasm: bytes | Path, cache_dir: Path,
                   *, wasm_sha256: str | None = None) -> Any:
    """Return a `wasmtime.component.Component`, compiling it only on a cache miss."""
    from wasmtime import WasmtimeError
    from wasmtime.component import Component

    data = wasm.read_bytes() if isinstance(wasm, Path) else wasm
    digest = wasm_sha256 or hashlib.sha256(data).hexdigest()
    path = cache_dir / f"{cache_key(digest, settings)}.cwasm"
    if path.is_file():
        try:
            return Component.deserialize_file(engine, str(path))
        except WasmtimeError:
            path.unlink(missing_ok=True)  # stale or damaged: compile again below
    try:
        component = Component(engine, data)
    except WasmtimeError as e:
        raise LoadError(f"plugin.wasm is not a valid WebAssembly component: {_first_line(e)}",
                        hint="rebuild the plugin with `acc plugin build`") from e
    atomic_write_bytes(path, bytes(component.serialize()))
    return component


def is_cached(wasm_sha256: str, settings: EngineSettings, cache_dir: Path) -> bool:
    return (cache_dir / f"{cache_key(wasm_sha256, settings)}.cwasm").is_file()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
