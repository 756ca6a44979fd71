"""A changelog from commits: grouped by conventional-commit type, or by keywords.

A conventional subject is `type(scope)!: description` (https://www.conventionalcommits.org).
Its type is mapped onto the groups below (`feature` -> feat, `build`/`ci`/`style` ->
chore, ...). A subject that is not conventional is grouped by the first keyword rule
it matches (`Fix crash on empty input` -> fix), or as `other`. `!` after the type, or
a `BREAKING CHANGE:` footer in the body, marks a breaking change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

GROUPS = ("feat", "fix", "docs", "refactor", "perf", "test", "chore", "other")
TITLES = {
    "feat": "Features",
    "fix": "Bug fixes",
    "docs": "Documentation",
    "refactor": "Refactoring",
    "perf": "Performance",
    "test": "Tests",
    "chore": "Chores",
    "other": "Other changes",
}
_ALIASES = {
    "feature": "feat",
    "features": "feat",
    "bugfix": "fix",
    "hotfix": "fix",
    "doc": "docs",
    "tests": "test",
    "testing": "test",
    "refactoring": "refactor",
    "performance": "perf",
    "build": "chore",
    "ci": "chore",
    "style": "chore",
    "deps": "chore",
    "release": "chore",
    "revert": "other",
}
_CONVENTIONAL = re.compile(
    r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()\r\n]*)\))?(?P<breaking>!)?:[ \t]+(?P<description>\S.*)$"
)
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE:[ \t]*(?P<note>.*)$", re.MULTILINE)
_MERGE = re.compile(r"^Merge (branch|branches|pull request|remote-tracking branch|tag|commit) ")
# Checked in this order; the first rule whose words appear in the subject wins.
_KEYWORD_RULES = (
    ("fix", r"fix|fixes|fixed|fixing|bug|bugs|bugfix|crash|crashes|regression|hotfix|repair"),
    ("docs", r"doc|docs|documentation|documented|readme|docstrings?|changelog|typo|typos"),
    ("test", r"test|tests|tested|testing|coverage|pytest"),
    ("perf", r"perf|performance|faster|speed|speeds|speedup|optimi[sz]e[sd]?|optimi[sz]ations?"),
    (
        "refactor",
        r"refactor\w*|rename[sd]?|restructure[sd]?|cleanup|cleanups|simplif\w*|reorgani[sz]\w*|"
        r"move[sd]?|extract(s|ed)?",
    ),
    ("chore", r"chore|bump\w*|deps|dependency|dependencies|release|ci|lint\w*|upgrade[sd]?|gitignore"),
    (
        "feat",
        r"feat|add|adds|added|adding|implement\w*|introduce[sd]?|support\w*|new|feature\w*|allow\w*|"
        r"enable\w*",
    ),
)
_KEYWORDS = tuple((group, re.compile(rf"\b(?:{words})\b", re.IGNORECASE)) for group, words in _KEYWORD_RULES)
GROUP_BY = ("auto", "type", "keyword")


@dataclass(frozen=True)
class Entry:
    hash: str
    short_hash: str
    group: str
    scope: str | None
    description: str
    subject: str
    breaking: bool
    breaking_note: str | None
    author: str
    date: str

    def to_json(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "short_hash": self.short_hash,
            "type": self.group,
            "scope": self.scope,
            "description": self.description,
            "subject": self.subject,
            "breaking": self.breaking,
            "breaking_note": self.breaking_note,
            "author": self.author,
            "date": self.date,
        }


def classify(subject: str, body: str = "", group_by: str = "auto") -> tuple[str, str | None, str, bool, str | None]:
    """(group, scope, description, breaking, breaking note) for one commit message.

    `group_by`: "type" uses only conventional prefixes (anything else is `other`),
    "keyword" only keyword rules over the whole subject, "auto" the prefix when there
    is one, else keywords.
    """
    footer = _BREAKING_FOOTER.search(body or "")
    note = (footer.group("note").strip() or None) if footer else None
    match = _CONVENTIONAL.match(subject.strip())
    conventional_type = None
    if match:
        kind = match.group("type").lower()
        conventional_type = kind if kind in GROUPS else _ALIASES.get(kind)
    if match and conventional_type is not None:
        scope = (match.group("scope") or "").strip() or None
        description = match.group("description").strip()
        breaking = bool(match.group("breaking")) or footer is not None
        group = _by_keyword(subject) if group_by == "keyword" else conventional_type
        return group, scope, description, breaking, note
    description = subject.strip()
    group = "other" if group_by == "type" else _by_keyword(description)
    return group, None, description, footer is not None, note


def _by_keyword(text: str) -> str:
    for group, pattern in _KEYWORDS:
        if pattern.search(text):
            return group
    return "other"


def is_merge(commit: dict[str, Any]) -> bool:
    parents = commit.get("parents")
    if isinstance(parents, list) and len(parents) > 1:
        return True
    return bool(_MERGE.match(str(commit.get("subject", ""))))


def entries(commits: list[dict[str, Any]], group_by: str = "auto") -> list[Entry]:
    """Classify commits (as the git plugin's `log` returns them), keeping their order."""
    found = []
    for commit in commits:
        subject = str(commit.get("subject", "")).strip()
        body = str(commit.get("body") or "")
        group, scope, description, breaking, note = classify(subject, body, group_by)
        full_hash = str(commit.get("hash", ""))
        found.append(
            Entry(
                hash=full_hash,
                short_hash=str(commit.get("short_hash") or full_hash[:7]),
                group=group,
                scope=scope,
                description=description,
                subject=subject,
                breaking=breaking,
                breaking_note=note,
                author=_author(commit),
                date=str(commit.get("date") or commit.get("author_date") or ""),
            )
        )
    return found


def _author(commit: dict[str, Any]) -> str:
    author = commit.get("author")
    if isinstance(author, dict):
        return str(author.get("name") or "")
    return str(commit.get("author_name") or author or "")


def grouped(found: list[Entry]) -> list[dict[str, Any]]:
    """Non-empty groups in the fixed order of GROUPS, commits in history order."""
    return [
        {"type": group, "title": TITLES[group], "commits": [e.to_json() for e in found if e.group == group]}
        for group in GROUPS
        if any(e.group == group for e in found)
    ]


def markdown(found: list[Entry], *, since: str | None, heading_level: int = 2) -> str:
    level = min(max(heading_level, 1), 5)
    title = f"Changes since `{since}`" if since else "Changelog"
    blocks = [f"{'#' * level} {title}"]
    breaking = [e for e in found if e.breaking]
    if breaking:
        items = [f"- {_scope(e)}{e.breaking_note or e.description} ({_hash(e)})" for e in breaking]
        blocks.append(f"{'#' * (level + 1)} Breaking changes\n\n" + "\n".join(items))
    for group in grouped(found):
        items = [f"- {_scope(e)}{e.description} ({_hash(e)})" for e in found if e.group == group["type"]]
        blocks.append(f"{'#' * (level + 1)} {group['title']}\n\n" + "\n".join(items))
    if not found:
        blocks.append("No changes.")
    return "\n\n".join(blocks) + "\n"


def _scope(entry: Entry) -> str:
    return f"**{entry.scope}:** " if entry.scope else ""


def _hash(entry: Entry) -> str:
    return f"`{entry.short_hash}`"
