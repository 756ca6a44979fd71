"""The import structure holds: floors import only downwards, and no modules import each other in a circle.

Floors, from the bottom: sdk (formats), host (runtime), registry (the marketplace
service), acc_cli (the command tree). Every import counts, including the ones inside
functions and under TYPE_CHECKING: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO

FLOORS = ["sdk", "host", "registry", "acc_cli"]
#: Trees that are not part of the import structure: guest code built into components, templates.
NOT_MEASURED = ("sdk/guest/", "sdk/templates/", "registry/migrations/")


def _modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for floor in FLOORS:
        for path in sorted((REPO / floor).rglob("*.py")) if (REPO / floor).is_dir() else []:
            relative = path.relative_to(REPO).as_posix()
            if relative.startswith(NOT_MEASURED):
                continue
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(module: str, path: Path) -> Iterator[str]:
    """The project modules `module` imports (resolved to the deepest module that exists)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import sub` imports the module pkg.sub; `from mod import name`, mod.
            names = [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                yield name


GRAPH = {module: set(_imports(module, path)) for module, path in MODULES.items()}


def _floor(module: str) -> int:
    return FLOORS.index(module.split(".")[0])


def test_the_measured_tree_is_the_whole_project() -> None:
    assert {m.split(".")[0] for m in MODULES} == set(FLOORS)
    assert len(MODULES) > 100


def test_every_import_goes_down_or_stays_on_its_floor() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _floor(target) > _floor(module)
    )
    assert upward == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(GRAPH[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert _cycles() == []


@pytest.mark.parametrize(
    ("module", "target"),
    [("sdk.manifest", "host.capabilities.http"), ("host.runner", "host.agent.loop")],
)
def test_the_check_sees_the_imports_it_judges(module: str, target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks above can fail: an upward import or a circle put into the graph is found."""
    monkeypatch.setitem(GRAPH, module, GRAPH[module] | {target})
    if _floor(target) > _floor(module):
        with pytest.raises(AssertionError):
            test_every_import_goes_down_or_stays_on_its_floor()
    monkeypatch.setitem(GRAPH, target, GRAPH[target] | {module})
    assert any(module in cycle and target in cycle for cycle in _cycles())
