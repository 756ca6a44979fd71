"""The `guest` export: dispatches the host's calls to the registered functions.

Every exception is caught here. An exception escaping an export aborts the whole
componentize-py runtime (the host sees a crash, not a message), so the boundary turns
each one into the ABI's `error` variant instead.
"""

from __future__ import annotations

import json
import traceback
from typing import Any

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import types

from acc_plugin import _registry
from acc_plugin._errors import PluginError

ABI_VERSION = "1.0.0"
_MAX_TRACE = 4000

_WIT_ERRORS = {
    "denied": types.Error_Denied,
    "invalid": types.Error_Invalid,
    "failed": types.Error_Failed,
    "limit": types.Error_Limit,
}


def _err(kind: str, message: str) -> Err:
    return Err(_WIT_ERRORS[kind](message))


def _failure(exc: BaseException) -> Err:
    if isinstance(exc, PluginError):
        return _err(exc.kind, str(exc))
    if isinstance(exc, MemoryError):
        return _err("limit", "memory: the plugin ran out of its memory limit")
    if isinstance(exc, RecursionError):
        return _err("limit", "recursion: the plugin recursed too deeply")
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    trace = "".join(traceback.format_tb(exc.__traceback__))[-_MAX_TRACE:]
    return _err("failed", f"{summary}\n{trace}")


class Guest(exports.Guest):
    def describe(self) -> str:
        return json.dumps({"abi": ABI_VERSION, "commands": sorted(_registry._commands)})

    def initialize(self, config_json: str) -> None:
        try:
            _registry.config.clear()
            _registry.config.update(json.loads(config_json))
        except BaseException as e:
            raise _failure(e) from None

    def execute(self, command: str, input_json: str) -> str:
        fn = _registry._commands.get(command)
        if fn is None:
            known = ", ".join(sorted(_registry._commands))
            raise _err("invalid", f"unknown command {command!r}; this plugin has: {known}")
        try:
            arguments: Any = json.loads(input_json)
            result = fn(**arguments) if isinstance(arguments, dict) else fn(arguments)
            return json.dumps(result)
        except Err:
            raise
        except BaseException as e:
            raise _failure(e) from None

    def on_event(self, topic: str, payload_json: str) -> None:
        for handler in _registry._event_handlers.get(topic, []):
            try:
                handler(json.loads(payload_json))
            except BaseException as e:  # an event handler's failure must not crash the plugin
                print(f"event handler for {topic!r} failed: {e!r}")

    def cleanup(self) -> None:
        for hook in _registry._cleanup_hooks:
            try:
                hook()
            except BaseException as e:
                print(f"cleanup hook failed: {e!r}")
