"""Find public functions no test mentions, and write pytest stubs for them. Pure.

"Public" is a module-level function, or a method of a module-level class, whose name
(and class name) does not start with "_". "Tested" is a heuristic over the tests' ASTs:
a function counts as tested when a test file names it (a call, an import, an attribute
`module.func`) or a test function is called `test_<name>` or `test_<name>_...`; a
method counts when a test names its class and the method (`obj.method`, or a test
`test_<method>...`). That misses a function exercised only indirectly, which is
the point: such a function has no test of its own.

Each stub calls the function with a placeholder `...` for every required argument
and asserts `result == ...`, so it fails until someone fills it in; a skeleton that
passed as written would look like coverage it is not.
"""

from __future__ import annotations

import ast
import keyword
import re

_SNAKE_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def module_name(path: str) -> str | None:
    """The import name of a project file ("pkg/mod.py" -> "pkg.mod"; src/ layout aware)."""
    parts = path[:-3].split("/") if path.endswith(".py") else None
    if not parts:
        return None
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        return None
    return ".".join(parts)


class TestReferences:
    """Every name the tests mention, and the names of the test functions."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.attributes: set[str] = set()
        self.test_functions: set[str] = set()

    def add(self, tree: ast.AST) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                self.names.add(node.id)
            elif isinstance(node, ast.Attribute):
                self.attributes.add(node.attr)
            elif isinstance(node, ast.alias):
                self.names.add((node.asname or node.name).split(".")[-1])
                self.names.add(node.name.split(".")[-1])
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                self.test_functions.add(node.name)

    def _has_test_named(self, name: str) -> bool:
        prefix = f"test_{name}"
        return any(t == prefix or t.startswith(prefix + "_") for t in self.test_functions)

    def function_tested(self, name: str) -> bool:
        return name in self.names or name in self.attributes or self._has_test_named(name)

    def method_tested(self, class_name: str, name: str) -> bool:
        if class_name not in self.names and class_name not in self.attributes:
            return False
        return (
            name in self.attributes or self._has_test_named(name) or self._has_test_named(f"{snake(class_name)}_{name}")
        )


def public_callables(tree: ast.Module) -> list[dict]:
    """Module-level public functions and public methods of public classes, in order."""
    found: list[dict] = []
    seen: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
            if node.name not in seen:  # @overload stubs share a name with the real one
                seen.add(node.name)
                found.append(_callable(node, None, None))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            for item in node.body:
                if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) or item.name.startswith("_"):
                    continue
                qualname = f"{node.name}.{item.name}"
                if qualname not in seen:
                    seen.add(qualname)
                    found.append(_callable(item, node.name, init))
    return found


def _callable(
    node: ast.FunctionDef | ast.AsyncFunctionDef, class_name: str | None, init: ast.FunctionDef | None
) -> dict:
    decorators = {_decorator_name(d) for d in node.decorator_list}
    if class_name is None:
        kind = "function"
    elif "property" in decorators or any(d.endswith(".setter") for d in decorators):
        kind = "property"
    elif "staticmethod" in decorators:
        kind = "staticmethod"
    elif "classmethod" in decorators:
        kind = "classmethod"
    else:
        kind = "method"
    skip_first = kind in ("method", "classmethod", "property")
    return {
        "name": node.name,
        "qualname": f"{class_name}.{node.name}" if class_name else node.name,
        "class": class_name,
        "kind": kind,
        "async": isinstance(node, ast.AsyncFunctionDef),
        "line": node.lineno,
        "arguments": _call_arguments(node.args, skip_first),
        "constructor": _call_arguments(init.args, True) if init is not None else "",
    }


def _decorator_name(decorator: ast.expr) -> str:
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    if isinstance(decorator, ast.Name):
        return decorator.id
    if isinstance(decorator, ast.Attribute):
        return f"{_decorator_name(decorator.value)}.{decorator.attr}"
    return ""


def _call_arguments(args: ast.arguments, skip_first: bool) -> str:
    """The argument list of a call that passes a placeholder for every required parameter."""
    positional = [*args.posonlyargs, *args.args]
    required_from = len(positional) - len(args.defaults)
    parts: list[str] = []
    for index, arg in enumerate(positional):
        if skip_first and index == 0:
            continue
        if index >= required_from:
            continue
        parts.append("..." if index < len(args.posonlyargs) else f"{arg.arg}=...")
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if default is None:
            parts.append(f"{arg.arg}=...")
    return ", ".join(parts)


def snake(name: str) -> str:
    return _SNAKE_BOUNDARY.sub("_", name).lower()


def _instance_name(class_name: str) -> str:
    name = snake(class_name)
    return f"{name}_" if keyword.iskeyword(name) or name in ("result", "pytest", "asyncio") else name


def render_tests(module: str, callables: list[dict]) -> str:
    """A test module with one failing stub per callable."""
    imported = sorted({c["class"] or c["name"] for c in callables})
    header = [
        f'"""Tests for {module}.',
        "",
        "Generated by the acc testing plugin: replace each `...` with real values;",
        'every test fails until then."""',
        "",
    ]
    if any(c["async"] for c in callables):
        header += ["import asyncio", ""]
    header.append(f"from {module} import {', '.join(imported)}")
    blocks = ["\n".join(header)]
    for item in callables:
        blocks.append("\n".join(_stub(item)))
    return "\n\n\n".join(blocks) + "\n"


def _stub(item: dict) -> list[str]:
    class_name, name, kind = item["class"], item["name"], item["kind"]
    test_name = f"test_{snake(class_name)}_{name}" if class_name else f"test_{name}"
    lines = [f"def {test_name}():"]
    if class_name is None:
        call = f"{name}({item['arguments']})"
    elif kind in ("staticmethod", "classmethod"):
        call = f"{class_name}.{name}({item['arguments']})"
    else:
        instance = _instance_name(class_name)
        lines.append(f"    {instance} = {class_name}({item['constructor']})")
        call = f"{instance}.{name}" if kind == "property" else f"{instance}.{name}({item['arguments']})"
    if item["async"]:
        call = f"asyncio.run({call})"
    lines += [f"    result = {call}", "    assert result == ..."]
    return lines


def suggested_test_path(source: str, module: str, test_dir: str, taken: set[str]) -> str:
    """tests/test_<module's last part>.py, or the whole dotted name if that is taken."""
    short = f"{test_dir}/test_{module.split('.')[-1]}.py"
    if short not in taken:
        return short
    return f"{test_dir}/test_{module.replace('.', '_')}.py"
