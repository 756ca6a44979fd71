"""Where a plugin's log lines, progress and stdout/stderr go: bounded, escaped, then to an emitter.

Two caps, so that neither big lines nor many small ones can flood the user or the host's
memory: bytes kept (`max_bytes`) and records kept (`max_records`; an empty line costs no
bytes but is still a line on the user's terminal and an entry in a transcript). What comes
after either cap is counted, not kept, and one warning says so.

Every message is made printable (`sdk.terminal_text.printable`) as it is recorded: a
plugin's text never reaches a terminal, a transcript or an agent with escape sequences,
carriage returns or bidi controls in it, whoever reads the records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sdk.terminal_text import printable

MAX_LOG_BYTES = 1024 * 1024
MAX_LOG_RECORDS = 10_000
MAX_LINE_BYTES = 16 * 1024

Emitter = Callable[[str, str, str], None]  # (plugin, level, message)
ProgressEmitter = Callable[[str, int, int, str], None]  # (plugin, done, total, message)


@dataclass
class LogSink:
    """Collects a plugin's output up to a byte cap and a record cap; the rest is counted, not kept."""

    plugin: str
    emit: Emitter | None = None
    max_bytes: int = MAX_LOG_BYTES
    max_records: int = MAX_LOG_RECORDS
    records: list[tuple[str, str]] = field(default_factory=list)
    #: Told of each `log.progress` call as numbers, besides the log line it also makes.
    emit_progress: ProgressEmitter | None = None
    used_bytes: int = 0
    dropped_bytes: int = 0
    dropped_records: int = 0
    _partial: dict[str, bytearray] = field(default_factory=dict)

    @property
    def full(self) -> bool:
        """Whether a cap has been reached: what comes now is dropped."""
        return self.dropped_bytes > 0 or self.dropped_records > 0

    def log(self, level: str, message: str) -> None:
        message = printable(message[:MAX_LINE_BYTES])
        size = len(message.encode("utf-8", "replace"))
        over_bytes = self.used_bytes + size > self.max_bytes
        # One record is held back for the warning that says the rest is dropped.
        over_records = len(self.records) >= self.max_records - 1
        if over_bytes or over_records:
            if not self.full:
                why = f"{self.max_bytes} bytes" if over_bytes else f"{self.max_records} lines"
                self._keep("warn", f"log output over {why}: the rest is dropped")
            self.dropped_bytes += size
            self.dropped_records += 1
            return
        self.used_bytes += size
        self._keep(printable(level), message)

    def progress(self, done: int, total: int, message: str) -> None:
        text = f"{done}/{total} {message}" if total else f"{done} {message}"
        self.log("progress", text)
        if self.emit_progress is not None:
            self.emit_progress(self.plugin, done, total, printable(message[:MAX_LINE_BYTES]))

    def start_call(self) -> None:
        """The caps count per call: a new call starts with none of them used (and no records)."""
        self.flush()
        self.records.clear()
        self.used_bytes = 0
        self.dropped_bytes = 0
        self.dropped_records = 0

    def stream(self, name: str) -> Callable[[bytes], None]:
        """A WASI stdout/stderr callback: whole lines become log records at level `name`."""
        buffer = self._partial.setdefault(name, bytearray())

        def write(data: bytes) -> None:
            if self.full:
                self.dropped_bytes += len(data)
                self.dropped_records += data.count(b"\n")
                return
            buffer.extend(data[: MAX_LINE_BYTES * 4])
            if b"\n" in buffer:
                # One split per write: taking lines off the front one by one would copy
                # the buffer once per line, quadratic in a write full of empty lines.
                *lines, rest = bytes(buffer).split(b"\n")
                buffer[:] = rest
                for index, line in enumerate(lines):
                    if self.full:
                        self.dropped_records += len(lines) - index
                        buffer.clear()
                        return
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
