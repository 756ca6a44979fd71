"""A short per-process memory of search results: which plugins, in what order, how many.

An entry is keyed by the query and the repository generation, and reused only while
both hold:

- the generation is unchanged. Every change to what a search matches (a publish or a
  yank rewrites `search_text`, `filter_tokens` and `latest_version`; a deprecation)
  runs in a metadata transaction, which bumps `repo_lock.generation` in the same
  commit. This process forgets the generation it knows when its own metadata
  transaction commits (`Registry.metadata_transaction`), so it answers from the new
  state at once; other workers re-read the generation at most `generation_ttl` (1 s)
  later, as they re-read timestamp.json;
- the entry is at most `ttl` seconds old (5 by default). Download counts and ratings
  change without a metadata transaction, so an order by downloads or by rating, and
  relevance's tie-break by downloads, may lag them by that long. The API's responses
  already allow 30 s (`Cache-Control: max-age=30`).

The web pages take only the plugins' ids from an entry and read their rows again, by
primary key. The JSON API takes the plugins' summaries too, so its download counts and
ratings may be as old as the entry; everything else in a summary changes only in a
metadata transaction. The search page for visitors who are not logged in is the same for
all of them, so it is kept too, rendered, under the same rules (`RenderedPage`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.vocabulary import Vocabulary

DEFAULT_TTL_SECONDS = 5.0
GENERATION_TTL_SECONDS = 1.0
#: Queries come from anyone: the memory is bounded, and the oldest entry makes room.
DEFAULT_MAX_ENTRIES = 2048


@dataclass(frozen=True)
class CachedPage:
    """One page of a search: its plugins' ids in order, the total, and (for the JSON API)
    the plugins' summaries as they were when the page was found."""

    plugin_ids: tuple[int, ...]
    total: int
    summaries: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class RenderedPage:
    """A search page as sent to visitors who are not logged in (it holds nothing personal)."""

    html: str


class SearchCache:
    def __init__(
        self,
        ttl: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        generation_ttl: float = GENERATION_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.generation_ttl = generation_ttl
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, CachedPage | RenderedPage]] = {}
        #: (when read, value) of the repository generation
        self._generation: tuple[float, int] | None = None
        #: bumped by forget_generation, so a read that began before it is not kept
        self._epoch = 0
        self._lock = threading.Lock()
        #: (generation, vocabulary) of the last vocabulary read (registry.vocabulary)
        self._vocabulary: tuple[int, Vocabulary] | None = None

    def generation(self, read: Callable[[], int | None]) -> int | None:
        """The repository generation: `read()` at most once per `generation_ttl`."""
        now = self._clock()
        with self._lock:
            known, epoch = self._generation, self._epoch
        if known is not None and now - known[0] < self.generation_ttl:
            return known[1]
        value = read()
        with self._lock:
            if value is not None and epoch == self._epoch:
                self._generation = (now, value)
        return value

    def forget_generation(self) -> None:
        """Call after this process commits a metadata transaction: the generation changed."""
        with self._lock:
            self._generation = None
            self._epoch += 1

    def get(self, key: Hashable) -> CachedPage | RenderedPage | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self._clock() - entry[0] > self.ttl:
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: Hashable, page: CachedPage | RenderedPage) -> None:
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]  # the oldest: entries are kept in insertion order
            self._entries[key] = (self._clock(), page)

    def get_vocabulary(self, generation: int) -> Vocabulary | None:
        """The vocabulary read at `generation`, if that is the last one read (it changes only
        with the generation: no ttl)."""
        with self._lock:
            known = self._vocabulary
        return known[1] if known is not None and known[0] == generation else None

    def put_vocabulary(self, generation: int, vocabulary: Vocabulary) -> None:
        with self._lock:
            self._vocabulary = (generation, vocabulary)

    def __len__(self) -> int:
        return len(self._entries)
