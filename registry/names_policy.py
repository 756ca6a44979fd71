"""Which new names the registry refuses: look-alikes and near-typos of taken names.

The rules (`imitates`) are one pure core for plugin names (`check_new_name`, here) and
publisher names (registry/publisher_names.py).

Names are compared after folding characters that read alike (sdk.names.confusable_key:
`g1t` and `gi-t` read as `git`), and a new name is refused when, against a taken one:

- it folds to the same key (`confusable_name`);
- both have five letters or more and it is one edit away: a letter added, dropped,
  changed, or two neighbours swapped (`project-stat` next to `project-stats`);
- either is shorter and it is one letter added, dropped, or two neighbours swapped:
  `gitt`, `gt` or `gti` next to `git`, `jqq` next to `jq`. A changed letter is allowed
  between short names, where it is usually another word (`gif` and `got` next to `git`,
  `yq` next to `jq`);
- it differs only by a number at the end: `git2`, `git-2`, `git22` next to `git` (and
  `acc_2` next to `acc`: publisher names may hold `_`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import conflict
from registry.models import Plugin
from sdk.names import confusable_key

#: From this length on, any one edit is a typo of the other name.
MIN_TYPO_CHECK_LENGTH = 5
#: From this length on (of the shorter name), added, dropped and swapped letters are.
MIN_SHORT_NAME_CHECK_LENGTH = 2
_NUMBER_SUFFIX = re.compile(r"[-_]?[0-9]+$")


def check_new_name(session: Session, name: str) -> str:
    """Return the confusable key for a new name, or raise 409 naming the plugin it imitates."""
    key = confusable_key(name)
    clash = session.execute(select(Plugin.name).where(Plugin.confusable_key == key)).scalar_one_or_none()
    if clash is not None:
        raise conflict(
            f"the name {name!r} is too easily confused with the existing plugin {clash!r}",
            code="confusable_name",
            hint="choose a name that reads differently",
        )
    imitated = first_imitated(name, session.execute(select(Plugin.name)).scalars())
    if imitated is not None:
        other, reason = imitated
        raise conflict(
            f"the name {name!r} {reason} the existing plugin {other!r}",
            code="typosquat_name",
            hint="choose a distinct name; if you own that plugin, publish under it instead",
        )
    return key


def first_imitated(new: str, taken: Iterable[str]) -> tuple[str, str] | None:
    """The first of the `taken` names that `new` imitates, with how (`imitates`), or None."""
    for other in taken:
        reason = imitates(new, other)
        if reason is not None:
            return other, reason
    return None


def imitates(new: str, taken: str) -> str | None:
    """How `new` imitates `taken` (words for a message), or None if it reads as another name."""
    if new == taken:
        return None
    a, b = confusable_key(new), confusable_key(taken)
    stem_a, stem_b = _NUMBER_SUFFIX.sub("", new), _NUMBER_SUFFIX.sub("", taken)
    if stem_a and stem_a == stem_b:
        return "differs only by a number from"
    shorter = min(len(a), len(b))
    if shorter >= MIN_TYPO_CHECK_LENGTH and _one_edit(a, b, substitution=True):
        return "is one typo away from"
    if shorter >= MIN_SHORT_NAME_CHECK_LENGTH and _one_edit(a, b, substitution=False):
        return "is one typo away from"
    return None


def _one_edit(a: str, b: str, *, substitution: bool) -> bool:
    """True if a and b differ by one insertion or deletion, one adjacent swap, or (with
    `substitution`) one changed character."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return substitution
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]
