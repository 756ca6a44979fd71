"""A model of a Python module's API, rebuilt from its source with `ast` (nothing is imported).

Signatures are rebuilt from the syntax tree as the author wrote them: annotations,
defaults, positional-only `/`, `*args`, keyword-only parameters and `**kwargs`.
What counts as public follows Python's conventions: names without a leading
underscore, limited to `__all__` when a module lists its names there. `__init__` is
kept in the reference (it is the constructor's signature) but never counted as a
definition that needs its own docstring.
"""

from __future__ import annotations

import ast
import contextlib
import inspect  # noqa: F401  (ast.get_docstring imports it lazily)
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The component holds only the modules imported while it is built, and Python 3.14's
# ast.unparse imports its implementation on first use: import it now so it is bundled.
with contextlib.suppress(ImportError):  # before Python 3.14, ast.unparse is self-contained
    import _ast_unparse  # type: ignore[import-not-found]  # noqa: F401

_PROPERTY_DECORATORS = {"property", "cached_property", "functools.cached_property"}
_OVERLOAD_DECORATORS = {"overload", "typing.overload", "typing_extensions.overload", "t.overload"}


class SourceError(Exception):
    """A source file could not be parsed; `line` is where, when Python says."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Function:
    name: str
    qualname: str
    line: int
    kind: str  # function, method, classmethod, staticmethod or property
    signature: str
    decorators: list[str]
    docstring: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "qualname": self.qualname,
            "line": self.line,
            "kind": self.kind,
            "signature": self.signature,
            "decorators": list(self.decorators),
            "docstring": self.docstring,
        }


@dataclass
class Class:
    name: str
    qualname: str
    line: int
    signature: str
    decorators: list[str]
    docstring: str | None
    #: Methods and nested classes, in source order.
    members: list[Function | Class] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "qualname": self.qualname,
            "line": self.line,
            "kind": "class",
            "signature": self.signature,
            "decorators": list(self.decorators),
            "docstring": self.docstring,
            "members": [m.to_json() for m in self.members],
        }


@dataclass
class Module:
    name: str
    path: str
    docstring: str | None
    #: Public top-level classes and functions, in source order.
    members: list[Function | Class] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "docstring": self.docstring,
            "members": [m.to_json() for m in self.members],
        }


def is_public(name: str) -> bool:
    return not name.startswith("_")


def parse_module(source: bytes, *, name: str, path: str, include_private: bool = False) -> Module:
    """Parse `source` (bytes: a PEP 263 coding line is honoured) into a `Module`.

    Raises `SourceError` for anything Python itself would refuse to compile.
    """
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as e:
        raise SourceError(f"{type(e).__name__}: {e.msg}", e.lineno) from None
    except (ValueError, UnicodeDecodeError) as e:  # null bytes, undecodable text
        raise SourceError(f"{type(e).__name__}: {e}") from None
    except (RecursionError, MemoryError):
        raise SourceError("the file is nested too deeply to parse") from None
    exported = _dunder_all(tree)

    def visible(member_name: str) -> bool:
        if include_private:
            return True
        return member_name in exported if exported is not None else is_public(member_name)

    try:
        members = _members(tree.body, prefix="", in_class=False, visible=visible, include_private=include_private)
    except RecursionError:
        raise SourceError("the file is nested too deeply to document") from None
    return Module(name=name, path=path, docstring=ast.get_docstring(tree, clean=True), members=members)


def _dunder_all(tree: ast.Module) -> set[str] | None:
    """The names a literal `__all__ = [...]` lists, or None when there is no such list."""
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and isinstance(
            value, ast.List | ast.Tuple
        ):
            names = [elt.value for elt in value.elts if isinstance(elt, ast.Constant) and isinstance(elt.value, str)]
            return set(names)
    return None


def _members(
    body: list[ast.stmt], *, prefix: str, in_class: bool, visible: Callable[[str], bool], include_private: bool
) -> list[Function | Class]:
    # Keyed by name: a redefinition replaces the earlier one, as it does at run time.
    found: dict[str, Function | Class] = {}
    for node in body:
        if isinstance(node, ast.ClassDef):
            if not (visible(node.name) if not in_class else include_private or is_public(node.name)):
                continue
            qualname = prefix + node.name
            found[node.name] = Class(
                name=node.name,
                qualname=qualname,
                line=node.lineno,
                signature=_class_signature(node),
                decorators=[f"@{ast.unparse(d)}" for d in node.decorator_list],
                docstring=ast.get_docstring(node, clean=True),
                members=_members(
                    node.body, prefix=qualname + ".", in_class=True, visible=visible, include_private=include_private
                ),
            )
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            shown = (
                (include_private or is_public(node.name) or node.name == "__init__") if in_class else visible(node.name)
            )
            if not shown or _is_overload_or_accessor(node):
                continue
            found[node.name] = Function(
                name=node.name,
                qualname=prefix + node.name,
                line=node.lineno,
                kind=_function_kind(node, in_class),
                signature=function_signature(node),
                decorators=[f"@{ast.unparse(d)}" for d in node.decorator_list],
                docstring=ast.get_docstring(node, clean=True),
            )
    return sorted(found.values(), key=lambda m: m.line)


def _decorator_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return ast.unparse(target)


def _is_overload_or_accessor(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    # @overload stubs are signatures without bodies; @x.setter / @x.deleter belong to the
    # property x, documented once with its getter.
    for decorator in node.decorator_list:
        name = _decorator_name(decorator)
        if name in _OVERLOAD_DECORATORS or name.endswith((".setter", ".deleter")):
            return True
    return False


def _function_kind(node: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> str:
    if not in_class:
        return "function"
    names = {_decorator_name(d) for d in node.decorator_list}
    if "staticmethod" in names:
        return "staticmethod"
    if "classmethod" in names:
        return "classmethod"
    if names & _PROPERTY_DECORATORS or any(n.endswith(".property") for n in names):
        return "property"
    return "method"


def function_signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """`def name(params) -> returns` (or `async def`), rebuilt from the syntax tree."""
    args = node.args
    params: list[str] = []
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        params.append(_parameter(arg, default))
        if args.posonlyargs and index == len(args.posonlyargs) - 1:
            params.append("/")
    if args.vararg is not None:
        params.append("*" + _parameter(args.vararg, None))
    elif args.kwonlyargs:
        params.append("*")
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(_parameter(arg, kw_default))
    if args.kwarg is not None:
        params.append("**" + _parameter(args.kwarg, None))
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    keyword = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    return f"{keyword} {node.name}{_type_params(node)}({', '.join(params)}){returns}"


def _parameter(arg: ast.arg, default: ast.expr | None) -> str:
    text = arg.arg
    if arg.annotation is not None:
        text += f": {ast.unparse(arg.annotation)}"
        if default is not None:
            text += f" = {ast.unparse(default)}"
    elif default is not None:
        text += f"={ast.unparse(default)}"
    return text


def _class_signature(node: ast.ClassDef) -> str:
    bases = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
    arguments = f"({', '.join(bases)})" if bases else ""
    return f"class {node.name}{_type_params(node)}{arguments}"


def _type_params(node: ast.AST) -> str:
    # PEP 695 generics (`def f[T](x: T)`), present in the syntax tree from Python 3.12.
    params = getattr(node, "type_params", None) or []
    return f"[{', '.join(ast.unparse(p) for p in params)}]" if params else ""
