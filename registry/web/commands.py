"""How the plugin pages list a version's commands: each with its description and a table of
its parameters, from the manifest's input schemas (the same rows `acc plugin info` prints)."""

from __future__ import annotations

from dataclasses import dataclass

from sdk.manifest import load_manifest
from sdk.parameters import HEADER, parameter_rows

#: The parameter table's column headings, as a page words them.
PARAMETER_HEADINGS = tuple(heading.capitalize() for heading in HEADER)


@dataclass(frozen=True)
class CommandView:
    name: str
    description: str
    #: (name, type, "yes" if required, default as JSON, description) per parameter.
    parameters: tuple[tuple[str, str, str, str, str], ...]
    #: The result's boolean field that says whether a check passed, for commands that are checks.
    verdict: str | None


def command_views(manifest_text: str) -> list[CommandView]:
    """The commands a version's manifest declares, in the author's order."""
    manifest = load_manifest(manifest_text, check_schemas=False)
    return [
        CommandView(c.name, c.description, tuple(parameter_rows(c.input_schema)), c.verdict) for c in manifest.commands
    ]
