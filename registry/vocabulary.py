"""What the listed plugins are described with: their categories (with how many plugins are in
each) and the words of their names, keywords and categories (for "did you mean").

Taken in one pass over the listed plugins and kept per repository generation
(registry.search_cache), since only a publish, yank or deprecation changes it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.listing import is_listed
from registry.models import Plugin


@dataclass(frozen=True)
class Vocabulary:
    #: (category, number of plugins in it), most first, then by name.
    categories: tuple[tuple[str, int], ...]
    #: Lowercase names, the parts of names between hyphens, keywords and categories.
    words: frozenset[str]


def read_vocabulary(session: Session) -> Vocabulary:
    counts: Counter[str] = Counter()
    words: set[str] = set()
    listed = select(Plugin.name, Plugin.categories, Plugin.keywords).where(is_listed())
    for name, categories, keywords in session.execute(listed):
        own = {str(c) for c in categories or ()}
        counts.update(own)
        words.update(w.lower() for w in (name, *name.split("-"), *own, *(str(k) for k in keywords or ())) if w)
    ranked = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return Vocabulary(categories=ranked, words=frozenset(words))
