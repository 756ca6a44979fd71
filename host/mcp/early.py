"""The stdio server's first moments: the handshake answered while the MCP SDK loads.

`SdkLoader` imports the SDK-backed modules on a background thread. Meanwhile
`answer_until_loaded` reads the client's first messages and gives the answers
`host.mcp.handshake` can vouch for (`initialize`, `tools/list`, `ping`); it stops at the
first message it cannot answer, when the SDK has loaded, or at the end of the input.
Whatever the SDK must still read (the `initialize` it answers again, `notifications/
initialized`, and everything from the first message answered late on) is returned, in the
order it came, for the stdio transport to read first.

The input is capped here as in the transport: a line longer than the cap ends the early
phase unread, and the transport refuses it.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import threading
from dataclasses import dataclass

from host.mcp.handshake import EarlyAnswers, EarlyInitialize
from host.mcp.stdio_wire import Wire, write_all

_READ_CHUNK = 64 * 1024


class SdkLoader:
    """Imports a module on a background thread and says so on a pipe the early loop watches."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.done_fd, self._signal_fd = os.pipe()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, name="acc-mcp-sdk-load", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _load(self) -> None:
        try:
            importlib.import_module(self.module)
        except BaseException as e:  # re-raised on the main thread by wait()
            self.error = e
        finally:
            os.write(self._signal_fd, b".")

    def wait(self) -> None:
        """Until the module is loaded; its import error, if any, raised here."""
        self._thread.join()
        for fd in (self.done_fd, self._signal_fd):
            os.close(fd)
        if self.error is not None:
            raise self.error


@dataclass(frozen=True)
class EarlyPhase:
    """What the early phase leaves for the SDK."""

    #: The bytes the transport must read before reading the wire again.
    unread: bytes
    #: The `initialize` answered early (the SDK's answer to it is checked, then dropped).
    initialize: EarlyInitialize | None


def answer_until_loaded(wire: Wire, answers: EarlyAnswers, loader: SdkLoader, max_frame_bytes: int) -> EarlyPhase:
    """Answer what `answers` can until the SDK loads, a message needs it, or the input ends."""
    pending = bytearray()
    passed_on = bytearray()
    while not answers.done:
        while not answers.done and (end := pending.find(b"\n")) >= 0:
            line = bytes(pending[: end + 1])
            if len(line) > max_frame_bytes:
                answers.done = True  # the transport refuses it
                break
            del pending[: end + 1]
            if not line.strip():
                continue
            reply, pass_on = answers.answer(_parse(line))
            if reply is not None:
                write_all(wire.write_fd, json.dumps(reply, separators=(",", ":")).encode() + b"\n")
            if pass_on:
                passed_on += line
        if answers.done or len(pending) > max_frame_bytes:
            break
        readable, _, _ = select.select([wire.read_fd, loader.done_fd], [], [])
        if loader.done_fd in readable:
            break
        chunk = os.read(wire.read_fd, _READ_CHUNK)
        if not chunk:
            break  # the end of the input: the transport reads it again and ends
        pending += chunk
    return EarlyPhase(bytes(passed_on + pending), answers.initialize)


def _parse(line: bytes) -> object:
    """The message, or None for anything the SDK's parser might read differently."""
    try:
        return json.loads(line, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")
