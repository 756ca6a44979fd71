"""Pure-Python packages from PyPI that a plugin bundles: the `[python]` table and the archive's record.

An author declares them in plugin.toml, each pinned to one version:

    [python]
    packages = ["pyflakes==3.4.0"]

`acc plugin build` vendors them (`sdk.vendor`: wheels only, pure Python only) into the
component, and records in the archive, as `python-packages.json`, which wheel of each it
bundled and its sha256, so that whoever installs or publishes the plugin can see exactly
which third-party code is inside. This module is the format of both: parsing, and
checking that a record names exactly the declared packages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sdk.errors import ArchiveError, ManifestError

RECORD_NAME = "python-packages.json"
RECORD_FORMAT = 1
MAX_PACKAGES = 64
_SHA256 = re.compile(r"[0-9a-f]{64}")
_WHEEL = re.compile(r"[A-Za-z0-9_.+!-]+\.whl")
#: The one form a package may take, `name==version` without spaces: checked without
#: `packaging.requirements` (its import costs 1.5 MB and 17 ms in every process that
#: reads an installed manifest). Anything else is left to packaging, for its messages.
_PLAIN_PIN = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([0-9][0-9A-Za-z.+!_-]*)")


@dataclass(frozen=True)
class PythonPackage:
    """One declared package: its normalized name and exact version."""

    name: str
    version: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class BundledWheel:
    """The wheel a build bundled for a declared package."""

    name: str
    version: str
    wheel: str
    sha256: str


def normalize(name: str) -> str:
    """PEP 503 normalization: `Foo_Bar` and `foo-bar` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_packages(raw: Any, source: str) -> tuple[PythonPackage, ...]:
    """The `[python]` table's packages; each must be `name==version`, nothing more."""
    if not isinstance(raw, Mapping):
        raise ManifestError(f"{source}: [python] must be a table")
    unknown = sorted(set(raw) - {"packages"})
    if unknown:
        raise ManifestError(f"{source}: [python]: unknown field {unknown[0]!r}", hint="known fields: packages")
    entries = raw.get("packages", [])
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ManifestError(f'{source}: [python] packages must be a list of strings such as "pyflakes==3.4.0"')
    if len(entries) > MAX_PACKAGES:
        raise ManifestError(f"{source}: [python] packages lists more than {MAX_PACKAGES} packages")
    packages: list[PythonPackage] = []
    for entry in entries:
        package = _plain_pin(entry) or _parse_requirement(entry, source)
        if any(p.name == package.name for p in packages):
            raise ManifestError(f"{source}: [python] package {package.name} is listed twice")
        packages.append(package)
    return tuple(packages)


def _plain_pin(entry: str) -> PythonPackage | None:
    """`entry` as a package if it is exactly `name==version` with a valid PEP 440 version;
    None for anything else (which `_parse_requirement` then accepts or explains)."""
    match = _PLAIN_PIN.fullmatch(entry)
    if match is None:
        return None
    from packaging.version import InvalidVersion, Version

    try:
        Version(match[2])
    except InvalidVersion:
        return None
    return PythonPackage(normalize(match[1]), match[2])


def _parse_requirement(entry: str, source: str) -> PythonPackage:
    from packaging.requirements import InvalidRequirement, Requirement

    pin = f"pin one exact version, e.g. {entry.split('=')[0].split('>')[0].split('<')[0].strip()}==1.2.3"
    try:
        requirement = Requirement(entry)
    except InvalidRequirement as e:
        raise ManifestError(f"{source}: [python] package {entry!r} is not a requirement: {e}") from e
    specifiers = list(requirement.specifier)
    if requirement.url or requirement.marker or requirement.extras:
        raise ManifestError(
            f"{source}: [python] package {entry!r}: no URLs, markers or extras", hint=f"name the package and {pin}"
        )
    if len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
        raise ManifestError(
            f"{source}: [python] package {entry!r} is not pinned to one version",
            hint=f"{pin} (a build must bundle the same code every time)",
        )
    return PythonPackage(normalize(requirement.name), specifiers[0].version)


def record_bytes(wheels: list[BundledWheel]) -> bytes:
    """The archive's python-packages.json for `wheels` (sorted, so builds are reproducible)."""
    entries = [
        {"name": w.name, "version": w.version, "wheel": w.wheel, "sha256": w.sha256}
        for w in sorted(wheels, key=lambda w: w.name)
    ]
    return json.dumps({"format": RECORD_FORMAT, "packages": entries}, indent=2, sort_keys=True).encode() + b"\n"


def parse_record(data: bytes | None, declared: tuple[PythonPackage, ...], source: str) -> tuple[BundledWheel, ...]:
    """The wheels an archive's record lists; they must be exactly the declared packages."""
    if data is None:
        if declared:
            raise ArchiveError(
                f"{source} declares Python packages but has no {RECORD_NAME}",
                hint="build it with `acc plugin build`, which bundles them and records their hashes",
            )
        return ()
    try:
        document = json.loads(data)
        if document["format"] != RECORD_FORMAT:
            raise ValueError(f"format {document['format']!r}")
        wheels = tuple(_wheel(entry) for entry in document["packages"])
    except (ValueError, KeyError, TypeError) as e:
        raise ArchiveError(f"{source}: {RECORD_NAME} is not a valid record ({e})") from e
    listed = sorted((w.name, w.version) for w in wheels)
    wanted = sorted((p.name, p.version) for p in declared)
    if listed != wanted:
        raise ArchiveError(
            f"{source}: {RECORD_NAME} lists {_show(listed)} but plugin.toml declares {_show(wanted)}",
            hint="rebuild it with `acc plugin build`",
        )
    return wheels


def _wheel(entry: Any) -> BundledWheel:
    if not isinstance(entry, dict) or set(entry) != {"name", "version", "wheel", "sha256"}:
        raise ValueError("each package has exactly name, version, wheel and sha256")
    if not all(isinstance(v, str) for v in entry.values()):
        raise ValueError("every field is a string")
    if not _SHA256.fullmatch(entry["sha256"]) or not _WHEEL.fullmatch(entry["wheel"]):
        raise ValueError(f"{entry['name']}: a sha256 of 64 hex digits and a wheel file name")
    return BundledWheel(normalize(entry["name"]), entry["version"], entry["wheel"], entry["sha256"])


def _show(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{n}=={v}" for n, v in pairs) or "none"
