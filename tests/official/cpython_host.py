"""The official plugins' Python on the test's own CPython, wired to the host's real capability code.

Building a plugin is a componentize-py run plus a wasmtime compile (cached), and every
`PluginHost` still instantiates the component, about a second per test. Yet most of what
the official plugins do is plain Python: parse git's output, lint, render Markdown, read
JUnit reports. `acc_plugin` imports on any CPython, so that code can run here directly.
`CPythonHost` is the in-process stand-in for `PluginHost` that makes this work:

- each plugin's modules are imported from official_plugins/<dir>/ with their own command
  table (docs and testing both have a `coverage` command);
- `PROJECT` (the sandbox's /project) points at the test's project directory;
- capability calls reach the host's real bindings (`host.capabilities.bind_granted`, the
  very functions a sandbox is linked to): `process` with the host's program profiles and
  the OS sandbox, the SQLite kv store, and `plugins` calls into another plugin loaded
  here, mediated by `host.capabilities.plugins` exactly as for a component;
- a command runs as the `guest` export runs it: JSON in, JSON out, and a `PluginError`
  (or a crash) becomes the `PluginFailed` the host would raise.

What it cannot stand in for is the component and its sandbox: the WASI view of the
project (symlinks that leave it, a read-only mount), grants that are missing, the host's
input checks and the wasm boundary itself. The component tests (test_*_component.py)
keep those, and run every command of every official plugin at least once.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from host.capabilities import BindContext, Binding, bind_granted
from host.capabilities.errors import CapabilityError
from host.errors import PluginFailed
from host.paths import HostPaths
from host.policy import HostPolicy
from sdk.manifest import Manifest, load_manifest
from tests.helpers import PLUGIN_SOURCES, REPO

#: Where the guest library (`acc_plugin`) lives; a component gets it from the build.
GUEST_SDK = REPO / "sdk" / "guest"
OFFICIAL = ("git", "code-quality", "docs", "testing")
_MAX_TRACE = 4000  # as the guest export keeps it

for _directory in (GUEST_SDK, *(PLUGIN_SOURCES[name] for name in OFFICIAL)):
    if str(_directory) not in sys.path:
        sys.path.insert(0, str(_directory))

import acc_plugin  # noqa: E402  (importable once sdk/guest is on the path)
from acc_plugin import _capabilities, _errors, _registry  # noqa: E402

#: The sandbox's project directory, as the plugins' modules captured it at import.
SANDBOX_PROJECT = _capabilities.PROJECT


@dataclass(frozen=True)
class LoadedPlugin:
    manifest: Manifest
    commands: Mapping[str, Callable[..., Any]]
    #: The plugin's own modules: those that hold a `PROJECT` get the test's project.
    modules: tuple[ModuleType, ...]


_loaded: dict[str, LoadedPlugin] = {}


def load_plugin(name: str) -> LoadedPlugin:
    """Import an official plugin once per test session, keeping its command table apart."""
    if name not in _loaded:
        source = PLUGIN_SOURCES[name]
        manifest = load_manifest((source / "plugin.toml").read_text())
        shared = _registry._commands
        _registry._commands = {}  # `command()` registers into whatever table is current
        try:
            importlib.import_module(manifest.module)
            commands = dict(_registry._commands)
        finally:
            _registry._commands = shared
        modules = tuple(
            module
            for module in list(sys.modules.values())
            if getattr(module, "__file__", None) and Path(module.__file__).resolve().is_relative_to(source)
        )
        _loaded[name] = LoadedPlugin(manifest, commands, modules)
    return _loaded[name]


class CPythonHost:
    """Runs official plugins' commands in this process, like `PluginHost.run` does in a sandbox.

    Every plugin named in `installed` gets every capability its manifest asks for, less
    `deny`; `state` holds their kv stores. Log lines go to `logs` as "level: message".
    """

    def __init__(
        self,
        project: Path,
        state: Path,
        monkeypatch: pytest.MonkeyPatch,
        *,
        installed: tuple[str, ...] = OFFICIAL,
        deny: Mapping[str, tuple[str, ...]] | None = None,
        user_config_environment: Mapping[str, str] | None = None,
        policy: HostPolicy | None = None,
    ) -> None:
        self.project = project
        self.state = state
        self.installed = installed
        self.deny = dict(deny or {})
        self.user_config_environment = dict(user_config_environment or {})
        self.policy = policy or HostPolicy()
        self.logs: list[str] = []
        self._stack: list[str] = []
        self._bindings: dict[str, dict[str, Binding]] = {}
        self._closers: list[Callable[[], None]] = []
        monkeypatch.setattr(_capabilities, "_call", self._call)
        monkeypatch.setattr(acc_plugin.log, "_emit", lambda level, message: self.logs.append(f"{level}: {message}"))
        for name in installed:
            for module in load_plugin(name).modules:
                if getattr(module, "PROJECT", None) == SANDBOX_PROJECT:
                    monkeypatch.setattr(module, "PROJECT", str(project))

    def granted(self, plugin: str) -> frozenset[str]:
        manifest = load_plugin(plugin).manifest
        return frozenset(manifest.capabilities) - set(self.deny.get(plugin, ()))

    def run(self, plugin: str, command: str, value: Mapping[str, Any] | None = None) -> Any:
        """Run `command` of `plugin` with the JSON input `value`; its JSON result, or PluginFailed."""
        if plugin not in self.installed:
            raise AssertionError(f"{plugin} is not installed in this CPythonHost")
        loaded = load_plugin(plugin)
        spec = loaded.manifest.command(command)
        assert spec is not None, f"{plugin} has no command {command}"
        # The host refuses input its schema does not allow before the plugin runs (tested
        # in the component tests); here a test giving such input is a broken test.
        jsonschema.validate(dict(value or {}), spec.input_schema)
        arguments = json.loads(json.dumps(dict(value or {})))
        saved = dict(_registry.config)
        _registry.config.clear()
        _registry.config.update(self._config(plugin))
        self._stack.append(plugin)
        try:
            return json.loads(json.dumps(loaded.commands[command](**arguments)))
        except _errors.PluginError as e:
            raise PluginFailed(e.kind, str(e), plugin=plugin, command=command) from e
        except (MemoryError, RecursionError) as e:
            raise PluginFailed("limit", f"{type(e).__name__} in the plugin", plugin=plugin, command=command) from e
        except Exception as e:  # the guest export reports any other exception as `failed`, with its trace
            summary = "".join(traceback.format_exception_only(type(e), e)).strip()
            trace = "".join(traceback.format_tb(e.__traceback__))[-_MAX_TRACE:]
            raise PluginFailed("failed", f"{summary}\n{trace}", plugin=plugin, command=command) from e
        finally:
            self._stack.pop()
            _registry.config.clear()
            _registry.config.update(saved)

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self._closers.clear()
        self._bindings.clear()

    # -- what the sandbox provides ---------------------------------------------------------------

    def _config(self, plugin: str) -> dict[str, Any]:
        """What `initialize` receives (see host/sandbox.py), with the project at its real path."""
        manifest = load_plugin(plugin).manifest
        granted = self.granted(plugin)
        return {
            "plugin": manifest.name,
            "version": str(manifest.version),
            "project": str(self.project) if "fs" in granted else None,
            "granted": sorted(granted),
        }

    def _call(self, interface: str, function: str, *args: Any) -> Any:
        """`acc_plugin`'s single door to the host: the real binding, its errors as the guest's errors."""
        plugin = self._stack[-1]
        manifest = load_plugin(plugin).manifest
        if interface not in manifest.capabilities:
            raise _errors.Denied(f"this plugin's manifest does not declare the {interface} capability")
        binding = self._bound(plugin).get(interface)
        if binding is None:
            raise _errors.Denied(f"{plugin} was not granted {interface} in this test")
        if function not in binding.functions:
            raise AssertionError(f"CPythonHost: the {interface} binding has no {function}")
        try:
            return binding.functions[function](*args)
        except CapabilityError as e:
            raise _errors._KINDS.get(e.kind, _errors.Failed)(e.message) from None

    def _bound(self, plugin: str) -> dict[str, Binding]:
        if plugin not in self._bindings:
            manifest = load_plugin(plugin).manifest
            context = BindContext(
                manifest=manifest,
                paths=HostPaths(home=self.state, cache=self.state / "cache"),
                policy=self.policy,
                project_dir=self.project,
                secret_source={},
                user_config_environment=self.user_config_environment,
                llm=self._no_llm,
                plugins=self,
                on_close=self._closers.append,
                granted=self.granted(plugin),
                fail_run=self._fail_run,
            )
            self._bindings[plugin] = bind_granted(manifest, self.granted(plugin), context)
        return self._bindings[plugin]

    @staticmethod
    def _fail_run(error: Exception) -> None:
        raise AssertionError(f"the run would fail: {error}")

    @staticmethod
    def _no_llm() -> Any:
        raise AssertionError("CPythonHost does not provide llm")

    # -- what `host.capabilities.plugins` asks of a host (PluginCalls) ---------------------------

    def call_stack(self) -> list[str]:
        return list(self._stack)

    def run_plugin(self, name: str, command: str, value: Any) -> Any:
        return self.run(name, command, value)

    def deliver_event(self, plugin: str, topic: str, payload: str) -> bool:
        return False
