"""What one agent run may spend, and what it has spent.

Checked before every request to the model and before every tool call; a run that hits
a budget stops cleanly and the summary names the budget. Output tokens also bound each
request's `max_tokens`, so the last turn cannot overshoot by more than it asks for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Budgets:
    max_turns: int = 30
    max_input_tokens: int = 2_000_000
    max_output_tokens: int = 64_000
    max_seconds: float = 1800.0
    max_tool_calls: int = 100
    #: max_tokens of one request (the model's answer per turn).
    max_tokens_per_turn: int = 8_192


@dataclass
class Spent:
    budgets: Budgets
    started: float = field(default_factory=time.monotonic)
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    tool_calls: int = 0

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def before_turn(self) -> str:
        """The budget that forbids another request ("" when none does)."""
        if self.turns >= self.budgets.max_turns:
            return f"turns ({self.budgets.max_turns})"
        return self.before_llm_call()

    def before_llm_call(self) -> str:
        """Tokens and time: for the agent's requests and for plugins' `llm` calls during the run."""
        b = self.budgets
        if self.input_tokens >= b.max_input_tokens:
            return f"input tokens ({b.max_input_tokens:,})"
        if self.output_tokens >= b.max_output_tokens:
            return f"output tokens ({b.max_output_tokens:,})"
        return self._time()

    def before_tool_call(self) -> str:
        if self.tool_calls >= self.budgets.max_tool_calls:
            return f"tool calls ({self.budgets.max_tool_calls})"
        return self._time()

    def _time(self) -> str:
        if self.seconds() >= self.budgets.max_seconds:
            return f"wall time ({self.budgets.max_seconds:g} s)"
        return ""

    def max_tokens(self) -> int:
        return max(1, min(self.budgets.max_tokens_per_turn, self.budgets.max_output_tokens - self.output_tokens))

    def add_usage(self, response: Any) -> None:
        """Count a Messages API response's tokens (its `usage`) as spent."""
        usage = getattr(response, "usage", None)
        if usage is None:
            return
        self.input_tokens += int(getattr(usage, "input_tokens", 0) or 0)
        self.output_tokens += int(getattr(usage, "output_tokens", 0) or 0)
        self.cache_read_tokens += int(getattr(usage, "cache_read_input_tokens", 0) or 0)
        self.cache_write_tokens += int(getattr(usage, "cache_creation_input_tokens", 0) or 0)
