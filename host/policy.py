"""Host policy: the ceilings that apply whatever a manifest asks for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HostPolicy:
    """Limits the host enforces on every plugin; a manifest can ask for less, never more."""

    max_memory_mb: int = 1024
    max_timeout_seconds: float = 600.0
    max_input_bytes: int = 4 * 1024 * 1024
    max_result_bytes: int = 8 * 1024 * 1024
    max_log_bytes: int = 1024 * 1024
    max_call_depth: int = 4
    max_kv_quota_bytes: int = 64 * 1024 * 1024
    #: Optional instruction budget per call (deterministic, unlike the wall clock); None = off.
    fuel_per_call: int | None = None
    #: Sandboxes a long-lived host (MCP server, agent run) keeps open at once; the least
    #: recently used beyond this is closed and reopened on its next call (about 10 ms from
    #: the compiled cache). Each open Python plugin holds about 5-6 MB of private memory.
    max_live_sandboxes: int = 8

    def memory_bytes(self, requested_mb: int) -> int:
        return min(requested_mb, self.max_memory_mb) * 1024 * 1024

    def timeout_seconds(self, requested: float) -> float:
        return min(requested, self.max_timeout_seconds)
