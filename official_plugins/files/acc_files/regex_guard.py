"""Refuse regular expressions whose backtracking can explode. Pure.

Python's `re` backtracks, has no step limit and cannot be interrupted inside a match,
so a search must not start with a pattern that takes exponential (or high polynomial)
time on some line. From the parsed pattern (`re._parser`, the parser `re` uses), these
are refused:

- a repetition of something that itself repeats, with nothing in between to tell the
  rounds apart: `(a+)+`, `(\\w+\\s?)*`, `(.*a){20}`, `(a{1,2})+`. A required character
  that the inner repetitions cannot match separates the rounds and makes it safe:
  `(\\w+\\.)+` and `(,\\s*\\w+)*` are accepted;
- alternatives under an unbounded repetition that can start with the same character:
  `(a|aa)*`, `(\\d|\\w)+` (use a character class, or factor the common start out);
- two unbounded repetitions in a row that can match the same characters: `.*.*`,
  `\\w+\\w*` (but `\\s*\\w+` is fine: no character is both).

What remains can still be slow on hostile text (`.*foo.*bar` against a line of
"foofoofoo..."), which is why searched lines are cut at a length and the search has a
time budget (see `search`); the plugin's time limit is the last wall.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from acc_plugin import Invalid

try:  # Python 3.11+: the parser `re` itself uses
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

MAX_PATTERN_CHARS = 1000
#: A repeat that may run more than this many times counts as unbounded.
_LARGE = 64
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT")
#: Characters tried when asking whether two character tests can both match.
_SAMPLE = [chr(c) for c in range(128)] + ["\u00a0", "\u00e9", "\u00df", "\u4e2d", "\u0661", "\u2028"]

CharTest = Callable[[str], bool]
Items = list[tuple[Any, Any]]


def compile_pattern(pattern: str, *, ignore_case: bool, literal: bool) -> re.Pattern[str]:
    """The compiled search pattern, or Invalid saying why it is refused."""
    if not pattern:
        raise Invalid("pattern must not be empty")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise Invalid(f"pattern is longer than {MAX_PATTERN_CHARS} characters")
    source = re.escape(pattern) if literal else pattern
    flags = re.IGNORECASE if ignore_case else 0
    try:
        compiled = re.compile(source, flags)
    except re.error as e:
        raise Invalid(f"pattern {pattern!r} is not a valid regular expression: {e}") from None
    except (RecursionError, OverflowError):
        raise Invalid(f"pattern {pattern!r} is too deeply nested") from None
    if not literal:
        problem = explosive(source, flags)
        if problem:
            raise Invalid(
                f"pattern {pattern!r} is refused: {problem}, so matching it can take exponential time on some "
                "lines. Rewrite it: a character class, a bounded repeat, or a required character between the rounds"
            )
    return compiled


def explosive(pattern: str, flags: int = 0) -> str:
    """Why `pattern` can backtrack explosively, or "" when it cannot in the ways checked."""
    try:
        tree = sre_parse.parse(pattern, flags)
    except Exception:  # re.compile accepted it; nothing more to say
        return ""
    flags |= getattr(getattr(tree, "state", None), "flags", 0)  # inline flags such as (?i)
    return _Checker(bool(flags & re.IGNORECASE)).check(list(tree))


def _name(op: Any) -> str:
    return str(op).rsplit(".", 1)[-1]


def _children(name: str, av: Any) -> list[Items]:
    if name in _REPEATS or name == "POSSESSIVE_REPEAT":
        return [list(av[2])]
    if name == "SUBPATTERN":
        return [list(av[-1])]
    if name == "BRANCH":
        return [list(branch) for branch in av[1]]
    if name in ("ASSERT", "ASSERT_NOT"):
        return [list(av[1])]
    if name == "ATOMIC_GROUP":
        return [list(av)]
    if name == "GROUPREF_EXISTS":
        return [list(part) for part in av[1:] if part is not None]
    return []


def _descendants(items: Items) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for op, av in items:
        name = _name(op)
        found.append((name, av))
        for child in _children(name, av):
            found += _descendants(child)
    return found


class _Checker:
    def __init__(self, ignore_case: bool) -> None:
        self.ignore_case = ignore_case

    def check(self, items: Items) -> str:
        # The unbounded one-character repetitions since the last required item: any two
        # of them that can match the same character make a match ambiguous (`\d+\s*\d+`).
        previous: list[CharTest] = []
        for op, av in items:
            name = _name(op)
            if name in _REPEATS:
                low, high, body = av[0], av[1], list(av[2])
                problem = self._repeat(low, high, body)
                if problem:
                    return problem
                if high > _LARGE and self._single_character(body):
                    test = self._char_test(body)
                    if any(_overlap(earlier, test) for earlier in previous):
                        return "two unbounded repetitions in a row can match the same characters (as in .*.*)"
                    previous = [test] if low > 0 else [*previous, test]
                elif low > 0 or high > _LARGE:
                    previous = []
            elif name not in ("AT", "ASSERT", "ASSERT_NOT"):
                previous = []  # something required stands between
            for child in _children(name, av):
                problem = self.check(child)
                if problem:
                    return problem
        return ""

    @staticmethod
    def _single_character(body: Items) -> bool:
        return len(body) == 1 and _name(body[0][0]) in ("ANY", "LITERAL", "NOT_LITERAL", "IN")

    def _repeat(self, low: int, high: int, body: Items) -> str:
        if high <= 1:
            return ""
        unbounded = high > _LARGE
        inner = [av for name, av in _descendants(body) if name in _REPEATS and av[0] != av[1]]
        if inner and (unbounded or any(av[1] > _LARGE for av in inner)):
            separators = self._separators(body)
            inner_tests = [self._char_test(list(av[2])) for av in inner]
            if not any(all(not test(c) for test in inner_tests) for c in separators):
                return "it repeats a repetition with nothing to tell the rounds apart (as in (a+)+)"
        if unbounded:
            for name, av in _descendants(body):
                if name == "BRANCH" and self._alternatives_overlap(av[1]):
                    return "it repeats alternatives that can start with the same character (as in (a|aa)*)"
        return ""

    def _separators(self, body: Items) -> list[str]:
        """Characters every round must match outside any repetition (literals at the body's top)."""
        found = []
        for op, av in body:
            name = _name(op)
            if name == "LITERAL":
                found.append(chr(av))
            elif name == "SUBPATTERN":
                found += self._separators(list(av[-1]))
        if self.ignore_case:
            found += [c.swapcase() for c in found]
        return found

    def _alternatives_overlap(self, branches: list[Any]) -> bool:
        tests = [self._first_test(list(branch)) for branch in branches]
        return any(_overlap(a, b) for i, a in enumerate(tests) for b in tests[i + 1 :])

    def _first_test(self, items: Items) -> CharTest:
        """A test of the characters a match of `items` can start with (everything if unknown or empty)."""
        tests: list[CharTest] = []
        for op, av in items:
            name = _name(op)
            if name in ("AT", "ASSERT", "ASSERT_NOT"):
                continue
            if name in _REPEATS:
                tests.append(self._first_test(list(av[2])))
                if av[0] >= 1:
                    return _any_of(tests)
                continue
            if name == "SUBPATTERN":
                return _any_of([*tests, self._first_test(list(av[-1]))])
            return _any_of([*tests, self._char_test([(op, av)])])
        return _everything

    def _char_test(self, items: Items) -> CharTest:
        """What a single-character item matches; anything more complex matches everything."""
        if len(items) != 1:
            return _everything
        name, av = _name(items[0][0]), items[0][1]
        fold = (lambda c: c.lower()) if self.ignore_case else (lambda c: c)
        if name == "LITERAL":
            expected = fold(chr(av))
            return lambda c: fold(c) == expected
        if name == "NOT_LITERAL":
            excluded = fold(chr(av))
            return lambda c: fold(c) != excluded
        if name == "IN":
            return self._class_test(av, fold)
        if name == "SUBPATTERN":
            return self._char_test(list(av[-1]))
        return _everything  # ANY, and what is not a single character

    def _class_test(self, av: Any, fold: Callable[[str], str]) -> CharTest:
        negate = False
        parts: list[CharTest] = []
        for op, value in av:
            name = _name(op)
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                parts.append(_equal_to(fold(chr(value)), fold))
            elif name == "RANGE":
                parts.append(lambda c, lo=value[0], hi=value[1]: lo <= ord(c) <= hi or lo <= ord(fold(c)) <= hi)
            elif name == "CATEGORY":
                parts.append(_category(_name(value)))
            else:
                return _everything
        matched = _any_of(parts)
        return (lambda c: not matched(c)) if negate else matched


def _equal_to(expected: str, fold: Callable[[str], str]) -> CharTest:
    return lambda c: fold(c) == expected


def _category(name: str) -> CharTest:
    base = {
        "DIGIT": str.isdigit,
        "SPACE": str.isspace,
        "WORD": lambda c: c.isalnum() or c == "_",
    }
    for key, test in base.items():
        if name.endswith("NOT_" + key):
            return lambda c, t=test: not t(c)
        if name.endswith(key):
            return test
    return _everything


def _everything(_: str) -> bool:
    return True


def _any_of(tests: list[CharTest]) -> CharTest:
    return lambda c: any(test(c) for test in tests)


def _overlap(first: CharTest, second: CharTest) -> bool:
    return any(first(c) and second(c) for c in _SAMPLE)
