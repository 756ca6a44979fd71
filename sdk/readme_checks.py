"""What a plugin's README.md tells readers, checked against the scaffold and plugin.toml:
pure functions over text, used by `acc plugin validate`/`build` (warnings) and by the
registry's publish (a refusal, or warnings in its answer).

Two problems are found:

- **The scaffold's README, left as it was** (`scaffold_readme`). `acc plugin new` writes a
  README about its example `hello` and `visits` commands. Compared with whitespace
  normalised and whatever plugin name was put into it (a plugin renamed after `acc plugin
  new` keeps the README of its old name).
- **A README that contradicts plugin.toml about capabilities** (`readme_capabilities`).
  No prose is interpreted; only this convention (the one the scaffold's README follows) is
  read:

  - a heading `Capabilities` (or `Capability`, any level, `#` style) opens a section that
    runs to the next heading of the same or a higher level. Each list item or table row in
    it that is not indented and starts with a kind in backticks names that kind:
    ``- `fs` (read): reads the project's files.`` or ``| `process`: git | runs git |``.
    A section that names no kind says that the plugin asks for none;
  - a line (or heading) `Capabilities: none` or ``Capabilities: `fs`, `http` `` (optionally
    in bold) says the same in one line. A line after `Capabilities:` that is not such a list is
    prose and is not read.

  Fenced code blocks are skipped. A README with neither form says nothing to check. What
  is said is compared with the kinds plugin.toml asks for: "none" while some are asked,
  an asked kind not named, a named kind not asked (or no kind at all).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

SCAFFOLD_README = "scaffold_readme"
README_CAPABILITIES = "readme_capabilities"

_CONVENTION_HINT = (
    "in README.md, list each capability plugin.toml asks for under a `## Capabilities` heading, "
    "one line each: - `kind`: why the plugin needs it"
)


@dataclass(frozen=True)
class ReadmeFinding:
    """One problem with a README: a stable code, what is wrong, and what to do."""

    code: str
    message: str
    hint: str


def check_readme(text: str, asked: Iterable[str] | None) -> list[ReadmeFinding]:
    """The problems of README `text` for a plugin whose plugin.toml asks for the capability
    kinds `asked`: the scaffold's README, or each contradiction about capabilities (not
    compared when `asked` is None: plugin.toml could not be read)."""
    if is_scaffold_readme(text):
        return [
            ReadmeFinding(
                SCAFFOLD_README,
                "README.md is still the one `acc plugin new` wrote",
                "describe what this plugin does, its commands, and why it needs each capability: "
                "users read it before installing",
            )
        ]
    said = said_capabilities(text) if asked is not None else None
    if said is None or asked is None:
        return []
    return _contradictions(said, frozenset(asked))


def is_scaffold_readme(text: str) -> bool:
    """`text` is the README `acc plugin new` writes, with any plugin name, spacing aside."""
    return _scaffold_pattern().fullmatch(" ".join(text.split())) is not None


def said_capabilities(text: str) -> frozenset[str] | None:
    """The capability kinds README `text` says the plugin asks for, by the convention in this
    module's docstring (empty: it says none); None when it says nothing either way."""
    said: set[str] = set()
    found = False
    section_level = 0  # the heading level of the Capabilities section being read; 0: outside one
    fence = ""
    for line in text.splitlines():
        if fence:
            if line.lstrip().startswith(fence):
                fence = ""
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            if section_level and level <= section_level:
                section_level = 0
            title = heading.group(2).strip()
            if _CAPABILITIES_TITLE.fullmatch(title):
                section_level, found = level, True
            elif (in_title := _one_line_form(title)) is not None:  # "## Capabilities: none"
                said |= in_title
                found = True
            continue
        one_line = _one_line_form(line)
        if one_line is not None:
            said |= one_line
            found = True
            continue
        if section_level:
            item = _ITEM.match(line)
            if item:
                said.add(item.group(1).strip())
    return frozenset(said) if found else None


def _contradictions(said: frozenset[str], asked: frozenset[str]) -> list[ReadmeFinding]:
    from sdk.capabilities import KINDS

    if not said:
        if not asked:
            return []
        return [
            ReadmeFinding(
                README_CAPABILITIES,
                f"README.md says the plugin asks for no capabilities, but plugin.toml asks for {_names(asked)}",
                _CONVENTION_HINT,
            )
        ]
    findings = []
    missing = asked - said
    if missing:
        findings.append(
            ReadmeFinding(
                README_CAPABILITIES,
                f"README.md's capabilities do not name {_names(missing)}, which plugin.toml asks for",
                _CONVENTION_HINT,
            )
        )
    unknown = {kind for kind in said if kind not in KINDS}
    unasked = said - asked - unknown
    if unasked:
        findings.append(
            ReadmeFinding(
                README_CAPABILITIES,
                f"README.md's capabilities name {_names(unasked)}, which plugin.toml does not ask for",
                "remove it from README.md, or declare it in plugin.toml with its reason",
            )
        )
    if unknown:
        findings.append(
            ReadmeFinding(
                README_CAPABILITIES,
                f"README.md's capabilities name {_names(unknown)}, which is not a capability kind",
                "the kinds are " + ", ".join(sorted(KINDS)),
            )
        )
    return findings


def _names(kinds: Iterable[str]) -> str:
    return ", ".join(sorted(kinds))


_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CAPABILITIES_TITLE = re.compile(r"capabilit(?:y|ies):?", re.IGNORECASE)
#: A list item or table row, not indented (a nested item is about its parent), opening with `kind`.
_ITEM = re.compile(r"^(?:[-*+]|\d{1,3}[.)]|\|)[ \t]*`([^`\n]{1,40})`")
_ONE_LINE = re.compile(r"^[ \t]*(?:\*\*|__)?capabilit(?:y|ies)(?::(?:\*\*|__)|(?:\*\*|__)?:)[ \t]*(.+)$", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z0-9_-]{0,39}")


def _one_line_form(line: str) -> set[str] | None:
    """The kinds of a `Capabilities: none` / ``Capabilities: `fs`, `http` `` line (empty for
    none); None when the line is not one, or goes on in prose."""
    from sdk.capabilities import KINDS

    match = _ONE_LINE.match(line)
    if match is None:
        return None
    words = [w.strip(" \t`*_.") for w in re.split(r",|\band\b", match.group(1).strip().lower())]
    if words == ["none"]:
        return set()
    if not words or not all(w in KINDS for w in words):
        return None
    return set(words)


#: A plugin name (sdk.names.NAME_PATTERN, unanchored).
_NAME = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"


@cache
def _scaffold_pattern() -> re.Pattern[str]:
    """The scaffold's README as a pattern over whitespace-normalised text: its words, with
    one plugin name (the same each time) wherever `acc plugin new` put the name."""
    from sdk.scaffold import scaffold_readme

    mark = "\x00"
    named = False
    words = []
    for word in scaffold_readme(mark).split():
        pieces = iter(word.split(mark))
        pattern = re.escape(next(pieces))
        for piece in pieces:
            pattern += ("(?P=name)" if named else f"(?P<name>{_NAME})") + re.escape(piece)
            named = True
        words.append(pattern)
    return re.compile(" ".join(words))
