"""Whether a command's result says that what it checked failed: the exit status of `acc plugin run`.

A plugin declares it per command in plugin.toml, naming a top-level boolean field of the
result (`verdict = "passed"`). The field's value decides:

    true          passed: exit status 0
    false         failed: exit status 1 (the result is still printed in full)
    null          nothing was checked (e.g. no threshold was given): exit status 0
    missing, or not a boolean or null
                  failed: the plugin did not say, and a gate must not open on silence

A command without a verdict exits 0 whenever it ran. Errors (a plugin error, bad input,
a trap) exit 1 as before, with `error: ...` on stderr.

Everything that runs commands for someone reads the verdict here, through
`PluginHost.verdict` (which finds the command's declaration): `acc plugin run` turns a
failure into its exit status, the agent marks the tool result so the model sees the check
failed (`check failed: ...` on its first line; still a result, not an error), and the MCP
server will do the same for its clients. `Verdict.describe` is the one wording of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sdk.manifest import Command


@dataclass(frozen=True)
class Verdict:
    """What a result says: `passed` is True, False, or None (no verdict to give)."""

    passed: bool | None
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.passed is False

    def describe(self, plugin: str, command: str) -> str:
        """The verdict in one line, naming the command: "testing run: passed: false"."""
        return f"{plugin} {command}: {self.message}" if self.message else f"{plugin} {command}"


def verdict_of(command: Command, result: Any) -> Verdict:
    """Read the verdict of `result`, a result of `command` (see the module docstring)."""
    field = command.verdict
    if field is None:
        return Verdict(None)
    if not isinstance(result, dict) or field not in result:
        return Verdict(False, f"the result has no {field!r} field, which plugin.toml names as its verdict")
    value = result[field]
    if value is None:
        return Verdict(None, f"{field}: null (nothing was checked)")
    if not isinstance(value, bool):
        return Verdict(False, f"the result's verdict field {field!r} is {value!r}, not true, false or null")
    return Verdict(value, f"{field}: {'true' if value else 'false'}")
