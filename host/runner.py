"""Running installed plugins: input validation, sandboxes per plugin, inter-plugin calls.

`PluginHost` is what the CLI (and later the agent) talks to. It opens one sandbox per
plugin on first use, validates each command's input against the manifest's schema
before the plugin sees it, and mediates the `plugins` capability: a callee runs in its
own sandbox under its own grants, calls are depth-limited, and cycles are refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from host.capabilities import Denied, Failed, Invalid, LimitHit
from host.errors import InputError, PluginFailed, StoreError
from host.linking import CapabilityServices, make_record
from host.logsink import Emitter, LogSink
from host.paths import HostPaths
from host.policy import HostPolicy
from host.sandbox import Sandbox, SandboxSpec
from host.store import InstalledPlugin, LocalStore
from sdk.manifest import Manifest

if TYPE_CHECKING:
    from host.capabilities.llm import LlmGateway


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
        log = LogSink(installed.name, self.options.emit_log, self.options.policy.max_log_bytes)
        spec = SandboxSpec(
            manifest=manifest,
            wasm_path=installed.wasm_path,
            wasm_sha256=installed.wasm_sha256,
            granted=installed.granted,
            project_dir=self.options.project_dir,
            cache_dir=self.paths.compiled,
        )
        sandbox = Sandbox(spec, self._services(manifest, installed.granted), log, self.options.policy)
        self._sandboxes[installed.name] = sandbox
        return sandbox

    # -- capability services -----------------------------------------------------------------

    def _services(self, manifest: Manifest, granted: frozenset[str]) -> CapabilityServices:
        services = CapabilityServices()
        caps = manifest.capabilities
        if "process" in caps and "process" in granted:
            services.functions["process"] = {"run": self._process_run(manifest)}
        if "http" in caps and "http" in granted:
            services.functions["http"] = {"fetch": self._http_fetch(manifest)}
        if "kv" in caps and "kv" in granted:
            services.functions["kv"] = self._kv(manifest)
        if "llm" in caps and "llm" in granted:
            gateway = self._llm_gateway()
            name, granted_tokens = manifest.name, caps["llm"].max_tokens
            services.functions["llm"] = {"complete": lambda request: gateway.complete(name, granted_tokens, request)}
        if "secrets" in caps and "secrets" in granted:
            from host.capabilities.secrets import SecretsScope, get_secret

            scope = SecretsScope(caps["secrets"].secrets, self.options.secret_source)
            services.functions["secrets"] = {"get": lambda name: get_secret(scope, name)}
        if "plugins" in caps and "plugins" in granted:
            allowed = caps["plugins"].plugins
            services.functions["plugins"] = {
                "call": lambda plugin, command, input_json: self._plugin_call(
                    manifest.name, allowed, plugin, command, input_json
                ),
                "emit": lambda topic, payload: self._emit(manifest.name, allowed, topic, payload),
            }
        return services

    def _process_run(self, manifest: Manifest) -> Any:
        from host.capabilities.process import ProcessScope, run_program

        project = self.options.project_dir or Path.cwd()
        scope = ProcessScope(
            programs=manifest.capabilities["process"].programs,
            project_dir=project,
            user_config_environment=self.options.user_config_environment,
        )

        def run(program: str, args: list[str], stdin: bytes) -> Any:
            out = run_program(scope, program, list(args), bytes(stdin))
            return make_record(status=out.status, stdout=out.stdout, stderr=out.stderr, truncated=out.truncated)

        return run

    def _http_fetch(self, manifest: Manifest) -> Any:
        from host.capabilities.http import HttpRequest, HttpScope, fetch

        scope = HttpScope(hosts=manifest.capabilities["http"].hosts)

        def do_fetch(request: Any) -> Any:
            req = HttpRequest(
                method=request.method,
                url=request.url,
                headers=[(str(k), str(v)) for k, v in request.headers],
                body=bytes(request.body),
            )
            resp = fetch(scope, req)
            return make_record(status=resp.status, headers=list(resp.headers), body=resp.body)

        return do_fetch

    def _llm_gateway(self) -> LlmGateway:
        if self.options.llm is None:
            from host.agent.client import MessagesClient, api_settings
            from host.agent.loop import DEFAULT_MODEL
            from host.capabilities.llm import LlmGateway

            environment = dict(os.environ)
            self.options.llm = LlmGateway(
                client=lambda: MessagesClient(api_settings(environment)), default_model=DEFAULT_MODEL
            )
        return self.options.llm

    def _kv(self, manifest: Manifest) -> dict[str, Any]:
        from host.capabilities.kv import KvScope, KvStore

        quota = min(manifest.capabilities["kv"].quota_bytes, self.options.policy.max_kv_quota_bytes)
        store = KvStore(KvScope(self.paths.kv / f"{manifest.name}.sqlite3", quota))
        self._closers.append(store.close)
        return {"get": store.get, "set": store.set, "delete": store.delete, "list-keys": store.list_keys}

    def _plugin_call(self, caller: str, allowed: tuple[str, ...], plugin: str, command: str, input_json: str) -> str:
        if plugin not in allowed:
            raise Denied(f"{caller} may call only {', '.join(allowed)}, not {plugin}")
        if plugin in self._stack:
            chain = " → ".join([*self._stack, plugin])
            raise Denied(f"call cycle refused: {chain}")
        if len(self._stack) >= self.options.policy.max_call_depth:
            raise LimitHit(f"plugin calls nested deeper than {self.options.policy.max_call_depth}")
        try:
            value = json.loads(input_json)
        except json.JSONDecodeError as e:
            raise Invalid(f"input for {plugin} {command} is not JSON: {e}") from e
        try:
            return json.dumps(self.run(plugin, command, value))
        except PluginFailed as e:
            raise _capability_error(e.kind, f"{plugin} {command}: {e.detail}") from e
        except InputError as e:
            raise Invalid(e.message) from e
        except StoreError as e:  # the callee is not installed: say so, and how to install it
            raise Failed(f"{e.message}; {e.hint}" if e.hint else e.message) from e

    def _emit(self, caller: str, allowed: tuple[str, ...], topic: str, payload: str) -> None:
        for plugin in allowed:
            if plugin in self._stack:
                continue  # never re-enter a plugin that is mid-call
            installed = self.store.find(plugin)
            if installed is None:
                continue
            self._stack.append(plugin)
            try:
                self.sandbox(installed).on_event(topic, payload)
            finally:
                self._stack.pop()


def _capability_error(kind: str, message: str) -> Exception:
    from host.capabilities import CapabilityError

    cls = {"denied": Denied, "invalid": Invalid, "limit": LimitHit}.get(kind, Failed)
    error: CapabilityError = cls(message)
    return error


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
