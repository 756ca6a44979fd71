"""Plugin name rules: what a name may look like, and when two names look alike."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sdk.errors import ManifestError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_NAME_LENGTH = 64

# Characters that read alike in most fonts, folded to one representative so that
# `g1t`, `gi-t` and `git` compare equal, and publisher names `acc_x` and `acc-x` (the registry
# refuses such look-alikes; plugin names never hold `_`, so their keys are unchanged by it).
_CONFUSABLE_FOLD = str.maketrans({"0": "o", "1": "l", "i": "l", "5": "s", "3": "e", "-": None, "_": None})


def check_name(name: str) -> str:
    """Return `name` if it is a valid plugin name, else raise `ManifestError` saying why."""
    if not isinstance(name, str) or not name:
        raise ManifestError("the plugin name is empty", hint='set name = "my-plugin" in plugin.toml')
    if len(name) > MAX_NAME_LENGTH:
        raise ManifestError(f"the plugin name is longer than {MAX_NAME_LENGTH} characters")
    if not NAME_PATTERN.match(name):
        raise ManifestError(
            f"invalid plugin name {name!r}",
            hint="use lowercase ASCII letters, digits and single dashes, starting with a letter (e.g. code-quality)",
        )
    return name


def confusable_key(name: str) -> str:
    """A key under which names that a reader could mistake for each other collide."""
    return name.lower().translate(_CONFUSABLE_FOLD).replace("rn", "m").replace("vv", "w")


def module_name(plugin_name: str) -> str:
    """The Python module name a plugin's guest code lives in (dashes become underscores)."""
    return plugin_name.replace("-", "_")


def similar_names(name: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """The candidates a person who typed `name` most likely meant, best first (at most `limit`).

    Look-alikes first (`g1t` for `git`, any case), then names a typo or two away: a letter
    missing, added, changed, or two neighbours swapped (`projcet-stats`), allowing one
    such edit per four letters. For "did you mean" hints only: never to choose a plugin
    on the person's behalf.
    """
    typed = name.lower()
    pool = sorted(set(candidates) - {name, typed})
    folded = confusable_key(typed)
    alike = [c for c in pool if confusable_key(c) == folded]
    allowed = max(1, len(typed) // 4)
    scored = sorted((distance, c) for c in pool if (distance := typo_distance(typed, c.lower())) <= allowed)
    return list(dict.fromkeys([*alike, *(c for _, c in scored)]))[:limit]


def typo_distance(a: str, b: str) -> int:
    """How many typos turn `a` into `b`: insertions, deletions, substitutions and swaps of
    neighbours, one each (the optimal string alignment distance)."""
    if max(len(a), len(b)) > 4 * MAX_NAME_LENGTH:  # nobody's typo: not worth the quadratic work
        return max(len(a), len(b))
    previous_row: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        before, previous_row, row = previous_row, row, [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(previous_row[j] + 1, row[j - 1] + 1, previous_row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], before[j - 2] + 1)
    return row[len(b)]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`did you mean git?` (or `git or gh`), or "" when nothing is close to `name`."""
    similar = similar_names(name, candidates)
    if not similar:
        return ""
    return "did you mean " + " or ".join(similar) + "?"
