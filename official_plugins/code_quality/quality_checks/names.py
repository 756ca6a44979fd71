"""pyflakes' checks, in our codes and words, quieted where Python's dynamism makes them unsure.

pyflakes (bundled from PyPI, see plugin.toml's [python] table) follows Python's scoping
rules: unused imports and variables, undefined names and `__all__` entries, and the
single-node mistakes it knows (f-strings without placeholders, `assert` on a tuple, `is`
with a literal, repeated dict keys, `raise NotImplemented`). This module maps its messages
to the CQ codes and messages the plugin has always reported, at the position of the name
itself, and drops what this plugin promises never to report because it cannot be sure:

- imports in a package's `__init__.py` (re-exports) or guarded by `except ImportError`,
  and imports named inside a string in a subscript or `cast()` (a forward reference);
- locals whose names start with `_`, those bound by `with ... as` or tuple unpacking, and
  those of a function that calls `vars()`, `eval` or `exec`;
- undefined names in annotations or when the module calls `exec` or `globals()`, and `__all__` entries a
  module `__getattr__` may provide or a computed `__all__` may list.
"""

from __future__ import annotations

import ast
import re
import sys
import types
from collections.abc import Iterator
from typing import Any

from quality_checks.source import Source


def _import_checker() -> types.ModuleType:
    """pyflakes.checker, imported without doctest where it is not loaded yet.

    pyflakes imports doctest (and through it pdb, unittest and inspect: about 5 MB of the
    component's memory snapshot, and 40 ms of import on CPython) only to read doctests,
    which this plugin never asks for (withDoctest=False). For that one import it gets a
    stand-in whose parser finds no examples; the stand-in leaves sys.modules at once, so
    any other `import doctest` still gets the real module.
    """
    if "pyflakes.checker" in sys.modules or "doctest" in sys.modules:
        import pyflakes.checker

        return pyflakes.checker
    stand_in = types.ModuleType("doctest", "no doctests: code-quality never reads them")

    class DocTestParser:
        def get_examples(self, string: str, name: str = "<string>") -> list[object]:
            return []

    stand_in.DocTestParser = DocTestParser  # type: ignore[attr-defined]
    sys.modules["doctest"] = stand_in
    try:
        import pyflakes.checker
    finally:
        del sys.modules["doctest"]
    return pyflakes.checker


_checker = _import_checker()
messages = _checker.messages


class _QuickerChecker(_checker.Checker):  # type: ignore[misc,name-defined]
    """pyflakes 3.4.0's Checker, with three of its per-node and per-file costs cut and the
    same messages (tests/official/test_code_quality.py compares them with the stock one).

    - `handleNode` asks `self.nodeDepth == 0` before `self.futuresAllowed`: that property
      runs a generator over the scope stack for every node of the file, while only the
      module's top-level statements (depth 0) can use its answer. The getter changes
      nothing, so asking the cheap question first changes no outcome.
    - The ~160 builtins every file starts with go straight into the empty module scope
      (about 0.45 ms a file on CPython): `addBinding` would look for each in every scope
      and find none, and then do exactly this.
    - Each deferred annotation reuses one `in_annotation` wrapper instead of making a new one.

    On CPython they take a sixth off the checker's CPU time, with the same messages (the
    first two: 13,932 files of this repository and the standard library, 30,265 messages;
    all three: 1,100 files). In the component `lint` gains about 5%, as much as the noise:
    pyflakes' own walk is what costs (docs/performance.md, "Bundled packages").
    """

    def handleNode(self, node: ast.AST | None, parent: ast.AST | None) -> None:
        if node is None:
            return
        if self.offset and getattr(node, "lineno", None) is not None:
            node.lineno += self.offset[0]  # type: ignore[attr-defined]
            node.col_offset += self.offset[1]  # type: ignore[attr-defined]
        if (
            self.nodeDepth == 0
            and self.futuresAllowed
            and not isinstance(node, ast.ImportFrom)
            and not self.isDocstring(node)
        ):
            self.futuresAllowed = False
        self.nodeDepth += 1
        node._pyflakes_depth = self.nodeDepth  # type: ignore[attr-defined]
        node._pyflakes_parent = parent  # type: ignore[attr-defined]
        try:
            handler = self.getNodeHandler(node.__class__)
            handler(node)
        finally:
            self.nodeDepth -= 1

    #: pyflakes wraps its handleNode in a new annotation-context wrapper for every annotation
    #: it defers (all of them under `from __future__ import annotations`); one wrapper serves.
    _annotation_handler = staticmethod(_checker.in_annotation(_checker.Checker.handleNode))

    def handle_annotation_always_deferred(self, annotation: ast.AST, parent: ast.AST) -> None:
        handle = self._annotation_handler
        self.deferFunction(lambda: handle(self, annotation, parent))

    def addBinding(self, node: ast.AST | None, value: Any) -> None:
        stack = self.scopeStack
        if node is None and type(value) is _checker.Builtin and len(stack) == 1 and value.name not in stack[0]:
            stack[0][value.name] = value  # what addBinding does for a name no scope holds yet
            return
        super().addBinding(node, value)


#: The stock Checker for any other pyflakes: the shortcuts above copy 3.4.0's handleNode.
Checker = _QuickerChecker if sys.modules["pyflakes"].__version__ == "3.4.0" else _checker.Checker

Raw = list[tuple[str, str, int, int]]  # (code, message, line, ast col_offset)
_ImportNode = ast.Import | ast.ImportFrom

# Module attributes and names the site module adds: a guest's CPython may start without site.
_EXTRA_BUILTINS = (
    "__annotate__",
    "__module__",
    "__qualname__",
    "__class__",
    "__spec__",
    "__loader__",
    "__package__",
    "__path__",
    "__cached__",
    "exit",
    "quit",
    "help",
    "copyright",
    "credits",
    "license",
    "PythonFinalizationError",
    "_",
)
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_DYNAMIC_GLOBALS = frozenset({"globals", "exec"})
_DYNAMIC_LOCALS = frozenset({"locals", "vars", "eval", "exec"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def name_checks(source: Source, nodes: list[ast.AST]) -> Raw:
    """pyflakes' findings on `source` (whose nodes are `nodes`), as (code, message, line, col)."""
    checker = Checker(source.tree, filename=source.path, builtins=_EXTRA_BUILTINS, withDoctest=False)
    if not checker.messages:
        return []  # most files: no need to learn what the quieting rules would ask
    facts = _Facts(source, nodes)
    found: Raw = []
    for message in checker.messages:
        found += facts.translate(message)
    return found


class _Facts:
    """What the quieting rules need to know about one file, gathered in one pass over its nodes."""

    def __init__(self, source: Source, nodes: list[ast.AST]) -> None:
        self.package_init = source.path.rsplit("/", 1)[-1] == "__init__.py"
        self.imports: dict[int, list[ast.Import | ast.ImportFrom]] = {}
        self.guarded_imports: set[int] = set()  # ids of imports under `except ImportError` or in eval's reach
        self.function_imports: set[int] = set()  # ids of imports inside a function
        self.quiet_locals: set[tuple[int, int]] = set()  # with-as and unpacking targets
        self.handlers: set[tuple[int, int]] = set()
        self.annotation_spots: set[tuple[int, int]] = set()  # names and strings in annotations
        self.compares: dict[tuple[int, int], ast.Compare] = {}
        self.dict_keys: dict[tuple[int, int], tuple[ast.Dict, int]] = {}
        self.forward_names: set[str] = set()  # identifiers in strings inside subscripts and cast()
        self.all_entries: dict[str, ast.AST] = {}
        self.dynamic_globals = False
        self.module_getattr = False
        self.computed_all = False
        for node in nodes:
            self._note(node)
        for statement in getattr(source.tree, "body", []):
            self._note_module_statement(statement)

    def _note(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            self.imports.setdefault(node.lineno, []).append(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.returns is not None:
                self._note_annotation(node.returns)
            inside = list(_walk(node.body))
            imports = {id(n) for n in inside if isinstance(n, ast.Import | ast.ImportFrom)}
            self.function_imports |= imports
            if any(isinstance(n, ast.Call) and _called_name(n.func) in _DYNAMIC_LOCALS for n in inside):
                # eval/exec/vars() may read any local by name: pyflakes follows only locals().
                self.guarded_imports |= imports
                self.quiet_locals |= {_start(n) for n in inside if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Try | getattr(ast, "TryStar", ast.Try)):
            caught = set().union(*(_names(h.type) for h in node.handlers if h.type is not None))
            if caught & _IMPORT_ERRORS or any(h.type is None for h in node.handlers):
                self.guarded_imports |= {id(n) for n in _walk(node.body) if isinstance(n, ast.Import | ast.ImportFrom)}
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self.quiet_locals |= {_start(n) for n in _walk([node.optional_vars]) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Assign | ast.For | ast.AsyncFor | ast.comprehension):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Tuple | ast.List):
                    self.quiet_locals |= {_start(n) for n in _walk([target]) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            self._note_annotation(node.annotation)
        elif isinstance(node, ast.ExceptHandler):
            self.handlers.add(_start(node))
        elif isinstance(node, ast.Compare):
            self.compares[_start(node)] = node
        elif isinstance(node, ast.Dict):
            for index, key in enumerate(node.keys):
                if key is not None:
                    self.dict_keys[_start(key)] = (node, index)
        elif isinstance(node, ast.Subscript):
            self._note_strings(node.slice)
        elif isinstance(node, ast.Call):
            called = _called_name(node.func)
            if called in _DYNAMIC_GLOBALS:
                self.dynamic_globals = True
            elif called == "cast" and node.args:
                self._note_strings(node.args[0])

    def _note_annotation(self, node: ast.AST) -> None:
        # Annotations are often never evaluated: a name missing there is for a type checker.
        self.annotation_spots |= {_start(n) for n in ast.walk(node) if isinstance(n, ast.Name | ast.Constant)}

    def _note_strings(self, node: ast.AST) -> None:
        for child in _walk([node]):
            if isinstance(child, ast.Constant) and isinstance(child.value, str):
                self.forward_names.update(_IDENTIFIER.findall(child.value))

    def _note_module_statement(self, statement: ast.stmt) -> None:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and statement.name == "__getattr__":
            self.module_getattr = True
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign | ast.AugAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return
        if isinstance(value, ast.List | ast.Tuple) and all(isinstance(e, ast.Constant) for e in value.elts):
            for element in value.elts:
                assert isinstance(element, ast.Constant)
                self.all_entries.setdefault(str(element.value), element)
        else:
            self.computed_all = True

    # -- one message ----------------------------------------------------------------------------

    def translate(self, message: messages.Message) -> Raw:
        at = (message.lineno, message.col)
        args = message.message_args
        if isinstance(message, messages.UnusedImport):
            return self._unused_import(str(args[0]), at)
        if isinstance(message, messages.UnusedVariable):
            return self._unused_variable(str(args[0]), at)
        if isinstance(message, messages.UndefinedName):
            if self.dynamic_globals or at in self.annotation_spots:
                return []
            return [("CQ103", f"undefined name '{args[0]}'", *at)]
        if isinstance(message, messages.UndefinedExport):
            return self._undefined_export(str(args[0]), at)
        return self._single_node(message, at)

    def _unused_import(self, label: str, at: tuple[int, int]) -> Raw:
        statement, alias = self._import_at(label, at)
        if statement is not None and id(statement) in self.guarded_imports:
            return []  # an availability check
        if self.package_init and (statement is None or id(statement) not in self.function_imports):
            return []  # a package's __init__ imports to re-export
        if alias is not None and _bound_name(statement, alias) in self.forward_names:
            return []
        where = _start(alias) if alias is not None and hasattr(alias, "lineno") else at
        return [("CQ101", f"'{label}' is imported but never used", *where)]

    def _import_at(self, label: str, at: tuple[int, int]) -> tuple[_ImportNode | None, ast.alias | None]:
        statements = [s for s in self.imports.get(at[0], []) if s.col_offset == at[1]]
        if not statements:
            return None, None
        statement = statements[0]
        for alias in statement.names:
            if _label(statement, alias) == label:
                return statement, alias
        return statement, statement.names[0] if len(statement.names) == 1 else None

    def _unused_variable(self, name: str, at: tuple[int, int]) -> Raw:
        if name.startswith("_") or at in self.quiet_locals:
            return []
        if at in self.handlers:
            return [("CQ102", f"'{name}' is bound by `except ... as {name}` but never used", *at)]
        return [("CQ102", f"local variable '{name}' is assigned but never used", *at)]

    def _undefined_export(self, name: str, at: tuple[int, int]) -> Raw:
        # In a package, __all__ may name submodules; a module __getattr__ may provide anything.
        if self.package_init or self.module_getattr or self.computed_all or self.dynamic_globals:
            return []
        where = _start(self.all_entries[name]) if name in self.all_entries else at
        return [("CQ103", f"'{name}' is listed in __all__ but never defined", *where)]

    def _single_node(self, message: messages.Message, at: tuple[int, int]) -> Raw:
        if isinstance(message, messages.FStringMissingPlaceholders):
            return [("CQ109", "f-string without any placeholders; drop the f prefix", *at)]
        if isinstance(message, messages.AssertTuple):
            return [("CQ110", 'assert on a non-empty tuple is always true; write `assert x, "message"`', *at)]
        if isinstance(message, messages.IsLiteral):
            written, better = ("is not", "!=") if self._negated(at) else ("is", "==")
            return [("CQ111", f"`{written}` with a literal compares identity, not value; use `{better}`", *at)]
        if isinstance(message, messages.MultiValueRepeatedKeyLiteral) and self._repeated(at):
            key = message.message_args[0]
            return [("CQ112", f"dict key {key!r} is repeated; the earlier value is lost", *at)]
        if isinstance(message, messages.RaiseNotImplemented):
            return [("CQ113", "`raise NotImplemented` raises a TypeError; raise NotImplementedError", *at)]
        return []  # a check this plugin does not report (star imports, redefinitions, ...)

    def _negated(self, at: tuple[int, int]) -> bool:
        """Whether the comparison at `at` that pyflakes means is `is not` (the first with a literal)."""
        compare = self.compares.get(at)
        if compare is None:
            return False
        left = compare.left
        for op, right in zip(compare.ops, compare.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot) and (_literal(left) or _literal(right)):
                return isinstance(op, ast.IsNot)
            left = right
        return False

    def _repeated(self, at: tuple[int, int]) -> bool:
        """Only a later occurrence of a key is reported: that is where the earlier value is lost."""
        if at not in self.dict_keys:
            return False
        display, index = self.dict_keys[at]
        key = display.keys[index]
        assert isinstance(key, ast.Constant)
        return any(
            isinstance(k, ast.Constant) and type(k.value) is type(key.value) and k.value == key.value
            for k in display.keys[:index]
        )


def _literal(node: ast.AST) -> bool:
    """What pyflakes' IsLiteral means: a str, bytes or number constant, or a tuple display."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | bytes | int | float | complex) and not isinstance(node.value, bool)
    return isinstance(node, ast.Tuple)


def _label(statement: ast.Import | ast.ImportFrom, alias: ast.alias) -> str:
    """pyflakes' name for an import: `a.b`, `a.b as c`, `.m.x`."""
    if isinstance(statement, ast.Import):
        full = alias.name
    else:
        module = "." * statement.level + (statement.module or "")
        full = module + alias.name if module.endswith(".") else f"{module}.{alias.name}"
    return f"{full} as {alias.asname}" if alias.asname and alias.asname != alias.name.split(".")[-1] else full


def _bound_name(statement: ast.Import | ast.ImportFrom | None, alias: ast.alias) -> str:
    if alias.asname:
        return alias.asname
    return alias.name.split(".")[0] if isinstance(statement, ast.Import) else alias.name


def _walk(nodes: list[ast.AST] | list[ast.stmt] | list[ast.expr]) -> Iterator[ast.AST]:
    for node in nodes:
        yield from ast.walk(node)


def _start(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _names(node: ast.AST) -> set[str]:
    """Exception class names in an `except` clause's type (a name, a dotted name or a tuple)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(e) for e in node.elts)) if node.elts else set()
    return set()
