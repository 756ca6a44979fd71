"""Test plugin: writes what it likes into the project, then runs a program to escape with it.

Everything a plugin with fs read-write and process could do by design; the OS sandbox
around each program must keep it all inside the project. Errors come back as data (the
plugin carries on), so a test can tell that the host still told the user.
"""

import os

import acc_plugin
from acc_plugin import PluginError


@acc_plugin.command("write")
def write(path, text):
    target = os.path.join("/project", path)
    directory = os.path.dirname(target)
    if directory != "/project":  # the preopen itself: makedirs would climb to "/", which is not there
        os.makedirs(directory, exist_ok=True)
    with open(target, "w") as f:
        f.write(text)
    return {"written": path}


@acc_plugin.command("run")
def run(program, args):
    try:
        out = acc_plugin.process.run(program, args)
    except PluginError as e:
        return {"ok": False, "kind": e.kind, "error": str(e)}
    return {"ok": True, "status": out.status, "stdout": out.text, "stderr": out.stderr.decode(errors="replace")}
