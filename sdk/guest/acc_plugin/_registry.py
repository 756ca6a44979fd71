"""Registration of commands and event handlers."""

from __future__ import annotations

from typing import Any, Callable

_commands: dict[str, Callable[..., Any]] = {}
_event_handlers: dict[str, list[Callable[[Any], None]]] = {}
_cleanup_hooks: list[Callable[[], None]] = []
#: What the host passed to initialize: {"plugin", "version", "project", "granted"}.
config: dict[str, Any] = {}


def command(name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as the command `name` (default: the function's name, _ as -)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        key = name or fn.__name__.replace("_", "-")
        if key in _commands:
            raise ValueError(f"command {key!r} is registered twice")
        _commands[key] = fn
        return fn

    return register


def on_event(topic: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register a handler for events that other plugins emit on `topic`."""

    def register(fn: Callable[[Any], None]) -> Callable[[Any], None]:
        _event_handlers.setdefault(topic, []).append(fn)
        return fn

    return register


def on_cleanup(fn: Callable[[], None]) -> Callable[[], None]:
    """Register a function the host calls before it drops the plugin."""
    _cleanup_hooks.append(fn)
    return fn


def commands() -> dict[str, Callable[..., Any]]:
    return dict(_commands)
