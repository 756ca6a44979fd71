"""The registry has one error tree: every error class lives in registry/errors.py, under
`RegistryError`, and is drawn in that module's docstring."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import registry
from registry import errors
from sdk.errors import AccError

REGISTRY_DIR = Path(registry.__file__).parent


def _exception_classes_outside_errors_py() -> list[str]:
    found = []
    for path in sorted(REGISTRY_DIR.rglob("*.py")):
        if path == REGISTRY_DIR / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b) for b in node.bases]
                if any(b.endswith(("Error", "Exception")) for b in bases):
                    found.append(f"{path.relative_to(REGISTRY_DIR)}: {node.name}({', '.join(bases)})")
    return found


def test_no_registry_module_but_errors_py_defines_an_error() -> None:
    assert _exception_classes_outside_errors_py() == []


def test_every_registry_error_is_a_registry_error_and_drawn_in_the_tree() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert {c.__name__ for c in classes} >= {"RegistryError", "ApiError", "ConfigError", "RepositoryError", "SeedError"}
    tree = errors.__doc__ or ""
    for cls in classes:
        assert issubclass(cls, errors.RegistryError), cls
        assert f"── {cls.__name__}" in tree, f"{cls.__name__} is not drawn in registry/errors.py's docstring"
    assert issubclass(errors.RegistryError, AccError)


def test_an_api_error_keeps_its_json_shape() -> None:
    e = errors.conflict("taken", hint="choose another", code="version_exists")
    assert (e.status, e.body()) == (
        409,
        {"error": {"code": "version_exists", "message": "taken", "hint": "choose another"}},
    )
