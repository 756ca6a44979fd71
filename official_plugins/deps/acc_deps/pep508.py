"""One dependency specification (PEP 508), without the `packaging` library (the sandbox has
only the standard library). Pure.

    name [extras] (specifiers | @ url) [; marker]

Names are compared normalised (PEP 503: lower case, runs of `-_.` as one `-`). A
requirement is *pinned* when its specifier is exactly one `==VERSION` without a
wildcard, or `===VERSION`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*")
_EXTRAS = re.compile(r"\[\s*([^\]]*)\]\s*")
_SPEC = re.compile(r"\s*(===|==|!=|~=|<=|>=|<|>)\s*([A-Za-z0-9_.*+!-]+)\s*")
_NORMALISE = re.compile(r"[-_.]+")


class RequirementError(ValueError):
    """Not a PEP 508 requirement."""


@dataclass(frozen=True)
class Requirement:
    name: str  # as written
    extras: tuple[str, ...] = ()
    specifiers: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    marker: str | None = None
    text: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return normalise(self.name)

    @property
    def specifier(self) -> str:
        return ",".join(op + version for op, version in self.specifiers)

    @property
    def pinned_version(self) -> str | None:
        if self.url is None and len(self.specifiers) == 1:
            op, version = self.specifiers[0]
            if op == "===" or (op == "==" and "*" not in version):
                return version
        return None


def normalise(name: str) -> str:
    return _NORMALISE.sub("-", name).lower()


def parse(text: str) -> Requirement:
    """Parse one requirement; raise RequirementError saying what is wrong."""
    source = text.strip()
    body, marker = _split_marker(source)
    match = _NAME.match(body)
    if not match:
        raise RequirementError(f"{source!r} does not start with a project name")
    name, rest = match[1], body[match.end() :]
    extras: tuple[str, ...] = ()
    extras_match = _EXTRAS.match(rest)
    if extras_match:
        extras = tuple(e.strip() for e in extras_match[1].split(",") if e.strip())
        rest = rest[extras_match.end() :]
    rest = rest.strip()
    if rest.startswith("@"):
        url = rest[1:].strip()
        if not url or " " in url:
            raise RequirementError(f"{source!r}: '@' must be followed by a URL")
        return Requirement(name, extras, (), url, marker, source)
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1]
    specifiers: list[tuple[str, str]] = []
    if rest.strip():
        for part in rest.split(","):
            spec = _SPEC.fullmatch(part)
            if not spec:
                raise RequirementError(f"{source!r}: {part.strip()!r} is not a version specifier such as '>=1.2'")
            specifiers.append((spec[1], spec[2]))
    return Requirement(name, extras, tuple(specifiers), None, marker, source)


def _split_marker(text: str) -> tuple[str, str | None]:
    # A URL may hold ';' (rare); PEP 508 requires whitespace before a URL's marker.
    if "@" in text.split(";", 1)[0] and " ;" not in text:
        return text, None
    body, separator, marker = text.partition(";")
    return body, marker.strip() if separator else None
