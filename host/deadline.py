"""One deadline per top-level plugin call, for every bit of work done on the plugin's behalf.

A plugin's `timeout_seconds` is a promise about wall-clock time, and most of that time
is not spent in wasm: a program it launched, an http response it waits for, a Claude
completion, schema validation of its input, a plugin it calls, its cleanup hook. The
wasm epoch deadline stops only the guest's own instructions, and only once control is
back in wasm. So the host keeps one `Deadline` per top-level call (`PluginHost.run`, a
sandbox's cleanup) in a context variable, and everything that works for the plugin caps
its own wait with it:

- the wasm epoch deadline is armed with `remaining()` (`host.sandbox`);
- a launched program's timeout is `cap(grant timeout)` (`host.capabilities.process`);
- an http fetch's overall deadline, an llm request's timeout and a kv store's busy wait
  are capped the same way;
- input validation checks `expired()` between keywords (`host.input_validation`);
- a nested inter-plugin call opens `within()` again, which can only shorten the deadline
  (the callee's own limit, if smaller), never re-arm it: a chain of calls ends when the
  outermost call's time is up.

The deadline lives in a `contextvars.ContextVar`: host functions run synchronously on
the thread that entered wasm, so they see the deadline of the call that reached them
without it being threaded through every signature.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """A point in `time.monotonic()` time, and whose limit it is (for messages)."""

    at: float
    #: The plugin whose `timeout_seconds` set it (the outermost one in a chain of calls).
    owner: str
    #: The limit it was made from, in seconds.
    seconds: float

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def cap(self, seconds: float) -> float:
        """`seconds`, or what is left of the deadline if that is less."""
        return min(seconds, self.remaining())

    def describe(self) -> str:
        """The limit in words: "hostile's 3 s time limit"."""
        return f"{self.owner}'s {self.seconds:g} s time limit"


_current: ContextVar[Deadline | None] = ContextVar("acc_plugin_deadline", default=None)


def current_deadline() -> Deadline | None:
    """The deadline of the plugin call under way on this thread, if any."""
    return _current.get()


def capped(seconds: float) -> float:
    """`seconds`, capped by the current deadline if a plugin call is under way."""
    deadline = _current.get()
    return seconds if deadline is None else deadline.cap(seconds)


@contextlib.contextmanager
def within(owner: str, seconds: float) -> Iterator[Deadline]:
    """Run the block under `owner`'s limit of `seconds`, inside any deadline already set.

    The deadline in force is the earlier of the enclosing one and now + `seconds`: a
    nested call may get less time than its caller has left (its own limit), never more.
    """
    outer = _current.get()
    mine = Deadline(time.monotonic() + seconds, owner, seconds)
    deadline = mine if outer is None or mine.at < outer.at else outer
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)
