"""Markdown for the API model and for coverage reports. Same input, same bytes out."""

from __future__ import annotations

from typing import Any

from docs_core.pyapi import Class, Function, Module

_MAX_HEADING = 6


def api_markdown(modules: list[Module], heading_level: int = 1) -> str:
    """One section per module (headings start at `heading_level`), members in source order.

    Each entry is a heading, the signature (with its decorators) in a `python` code
    block, and the docstring as written.
    """
    blocks: list[str] = []
    for module in modules:
        blocks.append(f"{_heading(heading_level)} `{module.name}`")
        if module.docstring:
            blocks.append(module.docstring)
        _members(blocks, module.members, heading_level + 1)
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _members(blocks: list[str], members: list[Function | Class], level: int) -> None:
    for member in members:
        if isinstance(member, Class):
            blocks.append(f"{_heading(level)} class `{member.qualname}`")
        else:
            blocks.append(f"{_heading(level)} `{member.qualname}`")
        blocks.append(_code([*member.decorators, member.signature]))
        if member.docstring:
            blocks.append(member.docstring)
        if isinstance(member, Class):
            _members(blocks, member.members, level + 1)


def _heading(level: int) -> str:
    return "#" * min(max(level, 1), _MAX_HEADING)


def _code(lines: list[str]) -> str:
    body = "\n".join(lines)
    # A fence longer than any backtick run inside, so a default like "```" cannot end it early.
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}python\n{body}\n{fence}"


def coverage_markdown(report: dict[str, Any]) -> str:
    """A summary line, a table per module, and the missing docstrings with their places."""
    summary = (
        f"Docstring coverage: **{report['percent']:.1f}%** ({report['documented']} of "
        f"{report['total']} public definitions documented)"
    )
    if report.get("threshold") is not None:
        verdict = "passed" if report["passed"] else "failed"
        summary += f"; threshold {report['threshold']:g}%: **{verdict}**"
    lines = [summary + ".", "", "| module | documented | total | coverage |", "|---|---:|---:|---:|"]
    for module in report["modules"]:
        lines.append(
            f"| `{module['module']}` | {module['documented']} | {module['total']} | {module['percent']:.1f}% |"
        )
    missing = [(m, item) for m in report["modules"] for item in m["missing"]]
    if missing:
        lines += ["", "Missing docstrings:", ""]
        for module, item in missing:
            where = f"{module['path']}:{item['line']}"
            name = item["name"] if item["kind"] == "module" else f"{module['module']}.{item['name']}"
            lines.append(f"- `{name}` ({item['kind']}, {where})")
    return "\n".join(lines) + "\n"
