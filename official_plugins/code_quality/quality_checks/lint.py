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
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from quality_checks.names import name_checks
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
        raw += name_checks(source, nodes)
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


def _check_compare(node: ast.AST, context: _Context) -> Raw:
    assert isinstance(node, ast.Compare)
    found: Raw = []
    left = node.left
    for op, right in zip(node.ops, node.comparators, strict=True):
        message = _none_comparison(op, left, right) or _identity_display(op, left, right)
        if message:
            found.append((message[0], message[1], *_start(node)))
        left = right
    return found


def _none_comparison(op: ast.cmpop, left: ast.expr, right: ast.expr) -> tuple[str, str] | None:
    if not isinstance(op, (ast.Eq, ast.NotEq)) or not (_is_none(left) or _is_none(right)):
        return None
    written, better = ("==", "is None") if isinstance(op, ast.Eq) else ("!=", "is not None")
    return "CQ108", f"comparison to None with {written}; use `{better}`"


_CHECKS: dict[type, Callable[[ast.AST, _Context], Raw]] = {
    ast.FunctionDef: _check_function,
    ast.AsyncFunctionDef: _check_function,
    ast.Lambda: _check_lambda,
    ast.ExceptHandler: _check_handler,
    ast.Compare: _check_compare,
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


def _identity_display(op: ast.cmpop, left: ast.expr, right: ast.expr) -> tuple[str, str] | None:
    """`x is []`: a new object is never identical to anything (pyflakes judges only constants)."""
    displayed = isinstance(left, _MUTABLE_DISPLAYS) or isinstance(right, _MUTABLE_DISPLAYS)
    if not isinstance(op, (ast.Is, ast.IsNot)) or not displayed:
        return None
    written, better = ("is", "==") if isinstance(op, ast.Is) else ("is not", "!=")
    return "CQ111", f"`{written}` with a literal compares identity, not value; use `{better}`"


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


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
