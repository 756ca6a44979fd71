"""Test plugin: each command attempts something the sandbox must refuse or contain."""

import os
import sys

import acc_plugin
from acc_plugin import PluginError


def _outcome(fn):
    """Run an attempt; report an exception as data so the test sees exactly what happened."""
    try:
        return {"ok": True, "value": fn()}
    except PluginError as e:
        return {"ok": False, "kind": e.kind, "error": str(e)}
    except (OSError, ImportError) as e:
        return {"ok": False, "kind": "os", "error": f"{type(e).__name__}: {e}"}


@acc_plugin.command("read")
def read(path):
    def attempt():
        with open(path) as f:
            return f.read()

    return _outcome(attempt)


@acc_plugin.command("write")
def write(path, text):
    def attempt():
        with open(path, "w") as f:
            f.write(text)
        return "written"

    return _outcome(attempt)


@acc_plugin.command("listdir")
def listdir(path):
    return _outcome(lambda: sorted(os.listdir(path)))


@acc_plugin.command("env")
def env():
    return {"environ": dict(os.environ), "argv": list(sys.argv)}


@acc_plugin.command("socket")
def open_socket(host, port):
    def attempt():
        import socket

        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect((host, port))
        return "connected"

    return _outcome(attempt)


@acc_plugin.command("loop")
def loop():
    while True:
        pass


@acc_plugin.command("membomb")
def membomb():
    hoard = []
    while True:
        hoard.append(bytearray(8 * 1024 * 1024))


@acc_plugin.command("flood")
def flood():
    # 2 MB: twice the host's 1 MiB log cap, and done well inside the 3 s limit on a busy machine.
    line = "x" * 1000
    for _ in range(2_000):
        print(line)
    return {"printed": 2_000}


@acc_plugin.command("recurse")
def recurse(limit=None):
    if limit:
        sys.setrecursionlimit(limit)

    def down(n):
        return down(n + 1) + 1

    return down(0)


@acc_plugin.command("run")
def run(program, args):
    def attempt():
        out = acc_plugin.process.run(program, args)
        return {"status": out.status, "stdout": out.text, "stderr": out.stderr.decode(errors="replace")}

    return _outcome(attempt)


@acc_plugin.command("call")
def call(plugin, command, input=None):
    return _outcome(lambda: acc_plugin.plugins.call(plugin, command, input or {}))


@acc_plugin.command("kv-set")
def kv_set(key, value):
    return _outcome(lambda: acc_plugin.kv.set(key, value.encode()))


@acc_plugin.command("kv-get")
def kv_get(key):
    def attempt():
        raw = acc_plugin.kv.get(key)
        return None if raw is None else raw.decode()

    return _outcome(attempt)


@acc_plugin.command("secret")
def secret(name):
    return _outcome(lambda: acc_plugin.secrets.get(name))


@acc_plugin.command("fetch")
def fetch(url):
    return _outcome(lambda: acc_plugin.http.fetch(url).status)


@acc_plugin.command("big-result")
def big_result(size):
    return "y" * size


@acc_plugin.command("echo")
def echo(**kwargs):
    return {"input": kwargs, "config": acc_plugin.config}


_REMEMBERED = []


@acc_plugin.command("remember")
def remember(value):
    """Keep `value` in this instance's heap; return what it kept before (for the isolation tests)."""
    before = list(_REMEMBERED)
    _REMEMBERED.append(value)
    return before
