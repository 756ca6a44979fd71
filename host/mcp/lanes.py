"""Running MCP tool calls: one lane per plugin, each call in that plugin's sandbox.

A lane is a `PluginHost` of its own (its own sandboxes, its own `Interrupt`) and a queue.
Calls of one plugin run one at a time, in arrival order; calls of different plugins run
in parallel, on worker threads. Serializing per plugin rather than opening a sandbox per
call, because:

- a wasm store is single-threaded, and a plugin's instance keeps state between calls
  (its heap, open kv store) exactly as under `acc plugin run` or `acc agent`;
- a sandbox per call would let one client multiply a plugin's memory limit by the number
  of calls it overlaps, and pay instantiation on every call;
- a plugin's kv namespace then never sees two of its own instances write at once.

At most `MAX_WAITING` calls wait behind a running one; more are refused as a tool error.

A lane's host is made for one state of the store (`StoreSignature`): the first call after
any install, update, removal, grant or revocation closes it and opens a new one, so
every call runs under the grants the store holds when it starts. A call is stopped (its
lane's interrupt fired; see `host.interrupt`) when the client cancels it or goes away,
when the session's wall time runs out, or when its plugin is removed or loses a grant
while it runs; the caller always waits until the sandbox has stopped, so nothing a call
started is left running.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio

from host.interrupt import Interrupt
from host.mcp.listing import ServedTool, StoreSignature
from host.paths import HostPaths
from host.policy import HostPolicy
from host.runner import PluginHost, RunOptions
from host.tools import ToolOutcome, run_tool
from sdk.errors import AccError

#: Calls that may wait behind the running call of one plugin.
MAX_WAITING = 16
#: Abandoned requests remembered until their call would start; the oldest is forgotten first.
MAX_ABANDONED = 256

#: ("log", plugin, level, message) or ("progress", plugin, done, total, message)
CallEvent = tuple[Any, ...]


@dataclass
class CallReport:
    """What one call tells the outside while it runs: events for the client, refusals for the audit."""

    #: The session the call belongs to (its wall time can stop the call).
    session: str = ""
    #: The JSON-RPC id of the request, as text (a client that goes away abandons it).
    request: str = ""
    #: Passes one event to the client, on the event loop; the worker thread waits for it (a
    #: plugin that logs a lot is slowed down, not buffered without bound).
    deliver: Callable[[CallEvent], Coroutine[Any, Any, None]] | None = None
    #: Whether the client would receive this event at all (asked on the worker thread, so an
    #: event nobody wants costs no trip to the event loop): a progress token was sent, the
    #: session's log level lets the line through.
    wanted: Callable[[CallEvent], bool] = lambda _event: True
    denials: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class LaneOptions:
    project_dir: Path | None
    policy: HostPolicy = field(default_factory=HostPolicy)
    max_result_chars: int = 100_000
    secret_source: Mapping[str, str] | None = None


class Lane:
    """The calls of one plugin: a host, a lock that orders them, an interrupt that stops them."""

    def __init__(self, plugin: str, paths: HostPaths, options: LaneOptions) -> None:
        self.plugin = plugin
        self.paths = paths
        self.options = options
        self.lock = anyio.Lock()
        self.interrupt = Interrupt()
        self.waiting = 0
        self.host: PluginHost | None = None
        self.signature: StoreSignature = None
        self.report: CallReport | None = None  # of the call running now
        self.running = False

    # -- what the worker thread reports, passed on to the event loop ----------------------------

    def _event(self, event: CallEvent) -> None:
        report = self.report
        if report is None or report.deliver is None or not report.wanted(event):
            return
        try:
            anyio.from_thread.run(report.deliver, event)
        except Exception:  # the loop is shutting down or the client is gone: nobody to tell
            return

    def _log(self, plugin: str, level: str, message: str) -> None:
        self._event(("log", plugin, level, message))

    def _progress(self, plugin: str, done: int, total: int, message: str) -> None:
        self._event(("progress", plugin, done, total, message))

    def _denied(self, plugin: str, kind: str, function: str) -> None:
        if self.report is not None:
            self.report.denials.append((plugin, kind, function))

    # -- on the worker thread --------------------------------------------------------------------

    def _host_for(self, signature: StoreSignature) -> PluginHost:
        if self.host is not None and self.signature != signature:
            self.host.close()  # another state of the store: nothing of the old one is reused
            self.host = None
        if self.host is None:
            options = RunOptions(
                project_dir=self.options.project_dir,
                policy=self.options.policy,
                emit_log=self._log,
                emit_progress=self._progress,
                interrupt=self.interrupt,
                on_denied=self._denied,
            )
            if self.options.secret_source is not None:
                options.secret_source = self.options.secret_source
            self.host = PluginHost(self.paths, options)
            self.signature = signature
        return self.host

    def serves(self, session: str, request: str | None = None) -> bool:
        """Whether the call running now belongs to `session` (and is its `request`, if given)."""
        report = self.report
        if not self.running or report is None or report.session != session:
            return False
        return request is None or report.request == request

    def involves(self, plugins: set[str]) -> bool:
        """Whether the call running now is of one of `plugins`, or has called one."""
        if not self.running:
            return False
        if self.plugin in plugins:
            return True
        host = self.host
        return host is not None and bool(plugins & set(host.call_stack()))

    def close(self) -> None:
        """Close the host (its plugins' cleanup runs) and the interrupt. On a worker thread."""
        if self.host is not None:
            self.host.close()
            self.host = None
        self.interrupt.close()


class Lanes:
    """All lanes of a server, made on first use."""

    def __init__(self, paths: HostPaths, options: LaneOptions) -> None:
        self.paths = paths
        self.options = options
        self._lanes: dict[str, Lane] = {}
        #: (session, request) of the calls waiting for their lane (a client may reuse an id).
        self._waiting: Counter[tuple[str, str]] = Counter()
        #: (session, request) -> why: waiting calls whose client went away.
        self._abandoned: OrderedDict[tuple[str, str], str] = OrderedDict()

    def lane(self, plugin: str) -> Lane:
        if plugin not in self._lanes:
            self._lanes[plugin] = Lane(plugin, self.paths, self.options)
        return self._lanes[plugin]

    def stop_session(self, session: str, reason: str) -> list[str]:
        """Stop every running call of `session`; return the lanes stopped."""
        stopped = []
        for lane in self._lanes.values():
            if lane.serves(session):
                lane.interrupt.fire(reason)
                stopped.append(lane.plugin)
        return stopped

    def abandon(self, session: str, request: str, reason: str) -> None:
        """The client of `request` is gone: stop its call if it runs, or never start it if it
        waits for its lane. (A request that already ended, or never reached a lane, is left
        alone: its id may come again.)"""
        for lane in self._lanes.values():
            if lane.serves(session, request):
                lane.interrupt.fire(reason)
                return
        if (session, request) in self._waiting:
            self._abandoned[(session, request)] = reason
            while len(self._abandoned) > MAX_ABANDONED:
                self._abandoned.popitem(last=False)

    def stop_involving(self, plugins: set[str], reason: str) -> list[str]:
        """Stop every running call of (or through) `plugins`; return the lanes stopped."""
        stopped = []
        for lane in self._lanes.values():
            if lane.involves(plugins):
                lane.interrupt.fire(reason)
                stopped.append(lane.plugin)
        return stopped

    async def call(
        self,
        served: ServedTool,
        arguments: Any,
        signature: StoreSignature,
        report: CallReport,
        *,
        cancel_reason: Callable[[], str] = lambda: "the request was cancelled",
    ) -> ToolOutcome:
        """Run one call in its plugin's lane and return what it did (never raises for the plugin).

        If the awaiting task is cancelled, the call is stopped with `cancel_reason()` and this
        waits, shielded, until the sandbox has stopped before re-raising.
        """
        lane = self.lane(served.plugin.name)
        started = time.monotonic()
        if lane.waiting >= MAX_WAITING:
            return _refused(
                served,
                arguments,
                started,
                f"{served.plugin.name} already has {MAX_WAITING} calls waiting; wait for them to finish",
            )
        key = (report.session, report.request)
        lane.waiting += 1
        self._waiting[key] += 1
        try:
            await lane.lock.acquire()
        finally:
            lane.waiting -= 1
            self._waiting[key] -= 1
            if self._waiting[key] <= 0:
                del self._waiting[key]
            # Taken whether the lane was acquired or the wait was cancelled: a mark left behind
            # would refuse a later request that reuses the id.
            gone = self._abandoned.pop(key, None) if report.request else None
        try:
            if gone is not None:
                stopped = _refused(served, arguments, started, f"stopped: {gone}", "limit")
                return replace(stopped, limit="stopped")
            outcome = await self._run(lane, served, arguments, signature, report, cancel_reason)
        finally:
            lane.lock.release()
        if outcome.is_error and lane.interrupt.is_set() and outcome.limit != "stopped":
            # Stopped inside a host call (a launched program killed, a fetch cut): the guest
            # saw a limit error and failed with it, but the call was stopped all the same.
            outcome = replace(outcome, limit="stopped")
        return outcome

    async def _run(
        self,
        lane: Lane,
        served: ServedTool,
        arguments: Any,
        signature: StoreSignature,
        report: CallReport,
        cancel_reason: Callable[[], str],
    ) -> ToolOutcome:
        finished = threading.Event()
        tools = {served.tool.name: served.tool}

        def work() -> ToolOutcome:
            try:
                try:
                    host = lane._host_for(signature)
                except AccError as e:  # the host cannot start (the project is refused, ...)
                    return _refused(served, arguments, time.monotonic(), f"failed: {e.diagnostics()}", "failed")
                return run_tool(host, tools, served.tool.name, arguments, self.options.max_result_chars)
            finally:
                lane.running = False
                finished.set()

        lane.interrupt.clear()
        lane.report = report
        lane.running = True
        try:
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            lane.interrupt.fire(cancel_reason())
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(finished.wait)
            raise
        finally:
            lane.report = None

    async def aclose(self) -> None:
        """Close every lane's host (its plugins' cleanup runs), off the event loop."""
        lanes, self._lanes = list(self._lanes.values()), {}
        with anyio.CancelScope(shield=True):
            for lane in lanes:
                async with lane.lock:
                    await anyio.to_thread.run_sync(lane.close)


def _refused(served: ServedTool, arguments: Any, started: float, text: str, kind: str = "busy") -> ToolOutcome:
    return ToolOutcome(
        served.tool.name,
        served.plugin.name,
        served.tool.command,
        arguments,
        text,
        True,
        time.monotonic() - started,
        error_kind=kind,
    )
