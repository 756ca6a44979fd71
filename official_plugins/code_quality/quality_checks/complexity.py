"""Cyclomatic complexity per function and method: the numbers `radon cc` gives.

A function starts at 1 and each decision point adds to it (radon's rules, which are
McCabe's decision points with short-circuit operators counted as decisions):

    if, elif, ternary (x if c else y)        +1 each
    for, async for, while                    +1, and +1 more for a loop's `else`
    try                                      +1 per `except` clause, +1 for its `else`
    boolean operators                        +1 per `and`/`or` (a and b and c: +2)
    comprehensions                           +1 per `for` in it, +1 per `if` in it
    assert                                   +1 (what its condition contains is not counted)
    match                                    +1 per `case`, less 1 if a case is a catch-all
                                             (`case _:` or `case name:`)
    with, finally, the else of if            +0

Nested functions and classes are measured on their own, and their decision points do not
count towards the function that contains them; a lambda's do (it is an expression of that
function). Decorators, default values and annotations are not counted: they run once, when
the function is defined.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
_MATCH = getattr(ast, "Match", None)


@dataclass(frozen=True)
class FunctionComplexity:
    name: str  # qualified: Class.method, outer.inner
    kind: str  # "function" or "method"
    line: int
    column: int  # 1-based
    end_line: int
    complexity: int


def rank(complexity: int) -> str:
    """radon's letter grade: A 1-5, B 6-10, C 11-20, D 21-30, E 31-40, F 41 and over."""
    for letter, top in (("A", 5), ("B", 10), ("C", 20), ("D", 30), ("E", 40)):
        if complexity <= top:
            return letter
    return "F"


def functions(tree: ast.Module) -> list[FunctionComplexity]:
    """Every function and method in `tree`, in source order, measured in one walk."""
    walk = _Walk()
    walk.push(tree.body, None, "", False)
    while walk.stack:
        walk.step(*walk.stack.pop())
    found = [
        FunctionComplexity(
            name=name,
            kind=kind,
            line=node.lineno,
            column=node.col_offset + 1,
            end_line=node.end_lineno or node.lineno,
            complexity=score,
        )
        for (node, name, kind), score in zip(walk.defined, walk.scores, strict=True)
    ]
    found.sort(key=lambda f: (f.line, f.column))
    return found


class _Walk:
    def __init__(self) -> None:
        self.defined: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str, str]] = []  # (node, name, kind)
        self.scores: list[int] = []
        # (node, index of the function whose decisions it adds to, name prefix, directly in a class body)
        self.stack: list[tuple[ast.AST, int | None, str, bool]] = []

    def push(self, nodes: list[ast.AST], owner: int | None, prefix: str, in_class: bool) -> None:
        self.stack.extend((node, owner, prefix, in_class) for node in reversed(nodes))

    def step(self, node: ast.AST, owner: int | None, prefix: str, in_class: bool) -> None:
        if isinstance(node, _FUNCTIONS):
            name = prefix + node.name
            self.defined.append((node, name, "method" if in_class else "function"))
            self.scores.append(1)
            self.push(list(node.body), len(self.scores) - 1, name + ".", False)
        elif isinstance(node, ast.ClassDef):
            # Measured on their own: a nested class's methods add nothing to the enclosing function.
            self.push(list(node.body), None, prefix + node.name + ".", True)
        elif owner is not None:
            self.scores[owner] += _decisions(node)
            if not isinstance(node, ast.Assert):  # radon counts an assert as one decision, whatever it holds
                self.push(_children(node), owner, prefix, in_class)
        elif not isinstance(node, ast.expr):  # module- and class-level expressions hold no functions
            self.push(_children(node), owner, prefix, in_class)


def _children(node: ast.AST) -> list[ast.AST]:
    children: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            children.extend(item for item in value if isinstance(item, ast.AST))
    return children


def _decisions(node: ast.AST) -> int:
    if isinstance(node, (ast.If, ast.IfExp, ast.Assert)):
        return 1
    if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
        return 1 + bool(node.orelse)
    if isinstance(node, _TRY):
        return len(node.handlers) + bool(node.orelse)
    if isinstance(node, ast.BoolOp):
        return len(node.values) - 1
    if isinstance(node, ast.comprehension):
        return 1 + len(node.ifs)
    if _MATCH is not None and isinstance(node, _MATCH):
        # A catch-all case is the match's `else`: it adds no decision.
        catch_all = any(isinstance(c.pattern, ast.MatchAs) and c.pattern.pattern is None for c in node.cases)
        return max(0, len(node.cases) - catch_all)
    return 0
