"""Where the host reaches past wasmtime-py's public API: one lowering fix, Winch, bytes,
serialized files, exit, epoch callbacks.

`epoch_callback`: a store asks the host at each epoch deadline whether to go on, so that
a call can be stopped from another thread (`host.interrupt`) without touching the store
from that thread.

`use_winch`: wasmtime-py 50's `Config.strategy` setter knows only "auto" and "cranelift";
the C API it wraps also takes `WASMTIME_STRATEGY_WINCH` (2), wasmtime's baseline compiler.

`install_fast_bytes`: `list<u8>` values cross the boundary in C, not one byte at a time.

`custom_output`: the guest's stdout/stderr to a Python callback, without a finalizer that
wasmtime would call from a foreign thread (see there).

`write_serialized`, `compile_component`: a compiled module or component written to a file
straight from wasmtime's buffer (`serialize()` copies it twice into Python first: 12 MB
for a plugin), a component compiled from the caller's bytes (the constructor copies them).

`skip_finalizers`: at interpreter exit, after the host closed what it owns, wasmtime
objects are no longer freed by `__del__` (see `host.engine`).

The lowering fix, for WIT `result` values (the ABI's `kv.get`):

wasmtime-py lowers an untagged `result<T, E>` by taking the first case whose Python
classes accept the value. For `result<option<list<u8>>, error>` the ok case's
`option` accepts *any* object (its `none` case is typed `object`), so an error variant
returned by the host is taken for `ok(some(...))` and fails to lower: the guest would
see a crash instead of `denied`. Host functions return errors as `HostErr(payload)`,
which this patch lowers as the `err` case whatever the type looks like.

wasmtime is pinned exactly (pyproject.toml), and `test_kv_denied_reaches_the_guest_as_denied`
breaks if an upgrade changes what is patched here.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class HostErr:
    """The `err` case of a WIT result returned by a host function."""

    payload: Any


_installed = False


def install() -> None:
    """Teach `ResultType` to lower `HostErr` as `err` (idempotent)."""
    global _installed
    if _installed:
        return
    from wasmtime import _ffi as ffi
    from wasmtime.component._types import ResultType

    original = ResultType._lower

    def _lower(self: Any, store: Any, val: Any) -> Any:
        if not isinstance(val, HostErr):
            return original(self, store, val)
        err_type = self.err
        if err_type is None:
            return ("err", None)
        raw = ffi.wasmtime_component_val_t()
        err_type.convert_to_c(store, val.payload, ctypes.pointer(raw))
        return ("err", ffi.wasmtime_component_val_new(ctypes.byref(raw)))

    ResultType._lower = _lower  # type: ignore[method-assign]
    _installed = True


def skip_finalizers() -> None:
    """From now on, a wasmtime object that is garbage-collected is not freed (at exit only).

    Interpreter teardown clears module globals (wasmtime's `ffi` functions become None)
    and runs finalizers in no useful order; freeing a store then may call back into
    Python. The process is ending: leaving the memory to the OS is the safe choice.
    """
    from wasmtime import _managed

    def keep(self: Any) -> None:
        return None

    _managed.Managed.__del__ = keep  # type: ignore[method-assign]


def install_fast_bytes() -> None:
    """Hand `list<u8>` values (process output, http bodies, kv values) over in C, not per byte.

    wasmtime-py converts a `list<u8>` one element at a time in Python: 4 MiB of a
    program's output took seconds to reach the guest, time the plugin's deadline could
    not interrupt (the guest is not running). The C API's list is an array of
    `wasmtime_component_val_t` (a kind byte and a union); these two functions fill and
    read the kind and u8 fields of the whole array with strided memoryview copies.
    """
    global _fast_bytes
    if _fast_bytes:
        return
    from wasmtime import _ffi as ffi
    from wasmtime.component._types import ListType

    val_t = ffi.wasmtime_component_val_t
    size = ctypes.sizeof(val_t)
    kind_at, value_at = val_t.kind.offset, val_t.of.offset
    u8_kind = bytes([ffi.WASMTIME_COMPONENT_U8.value])
    lower, lift = ListType.convert_to_c, ListType.convert_from_c

    def elements(data: Any, count: int) -> memoryview:
        return memoryview((ctypes.c_ubyte * (count * size)).from_address(ctypes.addressof(data.contents))).cast("B")

    def convert_to_c(self: Any, store: Any, val: Any, ptr: Any) -> None:
        if not (isinstance(val, bytes) and self._is_bytes()):
            return lower(self, store, val, ptr)
        raw = ffi.wasmtime_component_vallist_t()
        ffi.wasmtime_component_vallist_new_uninit(raw, len(val))
        if val:
            view = elements(raw.data, len(val))
            view[kind_at::size] = u8_kind * len(val)
            view[value_at::size] = val
        ptr.contents.kind = ffi.WASMTIME_COMPONENT_LIST
        ptr.contents.of.list = raw
        return None

    def convert_from_c(self: Any, c: Any) -> Any:
        if not self._is_bytes():
            return lift(self, c)
        try:
            count = c.of.tuple.size
            return bytes(elements(c.of.tuple.data, count)[value_at::size]) if count else b""
        finally:
            ffi.wasmtime_component_valtuple_delete(ctypes.byref(c.of.tuple))

    ListType.convert_to_c = convert_to_c  # type: ignore[method-assign]
    ListType.convert_from_c = convert_from_c  # type: ignore[method-assign]
    _fast_bytes = True


_fast_bytes = False


def custom_output(wasi_config: Any, stream: str, callback: Callable[[bytes], None]) -> Callable[[], None]:
    """Send the guest's `stream` ("stdout" or "stderr") to `callback`; return the release function.

    `WasiConfig.stdout_custom` hands wasmtime a Python finalizer, which wasmtime calls when
    the last handle of the stream goes, and that is a tokio worker thread, some time after
    the store was dropped. When that time falls in interpreter teardown, CPython ends the
    worker with `pthread_exit` as it asks for the GIL, the forced unwind crosses Rust frames
    that cannot unwind, and the process aborts ("panic in a function that cannot unwind").
    Here wasmtime gets no finalizer at all: the caller releases the callback itself, on its
    own thread, once the store is gone (the stream writes only during guest calls, which
    wait for each write to be flushed).
    """
    from wasmtime import _ffi as ffi
    from wasmtime._wasi import CUSTOM_OUTPUTS, custom_call

    setter = {"stdout": ffi.wasi_config_set_stdout_custom, "stderr": ffi.wasi_config_set_stderr_custom}[stream]
    index = CUSTOM_OUTPUTS.allocate(callback)
    setter(wasi_config.ptr(), custom_call, index, _NO_FINALIZER)
    return lambda: CUSTOM_OUTPUTS.deallocate(index)


_NO_FINALIZER: Any = ctypes.cast(0, ctypes.CFUNCTYPE(None, ctypes.c_void_p))


def compile_component(engine: Any, wasm: bytes) -> Any:
    """`wasmtime.component.Component(engine, wasm)` without the copy of `wasm` it makes first
    (its constructor copies the bytes into a ctypes array: 11 MB for a thin component);
    wasmtime reads the bytes object's own buffer, which `wasm` keeps alive meanwhile."""
    from wasmtime import WasmtimeError
    from wasmtime import _ffi as ffi
    from wasmtime.component import Component

    if not isinstance(wasm, bytes):
        raise TypeError("compile_component takes bytes")
    binary = ctypes.cast(ctypes.c_char_p(wasm), ctypes.POINTER(ctypes.c_uint8))
    ptr = ctypes.POINTER(ffi.wasmtime_component_t)()
    error = ffi.wasmtime_component_new(engine.ptr(), binary, len(wasm), ctypes.byref(ptr))
    if error:
        raise WasmtimeError._from_ptr(error)
    return Component._from_ptr(ptr)


def write_serialized(compiled: Any, path: Path) -> None:
    """Write `compiled` (a `wasmtime.Module` or `wasmtime.component.Component`) to `path`
    atomically, as `atomic_write_bytes(path, bytes(compiled.serialize()))` would, without
    copying wasmtime's serialized bytes into Python objects first."""
    from wasmtime import Module, WasmtimeError
    from wasmtime import _ffi as ffi

    from sdk.atomic import MAPPED_FILE_PIECE_BYTES, atomic_write_bytes

    serialize = ffi.wasmtime_module_serialize if isinstance(compiled, Module) else ffi.wasmtime_component_serialize
    raw = ffi.wasm_byte_vec_t()
    error = serialize(compiled.ptr(), ctypes.byref(raw))
    if error:
        raise WasmtimeError._from_ptr(error)
    try:
        view = memoryview((ctypes.c_uint8 * raw.size).from_address(ctypes.addressof(raw.data.contents)))
        atomic_write_bytes(path, view, piece_bytes=MAPPED_FILE_PIECE_BYTES)
        view.release()
    finally:
        ffi.wasm_byte_vec_delete(ctypes.byref(raw))


#: `WASMTIME_STRATEGY_WINCH` in wasmtime's C API (config.h).
_STRATEGY_WINCH = 2


def use_winch(config: Any) -> None:
    """Make `config` (a `wasmtime.Config`) compile with Winch instead of Cranelift."""
    from wasmtime import _ffi as ffi

    ffi.wasmtime_config_strategy_set(config.ptr(), _STRATEGY_WINCH)


#: wasmtime_update_deadline_kind_t: keep running (the other choice, yield, is for async stores).
_UPDATE_DEADLINE_CONTINUE = 0


def epoch_callback(store: Any, check: Callable[[], tuple[str, int]]) -> Any:
    """Have `store` ask `check()` whenever its epoch deadline is reached, instead of trapping.

    `check` returns `("", ticks)` to go on for `ticks` more epochs, or `(message, 0)` to
    trap with `message`. It runs on the thread executing wasm, between instructions, so
    it sees the store's state without racing it (wasmtime-py 50 has no wrapper for
    `wasmtime_store_epoch_deadline_callback`; this is the C API through its own bindings).
    Returns the callback object: the caller keeps it alive as long as the store.
    """
    from wasmtime import _ffi as ffi

    def on_deadline(_context: Any, _data: Any, delta: Any, kind: Any) -> int:
        try:
            message, ticks = check()
        except BaseException as e:  # an exception must not cross into wasmtime: trap instead
            message, ticks = f"host error in the epoch check: {type(e).__name__}", 0
        if message:
            error = ffi.wasmtime_error_new(ctypes.create_string_buffer(message.encode("utf-8", "replace")))
            address: int = ctypes.cast(error, ctypes.c_void_p).value or 0
            return address  # wasmtime takes ownership and traps with it
        delta[0] = max(1, ticks)
        kind[0] = _UPDATE_DEADLINE_CONTINUE
        return 0

    callback_type = ctypes.CFUNCTYPE(
        ctypes.c_size_t,
        ctypes.POINTER(ffi.wasmtime_context_t),
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_uint64),
        ctypes.POINTER(ffi.wasmtime_update_deadline_kind_t),
    )
    callback = callback_type(on_deadline)
    # No finalizer: wasmtime would call it from whatever thread drops the store.
    no_finalizer = ctypes.cast(0, ctypes.CFUNCTYPE(None, ctypes.c_void_p))
    ffi.wasmtime_store_epoch_deadline_callback(store.ptr(), callback, None, no_finalizer)
    return callback
