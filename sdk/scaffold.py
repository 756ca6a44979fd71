"""`acc plugin new`: a working plugin to start from, with a `hello` command and a test."""

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
"""

_MODULE = '''"""{name}: an acc plugin."""

import acc_plugin


@acc_plugin.command("hello")
def hello(name: str) -> dict:
    acc_plugin.log.info(f"greeting {{name}}")
    return {{"greeting": f"Hello, {{name}}!"}}
'''

_README = """# {name}

A new acc plugin.

## Commands

| command | input | output |
|---|---|---|
| `hello` | `{{"name": "Ada"}}` | `{{"greeting": "Hello, Ada!"}}` |

## Capabilities

None: this plugin reads nothing, runs nothing and connects nowhere.

## Develop

    acc plugin build .                      # writes {name}-0.1.0.plugin
    acc plugin keygen --out ~/.acc-keys/me.key
    acc plugin sign {name}-0.1.0.plugin --key ~/.acc-keys/me.key
    acc trust add ~/.acc-keys/me.key.pub
    acc plugin install {name}-0.1.0.plugin --yes
    acc plugin run {name} hello --input '{{"name": "Ada"}}'
"""

_TEST = '''"""Unit tests of {name}'s commands, run on plain CPython with `pytest tests`."""

import sys
from pathlib import Path

from sdk.abi import GUEST_HELPER_DIR

sys.path[:0] = [str(GUEST_HELPER_DIR), str(Path(__file__).resolve().parents[1])]

import {module}  # noqa: E402


def test_hello_greets_by_name() -> None:
    assert {module}.hello(name="Ada") == {{"greeting": "Hello, Ada!"}}
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
        "README.md": _README.format(name=name),
        f"tests/test_{module}.py": _TEST.format(name=name, module=module),
    }
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


def is_scaffold_readme(text: str, name: str) -> bool:
    """`text` is still the README `acc plugin new NAME` wrote (spacing aside): it describes the
    example `hello` command, not the plugin."""
    return text.split() == _README.format(name=name).split()
