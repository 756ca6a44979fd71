"""The process-wide wasmtime Engine and its epoch ticker.

One Engine per process: compiled code is shared between stores, and the epoch ticker
(a daemon thread) drives every store's wall-clock deadline. Created on first use only,
so commands that run no plugin never import wasmtime.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import threading
from dataclasses import asdict, dataclass
from typing import Any

EPOCH_TICK_SECONDS = 0.01


@dataclass(frozen=True)
class EngineSettings:
    """Engine options that change generated code: part of the compiled-cache key."""

    fuel: bool = False
    opt_level: str = "speed"

    def fingerprint(self) -> str:
        text = json.dumps({"epoch_interruption": True, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class _EngineHolder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.engine: Any = None
        self.settings: EngineSettings | None = None
        self.stop = threading.Event()


_holder = _EngineHolder()


def shared_engine(settings: EngineSettings) -> Any:
    """The process's Engine (created, with its ticker, on the first call)."""
    with _holder.lock:
        if _holder.engine is not None:
            if settings != _holder.settings:
                raise RuntimeError("the engine already exists with other settings")
            return _holder.engine
        import wasmtime

        config = wasmtime.Config()
        config.epoch_interruption = True
        config.consume_fuel = settings.fuel
        config.cranelift_opt_level = settings.opt_level
        engine = wasmtime.Engine(config)
        _holder.engine, _holder.settings = engine, settings
        thread = threading.Thread(target=_tick, args=(engine,), name="acc-epoch-ticker", daemon=True)
        thread.start()
        atexit.register(_holder.stop.set)
        return engine


def _tick(engine: Any) -> None:
    while not _holder.stop.wait(EPOCH_TICK_SECONDS):
        engine.increment_epoch()


def deadline_ticks(seconds: float) -> int:
    """Epoch ticks for a wall-clock budget of `seconds` (at least one tick)."""
    return max(1, int(seconds / EPOCH_TICK_SECONDS) + 1)
