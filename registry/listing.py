"""The denormalised listing columns of a plugin row: what publishing writes and search reads.

Search filters and sorts in SQL, on SQLite and PostgreSQL alike, so the values it
matches are precomputed here, by one definition both sides share:

- `search_text`: the name, description, keywords and categories, lowercased; each query
  word must occur in it (`LIKE '%word%'`).
- `filter_tokens`: one token per category and per capability kind, each between spaces
  (`" cat:analysis cap:fs cap:process "`), so "has category X" is
  `filter_tokens LIKE '% cat:X %'` instead of a JSON query, which the two databases
  spell differently.
- `is_listed()`: the plugins that listings show (search, the home page, publishers'
  pages, category counts): those with a version, unless a moderator took them down.
- `rating_hundredths`: the rating as listed (`Plugin.rating`, rounded by Python) times
  100, so sorting by rating in SQL orders exactly as the shown ratings do; SQL's own
  ROUND rounds ties differently from Python's.
"""

from __future__ import annotations

import string
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_

from registry.models import Plugin

#: Bytes a token keeps as they are. Everything else, including spaces, capitals, ":" and
#: the LIKE wildcards, is written "+hh": a token is then one word of lowercase ASCII,
#: matched exactly by LIKE (case-insensitive on SQLite, case-sensitive on PostgreSQL: the
#: same, with no capitals to fold), and two different values never share a token.
_TOKEN_SAFE = frozenset((string.ascii_lowercase + string.digits + "-.").encode())


def encode_token_value(value: str) -> str:
    return "".join(chr(b) if b in _TOKEN_SAFE else f"+{b:02x}" for b in value.encode("utf-8"))


def category_token(category: str) -> str:
    return "cat:" + encode_token_value(category)


def capability_token(kind: str) -> str:
    return "cap:" + encode_token_value(kind)


def filter_tokens(categories: Iterable[str], capability_kinds: Iterable[str]) -> str:
    """The `filter_tokens` column: every token followed by a space, after a leading space."""
    tokens = [category_token(c) for c in categories] + [capability_token(k) for k in capability_kinds]
    return " " + "".join(token + " " for token in tokens)


def search_text(name: str, description: str, keywords: Iterable[str], categories: Iterable[str]) -> str:
    return " ".join([name, description, *keywords, *categories]).lower()


def rating_hundredths(rating_sum: int, rating_count: int) -> int:
    """`Plugin.rating` times 100 (0 when unrated): `round(sum / count, 2)`, rounded as Python does."""
    return round(round(rating_sum / rating_count, 2) * 100) if rating_count else 0


def is_listed() -> ColumnElement[bool]:
    """The SQL condition every listing filters on: a published version, and not taken down
    (registry.takedown): a taken-down plugin keeps its page and its name, nothing else."""
    return and_(Plugin.latest_version != "", Plugin.taken_down_at.is_(None))
