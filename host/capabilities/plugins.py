"""Capability `plugins`, bound: call the named plugins and emit events to them, through the host.

The callee runs in its own sandbox under its own grants, never the caller's. Calls are
depth-limited (`HostPolicy.max_call_depth`) and a plugin already on the call stack is
never entered again: a cycle is refused, and an event is not delivered to a plugin that
is mid-call. The callee runs under the caller's deadline (`host.deadline`): a nested call
can shorten it to the callee's own limit, never extend it. The input a caller sends is
decoded strictly (`host.plugin_json`), like the result the callee returns.
"""

from __future__ import annotations

import json
from typing import Any

from host.capabilities.binding import BindContext, Binding, PluginCalls, scope_as
from host.capabilities.errors import BY_KIND, Denied, Failed, Invalid, LimitExceeded
from host.errors import InputError, LoadError, PluginDisabled, PluginFailed, PluginTrap, StoreError
from host.plugin_json import PluginJsonError, decode
from sdk.capabilities import Capability
from sdk.capabilities.plugins import PluginsCapability


def bind(capability: Capability, context: BindContext) -> Binding:
    allowed = scope_as(capability, PluginsCapability).plugins
    caller, host, max_depth = context.manifest.name, context.plugins, context.policy.max_call_depth

    def call_plugin(plugin: str, command: str, input_json: str) -> str:
        return call(host, caller, allowed, max_depth, plugin, command, input_json)

    def emit_event(topic: str, payload: str) -> None:
        emit(host, allowed, topic, payload)

    return Binding(functions={"call": call_plugin, "emit": emit_event})


def call(
    host: PluginCalls, caller: str, allowed: tuple[str, ...], max_depth: int, plugin: str, command: str, input_json: str
) -> str:
    """Run `plugin command` for `caller`; its JSON result, or the callee's error as the caller's."""
    if plugin not in allowed:
        raise Denied(f"{caller} may call only {', '.join(allowed)}, not {plugin}")
    stack = host.call_stack()
    if plugin in stack:
        chain = " → ".join([*stack, plugin])
        raise Denied(f"call cycle refused: {chain}")
    if len(stack) >= max_depth:
        raise LimitExceeded(f"plugin calls nested deeper than {max_depth}")
    try:
        value = decode(input_json)
    except PluginJsonError as e:
        raise Invalid(f"input for {plugin} {command} is refused: {e}") from e
    try:
        result: Any = host.run_plugin(plugin, command, value)
    except PluginFailed as e:
        raise BY_KIND.get(e.kind, Failed)(f"{plugin} {command}: {e.detail}") from e
    except PluginTrap as e:  # the callee was stopped: out of time, memory, fuel
        raise LimitExceeded(f"{plugin} {command}: {e.message}") from e
    except InputError as e:
        raise Invalid(e.message) from e
    except LoadError as e:  # the callee cannot be loaded, or the host is closing it
        raise Failed(e.message) from e
    except PluginDisabled as e:  # the user disabled the callee: a refusal, like a grant not given
        raise Denied(f"{e.message}; {e.hint}" if e.hint else e.message) from e
    except StoreError as e:  # the callee is not installed: say so, and how to install it
        raise Failed(f"{e.message}; {e.hint}" if e.hint else e.message) from e
    return json.dumps(result)


def emit(host: PluginCalls, allowed: tuple[str, ...], topic: str, payload: str) -> None:
    """Deliver an event to each allowed plugin that is installed and not mid-call."""
    for plugin in allowed:
        if plugin not in host.call_stack():  # never re-enter a plugin that is mid-call
            host.deliver_event(plugin, topic, payload)
