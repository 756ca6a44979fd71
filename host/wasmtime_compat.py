"""Where the host reaches past wasmtime-py's public API: one lowering fix, Winch, epoch callbacks.

`epoch_callback`: a store asks the host at each epoch deadline whether to go on, so that
a call can be stopped from another thread (`host.interrupt`) without touching the store
from that thread.

`use_winch`: wasmtime-py 50's `Config.strategy` setter knows only "auto" and "cranelift";
the C API it wraps also takes `WASMTIME_STRATEGY_WINCH` (2), wasmtime's baseline compiler.

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
