"""Where the host reaches past wasmtime-py's public API: one lowering fix, and Winch.

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
