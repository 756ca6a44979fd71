"""Stopping the plugin call under way in a `PluginHost`, from another thread: `Interrupt`.

Whoever runs calls on a thread of their own (the MCP server: a client cancels, a session's
wall time runs out, a plugin is removed or a grant revoked mid-call) fires the host's
`Interrupt`, and the call stops wherever it is:

- **in wasm**: every store of the host checks the interrupt at its epoch deadline, which
  is armed in short slices (`host.sandbox`, `host.wasmtime_compat.epoch_callback`), so
  the guest traps within a few epoch ticks; the instance is dropped, as after any trap;
- **in a program it launched** (`process`): the engine waits on the interrupt's file
  descriptor beside the program's pipes and kills the program's process group at once;
- **about to start host work**: the linker answers every further capability call of the
  stopped call with an error, so nothing new starts.

Host work that waits on the network (an http fetch, an llm request) is not cut short; it
ends at its own time cap, and the guest traps as soon as it is back in wasm.

An `Interrupt` stays fired until `clear()`: the runner of the next call clears it first.
"""

from __future__ import annotations

import contextlib
import os
import threading


class Interrupt:
    """A stop signal for the calls of one host: an event, plus a pipe that `select` can watch."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._reason = ""
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        os.set_blocking(self._write_fd, False)
        self._closed = False

    @property
    def reason(self) -> str:
        """Why the call was stopped, in words that fit after "stopped: "."""
        return self._reason

    def fire(self, reason: str) -> None:
        """Stop the call under way (idempotent: the first reason stays)."""
        with self._lock:
            if self._closed or self._event.is_set():
                return
            self._reason = reason
            self._event.set()
            with contextlib.suppress(BlockingIOError):  # one byte is enough to wake every watcher
                os.write(self._write_fd, b"!")

    def is_set(self) -> bool:
        return self._event.is_set()

    def fileno(self) -> int:
        """A descriptor that becomes readable when the interrupt fires."""
        return self._read_fd

    def clear(self) -> None:
        """Re-arm for the next call."""
        with self._lock:
            self._event.clear()
            self._reason = ""
            with contextlib.suppress(BlockingIOError):
                while os.read(self._read_fd, 64):
                    pass

    def close(self) -> None:
        """Release the pipe. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            os.close(self._read_fd)
            os.close(self._write_fd)

    def __enter__(self) -> Interrupt:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
