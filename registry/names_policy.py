"""Which new plugin names the registry refuses: look-alikes and one-typo variants of taken names."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import conflict
from registry.models import Plugin
from sdk.names import confusable_key

#: Names shorter than this are not checked for one-typo variants: too many short names
#: are one edit apart by chance (e.g. `jq` and `yq`).
MIN_TYPO_CHECK_LENGTH = 5


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
    if len(name) >= MIN_TYPO_CHECK_LENGTH:
        for (other,) in session.execute(select(Plugin.name)):
            if len(other) >= MIN_TYPO_CHECK_LENGTH and abs(len(other) - len(name)) <= 1 and _one_edit(name, other):
                raise conflict(
                    f"the name {name!r} is one typo away from the existing plugin {other!r}",
                    code="typosquat_name",
                    hint="choose a distinct name; if you own that plugin, publish under it instead",
                )
    return key


def _one_edit(a: str, b: str) -> bool:
    """True if a and b differ by one insertion, deletion, substitution or adjacent swap."""
    if a == b:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]
