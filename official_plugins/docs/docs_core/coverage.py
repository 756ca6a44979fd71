"""Docstring coverage: which public definitions have a docstring.

Counted: each module, class, function and method of the API model (`pyapi`), which
already holds only public names unless private ones were asked for. Test modules
(`is_test_file`) are left out unless asked for: a test function needs no docstring. Special methods
(`__init__`, `__repr__`, ...) are never counted: the class docstring and Python's data
model document them. A property counts once, with its getter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docs_core.pyapi import Class, Function, Module


@dataclass(frozen=True)
class Definition:
    name: str
    kind: str
    line: int
    documented: bool


def definitions(module: Module) -> list[Definition]:
    """The module and every counted definition in it, in source order."""
    found = [Definition(module.name, "module", 1, module.docstring is not None)]

    def visit(members: list[Function | Class]) -> None:
        for member in members:
            if _is_special(member.name):
                continue
            kind = "class" if isinstance(member, Class) else member.kind
            found.append(Definition(member.qualname, kind, member.line, member.docstring is not None))
            if isinstance(member, Class):
                visit(member.members)

    visit(module.members)
    return found


def percent(documented: int, total: int) -> float:
    """Rounded to one decimal; 100.0 when there is nothing to document."""
    return 100.0 if total == 0 else round(100.0 * documented / total, 1)


def module_report(module: Module) -> dict[str, Any]:
    found = definitions(module)
    documented = sum(d.documented for d in found)
    return {
        "module": module.name,
        "path": module.path,
        "total": len(found),
        "documented": documented,
        "percent": percent(documented, len(found)),
        "missing": [{"name": d.name, "kind": d.kind, "line": d.line} for d in found if not d.documented],
    }


def meets(documented: int, total: int, threshold: float) -> bool:
    """Whether the exact ratio (not the rounded percentage) reaches `threshold` percent."""
    # The epsilon absorbs float noise in a threshold computed as a ratio (e.g. 5/7*100).
    return total == 0 or documented * 100.0 >= threshold * total - 1e-9


def is_test_file(path: str) -> bool:
    """A test module, whose functions are tests, not API: test_*.py, *_test.py, conftest.py,
    or any file under a tests/ or test/ directory (pytest's conventions)."""
    parts = path.split("/")
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in ("tests", "test") for part in parts[:-1])
    )


def _is_special(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")
