"""One plugin instance in its own wasmtime store: limits, WASI context, calls, traps.

A `Sandbox` owns a store; it is a context manager whose `close()` is idempotent. After
a trap the instance is discarded (its memory may be inconsistent) and the next call
starts a fresh one. A sandbox given an `Interrupt` (`host.interrupt`) arms its epoch
deadline in short slices and asks the interrupt at each, so another thread can stop a
call in a few ticks; the call then fails with `PluginTrap(limit="stopped")`.

Dropping the store explicitly on close also matters for a clean exit: a store with
pending WASI output that outlives the interpreter panics wasmtime.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host.capabilities.binding import Binding, Preopen
from host.components import compile_and_check
from host.deadline import Deadline, current_deadline, within
from host.engine import EngineSettings, deadline_ticks, shared_engine, track_store
from host.errors import LoadError, PluginFailed, PluginTrap
from host.interrupt import Interrupt
from host.linking import DenialObserver, link
from host.logsink import LogSink
from host.policy import HostPolicy
from host.wasmtime_compat import custom_output
from sdk.abi import GUEST_INTERFACE, interface_name
from sdk.capabilities.fs import GUEST_PROJECT_DIR
from sdk.manifest import Manifest

#: With an interrupt, the epoch deadline is armed this many ticks at a time (50 ms): how
#: late, at most, a stopped call notices while it runs wasm.
INTERRUPT_CHECK_TICKS = 5


@dataclass(frozen=True)
class SandboxSpec:
    """What a sandbox runs and what it may touch."""

    manifest: Manifest
    wasm_path: Path
    wasm_sha256: str
    cache_dir: Path
    #: Where the shared runtime modules are compiled to (default: `cache_dir`).
    runtime_dir: Path | None = None


class Sandbox:
    """A loaded, limited, instantiated plugin."""

    def __init__(
        self,
        spec: SandboxSpec,
        bindings: Mapping[str, Binding],
        log: LogSink,
        policy: HostPolicy | None = None,
        settings: EngineSettings | None = None,
        *,
        interrupt: Interrupt | None = None,
        on_denied: DenialObserver | None = None,
    ) -> None:
        self.spec = spec
        self.interrupt = interrupt
        self.manifest = spec.manifest
        self.log = log
        self.policy = policy or HostPolicy()
        self.fuel = self.policy.fuel(self.manifest.limits.fuel)
        self.settings = settings or EngineSettings(fuel=self.fuel is not None)
        self.engine = shared_engine(self.settings)
        self.loaded = compile_and_check(
            spec.wasm_path,
            self.manifest,
            spec.cache_dir,
            wasm_sha256=spec.wasm_sha256,
            settings=self.settings,
            runtime_dir=spec.runtime_dir,
        )
        self.component = self.loaded.component
        self.bindings = bindings
        from wasmtime.component import Linker

        self._linker = Linker(self.engine)
        self._linker.add_wasip2()
        self.loaded.define_runtime(self._linker)  # shared code; every instantiation gets its own instances
        link(self._linker, self.manifest, bindings, log, interrupt=interrupt, on_denied=on_denied)
        guest = self.component.get_export_index(interface_name(GUEST_INTERFACE))
        self._exports = {
            name: self.component.get_export_index(name, guest)
            for name in ("describe", "initialize", "execute", "on-event", "cleanup")
        }
        self._store: Any = None
        self._epoch_callback: Any = None
        self._deadline_at = 0.0
        self._release_outputs: list[Callable[[], None]] = []
        self._instance: Any = None
        self._funcs: dict[str, Any] = {}
        self._closed = False
        self._in_call = False
        self.timeout = self.policy.timeout_seconds(self.manifest.limits.timeout_seconds)

    # -- lifecycle ---------------------------------------------------------------------------

    def _ensure_instance(self) -> None:
        if self._closed:
            raise LoadError(f"the sandbox of {self.manifest.name} is closed")
        if self._instance is not None:
            return
        from wasmtime import Store, WasiConfig

        store = Store(self.engine)
        track_store(store)
        wasi = WasiConfig()  # no env, no args, no stdin, no network: deny by default
        self._release_outputs = [
            custom_output(wasi, "stdout", self.log.stream("stdout")),
            custom_output(wasi, "stderr", self.log.stream("stderr")),
        ]
        for preopen in self._preopens():
            # Never rely on wasmtime's default here: it is read-write.
            wasi.preopen_dir(str(preopen.host_path), preopen.guest_path, fs_mutable=preopen.writable)
        store.set_wasi(wasi)
        store.set_limits(memory_size=self.policy.memory_bytes(self.manifest.limits.memory_mb))
        if self.interrupt is not None:
            from host.wasmtime_compat import epoch_callback

            self._epoch_callback = epoch_callback(store, self._epoch_check)
        self._store = store
        try:
            self._start(store)
        except (PluginTrap, PluginFailed) as e:
            e.loading = self.manifest.name  # the CLI offers a rollback when an updated version fails here
            raise

    def _start(self, store: Any) -> None:
        from wasmtime import WasmtimeError

        self._arm()
        try:
            self._instance = self._linker.instantiate(store, self.component)
        except WasmtimeError as e:
            self._drop_instance()
            raise self._trap(e, "instantiate", time.monotonic()) from e
        # Looked up once per instance: a lookup per call is measurable on the call path.
        self._funcs = {name: self._instance.get_func(store, index) for name, index in self._exports.items()}
        config = {
            "plugin": self.manifest.name,
            "version": str(self.manifest.version),
            "project": GUEST_PROJECT_DIR if any(p.guest_path == GUEST_PROJECT_DIR for p in self._preopens()) else None,
            "granted": sorted(self.bindings),
            # False when the project is mounted read-only (no fs grant, a read grant, or
            # a read-write manifest granted for reading only), so a plugin can say so.
            "project_writable": any(p.writable for p in self._preopens() if p.guest_path == GUEST_PROJECT_DIR),
        }
        self._call("initialize", "initialize", json.dumps(config))

    def _preopens(self) -> list[Preopen]:
        return [preopen for binding in self.bindings.values() for preopen in binding.preopens]

    def _arm(self) -> None:
        # The epoch deadline is the call's deadline, not a fresh timeout: time spent in
        # host work (a launched program, a fetch, a nested plugin call) counts too.
        deadline = current_deadline()
        seconds = deadline.remaining() if deadline else self.timeout
        self._deadline_at = time.monotonic() + seconds
        ticks = deadline_ticks(seconds)
        # With an interrupt, the deadline comes in slices and `_epoch_check` decides at each.
        self._store.set_epoch_deadline(min(ticks, INTERRUPT_CHECK_TICKS) if self.interrupt is not None else ticks)
        if self.fuel is not None:
            self._store.set_fuel(self.fuel)

    def _epoch_check(self) -> tuple[str, int]:
        """At an epoch deadline slice (on the wasm thread): trap if stopped or out of time."""
        if self.interrupt is not None and self.interrupt.is_set():
            return "acc: the call was stopped", 0
        remaining = self._deadline_at - time.monotonic()
        if remaining <= 0:
            return "wasm trap: interrupt", 0
        return "", min(deadline_ticks(remaining), INTERRUPT_CHECK_TICKS)

    def _drop_instance(self) -> None:
        store, self._store = self._store, None
        self._funcs = {}
        self._instance = None
        if store is not None:
            store.close()  # now, not whenever the garbage collector gets to it
        self._epoch_callback = None  # after the store: it may call it until it is gone
        for release in self._release_outputs:
            release()
        self._release_outputs = []
        self.log.flush()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Run the plugin's cleanup (if it is healthy) and drop its store. Idempotent.

        The cleanup runs under the plugin's own time limit, like a command."""
        if self._closed or self._in_call:
            return  # mid-call: a cleanup that reaches its own plugin must not close it under itself
        if self._instance is not None:
            with within(self.manifest.name, self.timeout), contextlib.suppress(PluginTrap, PluginFailed, LoadError):
                self._call("cleanup", "cleanup")  # best effort: the store goes anyway
        self._drop_instance()
        self._closed = True

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- calls -------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        with within(self.manifest.name, self.timeout):
            self._ensure_instance()
            result = json.loads(self._call("describe", "describe"))
        return result if isinstance(result, dict) else {}

    def execute(self, command: str, input_json: str) -> str:
        """Run a command; return its JSON result text or raise PluginFailed / PluginTrap.

        Starting the instance (initialize) and the command share one deadline: the
        plugin's limit, or less when the call is nested in another plugin's."""
        self.log.start_call()
        with within(self.manifest.name, self.timeout):
            self._ensure_instance()
            result = self._call("execute", command, command, input_json)
        if len(result) > self.policy.max_result_bytes:
            raise PluginTrap(
                f"{self.manifest.name} {command} returned more than {self.policy.max_result_bytes} bytes",
                limit="result size",
            )
        return str(result)

    def on_event(self, topic: str, payload_json: str) -> None:
        with within(self.manifest.name, self.timeout):
            self._ensure_instance()
            self._call("on-event", f"event {topic}", topic, payload_json)

    def _call(self, export: str, label: str, *args: Any) -> Any:
        from wasmtime import WasmtimeError
        from wasmtime.component import Variant

        if self._in_call:  # wasm instances are not reentrant; the call stack should have refused this
            raise LoadError(f"{self.manifest.name} is mid-call and cannot be entered again")
        if self.interrupt is not None and self.interrupt.is_set():
            raise self._stopped(label)
        deadline = current_deadline()
        if deadline is not None and deadline.expired():
            raise self._out_of_time(label, deadline)
        func = self._funcs[export]
        self._arm()
        started = time.monotonic()
        self._in_call = True
        try:
            result = func(self._store, *args)
        except WasmtimeError as e:
            self._drop_instance()
            raise self._trap(e, label, started) from e
        finally:
            self._in_call = False
        if isinstance(result, Variant):  # result<_, error>: the error case comes back tagged
            raise PluginFailed(result.tag, str(result.payload), plugin=self.manifest.name, command=label)
        return result

    def _out_of_time(self, label: str, deadline: Deadline | None) -> PluginTrap:
        name = f"{self.manifest.name} {label}"
        if deadline is None or deadline.owner == self.manifest.name:
            return PluginTrap(
                f"{name} ran longer than its {self.timeout:g} s time limit and was stopped",
                limit="time",
                hint="raise [limits] timeout_seconds in plugin.toml if it really needs more",
            )
        return PluginTrap(f"{name} was stopped: the call it serves ran out of {deadline.describe()}", limit="time")

    def _stopped(self, label: str) -> PluginTrap:
        reason = self.interrupt.reason if self.interrupt is not None else ""
        return PluginTrap(f"{self.manifest.name} {label} was stopped: {reason or 'interrupted'}", limit="stopped")

    def _trap(self, error: Exception, label: str, started: float) -> PluginTrap:
        if self.interrupt is not None and self.interrupt.is_set():
            return self._stopped(label)
        text = str(error)
        deadline = current_deadline()
        timed_out = deadline.expired() if deadline else time.monotonic() - started >= self.timeout
        name = f"{self.manifest.name} {label}"
        if "interrupt" in text or timed_out:
            return self._out_of_time(label, deadline)
        if "all fuel consumed" in text:
            return PluginTrap(f"{name} used up its instruction budget (fuel) and was stopped", limit="fuel")
        if "call stack exhausted" in text or "stack overflow" in text:
            return PluginTrap(f"{name} recursed too deeply (wasm stack exhausted) and was stopped", limit="stack")
        if "memory" in text and ("grow" in text or "limit" in text or "out of bounds" in text):
            mb = self.policy.memory_bytes(self.manifest.limits.memory_mb) // (1024 * 1024)
            return PluginTrap(f"{name} hit its {mb} MB memory limit and was stopped", limit="memory")
        first = next((line.strip() for line in text.splitlines() if "trap" in line.lower()), "")
        return PluginTrap(
            f"{name} crashed{': ' + first if first else ''}",
            limit="crash",
            hint="the plugin aborted; run with --verbose to see its log, or report it to its author",
        )
