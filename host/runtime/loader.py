"""Compile a plugin component with its runtime shared: what a sandbox instantiates (the IO shell).

`load_plugin_component` returns a `LoadedComponent`: the thin component (compiled per
plugin, a fraction of a second) and the runtime modules it imports (compiled once per
host and kept on disk under their sha256, and once per process in memory). A component
the splitter does not understand, or with nothing worth sharing, is compiled whole as
before (`host.compiled_cache.load_component`) and comes back with no runtime modules.

Cache rules are those of `host.compiled_cache`: precompiled bytes are native code, so
only this host's own compilations are loaded, under keys derived from bytes it hashed
itself: the plugin's wasm (its hash verified at install) for the thin component, and the
module bytes cut out of it for each runtime module. The thin component's runtime import
names carry those hashes; they were made by `host.runtime.split`, which refuses a
component that uses the name prefix itself.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from host.compiled_cache import cache_key, load_component
from host.digest import sha256_hex
from host.engine import EngineSettings, shared_engine
from host.errors import LoadError
from host.runtime.split import SharedModule, SplitComponent, SplitPolicy, runtime_module_sha256, split_component
from host.runtime.wasm_binary import WasmFormatError
from sdk.atomic import atomic_write_bytes, file_lock

#: Bump when the rewrite changes (threshold, names, layout): thin compilations are keyed by it.
SPLIT_FORMAT = "thin1"
RUNTIME_KIND = "runtime"
#: How Cranelift compiles thin components (see `_thin_compiler`).
THIN_OPT_LEVEL = "none"
THIN_REGALLOC = "single_pass"
#: Bump when `host.runtime.module_type`'s encoding changes: the type files are keyed by it.
MODULE_TYPE_FORMAT = "mtype1"
MAX_MODULE_TYPE_BYTES = 16 * 1024 * 1024
_MODULE_TYPE_TAG = b"\x50"  # core:moduletype


@dataclass(frozen=True)
class LoadedComponent:
    """A compiled plugin component and the compiled runtime modules it imports, by import name."""

    component: Any
    runtime_modules: Mapping[str, Any] = field(default_factory=dict)

    @property
    def runtime_imports(self) -> frozenset[str]:
        return frozenset(self.runtime_modules)

    def define_runtime(self, linker: Any) -> None:
        """Supply the runtime modules to `linker`: each instantiation makes its own instances."""
        if not self.runtime_modules:
            return
        with linker.root() as root:
            for name, module in sorted(self.runtime_modules.items()):
                root.add_module(name, module)


def load_plugin_component(
    engine: Any,
    settings: EngineSettings,
    wasm: bytes | Path,
    cache_dir: Path,
    *,
    wasm_sha256: str | None = None,
    runtime_dir: Path | None = None,
    policy: SplitPolicy | None = None,
) -> LoadedComponent:
    """Return the compiled plugin, its runtime shared; compile only what no cache holds.

    As with `load_component`: on a hit the wasm file is not read; on a miss the bytes are
    hashed and must match `wasm_sha256` (the hash verified at install). Runtime modules are
    cached in `runtime_dir` (default: `cache_dir`). A component compiled whole before (a
    whole compilation in `cache_dir`) is loaded as it is rather than split again.
    """
    from wasmtime import WasmtimeError
    from wasmtime.component import Component

    hashed_here = wasm_sha256 is None
    if wasm_sha256 is None:
        wasm = wasm.read_bytes() if isinstance(wasm, Path) else wasm
        wasm_sha256 = sha256_hex(wasm)
    runtime_dir = runtime_dir or cache_dir
    # Bytes hashed a moment ago need no second hash before they are split.
    source = _WasmSource(wasm, wasm_sha256, policy, ModuleTypeFiles(runtime_dir), verified=hashed_here)
    thin_path = cache_dir / f"{cache_key(wasm_sha256, settings, SPLIT_FORMAT)}.cwasm"
    if thin_path.is_file():
        try:
            thin = Component.deserialize_file(engine, str(thin_path))
        except WasmtimeError:
            thin_path.unlink(missing_ok=True)  # stale or damaged: compile again below
        else:
            return LoadedComponent(thin, _runtime_for(thin, engine, settings, runtime_dir, source))
    if not (cache_dir / f"{cache_key(wasm_sha256, settings)}.cwasm").is_file():
        loaded = _compile_thin(engine, settings, source, runtime_dir, thin_path)
        if loaded is not None:
            return loaded
    return LoadedComponent(load_component(engine, settings, wasm, cache_dir, wasm_sha256=wasm_sha256))


def _compile_thin(
    engine: Any, settings: EngineSettings, source: _WasmSource, runtime_dir: Path, thin_path: Path
) -> LoadedComponent | None:
    """Compile the thin component and write it to `thin_path`; None if it is not to be split.

    wasmtime refusing the thin component is retried once with the module types parsed
    afresh (a damaged type file must not send every later plugin to a whole compile),
    then left to the whole compile, for wasmtime's own message.
    """
    from wasmtime import WasmtimeError
    from wasmtime.component import Component

    from host.wasmtime_compat import compile_component, write_serialized

    for attempt in range(2):
        split = source.split()
        if split is None or not split.shared:
            return None
        try:
            modules = {m.import_name: runtime_module(engine, settings, m, runtime_dir) for m in split.shared}
            thin = compile_component(_thin_compiler(engine, settings), split.thin)
        except WasmtimeError:
            if attempt == 0 and source.forget_cached_types():
                continue
            return None
        write_serialized(thin, thin_path)
        try:
            thin = Component.deserialize_file(engine, str(thin_path))  # a no-op when compiled by `engine`
        except WasmtimeError:
            thin = Component(engine, split.thin)
            write_serialized(thin, thin_path)
        return LoadedComponent(thin, modules)
    return None


def _thin_compiler(engine: Any, settings: EngineSettings) -> Any:
    """The engine that compiles thin components: `engine`'s settings, without Cranelift's
    optimizations and with its single-pass register allocator.

    What a thin component holds is glue: the memory snapshot's module (a few hundred
    stubs, about 5 KB of code, and wasmtime's trampolines for its 900 exports), the
    adapter shims and the component's trampolines; the guest's real code (libpython) is
    in the runtime modules, compiled with `settings`. So compiled, the glue takes about
    57% of the CPU time (measured: 212 -> 122 ms) and guests run as fast. wasmtime's
    compatibility check ignores both settings (neither changes what code does), so the
    compilation is loaded into `engine`, from the file it was written to, and linked
    with its modules. (Under Winch they apply to the trampolines, which Cranelift
    compiles still.)
    """
    return shared_engine(replace(settings, opt_level=THIN_OPT_LEVEL, regalloc=THIN_REGALLOC))


def compile_runtime_in_background(
    engine: Any,
    settings: EngineSettings,
    wasm: bytes,
    runtime_dir: Path,
    *,
    policy: SplitPolicy | None = None,
) -> threading.Thread:
    """Start compiling the runtime modules of `wasm` on a daemon thread, and return the thread.

    For an install: started as soon as the archive is verified, it compiles while the user
    reads the consent prompt (wasmtime compiles outside the GIL). A later
    `load_plugin_component` of the same runtime waits for this compile instead of starting
    its own, and reports any error itself: this thread only warms the caches.
    """

    def warm() -> None:
        try:
            split = split_component(wasm, policy, module_types=ModuleTypeFiles(runtime_dir))
            for module in split.shared:
                runtime_module(engine, settings, module, runtime_dir)
        except Exception:  # the foreground load repeats the work and reports what fails
            return

    thread = threading.Thread(target=warm, name="acc-runtime-compile", daemon=True)
    thread.start()
    return thread


def runtime_module(engine: Any, settings: EngineSettings, module: SharedModule, cache_dir: Path) -> Any:
    """The compiled `wasmtime.Module` for a runtime module: from this process, from disk, or compiled now."""
    return _memo.get(engine, module.sha256, lambda: _load_or_compile(engine, settings, module, cache_dir))


def cached_runtime_module(engine: Any, settings: EngineSettings, sha256: str, cache_dir: Path) -> Any | None:
    """The compiled runtime module `sha256` if this process or the disk cache has it, else None."""
    try:
        return _memo.get(engine, sha256, lambda: _deserialize(engine, _runtime_path(settings, sha256, cache_dir)))
    except _Missing:
        return None


def _runtime_for(
    thin: Any, engine: Any, settings: EngineSettings, cache_dir: Path, source: _WasmSource
) -> dict[str, Any]:
    """The runtime modules a cached thin component imports (compiled again if the disk lost one)."""
    modules: dict[str, Any] = {}
    for name in thin.type.imports(engine):
        sha256 = runtime_module_sha256(name)
        if sha256 is None:
            continue
        module = cached_runtime_module(engine, settings, sha256, cache_dir)
        if module is None:
            module = runtime_module(engine, settings, source.shared_module(name), cache_dir)
        modules[name] = module
    return modules


def _load_or_compile(engine: Any, settings: EngineSettings, module: SharedModule, cache_dir: Path) -> Any:
    from wasmtime import Module

    from host.wasmtime_compat import write_serialized

    path = _runtime_path(settings, module.sha256, cache_dir)
    try:
        return _deserialize(engine, path)
    except _Missing:
        pass
    if sha256_hex(module.wasm) != module.sha256:  # never cache under a hash we did not compute
        raise LoadError("a runtime module does not match its hash", hint="reinstall the plugin")
    # Several acc processes (an MCP server and a terminal, parallel installs) share this cache:
    # the second to miss waits for the first's compilation instead of doing it again.
    with file_lock(path.with_suffix(".lock")):
        try:
            return _deserialize(engine, path)
        except _Missing:
            pass
        compiled = Module(engine, module.wasm)
        write_serialized(compiled, path)
        return compiled


class _Missing(Exception):
    """No usable compilation on disk."""


def _deserialize(engine: Any, path: Path) -> Any:
    from wasmtime import Module, WasmtimeError

    if not path.is_file():
        raise _Missing
    try:
        return Module.deserialize_file(engine, str(path))
    except WasmtimeError:
        path.unlink(missing_ok=True)  # stale or damaged: compile again
        raise _Missing from None


def _runtime_path(settings: EngineSettings, sha256: str, cache_dir: Path) -> Path:
    return cache_dir / f"{cache_key(sha256, settings, RUNTIME_KIND)}.cwasm"


class _WasmSource:
    """The plugin's wasm, read, verified and split only if a cache misses (once at most)."""

    def __init__(
        self,
        wasm: bytes | Path,
        sha256: str,
        policy: SplitPolicy | None,
        module_types: ModuleTypeFiles,
        *,
        verified: bool = False,
    ) -> None:
        self.wasm = wasm
        self.sha256 = sha256
        self.policy = policy
        self.module_types = module_types
        self._verified = verified and not isinstance(wasm, Path)
        self._split: SplitComponent | None = None
        self._refused = False

    def split(self) -> SplitComponent | None:
        """The split component, or None if the splitter refuses it (it is then compiled whole)."""
        if self._split is None and not self._refused:
            data = self.wasm.read_bytes() if isinstance(self.wasm, Path) else self.wasm
            if not self._verified and sha256_hex(data) != self.sha256:
                raise LoadError(
                    "plugin.wasm does not match the hash recorded when it was installed",
                    hint="the installed files were changed; reinstall the plugin from its signed archive",
                )
            self._verified = not isinstance(self.wasm, Path)
            try:
                self._split = split_component(data, self.policy, module_types=self.module_types)
            except WasmFormatError:
                self._refused = True
        return self._split

    def forget_cached_types(self) -> bool:
        """Drop the module types the split took from disk, to split afresh; False if it used none."""
        if not self.module_types.forget_read():
            return False
        self._split = None
        return True

    def shared_module(self, import_name: str) -> SharedModule:
        split = self.split()
        for module in split.shared if split else ():
            if module.import_name == import_name:
                return module
        raise LoadError(
            f"the compiled plugin imports {import_name}, which its plugin.wasm does not contain",
            hint="clear the compiled cache (ACC_CACHE_DIR/compiled) and run the plugin again",
        )


class ModuleTypeFiles:
    """The type encodings of runtime modules (`host.runtime.module_type`), kept beside their
    compilations under the module's sha256, so a plugin's split does not parse libpython's
    thousands of imports and exports again. A damaged file can only make wasmtime refuse
    the thin component (it checks the supplied module against the type), and
    `forget_read` lets the loader split again without the files it read."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._read: list[Path] = []

    def _path(self, sha256: str) -> Path:
        return self.directory / f"{sha256}-{RUNTIME_KIND}-{MODULE_TYPE_FORMAT}.bin"

    def get(self, sha256: str) -> bytes | None:
        path = self._path(sha256)
        try:
            with path.open("rb") as f:
                data = f.read(MAX_MODULE_TYPE_BYTES + 1)
        except OSError:
            return None
        if not data.startswith(_MODULE_TYPE_TAG) or len(data) > MAX_MODULE_TYPE_BYTES:
            return None
        self._read.append(path)
        return data

    def put(self, sha256: str, module_type: bytes) -> None:
        with contextlib.suppress(OSError):  # a cache: failing to keep it costs only time
            atomic_write_bytes(self._path(sha256), module_type)

    def forget_read(self) -> bool:
        read, self._read = self._read, []
        for path in read:
            path.unlink(missing_ok=True)
        return bool(read)


class _ModuleMemo:
    """Compiled runtime modules of this process, per engine: one copy of the code for every sandbox.

    A lock per (engine, sha256) makes concurrent loaders (a background warm-up and a sandbox)
    wait for one compile instead of each doing its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._modules: dict[tuple[int, str], tuple[Any, Any]] = {}  # (id(engine), sha) -> (engine, module)
        self._locks: dict[tuple[int, str], threading.Lock] = {}

    def get(self, engine: Any, sha256: str, load: Callable[[], Any]) -> Any:
        key = (id(engine), sha256)
        with self._lock:
            entry = self._modules.get(key)
            if entry is not None:
                return entry[1]
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                entry = self._modules.get(key)
            if entry is not None:
                return entry[1]
            module = load()  # holding the engine in the entry keeps id(engine) from being reused
            with self._lock:
                if not self._modules:
                    # Drop them before the interpreter tears wasmtime's bindings down under them.
                    atexit.register(self.clear)
                self._modules[key] = (engine, module)
            return module

    def clear(self) -> None:
        with self._lock:
            self._modules.clear()
            self._locks.clear()


_memo = _ModuleMemo()
