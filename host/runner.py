"""Running installed plugins: input validation, sandboxes per plugin, inter-plugin calls.

`PluginHost` is what the CLI, the agent and the MCP server talk to. It opens one sandbox
per plugin on first use, validates each command's input against the manifest's schema
before the plugin sees it, and mediates the `plugins` capability: a callee runs in its
own sandbox under its own grants, calls are depth-limited, and cycles are refused.

A long-lived host (the MCP server, an agent run) keeps memory bounded: at most
`HostPolicy.max_live_sandboxes` sandboxes stay open; opening one more closes the least
recently used that is not mid-call (its cleanup runs, its bindings close), and its next
call opens it again from the compiled cache (milliseconds; see docs/performance.md).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from host.capabilities import BindContext, bind_granted
from host.deadline import within
from host.errors import InputError, LoadError, PluginFailed
from host.input_validation import validate_input
from host.logsink import Emitter, LogSink, ProgressEmitter
from host.paths import HostPaths
from host.plugin_json import PluginJsonError, decode
from host.policy import HostPolicy
from host.project_guard import check_project
from host.sandbox import Sandbox, SandboxSpec
from host.store import InstalledPlugin, LocalStore
from host.verdict import Verdict, verdict_of
from sdk.errors import AccError

if TYPE_CHECKING:
    from host.capabilities.llm import LlmGateway
    from host.interrupt import Interrupt


@dataclass
class RunOptions:
    project_dir: Path | None = None
    policy: HostPolicy = field(default_factory=HostPolicy)
    emit_log: Emitter | None = None
    #: Where `secrets` grants read from; captured once from the acc process's environment.
    secret_source: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    #: Where the user's own git config lives (HOME, XDG_CONFIG_HOME): acc reads the commit
    #: identity from it when a project's repository sets none. Programs never see it.
    user_config_environment: Mapping[str, str] = field(
        default_factory=lambda: {name: os.environ[name] for name in ("HOME", "XDG_CONFIG_HOME") if os.environ.get(name)}
    )
    #: How `llm` grants reach Claude; None: a gateway from ANTHROPIC_API_KEY, made on first use.
    llm: LlmGateway | None = None
    #: `log.progress` calls as numbers (besides the log line each makes).
    emit_progress: ProgressEmitter | None = None
    #: Stops the call under way from another thread (see `host.interrupt`); None: calls run to their limits.
    interrupt: Interrupt | None = None
    #: Told of each refused capability call: (plugin, capability kind, function).
    on_denied: Callable[[str, str, str], None] | None = None


class PluginHost:
    """Runs commands of installed plugins. A context manager: closing drops every sandbox.

    Raises `ProjectRefused` for a project that holds acc's own state (`host.project_guard`).
    """

    def __init__(self, paths: HostPaths, options: RunOptions | None = None) -> None:
        self.paths = paths
        self.store = LocalStore(paths)
        self.options = options or RunOptions()
        if self.options.project_dir is not None:
            check_project(self.options.project_dir, paths)
        #: Open sandboxes, least recently used first; each with the closers of its bindings.
        self._sandboxes: OrderedDict[str, Sandbox] = OrderedDict()
        self._closers: dict[str, list[Callable[[], None]]] = {}
        self._stack: list[str] = []
        self._run_failures: list[AccError] = []
        self._closing = False

    def __enter__(self) -> PluginHost:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Run each plugin's cleanup, under its own time limit, and drop every sandbox.

        A cleanup is a call like any other: its plugin is on the call stack while it runs,
        so a cleanup that reaches its own plugin (directly or through another) is refused
        as a cycle. Plugins it calls that are still open answer; a plugin already closed,
        or one not opened before the host began closing, is refused with a clear error.
        """
        self._closing = True
        for name, sandbox in list(self._sandboxes.items()):
            self._stack.append(name)
            try:
                sandbox.close()
            finally:
                self._stack.pop()
        self._sandboxes.clear()
        for closers in self._closers.values():
            for closer in closers:
                closer()
        self._closers.clear()

    def _close_sandbox(self, name: str) -> None:
        """Run one plugin's cleanup (as a call of that plugin), drop its sandbox, close its bindings."""
        sandbox = self._sandboxes.pop(name)
        self._stack.append(name)
        try:
            sandbox.close()
        finally:
            self._stack.pop()
            for closer in self._closers.pop(name, []):
                closer()

    def _trim(self, room: int = 0) -> None:
        """Close least recently used sandboxes until `room` more fit under the limit; never
        one mid-call (a call chain longer than the limit keeps its plugins open until it ends)."""
        idle = [name for name in self._sandboxes if name not in self._stack]
        excess = len(self._sandboxes) + room - self.options.policy.max_live_sandboxes
        for name in idle[: max(excess, 0)]:
            self._close_sandbox(name)

    def live_sandboxes(self) -> list[str]:
        """The plugins whose sandboxes are open, least recently used first."""
        return list(self._sandboxes)

    # -- running -----------------------------------------------------------------------------

    def run(self, name: str, command: str, input_value: Any) -> Any:
        """Validate `input_value`, run the command, return its decoded JSON result.

        The whole call, validation included, runs under the plugin's time limit; a call
        nested in another plugin's keeps the outer deadline when that is sooner.
        """
        sandbox = self._open(name)
        self._sandboxes.move_to_end(name)
        with within(name, sandbox.timeout):
            input_json = validate_input(sandbox.manifest, command, input_value, self.options.policy)
            self._stack.append(name)
            try:
                result_json = sandbox.execute(command, input_json)
            finally:
                self._stack.pop()
                if name in self._sandboxes:
                    self._sandboxes.move_to_end(name)  # a caller is used later than its callees
                if not self._stack and not self._closing:
                    self._trim()
                failure = self._take_run_failure()
                if failure is not None:
                    raise failure
        try:
            return decode(result_json)
        except PluginJsonError as e:
            raise PluginFailed(
                "failed", f"returned a result that is not plain JSON: {e}", plugin=name, command=command
            ) from e

    def _open(self, name: str) -> Sandbox:
        sandbox = self._sandboxes.get(name)
        if self._closing and (sandbox is None or sandbox.closed):
            raise LoadError(
                f"{name} cannot run: the host is closing its plugins"
                + (f" and {name} is already closed" if sandbox is not None else "")
            )
        return sandbox or self.sandbox(self.store.runnable(name))  # a disabled plugin does not run

    def verdict(self, name: str, command: str, result: Any) -> Verdict:
        """What `result`, a result of `name`'s `command`, says about success (see `host.verdict`)."""
        sandbox = self._sandboxes.get(name)
        manifest = sandbox.manifest if sandbox is not None else self.store.get(name).manifest()
        spec = manifest.command(command)
        return verdict_of(spec, result) if spec is not None else Verdict(None)

    def sandbox(self, installed: InstalledPlugin) -> Sandbox:
        existing = self._sandboxes.get(installed.name)
        if existing is not None:
            self._sandboxes.move_to_end(installed.name)
            return existing
        if not self._closing:
            self._trim(room=1)
        manifest = installed.manifest()
        closers: list[Callable[[], None]] = []
        log = LogSink(
            installed.name,
            self.options.emit_log,
            max_bytes=self.options.policy.max_log_bytes,
            max_records=self.options.policy.max_log_records,
            emit_progress=self.options.emit_progress,
        )
        context = BindContext(
            manifest=manifest,
            granted=installed.granted,
            paths=self.paths,
            policy=self.options.policy,
            project_dir=self.options.project_dir,
            secret_source=self.options.secret_source,
            user_config_environment=self.options.user_config_environment,
            llm=self._llm_gateway,
            plugins=self,
            on_close=closers.append,
            fail_run=self._run_failures.append,
            read_only=installed.read_only,
            interrupt=self.options.interrupt,
        )
        spec = SandboxSpec(
            manifest=manifest,
            wasm_path=installed.wasm_path,
            wasm_sha256=installed.wasm_sha256,
            cache_dir=self.paths.compiled,
        )
        on_denied = self.options.on_denied
        try:
            sandbox = Sandbox(
                spec,
                bind_granted(manifest, installed.granted, context),
                log,
                self.options.policy,
                interrupt=self.options.interrupt,
                on_denied=(lambda kind, function: on_denied(installed.name, kind, function)) if on_denied else None,
            )
        except BaseException:
            for closer in closers:
                closer()
            raise
        self._sandboxes[installed.name] = sandbox
        self._closers[installed.name] = closers
        return sandbox

    # -- what capability bindings ask of the host ----------------------------------------------

    def _llm_gateway(self) -> LlmGateway:
        if self.options.llm is None:
            from host.capabilities.llm import LlmGateway
            from host.messages import DEFAULT_MODEL, MessagesClient, api_settings

            environment = dict(os.environ)
            self.options.llm = LlmGateway(
                client=lambda: MessagesClient(api_settings(environment)), default_model=DEFAULT_MODEL
            )
        return self.options.llm

    def _take_run_failure(self) -> AccError | None:
        """A capability's error for the user (no OS sandbox), once the outermost call is over.

        The plugin got the capability error and may have carried on; the user still has
        to see why, and what to do: the command fails with it.
        """
        if self._stack or not self._run_failures:
            return None
        failure = self._run_failures[0]
        self._run_failures.clear()
        return failure

    def call_stack(self) -> list[str]:
        """The plugins mid-call, outermost first (the `plugins` capability refuses cycles with it)."""
        return list(self._stack)

    def run_plugin(self, name: str, command: str, value: Any) -> Any:
        return self.run(name, command, value)

    def deliver_event(self, plugin: str, topic: str, payload: str) -> bool:
        if self._closing:
            return False  # events are news for plugins that go on running
        installed = self.store.find(plugin)
        if installed is None or not installed.enabled:
            return False
        self._stack.append(plugin)
        try:
            self.sandbox(installed).on_event(topic, payload)
        finally:
            self._stack.pop()
        return True


def parse_input(text: str, *, source: str = "--input", hint: str | None = None) -> Any:
    """Parse --input (or the file or stdin it names: `source`); a clear error instead of a
    JSON traceback."""
    try:
        return decode(text)
    except PluginJsonError as e:
        raise InputError(
            f"{source} is refused: {e}",
            hint=hint or """quote it for the shell, e.g. --input '{"name": "x"}'""",
        ) from e
