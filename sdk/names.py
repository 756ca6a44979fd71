"""Plugin name rules: what a name may look like, and when two names look alike."""

from __future__ import annotations

import re

from sdk.errors import ManifestError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_NAME_LENGTH = 64

# Characters that read alike in most fonts, folded to one representative so that
# `g1t`, `gi-t` and `git` compare equal (the registry refuses such look-alikes).
_CONFUSABLE_FOLD = str.maketrans({"0": "o", "1": "l", "i": "l", "5": "s", "3": "e", "-": None})


def check_name(name: str) -> str:
    """Return `name` if it is a valid plugin name, else raise `ManifestError` saying why."""
    if not isinstance(name, str) or not name:
        raise ManifestError("the plugin name is empty", hint='set name = "my-plugin" in plugin.toml')
    if len(name) > MAX_NAME_LENGTH:
        raise ManifestError(f"the plugin name is longer than {MAX_NAME_LENGTH} characters")
    if not NAME_PATTERN.match(name):
        raise ManifestError(
            f"invalid plugin name {name!r}",
            hint="use lowercase ASCII letters, digits and single dashes, starting with a letter (e.g. code-quality)",
        )
    return name


def confusable_key(name: str) -> str:
    """A key under which names that a reader could mistake for each other collide."""
    return name.lower().translate(_CONFUSABLE_FOLD).replace("rn", "m").replace("vv", "w")


def module_name(plugin_name: str) -> str:
    """The Python module name a plugin's guest code lives in (dashes become underscores)."""
    return plugin_name.replace("-", "_")
