"""Running installed plugins: input validation, sandboxes per plugin, inter-plugin calls.

`PluginHost` is what the CLI (and later the agent) talks to. It opens one sandbox per
plugin on first use, validates each command's input against the manifest's schema
before the plugin sees it, and mediates the `plugins` capability: a callee runs in its
own sandbox under its own grants, calls are depth-limited, and cycles are refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from host.capabilities import BindContext, bind_granted
from host.errors import InputError, PluginFailed
from host.logsink import Emitter, LogSink, ProgressEmitter
from host.paths import HostPaths
from host.policy import HostPolicy
from host.sandbox import Sandbox, SandboxSpec
from host.store import InstalledPlugin, LocalStore
from sdk.manifest import Manifest

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
    """Runs commands of installed plugins. A context manager: closing drops every sandbox."""

    def __init__(self, paths: HostPaths, options: RunOptions | None = None) -> None:
        self.paths = paths
        self.store = LocalStore(paths)
        self.options = options or RunOptions()
        self._sandboxes: dict[str, Sandbox] = {}
        self._closers: list[Any] = []
        self._stack: list[str] = []

    def __enter__(self) -> PluginHost:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        for sandbox in self._sandboxes.values():
            sandbox.close()
        self._sandboxes.clear()
        for closer in self._closers:
            closer()
        self._closers.clear()

    # -- running -----------------------------------------------------------------------------

    def run(self, name: str, command: str, input_value: Any) -> Any:
        """Validate `input_value`, run the command, return its decoded JSON result."""
        sandbox = self._sandboxes.get(name) or self.sandbox(self.store.get(name))
        input_json = validate_input(sandbox.manifest, command, input_value, self.options.policy)
        self._stack.append(name)
        try:
            result_json = sandbox.execute(command, input_json)
        finally:
            self._stack.pop()
        try:
            return json.loads(result_json)
        except json.JSONDecodeError as e:
            raise PluginFailed("failed", f"returned invalid JSON ({e})", plugin=name, command=command) from e

    def sandbox(self, installed: InstalledPlugin) -> Sandbox:
        existing = self._sandboxes.get(installed.name)
        if existing is not None:
            return existing
        manifest = installed.manifest()
        log = LogSink(
            installed.name,
            self.options.emit_log,
            self.options.policy.max_log_bytes,
            emit_progress=self.options.emit_progress,
        )
        context = BindContext(
            manifest=manifest,
            paths=self.paths,
            policy=self.options.policy,
            project_dir=self.options.project_dir,
            secret_source=self.options.secret_source,
            user_config_environment=self.options.user_config_environment,
            llm=self._llm_gateway,
            plugins=self,
            on_close=self._closers.append,
            interrupt=self.options.interrupt,
        )
        spec = SandboxSpec(
            manifest=manifest,
            wasm_path=installed.wasm_path,
            wasm_sha256=installed.wasm_sha256,
            cache_dir=self.paths.compiled,
        )
        on_denied = self.options.on_denied
        sandbox = Sandbox(
            spec,
            bind_granted(manifest, installed.granted, context),
            log,
            self.options.policy,
            interrupt=self.options.interrupt,
            on_denied=(lambda kind, function: on_denied(installed.name, kind, function)) if on_denied else None,
        )
        self._sandboxes[installed.name] = sandbox
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

    def call_stack(self) -> list[str]:
        """The plugins mid-call, outermost first (the `plugins` capability refuses cycles with it)."""
        return list(self._stack)

    def run_plugin(self, name: str, command: str, value: Any) -> Any:
        return self.run(name, command, value)

    def deliver_event(self, plugin: str, topic: str, payload: str) -> bool:
        installed = self.store.find(plugin)
        if installed is None:
            return False
        self._stack.append(plugin)
        try:
            self.sandbox(installed).on_event(topic, payload)
        finally:
            self._stack.pop()
        return True


_validators: dict[tuple[str, str, str], Any] = {}


def _validator(manifest: Manifest, command: str, schema: Mapping[str, Any]) -> Any:
    # Building a validator costs more than running it: keep one per plugin version and command.
    key = (manifest.name, str(manifest.version), command)
    if key not in _validators:
        import jsonschema

        _validators[key] = jsonschema.Draft202012Validator(dict(schema))
    return _validators[key]


def validate_input(manifest: Manifest, command: str, value: Any, policy: HostPolicy) -> str:
    """Check `value` against the command's input schema; return it as JSON text."""
    spec = manifest.command(command)
    if spec is None:
        known = ", ".join(c.name for c in manifest.commands)
        raise InputError(f"{manifest.name} has no command {command!r}", hint=f"its commands: {known}")
    text = json.dumps(value)
    if len(text) > policy.max_input_bytes:
        raise InputError(f"input is larger than {policy.max_input_bytes} bytes")
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator(manifest, command, spec.input_schema).iter_errors(value))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(
            f"input for {manifest.name} {command} is invalid at {where}: {error.message}",
            hint=f"see `acc plugin info {manifest.name}` for the command's input schema",
        )
    return text


def parse_input(text: str) -> Any:
    """Parse --input; a clear error instead of a JSON traceback."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(
            f"--input is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}",
            hint="""quote it for the shell, e.g. --input '{"name": "x"}'""",
        ) from e
