"""The process-wide wasmtime Engine and its epoch ticker.

One Engine per process and settings (in practice one): compiled code is shared between
stores, and one epoch ticker thread drives every store's wall-clock deadline. Created on
first use only, so commands that run no plugin never import wasmtime.

Shutdown is deterministic (`_shutdown`, an atexit hook registered with the first engine):
the ticker is stopped and joined (it must not touch an engine being freed), every store
still open is closed while Python still runs, and from then on wasmtime objects are not
finalised (`wasmtime_compat.skip_finalizers`): freed during interpreter teardown, they
called into a half-torn-down Python (`Exception ignored in: Managed.__del__`). The
intermittent abort at exit (`panic in a function that cannot unwind`, SIGABRT) had
another cause, a Python finalizer of WASI output that wasmtime ran on a tokio thread
during teardown: the sandbox gives wasmtime none (`wasmtime_compat.custom_output`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import threading
import weakref
from dataclasses import asdict, dataclass
from typing import Any

from host.digest import small_sha256_hex

EPOCH_TICK_SECONDS = 0.01


@dataclass(frozen=True)
class EngineSettings:
    """Engine options that change generated code: part of the compiled-cache key."""

    fuel: bool = False
    opt_level: str = "speed"
    #: "cranelift" (optimizing) or "winch" (baseline: ~4x faster to compile, slower code).
    strategy: str = "cranelift"
    #: Cranelift's register allocator: "backtracking" (better code) or "single_pass"
    #: (faster to compile; what the host's thin components, which are glue, are compiled with).
    regalloc: str = "backtracking"

    def fingerprint(self) -> str:
        fields = {"epoch_interruption": True, **asdict(self)}
        # Defaults added later are left out, so keys of compilations made before them still hold.
        if self.strategy == "cranelift":
            del fields["strategy"]
        if self.regalloc == "backtracking":
            del fields["regalloc"]
        text = json.dumps(fields, sort_keys=True)
        return small_sha256_hex(text.encode())[:16]


class _Engines:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_settings: dict[EngineSettings, Any] = {}
        self.stop = threading.Event()
        self.ticker: threading.Thread | None = None
        #: Stores not closed yet, closed at exit (weak: a dropped store leaves by itself).
        self.stores: weakref.WeakSet[Any] = weakref.WeakSet()


_engines = _Engines()


def track_store(store: Any) -> None:
    """Have `store` closed at exit if it is still open then (see the module docstring)."""
    _engines.stores.add(store)


def shared_engine(settings: EngineSettings) -> Any:
    """The process's Engine for `settings` (created on first use; the ticker with the first)."""
    with _engines.lock:
        engine = _engines.by_settings.get(settings)
        if engine is not None:
            return engine
        import wasmtime

        config = wasmtime.Config()
        config.epoch_interruption = True
        config.consume_fuel = settings.fuel
        config.cranelift_opt_level = settings.opt_level
        if settings.regalloc != "backtracking":
            config.cranelift_flag_set("regalloc_algorithm", settings.regalloc)
        if settings.strategy == "winch":
            from host.wasmtime_compat import use_winch

            use_winch(config)
        elif settings.strategy != "cranelift":
            raise ValueError(f"unknown compiler strategy {settings.strategy!r}")
        engine = wasmtime.Engine(config)
        _engines.by_settings[settings] = engine
        if _engines.ticker is None:
            _engines.ticker = threading.Thread(target=_tick, name="acc-epoch-ticker", daemon=True)
            _engines.ticker.start()
            atexit.register(_shutdown)
        return engine


def _shutdown() -> None:
    """Stop the ticker, close the stores still open and drop the engines while wasmtime's
    bindings still exist; then leave wasmtime objects to the OS (see the module docstring)."""
    _engines.stop.set()
    if _engines.ticker is not None:
        _engines.ticker.join(timeout=1.0)
    for store in list(_engines.stores):
        with contextlib.suppress(Exception):  # exiting: a store that will not close is left to the OS
            store.close()
    with _engines.lock:
        _engines.by_settings.clear()
    from host.wasmtime_compat import skip_finalizers

    skip_finalizers()


def _tick() -> None:
    while not _engines.stop.wait(EPOCH_TICK_SECONDS):
        for engine in list(_engines.by_settings.values()):
            engine.increment_epoch()


def deadline_ticks(seconds: float) -> int:
    """Epoch ticks for a wall-clock budget of `seconds` (at least one tick)."""
    return max(1, int(seconds / EPOCH_TICK_SECONDS) + 1)
