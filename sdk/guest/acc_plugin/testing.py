"""acc_plugin.testing: unit-test a plugin's commands on plain CPython against a fake host.

Inside a component, `acc_plugin.process.run(...)` and the other capability calls go to the
host. On CPython there is no host, so a test says what the host would answer:

    from acc_plugin.testing import FakeHost

    def test_status_of_a_clean_tree(tmp_path):
        answers = {"git": lambda args, stdin: (0, "## main\\n")}
        with FakeHost(plugin_dir=PLUGIN_DIR, project=tmp_path, process=answers) as host:
            assert my_plugin.status() == {"branch": "main", "clean": True}
        assert host.calls == [Call("process", "run", ("git", ["status", "--porcelain=v1", "-b"], b""))]

What it fakes, as the host does it:

- which capabilities exist: those `plugin_dir`'s plugin.toml declares (or `declared`); a
  call to one the manifest does not declare raises `Denied`, as in a component;
- which are granted (`granted`, default: all declared); a declared kind not granted
  answers every call with `Denied` and the host's message, so a test can check that a
  command degrades gracefully;
- `fs`: `project` is the directory the plugin sees as `acc_plugin.PROJECT` (module
  globals still holding "/project" from `from acc_plugin import PROJECT` are pointed at
  it for the duration), and `config["project"]`;
- `process`: `{program: answer}`; an answer is a `(status, stdout[, stderr])` tuple, the
  stdout alone (str or bytes, status 0), or a function `(args, stdin) -> answer`; a
  program not in the mapping is refused with `Denied` as the grant would;
- `http`: `{url or "METHOD url": answer}`; an answer is `(status, body)`,
  `(status, headers, body)`, a body (str, bytes, or anything JSON-encodable, status 200),
  or a function `(method, url, headers, body) -> answer`; a URL with no answer raises
  `NoFakeAnswer` (a test failure, not something the plugin can catch as a PluginError);
- `kv`: a dict the plugin reads and writes (`host.kv`, values bytes);
- `secrets`: `{name: value}`; other names are refused with `Denied`;
- `llm`: a function `(request dict) -> response dict`;
- `plugins`: `{"plugin command" or "plugin": answer}`, an answer being a value or a
  function `(input dict) -> value`; `host.emitted` records `plugins.emit(topic, payload)`.

`host.calls` lists every capability call as `Call(kind, function, args)` and `host.logs`
every `acc_plugin.log` line as `(level, message)`. Not thread-safe; one FakeHost at a time.
"""

from __future__ import annotations

import enum
import json
import sys
import tomllib
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import acc_plugin
from acc_plugin import _capabilities, _registry

__all__ = ["Call", "FakeHost", "NoFakeAnswer"]

_GUEST_PROJECT = "/project"
_INTERFACES = ("process", "http", "kv", "llm", "plugins", "secrets")


class Call(NamedTuple):
    """One capability call the plugin made: e.g. `Call("process", "run", ("git", ["status"], b""))`."""

    kind: str
    function: str
    args: tuple[Any, ...]


class NoFakeAnswer(AssertionError):
    """The plugin asked for something the test gave no answer for."""


class _WitError:
    """The shape of componentize-py's generated `Error_Denied(value)` and its siblings."""

    def __init__(self, value: str) -> None:
        self.value = value


_ERRORS = {kind: type(f"Error_{kind.title()}", (_WitError,), {}) for kind in ("denied", "invalid", "failed", "limit")}


class _Err(Exception):
    """componentize_py_types.Err: how a host error reaches the guest."""

    def __init__(self, value: Any) -> None:
        super().__init__(value)
        self.value = value


def _deny(message: str) -> _Err:
    return _Err(_ERRORS["denied"](message))


@dataclass
class _Completed:
    status: int
    stdout: bytes
    stderr: bytes
    truncated: bool = False


@dataclass
class _Request:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class _Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class _Level(enum.Enum):
    TRACE = "trace"
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


@dataclass
class FakeHost:
    """A stand-in for the acc host while a `with` block runs (see the module docstring)."""

    plugin_dir: str | Path | None = None
    declared: Iterable[str] | None = None
    granted: Iterable[str] | None = None
    project: str | Path | None = None
    process: Mapping[str, Any] = field(default_factory=dict)
    http: Mapping[str, Any] = field(default_factory=dict)
    kv: dict[str, bytes] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    llm: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    plugins: Mapping[str, Any] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list, init=False)
    logs: list[tuple[str, str]] = field(default_factory=list, init=False)
    emitted: list[tuple[str, Any]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        manifest: dict[str, Any] = {}
        if self.plugin_dir is not None:
            with open(Path(self.plugin_dir) / "plugin.toml", "rb") as f:
                manifest = tomllib.load(f)
        if self.declared is not None:
            kinds = set(self.declared)
        elif self.plugin_dir is not None:
            kinds = set(manifest.get("capabilities", {}))
        else:
            given = {"process": self.process, "http": self.http, "kv": self.kv, "secrets": self.secrets,
                     "llm": self.llm, "plugins": self.plugins, "fs": self.project}  # fmt: skip
            kinds = {kind for kind, answer in given.items() if answer}
        self._declared = frozenset(kinds)
        self._granted = self._declared if self.granted is None else frozenset(self.granted) & self._declared
        self._name = str(manifest.get("name", "plugin"))
        self._version = str(manifest.get("version", "0.0.0"))
        self._saved_modules: dict[str, Any] = {}
        self._saved_globals: list[tuple[Any, str, Any]] = []
        self._saved_config: dict[str, Any] = {}

    # -- entering and leaving ----------------------------------------------------------------

    def __enter__(self) -> FakeHost:
        modules: dict[str, Any] = {
            "componentize_py_types": types.SimpleNamespace(Err=_Err),
            "wit_world": types.ModuleType("wit_world"),
        }
        imports = types.ModuleType("wit_world.imports")
        modules["wit_world.imports"] = imports
        modules["wit_world.imports.log"] = self._log_module()
        modules["wit_world.imports.types"] = types.SimpleNamespace(**{c.__name__: c for c in _ERRORS.values()})
        for kind in _INTERFACES:
            if kind in self._declared:
                modules[f"wit_world.imports.{kind}"] = self._module(kind)
        for name, module in modules.items():
            self._saved_modules[name] = sys.modules.get(name)
            sys.modules[name] = module
        self._saved_config = dict(_registry.config)
        project = str(self.project) if self.project is not None and "fs" in self._granted else None
        _registry.config.clear()
        _registry.config.update(
            {"plugin": self._name, "version": self._version, "project": project, "granted": sorted(self._granted)}
        )
        if project is not None:
            self._point_project_at(project)
        return self

    def __exit__(self, *_exc: object) -> None:
        for name, module in self._saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        self._saved_modules.clear()
        for owner, name, value in reversed(self._saved_globals):
            setattr(owner, name, value)
        self._saved_globals.clear()
        _registry.config.clear()
        _registry.config.update(self._saved_config)

    def _point_project_at(self, project: str) -> None:
        owners = [acc_plugin, _capabilities]
        owners += [m for m in list(sys.modules.values()) if getattr(m, "PROJECT", None) == _GUEST_PROJECT]
        for owner in owners:
            if getattr(owner, "PROJECT", None) == _GUEST_PROJECT:
                self._saved_globals.append((owner, "PROJECT", owner.PROJECT))
                owner.PROJECT = project

    # -- the fake interfaces -----------------------------------------------------------------

    def _record(self, kind: str, function: str, *args: Any) -> None:
        self.calls.append(Call(kind, function, args))

    def _log_module(self) -> Any:
        def log(level: _Level, message: str) -> None:
            self.logs.append((level.value, message))

        def progress(done: int, total: int, message: str) -> None:
            self.logs.append(("progress", f"{done}/{total} {message}".rstrip()))

        return types.SimpleNamespace(Level=_Level, log=log, progress=progress)

    def _module(self, kind: str) -> Any:
        functions = {
            "process": {"run": self._run},
            "http": {"fetch": self._fetch, "Request": _Request},
            "kv": {"get": self._kv_get, "set": self._kv_set, "delete": self._kv_delete, "list_keys": self._kv_keys},
            "llm": {"complete": self._complete},
            "plugins": {"call": self._call_plugin, "emit": self._emit},
            "secrets": {"get": self._secret},
        }[kind]
        if kind in self._granted:
            return types.SimpleNamespace(**functions)
        # What the host links for a declared kind the user did not grant: every call denied.
        message = (
            f"{self._name} was not granted the {kind} capability "
            f"(grant it with: acc plugin grant {self._name} {kind})"
        )
        stubs = {
            name: value if name == "Request" else _denier(self, kind, name, message)
            for name, value in functions.items()
        }
        return types.SimpleNamespace(**stubs)

    def _run(self, program: str, args: list[str], stdin: bytes) -> _Completed:
        self._record("process", "run", program, list(args), bytes(stdin))
        if program not in self.process:
            allowed = ", ".join(sorted(self.process)) or "nothing"
            raise _deny(f"program {program!r} is not granted; the process grant allows only: {allowed}")
        answer = self.process[program]
        if callable(answer):
            answer = answer(list(args), bytes(stdin))
        return _completed(answer)

    def _fetch(self, request: _Request) -> _Response:
        self._record("http", "fetch", request.method, request.url, list(request.headers), bytes(request.body))
        answer = self.http.get(f"{request.method} {request.url}", self.http.get(request.url, _MISSING))
        if answer is _MISSING:
            raise NoFakeAnswer(f"no fake answer for {request.method} {request.url} (give one in http=...)")
        if callable(answer):
            answer = answer(request.method, request.url, list(request.headers), bytes(request.body))
        return _response(answer)

    def _kv_get(self, key: str) -> bytes | None:
        self._record("kv", "get", key)
        return self.kv.get(key)

    def _kv_set(self, key: str, value: bytes) -> None:
        self._record("kv", "set", key, bytes(value))
        self.kv[key] = bytes(value)

    def _kv_delete(self, key: str) -> None:
        self._record("kv", "delete", key)
        self.kv.pop(key, None)

    def _kv_keys(self, prefix: str) -> list[str]:
        self._record("kv", "list_keys", prefix)
        return sorted(key for key in self.kv if key.startswith(prefix))

    def _complete(self, request_json: str) -> str:
        request = json.loads(request_json)
        self._record("llm", "complete", request)
        if self.llm is None:
            raise NoFakeAnswer("no fake llm (give one in llm=...)")
        return json.dumps(self.llm(request))

    def _call_plugin(self, plugin: str, command: str, input_json: str) -> str:
        value = json.loads(input_json)
        self._record("plugins", "call", plugin, command, value)
        answer = self.plugins.get(f"{plugin} {command}", self.plugins.get(plugin, _MISSING))
        if answer is _MISSING:
            raise NoFakeAnswer(f"no fake answer for {plugin} {command} (give one in plugins=...)")
        return json.dumps(answer(value) if callable(answer) else answer)

    def _emit(self, topic: str, payload_json: str) -> None:
        payload = json.loads(payload_json)
        self._record("plugins", "emit", topic, payload)
        self.emitted.append((topic, payload))

    def _secret(self, name: str) -> str:
        self._record("secrets", "get", name)
        if name not in self.secrets:
            allowed = ", ".join(sorted(self.secrets)) or "nothing"
            raise _deny(f"secret {name!r} is not in this plugin's secrets grant (it may read: {allowed})")
        return self.secrets[name]


_MISSING = object()


def _denier(host: FakeHost, kind: str, function: str, message: str) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        host._record(kind, function, *args)
        raise _deny(message)

    return call


def _completed(answer: Any) -> _Completed:
    if hasattr(answer, "status") and hasattr(answer, "stdout"):
        return _Completed(answer.status, _bytes(answer.stdout), _bytes(getattr(answer, "stderr", b"")))
    if isinstance(answer, tuple):
        status, stdout, *rest = answer
        return _Completed(int(status), _bytes(stdout), _bytes(rest[0] if rest else b""))
    return _Completed(0, _bytes(answer), b"")


def _response(answer: Any) -> _Response:
    if isinstance(answer, tuple) and len(answer) == 3:
        status, headers, body = answer
        return _Response(int(status), list(dict(headers).items()), _body(body))
    if isinstance(answer, tuple) and len(answer) == 2:
        status, body = answer
        return _Response(int(status), [], _body(body))
    return _Response(200, [], _body(answer))


def _body(value: Any) -> bytes:
    if isinstance(value, bytes | str):
        return _bytes(value)
    return json.dumps(value).encode()


def _bytes(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)
