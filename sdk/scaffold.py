"""`acc plugin new`: a working plugin to start from: a `hello` command, a `visits` command that
uses the kv capability, and unit tests that run on CPython against a fake host
(`acc_plugin.testing`), capability calls included."""

from __future__ import annotations

from pathlib import Path

from sdk.errors import AccError
from sdk.names import check_name, module_name

_MANIFEST = """name = "{name}"
version = "0.1.0"
description = "A new acc plugin."
license = "Apache-2.0"
authors = []
keywords = []
categories = []
api = ">=1.0,<2"

# Declare only what the plugin needs; each capability needs a reason a user understands.
[capabilities.kv]
reason = "Remembers how many visits each name made."

# [capabilities.fs]
# access = "read"
# reason = "Reads the project's source files."

[limits]
memory_mb = 128
timeout_seconds = 10

[[commands]]
name = "hello"
description = "Greet someone by name."

[commands.input]
type = "object"
required = ["name"]
additionalProperties = false
properties.name = {{ type = "string", minLength = 1, maxLength = 200 }}

[[commands]]
name = "visits"
description = "Count a visit by name and say how many there were."

[commands.input]
type = "object"
required = ["name"]
additionalProperties = false
properties.name = {{ type = "string", minLength = 1, maxLength = 200 }}
"""

_MODULE = '''"""{name}: an acc plugin."""

import acc_plugin


@acc_plugin.command("hello")
def hello(name: str) -> dict:
    acc_plugin.log.info(f"greeting {{name}}")
    return {{"greeting": f"Hello, {{name}}!"}}


@acc_plugin.command("visits")
def visits(name: str) -> dict:
    """Count a visit in the plugin's kv store; without the kv grant, say that nothing was counted."""
    key = f"visits/{{name}}"
    try:
        count = acc_plugin.kv.get_json(key, 0) + 1
        acc_plugin.kv.set_json(key, count)
    except acc_plugin.Denied:
        return {{"name": name, "visits": None, "note": "not counted: the kv capability is not granted"}}
    return {{"name": name, "visits": count}}
'''

_README = """# {name}

A new acc plugin.

## Commands

| command | input | output |
|---|---|---|
| `hello` | `{{"name": "Ada"}}` | `{{"greeting": "Hello, Ada!"}}` |
| `visits` | `{{"name": "Ada"}}` | `{{"name": "Ada", "visits": 1}}` (2 the next time) |

## Capabilities

- `kv`: remembers how many visits each name made, in this plugin's own store. Without the
  grant, `visits` answers `"visits": null` and says why; `hello` needs nothing.

## Develop

    acc plugin dev . hello --input '{{"name": "Ada"}}'   # build and run, installing nothing
    python -m pytest tests                              # unit tests on CPython, with a fake host
    acc plugin build .                                  # writes {name}-0.1.0.plugin
    acc plugin keygen --out ~/.acc-keys/me.key
    acc plugin sign {name}-0.1.0.plugin --key ~/.acc-keys/me.key
    acc trust add ~/.acc-keys/me.key.pub
    acc plugin install {name}-0.1.0.plugin --yes
    acc plugin run {name} hello --input '{{"name": "Ada"}}'
"""

_TEST = '''"""Unit tests of {name}'s commands, run on plain CPython with `pytest tests`.

`FakeHost` stands in for the acc host: it answers the capability calls (here kv) as the
host would, records them, and refuses what plugin.toml does not declare or grant.
"""

import sys
from pathlib import Path

from sdk.abi import GUEST_HELPER_DIR

PLUGIN_DIR = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(GUEST_HELPER_DIR), str(PLUGIN_DIR)]

import {module}  # noqa: E402
from acc_plugin.testing import Call, FakeHost  # noqa: E402


def test_hello_greets_by_name() -> None:
    with FakeHost(plugin_dir=PLUGIN_DIR) as host:
        assert {module}.hello(name="Ada") == {{"greeting": "Hello, Ada!"}}
    assert host.logs == [("info", "greeting Ada")]


def test_visits_are_counted_in_the_plugin_s_kv_store() -> None:
    with FakeHost(plugin_dir=PLUGIN_DIR) as host:
        assert {module}.visits(name="Ada") == {{"name": "Ada", "visits": 1}}
        assert {module}.visits(name="Ada") == {{"name": "Ada", "visits": 2}}
    assert host.kv == {{"visits/Ada": b"2"}}
    assert host.calls[:2] == [Call("kv", "get", ("visits/Ada",)), Call("kv", "set", ("visits/Ada", b"1"))]


def test_without_the_kv_grant_a_visit_is_not_counted_and_says_why() -> None:
    with FakeHost(plugin_dir=PLUGIN_DIR, granted=[]) as host:
        result = {module}.visits(name="Ada")
    assert result["visits"] is None and "not granted" in result["note"]
    assert host.kv == {{}}
'''


def new_plugin(name: str, directory: Path | None = None) -> Path:
    """Create a plugin named `name` in `directory` (default: ./NAME); refuse to overwrite."""
    check_name(name)
    target = (directory or Path(name)).resolve()
    if target.exists() and any(target.iterdir()):
        raise AccError(f"{target} already exists and is not empty", hint="choose another --dir, or remove it first")
    module = module_name(name)
    files = {
        "plugin.toml": _MANIFEST.format(name=name),
        f"{module}.py": _MODULE.format(name=name),
        "README.md": scaffold_readme(name),
        f"tests/test_{module}.py": _TEST.format(name=name, module=module),
    }
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


def scaffold_readme(name: str) -> str:
    """The README `acc plugin new NAME` writes (sdk.readme_checks warns while it is left so)."""
    return _README.format(name=name)
