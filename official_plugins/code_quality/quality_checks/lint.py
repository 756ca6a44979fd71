"""Lint checks over a parsed file, each with a stable code, tuned for few false positives.

A finding nobody should have to argue about beats coverage: where Python's dynamism
makes a check unsure (a star import, `exec`, `locals()`, an import guarded by
`except ImportError`), the check stays silent. Names follow Python's scoping rules:
function scopes see enclosing functions, class bodies are invisible from the functions
and comprehensions inside them, and a name bound anywhere in a scope counts as bound
in all of it (the order of statements is not checked).

`# noqa` on a finding's line suppresses it; `# noqa: CQ101` (or the pyflakes/ruff code
it corresponds to, e.g. F401) suppresses that check only. A line `# ruff: noqa` or
`# flake8: noqa` (optionally with codes) does the same for the whole file.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from quality_checks.source import Source, file_noqa_codes, noqa_codes


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    aliases: tuple[str, ...] = ()  # the same check's codes in pyflakes/pycodestyle/ruff, for noqa


RULES = (
    Rule("CQ100", "syntax-error", "The file is not valid Python; nothing else in it was checked."),
    Rule("CQ101", "unused-import", "A module or name is imported but never used.", ("F401",)),
    Rule("CQ102", "unused-variable", "A local variable is assigned but never read.", ("F841",)),
    Rule("CQ103", "undefined-name", "A name is used (or listed in __all__) but never defined.", ("F821", "F822")),
    Rule("CQ104", "unreachable-code", "Code after return, raise, continue or break can never run.", ("W0101",)),
    Rule("CQ105", "mutable-default-argument", "A list, dict or set default is shared by every call.", ("B006",)),
    Rule("CQ106", "bare-except", "`except:` also catches KeyboardInterrupt and SystemExit.", ("E722",)),
    Rule("CQ107", "function-too-long", "A function has more lines of code than the limit.", ("PLR0915",)),
    Rule("CQ108", "compare-to-none", "`== None` / `!= None` instead of `is None` / `is not None`.", ("E711",)),
    Rule("CQ109", "fstring-without-placeholders", "An f-string has no {placeholders}.", ("F541",)),
    Rule("CQ110", "assert-on-tuple", '`assert (x, "message")` is always true.', ("F631",)),
    Rule("CQ111", "is-literal", "`is` compares identity; a str, number or display literal needs `==`.", ("F632",)),
    Rule("CQ112", "duplicate-dict-key", "A dict display repeats a key; the last value wins.", ("F601",)),
    Rule("CQ113", "raise-not-implemented", "`raise NotImplemented` raises a TypeError.", ("F901",)),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
_RULE_BY_NAME = {rule.name: rule for rule in RULES}


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    message: str
    line: int
    column: int  # 1-based, in characters


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0


def lint(source: Source, *, max_function_lines: int, ignore: frozenset[str] = frozenset()) -> LintResult:
    """Run every check on `source`; drop ignored codes; count what `# noqa` suppressed."""
    raw: list[tuple[str, str, int, int]] = []  # (code, message, line, col_offset)
    nodes = _all_nodes(source.tree)
    # Nesting too deep for a recursive walk: the name checks stay silent rather than guess.
    with contextlib.suppress(RecursionError):
        raw += _ScopeChecks(source).run()
    raw += _node_checks(source, nodes, max_function_lines)
    raw += _unreachable(nodes)
    result = LintResult()
    file_codes = file_noqa_codes(source.lines)
    seen: set[tuple[str, int, int, str]] = set()
    for code, message, line, col_offset in raw:
        rule = RULES_BY_CODE[code]
        if code in ignore or rule.name in ignore:
            continue
        key = (code, line, col_offset, message)
        if key in seen:
            continue
        seen.add(key)
        if _suppressed(rule, file_codes) or _suppressed(rule, noqa_codes(source.line_text(line))):
            result.suppressed += 1
            continue
        result.findings.append(Finding(code, rule.name, message, line, source.column(line, col_offset)))
    result.findings.sort(key=lambda f: (f.line, f.column, f.code))
    return result


def _suppressed(rule: Rule, codes: frozenset[str] | None) -> bool:
    if codes is None:
        return False
    return not codes or rule.code in codes or rule.name.upper() in codes or any(a in codes for a in rule.aliases)


def rule_for(code_or_name: str) -> Rule | None:
    return RULES_BY_CODE.get(code_or_name.upper()) or _RULE_BY_NAME.get(code_or_name.lower())


# -- names: unused imports and variables, undefined names --------------------------------------

_BUILTINS = frozenset(dir(builtins)) | {
    # Module attributes every module has, and names newer Pythons or the site module add.
    "__file__",
    "__name__",
    "__doc__",
    "__spec__",
    "__loader__",
    "__package__",
    "__path__",
    "__cached__",
    "__builtins__",
    "__annotations__",
    "__dict__",
    "__debug__",
    "__annotate__",
    "__module__",
    "__qualname__",
    "__class__",  # implicit in class bodies and methods
    "exit",
    "quit",
    "help",
    "copyright",
    "credits",
    "license",
    "ExceptionGroup",
    "BaseExceptionGroup",
    "EncodingWarning",
    "aiter",
    "anext",
    "PythonFinalizationError",
    "WindowsError",
    "_",
}
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_DYNAMIC_LOCALS = frozenset({"locals", "vars", "eval", "exec"})
_DYNAMIC_GLOBALS = frozenset({"globals", "exec"})
_TYPING_CALLS = frozenset({"cast", "TypeVar", "NewType", "ParamSpec", "TypeVarTuple", "TypeAliasType"})
_MAX_FORWARD_REFERENCE = 300
_TYPE_PARAMS = tuple(getattr(ast, n) for n in ("TypeVar", "ParamSpec", "TypeVarTuple") if hasattr(ast, n))


@dataclass
class _Binding:
    kind: str  # import, variable, except, argument, definition, global
    node: ast.AST
    reportable: bool = False  # a plain `x = ...` (unused-variable applies)
    reexport: bool = False  # `import x as x`: an explicit re-export
    guarded: bool = False  # inside `try: ... except ImportError:` (an availability check)
    label: str = ""
    at: tuple[int, int] = (0, 0)  # where the name becomes bound (class bodies run in order)


class _Scope:
    def __init__(self, kind: str, parent: _Scope | None) -> None:
        self.kind = kind  # module, class, function, lambda, comprehension
        self.parent = parent
        self.bindings: dict[str, list[_Binding]] = {}
        self.declared_global: set[str] = set()
        self.declared_nonlocal: set[str] = set()
        self.used: set[str] = set()
        self.dynamic = False  # locals(), vars(), eval() or exec(): names may be used invisibly


@dataclass(frozen=True)
class _Use:
    scope: _Scope
    name: str
    node: ast.AST
    annotation: bool  # annotations are often strings or never evaluated: uses count, misses don't
    guarded: bool  # inside `try: ... except NameError:`
    at: tuple[int, int]


class _ScopeChecks(ast.NodeVisitor):
    def __init__(self, source: Source) -> None:
        self.source = source
        self.module = _Scope("module", None)
        self.scope = self.module
        self.scopes = [self.module]
        self.uses: list[_Use] = []
        self.annotation_depth = 0
        self.typing_depth = 0  # inside a subscript or cast(): strings there may be forward references
        self.name_error_guards = 0  # enclosing try bodies whose handlers catch NameError
        self.import_error_guards = 0  # ... and ImportError
        self.type_params: set[str] = set()
        self.all_names: list[tuple[str, ast.AST]] = []
        self.all_dynamic = False
        self.star_import = False
        self.dynamic_globals = False
        self.is_package_init = source.path.rsplit("/", 1)[-1] == "__init__.py"
        self.statement_end: tuple[int, int] | None = None  # an assignment binds once its statement ran

    _methods: ClassVar[dict[type, Any]] = {}

    def visit(self, node: ast.AST) -> None:
        # ast.NodeVisitor looks the method up by name on every node; a per-class cache is faster.
        method = self._methods.get(type(node))
        if method is None:
            method = getattr(type(self), "visit_" + type(node).__name__, type(self).generic_visit)
            self._methods[type(node)] = method
        method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def run(self) -> list[tuple[str, str, int, int]]:
        self.visit(self.source.tree)
        unresolved = [use for use in self.uses if not self._resolve(use)]
        return self._unused_imports() + self._unused_variables() + self._undefined(unresolved)

    # -- recording ---------------------------------------------------------------------------

    def _push(self, kind: str) -> _Scope:
        scope = _Scope(kind, self.scope)
        self.scopes.append(scope)
        self.scope = scope
        return scope

    def _pop(self) -> None:
        assert self.scope.parent is not None
        self.scope = self.scope.parent

    def _bind(self, name: str, binding: _Binding) -> None:
        scope = self.scope
        if name in scope.declared_nonlocal:
            self._use(name, binding.node)  # assigns the enclosing function's variable
            return
        if name in scope.declared_global and scope is not self.module:
            scope = self.module
            binding.reportable = False
        if binding.at == (0, 0):
            binding.at = self.statement_end if self.statement_end else _start(binding.node)
        scope.bindings.setdefault(name, []).append(binding)

    def _use(self, name: str, node: ast.AST) -> None:
        guarded = self.name_error_guards > 0
        self.uses.append(_Use(self.scope, name, node, self.annotation_depth > 0, guarded, _start(node)))

    def _annotation(self, node: ast.AST | None) -> None:
        if node is not None:
            self.annotation_depth += 1
            self.visit(node)
            self.annotation_depth -= 1

    # -- names -------------------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self._bind(node.id, _Binding("variable", node))
        else:  # Load, Del
            self._use(node.id, node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # A forward reference ("Foo", "list[Bar]") in an annotation, a type alias
        # (Callable[["Foo"], None]) or cast("Foo", x) names things too.
        if (
            (self.annotation_depth or self.typing_depth)
            and isinstance(node.value, str)
            and len(node.value) <= _MAX_FORWARD_REFERENCE
        ):
            try:
                expression = ast.parse(node.value.strip(), mode="eval")
            except (SyntaxError, ValueError):
                return
            self._annotation(expression.body)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)
        self.typing_depth += 1
        self.visit(node.slice)
        self.typing_depth -= 1

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        self.statement_end = _end(node)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._bind(target.id, _Binding("variable", target, reportable=True))
                if target.id == "__all__" and self.scope is self.module:
                    self._set_all(node.value)
            else:
                self.visit(target)
        self.statement_end = None

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._annotation(node.annotation)
        if node.value is not None:
            self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._bind(
                node.target.id, _Binding("variable", node.target, reportable=node.value is not None, at=_end(node))
            )
            if node.target.id == "__all__" and self.scope is self.module and node.value is not None:
                self._set_all(node.value)
        else:
            self.visit(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._use(node.target.id, node.target)
            self._bind(node.target.id, _Binding("variable", node.target, at=_end(node)))
            if node.target.id == "__all__" and self.scope is self.module:
                self._set_all(node.value)
        else:
            self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        # The target of := binds in the nearest enclosing scope that is not a comprehension.
        saved = self.scope
        while self.scope.kind == "comprehension" and self.scope.parent is not None:
            self.scope = self.scope.parent
        self._bind(node.target.id, _Binding("variable", node.target))
        self.scope = saved

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.declared_global.update(node.names)
        for name in node.names:
            self.module.bindings.setdefault(name, []).append(_Binding("global", node))

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.declared_nonlocal.update(node.names)
        for name in node.names:
            self._use(name, node)

    def visit_Import(self, node: ast.Import) -> None:
        guarded = self.import_error_guards > 0
        for alias in node.names:
            if alias.asname:
                name, label = alias.asname, f"{alias.name} as {alias.asname}"
            else:
                name, label = alias.name.split(".")[0], alias.name
            self._bind(
                name, _Binding("import", alias, reexport=alias.asname == alias.name, guarded=guarded, label=label)
            )

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        if module == "__future__":
            return
        guarded = self.import_error_guards > 0
        for alias in node.names:
            if alias.name == "*":
                self.star_import = True
                continue
            name = alias.asname or alias.name
            label = f"{module}{'' if module.endswith('.') else '.'}{alias.name}"
            if alias.asname:
                label += f" as {alias.asname}"
            self._bind(
                name, _Binding("import", alias, reexport=alias.asname == alias.name, guarded=guarded, label=label)
            )

    def visit_Call(self, node: ast.Call) -> None:
        called = _called_name(node.func)
        if isinstance(node.func, ast.Name):
            # Names can be read (locals, vars, eval, exec) or defined (globals, exec) invisibly.
            self.scope.dynamic |= called in _DYNAMIC_LOCALS and not (called == "vars" and node.args)
            self.dynamic_globals |= called in _DYNAMIC_GLOBALS
        self._note_all_extension(node)
        self.visit(node.func)
        typing_call = called in _TYPING_CALLS
        self.typing_depth += typing_call
        for argument in node.args:
            self.visit(argument)
        for keyword in node.keywords:
            self.visit(keyword.value)
        self.typing_depth -= typing_call

    def _note_all_extension(self, node: ast.Call) -> None:
        """`__all__.extend([...])` and `__all__.append("name")` at module level."""
        func = node.func
        if (
            self.scope is self.module
            and node.args
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "__all__"
            and func.attr in ("extend", "append")
        ):
            argument = node.args[0]
            self._set_all(ast.List(elts=[argument], ctx=ast.Load()) if func.attr == "append" else argument)

    def _set_all(self, value: ast.AST) -> None:
        # Every assignment adds to the names: the conservative reading when __all__ is rebuilt.
        if isinstance(value, (ast.List, ast.Tuple)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
        ):
            self.all_names += [(e.value, e) for e in value.elts]  # type: ignore[attr-defined]
        else:
            self.all_dynamic = True

    # -- scopes ------------------------------------------------------------------------------

    def _arguments(self, args: ast.arguments) -> None:
        """Defaults and annotations, evaluated in the enclosing scope."""
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.visit(default)
        for arg in _all_args(args):
            self._annotation(arg.annotation)

    def _bind_arguments(self, args: ast.arguments) -> None:
        for arg in _all_args(args):
            self._bind(arg.arg, _Binding("argument", arg))

    def _type_params(self, node: ast.AST) -> None:
        for param in getattr(node, "type_params", None) or ():
            self.visit(param)

    def visit_TypeVar(self, node: ast.AST) -> None:
        self.type_params.add(node.name)  # type: ignore[attr-defined]
        for child in ast.iter_child_nodes(node):
            self._annotation(child)

    visit_ParamSpec = visit_TypeVar
    visit_TypeVarTuple = visit_TypeVar

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._type_params(node)
        self._arguments(node.args)
        self._annotation(node.returns)
        self._bind(node.name, _Binding("definition", node, at=_end(node)))
        self._push("function")
        self._bind_arguments(node.args)
        for statement in node.body:
            self.visit(statement)
        self._pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._arguments(node.args)
        self._push("lambda")
        self._bind_arguments(node.args)
        self.visit(node.body)
        self._pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._type_params(node)
        for base in node.bases:
            self.visit(base)
        for keyword in node.keywords:
            self.visit(keyword.value)
        self._bind(node.name, _Binding("definition", node, at=_end(node)))
        self._push("class")
        for statement in node.body:
            self.visit(statement)
        self._pop()

    def _comprehension(self, generators: list[ast.comprehension], elements: list[ast.expr]) -> None:
        # The first iterable is evaluated in the enclosing scope, everything else inside.
        self.visit(generators[0].iter)
        self._push("comprehension")
        for index, generator in enumerate(generators):
            if index:
                self.visit(generator.iter)
            self.visit(generator.target)
            for condition in generator.ifs:
                self.visit(condition)
        for element in elements:
            self.visit(element)
        self._pop()

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> None:
        self._comprehension(node.generators, [node.elt])

    visit_SetComp = visit_ListComp
    visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, [node.key, node.value])

    def visit_Try(self, node: ast.Try) -> None:
        caught: set[str] = set()
        bare = False
        for handler in node.handlers:
            if handler.type is None:
                bare = True
            else:
                caught |= _names(handler.type)
        name_error = bare or "NameError" in caught
        import_error = bare or bool(caught & _IMPORT_ERRORS)
        self.name_error_guards += name_error
        self.import_error_guards += import_error
        for statement in node.body:
            self.visit(statement)
        self.name_error_guards -= name_error
        self.import_error_guards -= import_error
        for part in (node.handlers, node.orelse, node.finalbody):
            for child in part:
                self.visit(child)

    visit_TryStar = visit_Try

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name, _Binding("except", node, reportable=True))
        for statement in node.body:
            self.visit(statement)

    def visit_MatchAs(self, node: ast.AST) -> None:
        name = getattr(node, "name", None)
        if name:
            self._bind(name, _Binding("variable", node))
        self.generic_visit(node)

    visit_MatchStar = visit_MatchAs

    def visit_MatchMapping(self, node: ast.AST) -> None:
        rest = getattr(node, "rest", None)
        if rest:
            self._bind(rest, _Binding("variable", node))
        self.generic_visit(node)

    # -- resolving and reporting -------------------------------------------------------------

    def _resolve(self, use: _Use) -> bool:
        scope: _Scope | None = self.module if use.name in use.scope.declared_global else use.scope
        while scope is not None:
            bindings = scope.bindings.get(use.name)
            if bindings and scope.kind != "class":
                scope.used.add(use.name)
                return True
            # A class body's names are visible in the class body only, and only once bound there:
            # the body runs top to bottom, so an earlier line still sees the enclosing names.
            if bindings and scope is use.scope and any(b.at <= use.at for b in bindings):
                scope.used.add(use.name)
                return True
            scope = scope.parent
        return False

    def _unused_imports(self) -> list[tuple[str, str, int, int]]:
        found = []
        for scope in self.scopes:
            if not self._checks_imports(scope):
                continue
            for name, bindings in scope.bindings.items():
                if name not in scope.used and not (scope is self.module and name in self.exported):
                    found += [
                        ("CQ101", f"'{b.label}' is imported but never used", *_start(b.node))
                        for b in bindings
                        if _reportable_import(b)
                    ]
        return found

    def _checks_imports(self, scope: _Scope) -> bool:
        if scope.kind not in ("module", "function") or scope.dynamic:
            return False
        # A package's __init__ imports to re-export; a computed __all__ may list anything.
        return scope is not self.module or not (self.is_package_init or self.all_dynamic)

    @property
    def exported(self) -> set[str]:
        return {name for name, _ in self.all_names}

    def _unused_variables(self) -> list[tuple[str, str, int, int]]:
        found = []
        for scope in self.scopes:
            if scope.kind != "function" or scope.dynamic:
                continue
            for name, bindings in scope.bindings.items():
                first = next((b for b in bindings if b.reportable), None)
                if first is not None and self._unused_local(scope, name, bindings):
                    found.append(("CQ102", _unused_message(name, first), *_start(first.node)))
        return found

    @staticmethod
    def _unused_local(scope: _Scope, name: str, bindings: list[_Binding]) -> bool:
        # Arguments, imports and definitions are someone else's concern; `_` names are meant unused.
        return not (
            name in scope.used
            or name.startswith("_")
            or name in scope.declared_global
            or any(b.kind not in ("variable", "except") for b in bindings)
        )

    def _undefined(self, unresolved: list[_Use]) -> list[tuple[str, str, int, int]]:
        if self.star_import or self.dynamic_globals:
            return []  # names can arrive from where we cannot see
        found = [
            ("CQ103", f"undefined name '{use.name}'", *_start(use.node))
            for use in unresolved
            if not (use.annotation or use.guarded or use.name in _BUILTINS or use.name in self.type_params)
        ]
        return found + self._undefined_exports()

    def _undefined_exports(self) -> list[tuple[str, str, int, int]]:
        # In a package, __all__ may name submodules; a module __getattr__ may provide anything.
        if self.all_dynamic or self.is_package_init or "__getattr__" in self.module.bindings:
            return []
        return [
            ("CQ103", f"'{name}' is listed in __all__ but never defined", *_start(node))
            for name, node in self.all_names
            if name not in self.module.bindings
        ]


def _reportable_import(binding: _Binding) -> bool:
    return binding.kind == "import" and not (binding.reexport or binding.guarded)


def _unused_message(name: str, binding: _Binding) -> str:
    if binding.kind == "except":
        return f"'{name}' is bound by `except ... as {name}` but never used"
    return f"local variable '{name}' is assigned but never used"


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _all_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` (like ast.walk, without its generator overhead)."""
    nodes = [tree]
    for node in nodes:  # grows while it is read
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                nodes.append(value)
            elif isinstance(value, list):
                nodes.extend(item for item in value if isinstance(item, ast.AST))
    return nodes


def _start(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _end(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "end_lineno", None) or 0, getattr(node, "end_col_offset", None) or 0


def _all_args(args: ast.arguments) -> list[ast.arg]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    return every


def _names(node: ast.AST) -> set[str]:
    """Exception class names in an `except` clause's type (a name, a dotted name or a tuple)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(e) for e in node.elts)) if node.elts else set()
    return set()


# -- single-node checks -----------------------------------------------------------------------

_MUTABLE_CALLS = frozenset({"list", "dict", "set", "bytearray", "defaultdict", "OrderedDict", "deque", "Counter"})
_MUTABLE_DISPLAYS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
_IDENTITY_LITERALS = (str, bytes, int, float, complex)

Raw = list[tuple[str, str, int, int]]  # (code, message, line, ast col_offset)


@dataclass(frozen=True)
class _Context:
    source: Source
    max_function_lines: int
    format_specs: frozenset[int]  # ids of the JoinedStr nodes that are format specs ({x:>{width}})


def _node_checks(source: Source, nodes: list[ast.AST], max_function_lines: int) -> Raw:
    specs = frozenset(id(n.format_spec) for n in nodes if isinstance(n, ast.FormattedValue) and n.format_spec)
    context = _Context(source, max_function_lines, specs)
    found: Raw = []
    for node in nodes:
        check = _CHECKS.get(type(node))
        if check is not None:
            found += check(node, context)
    return found


def _check_function(node: ast.AST, context: _Context) -> Raw:
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    found = _mutable_defaults(node.args)
    lines = _code_lines(context.source, node)
    if lines > context.max_function_lines:
        found.append(
            (
                "CQ107",
                f"function '{node.name}' has {lines} lines of code (more than "
                f"{context.max_function_lines}); split it into smaller functions",
                *_start(node),
            )
        )
    return found


def _check_lambda(node: ast.AST, context: _Context) -> Raw:
    assert isinstance(node, ast.Lambda)
    return _mutable_defaults(node.args)


def _check_handler(node: ast.AST, context: _Context) -> Raw:
    assert isinstance(node, ast.ExceptHandler)
    if node.type is not None:
        return []
    return [
        (
            "CQ106",
            "bare `except:` also catches KeyboardInterrupt and SystemExit; catch Exception or something narrower",
            *_start(node),
        )
    ]


def _check_fstring(node: ast.AST, context: _Context) -> Raw:
    assert isinstance(node, ast.JoinedStr)
    if id(node) in context.format_specs or any(isinstance(v, ast.FormattedValue) for v in node.values):
        return []
    return [("CQ109", "f-string without any placeholders; drop the f prefix", *_start(node))]


def _check_assert(node: ast.AST, context: _Context) -> Raw:
    assert isinstance(node, ast.Assert)
    if not (isinstance(node.test, ast.Tuple) and node.test.elts):
        return []
    return [("CQ110", 'assert on a non-empty tuple is always true; write `assert x, "message"`', *_start(node))]


def _check_raise(node: ast.AST, context: _Context) -> Raw:
    assert isinstance(node, ast.Raise)
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    if not (isinstance(exc, ast.Name) and exc.id == "NotImplemented"):
        return []
    return [("CQ113", "`raise NotImplemented` raises a TypeError; raise NotImplementedError", *_start(node))]


def _check_compare(node: ast.AST, context: _Context) -> Raw:
    assert isinstance(node, ast.Compare)
    found: Raw = []
    left = node.left
    for op, right in zip(node.ops, node.comparators, strict=True):
        message = _none_comparison(op, left, right) or _identity_comparison(op, left, right)
        if message:
            found.append((message[0], message[1], *_start(node)))
        left = right
    return found


def _none_comparison(op: ast.cmpop, left: ast.expr, right: ast.expr) -> tuple[str, str] | None:
    if not isinstance(op, (ast.Eq, ast.NotEq)) or not (_is_none(left) or _is_none(right)):
        return None
    written, better = ("==", "is None") if isinstance(op, ast.Eq) else ("!=", "is not None")
    return "CQ108", f"comparison to None with {written}; use `{better}`"


def _identity_comparison(op: ast.cmpop, left: ast.expr, right: ast.expr) -> tuple[str, str] | None:
    if not isinstance(op, (ast.Is, ast.IsNot)) or not (_identity_literal(left) or _identity_literal(right)):
        return None
    written, better = ("is", "==") if isinstance(op, ast.Is) else ("is not", "!=")
    return "CQ111", f"`{written}` with a literal compares identity, not value; use `{better}`"


def _check_dict(node: ast.AST, context: _Context) -> Raw:
    assert isinstance(node, ast.Dict)
    found: Raw = []
    seen: set[tuple[type, object]] = set()
    for key in node.keys:
        if not isinstance(key, ast.Constant) or key.value is None or key.value != key.value:  # **x, NaN
            continue
        identity = (type(key.value), key.value)
        if identity in seen:
            found.append(("CQ112", f"dict key {key.value!r} is repeated; the earlier value is lost", *_start(key)))
        seen.add(identity)
    return found


_CHECKS: dict[type, Callable[[ast.AST, _Context], Raw]] = {
    ast.FunctionDef: _check_function,
    ast.AsyncFunctionDef: _check_function,
    ast.Lambda: _check_lambda,
    ast.ExceptHandler: _check_handler,
    ast.Compare: _check_compare,
    ast.JoinedStr: _check_fstring,
    ast.Assert: _check_assert,
    ast.Dict: _check_dict,
    ast.Raise: _check_raise,
}


def _mutable_defaults(args: ast.arguments) -> Raw:
    return [
        (
            "CQ105",
            "mutable default argument: one object is shared by every call; default to None and "
            "create it inside the function",
            *_start(default),
        )
        for default in [*args.defaults, *args.kw_defaults]
        if default is not None and _mutable(default)
    ]


def _mutable(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        return _called_name(node.func) in _MUTABLE_CALLS
    return isinstance(node, _MUTABLE_DISPLAYS)


def _code_lines(source: Source, node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of the function that hold code: not blank, not only a comment, not its docstring."""
    docstring = _docstring_lines(node)
    count = 0
    for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
        text = source.line_text(number).strip()
        count += bool(text) and not text.startswith("#") and number not in docstring
    return count


def _docstring_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> range:
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return range(first.lineno, (first.end_lineno or first.lineno) + 1)
    return range(0)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _identity_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, _IDENTITY_LITERALS) and not isinstance(node.value, bool)
    return isinstance(node, _MUTABLE_DISPLAYS)


# -- unreachable code -------------------------------------------------------------------------

_LEAVES = {ast.Return: "return", ast.Raise: "raise", ast.Continue: "continue", ast.Break: "break"}


_HAS_BLOCKS = (ast.stmt, ast.ExceptHandler, *((ast.match_case,) if hasattr(ast, "match_case") else ()))


def _unreachable(nodes: list[ast.AST]) -> list[tuple[str, str, int, int]]:
    found = []
    for node in nodes:
        if not isinstance(node, _HAS_BLOCKS):
            continue
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                finding = _unreachable_in(block)
                if finding:
                    found.append(finding)
    return found


def _unreachable_in(block: list[ast.stmt]) -> tuple[str, str, int, int] | None:
    for index, statement in enumerate(block[:-1]):
        leaves = _leaves(statement)
        if leaves is None:
            continue
        rest = block[index + 1 :]
        if all(_placeholder(s) for s in rest):
            return None  # `return` then `yield`: the idiom for an empty generator
        after = f"after `{leaves}`" if leaves in _LEAVES.values() else "after an if whose every branch leaves"
        return ("CQ104", f"unreachable code {after}", rest[0].lineno, rest[0].col_offset)
    return None


def _leaves(statement: ast.stmt) -> str | None:
    """How `statement` always leaves its block, or None when execution may continue after it."""
    for kind, word in _LEAVES.items():
        if isinstance(statement, kind):
            return word
    if (
        isinstance(statement, ast.If)
        and statement.orelse
        and _block_leaves(statement.body)
        and _block_leaves(statement.orelse)
    ):
        return "if"
    return None


def _block_leaves(block: list[ast.stmt]) -> bool:
    return any(_leaves(s) is not None for s in block)


def _placeholder(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Pass) or (
        isinstance(statement, ast.Expr) and isinstance(statement.value, (ast.Yield, ast.YieldFrom))
    )
