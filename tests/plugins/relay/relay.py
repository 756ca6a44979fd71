"""Test plugin: forwards calls (for cycle tests) and reads files without an fs grant."""

import acc_plugin
from acc_plugin import PluginError


@acc_plugin.command("call")
def call(plugin, command, input=None):
    try:
        return {"ok": True, "value": acc_plugin.plugins.call(plugin, command, input or {})}
    except PluginError as e:
        return {"ok": False, "kind": e.kind, "error": str(e)}


@acc_plugin.command("read")
def read(path):
    try:
        with open(path) as f:
            return {"ok": True, "value": f.read()}
    except OSError as e:
        return {"ok": False, "kind": "os", "error": f"{type(e).__name__}: {e}"}
