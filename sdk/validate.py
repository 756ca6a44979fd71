"""`acc plugin validate DIR`: what a build would refuse, and what a reader would miss, found
in about a second without building.

Every check runs and reports, so an author sees all the problems at once (a build stops at
the first): the source layout (plugin.toml, README.md, the module), plugin.toml parsed
and checked in full (capabilities, command schemas), the WIT world it makes, and the
module's commands against plugin.toml, read from the syntax trees of the module and the
modules it imports, never running them (`sdk.precheck`, which the build runs too). A name
computed at run time cannot be read that way, so the comparison is then skipped, with a
warning. A warning is what builds but serves users badly: the scaffold's README
left as it was, or a README whose capabilities contradict plugin.toml (sdk/readme_checks.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sdk.errors import AccError
from sdk.manifest import Manifest, load_manifest

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str
    hint: str = ""


@dataclass
class Validation:
    """The findings about one plugin source directory."""

    source: Path
    manifest: Manifest | None = None
    findings: list[Finding] = field(default_factory=list)
    #: What was checked and passed, for the summary line.
    checked: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not any(f.level == "error" for f in self.findings)

    def error(self, message: str, hint: str = "") -> None:
        self.findings.append(Finding("error", message, hint))

    def warning(self, message: str, hint: str = "") -> None:
        self.findings.append(Finding("warning", message, hint))


def validate_source(source: Path) -> Validation:
    """Check the plugin source in `source` without building it."""
    result = Validation(source)
    if not source.is_dir():
        result.error(f"{source} is not a directory", "give the directory that holds plugin.toml")
        return result
    manifest_path = source / "plugin.toml"
    if not manifest_path.is_file():
        result.error(f"{source} has no plugin.toml", "run `acc plugin new NAME` to start a plugin")
    else:
        try:
            result.manifest = load_manifest(manifest_path.read_bytes(), source="plugin.toml")
            result.checked.append("plugin.toml")
        except AccError as e:
            result.error(e.message, e.hint or "")
    _check_readme(source, result)
    if result.manifest is not None:
        _check_module(source, result.manifest, result)
        _check_world(result.manifest, result)
    return result


def _check_readme(source: Path, result: Validation) -> None:
    path = source / "README.md"
    if not path.is_file():
        result.error(
            "there is no README.md",
            "every plugin ships a README: what its commands do and why it needs its capabilities",
        )
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        result.error(f"README.md cannot be read as UTF-8 text ({e})")
        return
    if not text.strip():
        result.error("README.md is empty", "say what the commands do and why the plugin needs its capabilities")
        return
    result.checked.append("README.md")
    from sdk.readme_checks import check_readme

    asked = result.manifest.capabilities if result.manifest is not None else None
    for finding in check_readme(text, asked):
        result.warning(finding.message, finding.hint)


def _check_module(source: Path, manifest: Manifest, result: Validation) -> None:
    module = manifest.module
    if not ((source / f"{module}.py").is_file() or (source / module / "__init__.py").is_file()):
        result.error(
            f"there is no module {module}.py",
            'the guest code lives in MODULE.py (set module = "..." in plugin.toml to use another name)',
        )
        return
    result.checked.append(f"{module}.py")
    _check_commands(source, manifest, result)


def _check_commands(source: Path, manifest: Manifest, result: Validation) -> None:
    """The commands the source registers (read from its syntax tree, as the build's precheck
    reads them: `sdk.precheck`) against plugin.toml's."""
    from sdk.precheck import read_registrations

    try:
        found = read_registrations(source, manifest.module)
    except AccError as e:  # a file that does not parse: the build would stop there
        result.error(e.message, e.hint or "")
        return
    if not found.certain:
        result.warning(
            f"a command name is computed at run time ({', '.join(found.unreadable)}): the commands were not "
            "compared with plugin.toml",
            "`acc plugin build` compares them",
        )
        return
    declared = {c.name for c in manifest.commands}
    for name in sorted(declared - set(found.commands)):
        result.error(
            f"plugin.toml declares command {name!r} but no function is registered for it",
            f'decorate its function with @acc_plugin.command("{name}")',
        )
    for name in sorted(set(found.commands) - declared):
        result.error(
            f"{found.commands[name]} registers command {name!r}, which plugin.toml does not declare",
            f'add a [[commands]] entry with name = "{name}", its description and input schema',
        )
    if declared == set(found.commands):
        result.checked.append("commands")


def _check_world(manifest: Manifest, result: Validation) -> None:
    from sdk.world import world_wit

    try:
        world_wit(manifest)
    except AccError as e:
        result.error(e.message, e.hint or "")
