"""Where a plugin's log lines, progress and stdout/stderr go: bounded, then to an emitter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

MAX_LOG_BYTES = 1024 * 1024
MAX_LINE_BYTES = 16 * 1024

Emitter = Callable[[str, str, str], None]  # (plugin, level, message)
ProgressEmitter = Callable[[str, int, int, str], None]  # (plugin, done, total, message)


@dataclass
class LogSink:
    """Collects a plugin's output up to a byte cap; what comes after is counted, not kept."""

    plugin: str
    emit: Emitter | None = None
    max_bytes: int = MAX_LOG_BYTES
    records: list[tuple[str, str]] = field(default_factory=list)
    #: Told of each `log.progress` call as numbers, besides the log line it also makes.
    emit_progress: ProgressEmitter | None = None
    used_bytes: int = 0
    dropped_bytes: int = 0
    _partial: dict[str, bytearray] = field(default_factory=dict)

    def log(self, level: str, message: str) -> None:
        message = message[:MAX_LINE_BYTES]
        size = len(message.encode("utf-8", "replace"))
        if self.used_bytes + size > self.max_bytes:
            if self.dropped_bytes == 0:
                self._keep("warn", f"log output over {self.max_bytes} bytes: the rest is dropped")
            self.dropped_bytes += size
            return
        self.used_bytes += size
        self._keep(level, message)

    def progress(self, done: int, total: int, message: str) -> None:
        text = f"{done}/{total} {message}" if total else f"{done} {message}"
        self.log("progress", text)
        if self.emit_progress is not None:
            self.emit_progress(self.plugin, done, total, message[:MAX_LINE_BYTES])

    def start_call(self) -> None:
        """The caps count per call: a new call starts with none of them used (and no records)."""
        self.flush()
        self.records.clear()
        self.used_bytes = 0
        self.dropped_bytes = 0

    def stream(self, name: str) -> Callable[[bytes], None]:
        """A WASI stdout/stderr callback: whole lines become log records at level `name`."""
        buffer = self._partial.setdefault(name, bytearray())

        def write(data: bytes) -> None:
            if self.used_bytes + len(buffer) > self.max_bytes:
                self.dropped_bytes += len(data)
                return
            buffer.extend(data[: MAX_LINE_BYTES * 4])
            while b"\n" in buffer:
                line, _, rest = bytes(buffer).partition(b"\n")
                buffer[:] = rest
                self.log(name, line.decode("utf-8", "replace"))
            if len(buffer) > MAX_LINE_BYTES:
                self.log(name, buffer.decode("utf-8", "replace"))
                buffer.clear()

        return write

    def flush(self) -> None:
        for name, buffer in self._partial.items():
            if buffer:
                self.log(name, buffer.decode("utf-8", "replace"))
                buffer.clear()

    def _keep(self, level: str, message: str) -> None:
        self.records.append((level, message))
        if self.emit is not None:
            self.emit(self.plugin, level, message)
