"""Pythonic wrappers over the imported ABI interfaces.

Bindings are imported lazily: a plugin's component only contains the interfaces its
manifest declares, so `wit_world.imports.http` does not exist in a plugin without http.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Any

from acc_plugin._errors import Denied, from_wit_error

#: Where the project directory appears inside the sandbox (with the fs capability).
PROJECT = "/project"


def _binding(interface: str) -> Any:
    try:
        return importlib.import_module(f"wit_world.imports.{interface}")
    except ImportError as e:
        raise Denied(
            f"this plugin's manifest does not declare the {interface} capability; "
            f"add [capabilities.{interface}] to plugin.toml ({e!r})"
        ) from None


def _call(interface: str, func: str, *args: Any) -> Any:
    module = _binding(interface)
    from componentize_py_types import Err

    try:
        return getattr(module, func)(*args)
    except Err as e:
        raise from_wit_error(e.value) from None


class _Log:
    def _emit(self, level: str, message: str) -> None:
        try:
            module = importlib.import_module("wit_world.imports.log")
        except ImportError:  # plain CPython (unit tests): print instead
            print(f"[{level}] {message}")
            return
        module.log(getattr(module.Level, level.upper()), str(message))

    def trace(self, message: str) -> None:
        self._emit("trace", message)

    def debug(self, message: str) -> None:
        self._emit("debug", message)

    def info(self, message: str) -> None:
        self._emit("info", message)

    def warn(self, message: str) -> None:
        self._emit("warn", message)

    def error(self, message: str) -> None:
        self._emit("error", message)

    def progress(self, done: int, total: int, message: str = "") -> None:
        try:
            module = importlib.import_module("wit_world.imports.log")
        except ImportError:
            return
        module.progress(max(0, int(done)), max(0, int(total)), str(message))


@dataclass
class Completed:
    """What `process.run` returns: exit status, captured output, whether it was cut."""

    status: int
    stdout: bytes
    stderr: bytes
    truncated: bool

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")


class _Process:
    def run(self, program: str, args: list[str], stdin: bytes = b"") -> Completed:
        out = _call("process", "run", program, list(args), bytes(stdin))
        return Completed(out.status, out.stdout, out.stderr, out.truncated)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _Http:
    def fetch(self, url: str, *, method: str = "GET", headers: dict[str, str] | None = None,
              body: bytes = b"") -> Response:
        module = _binding("http")
        request = module.Request(method, url, list((headers or {}).items()), bytes(body))
        resp = _call("http", "fetch", request)
        return Response(resp.status, list(resp.headers), resp.body)


class _Kv:
    def get(self, key: str) -> bytes | None:
        return _call("kv", "get", key)

    def set(self, key: str, value: bytes) -> None:
        _call("kv", "set", key, bytes(value))

    def delete(self, key: str) -> None:
        _call("kv", "delete", key)

    def keys(self, prefix: str = "") -> list[str]:
        return list(_call("kv", "list_keys", prefix))

    def get_json(self, key: str, default: Any = None) -> Any:
        raw = self.get(key)
        return default if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any) -> None:
        self.set(key, json.dumps(value).encode())


class _Llm:
    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        return json.loads(_call("llm", "complete", json.dumps(request)))


class _Plugins:
    def call(self, plugin: str, command: str, input: dict[str, Any] | None = None) -> Any:
        return json.loads(_call("plugins", "call", plugin, command, json.dumps(input or {})))

    def emit(self, topic: str, payload: Any = None) -> None:
        _call("plugins", "emit", topic, json.dumps(payload))


class _Secrets:
    def get(self, name: str) -> str:
        return _call("secrets", "get", name)


log = _Log()
process = _Process()
http = _Http()
kv = _Kv()
llm = _Llm()
plugins = _Plugins()
secrets = _Secrets()
