"""acc_plugin: write an acc plugin as plain Python functions.

    import acc_plugin

    @acc_plugin.command("hello")
    def hello(name: str) -> dict:
        acc_plugin.log.info(f"greeting {name}")
        return {"greeting": f"Hello, {name}!"}

Each command receives its JSON input as keyword arguments (the host has already
checked it against the command's schema in plugin.toml) and returns anything
`json.dumps` accepts. Raise `Invalid`, `Failed` or `Denied` to fail with that kind;
any other exception becomes `failed` with its message.

Capabilities are modules here: `process.run`, `http.fetch`, `kv.get/set/delete/keys`,
`llm.complete`, `plugins.call/emit`, `secrets.get`, and the project directory at
`PROJECT` for a plugin with the `fs` capability. Using a capability the manifest does
not declare raises `Denied`; one the user did not grant raises `Denied` too, with the
host's message, so a plugin can degrade gracefully.

This module runs inside the component (CPython compiled to WebAssembly) and also on
a normal CPython, where only registration works: that is enough to unit-test commands.
"""

from __future__ import annotations

from acc_plugin._capabilities import PROJECT, http, kv, llm, log, plugins, process, secrets
from acc_plugin._errors import Denied, Failed, Invalid, LimitExceeded, PluginError
from acc_plugin._registry import command, commands, config, on_cleanup, on_event

__all__ = [
    "PROJECT",
    "Denied",
    "Failed",
    "Invalid",
    "LimitExceeded",
    "PluginError",
    "command",
    "commands",
    "config",
    "http",
    "kv",
    "llm",
    "log",
    "on_cleanup",
    "on_event",
    "plugins",
    "process",
    "secrets",
]
