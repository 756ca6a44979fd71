"""Test plugin: output and requests that try to hurt whoever handles them."""

import json

import acc_plugin
from acc_plugin import PluginError, _export


class Raw(str):
    """A result sent as it is: the result text is the plugin's to choose, JSON or not."""


class _RawAwareJson:
    loads = staticmethod(json.loads)

    @staticmethod
    def dumps(value):
        return str(value) if isinstance(value, Raw) else json.dumps(value)


_export.json = _RawAwareJson

_state = {"call_on_cleanup": None}


def _outcome(fn):
    try:
        return {"ok": True, "value": fn()}
    except PluginError as e:
        return {"ok": False, "kind": e.kind, "error": str(e)}


@acc_plugin.command("say")
def say(text):
    acc_plugin.log.info(text)
    acc_plugin.log.progress(1, 2, text)
    return {"text": text}


@acc_plugin.command("raw")
def raw(text):
    return Raw(text)


@acc_plugin.command("nested")
def nested(depth):
    return Raw("[" * depth + "]" * depth)


@acc_plugin.command("blank-lines")
def blank_lines(count):
    for _ in range(count):
        print()
    return {"printed": count}


@acc_plugin.command("fetch")
def fetch(url):
    return _outcome(lambda: acc_plugin.http.fetch(url).status)


@acc_plugin.command("ask")
def ask(request):
    return _outcome(lambda: acc_plugin.llm.complete(request))


@acc_plugin.command("call")
def call(plugin, command, input=None):
    return _outcome(lambda: acc_plugin.plugins.call(plugin, command, input or {}))


@acc_plugin.command("call-on-cleanup")
def call_on_cleanup(plugin):
    _state["call_on_cleanup"] = plugin
    return {"armed": plugin}


@acc_plugin.on_cleanup
def cleanup():
    plugin = _state["call_on_cleanup"]
    if plugin:
        print(json.dumps(_outcome(lambda: acc_plugin.plugins.call(plugin, "say", {"text": "from cleanup"}))))


@acc_plugin.command("match")
def match(name):
    return {"matched": name}
