"""MCP over stdin/stdout, with the limits and errors the SDK's stdio transport leaves out.

One JSON-RPC message per line, as the MCP stdio transport says. Unlike the SDK's own
transport (which drops a line it cannot parse without a word, and reads a line of any
length into memory), this one:

- caps a message at `max_frame_bytes`: the rest of a longer line is skipped unread and
  the client gets an Invalid Request error;
- answers a line that is not JSON with a Parse error (-32700), and JSON that is not a
  JSON-RPC message (or nests deeper than the parser allows) with an Invalid Request
  error (-32600) carrying the message's id when it has a readable one, so the client is
  not left waiting;
- reads and writes only the descriptors `host.mcp.stdio_wire.claimed_stdio` took from the
  rest of the process, so nothing else (a library, a stray print) can write into the protocol;
- starts with what the early phase (`host.mcp.early`) read but did not answer, and drops the
  SDK's answer to an `initialize` answered early, once it has checked it is the same.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.abc
import mcp_types as types
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage

from host.mcp.handshake import EarlyInitialize
from host.mcp.stdio_wire import Wire

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
_READ_CHUNK = 64 * 1024


class _Pipe:
    """A non-blocking descriptor read and written through the event loop."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)

    async def read(self) -> bytes:
        while True:
            try:
                return os.read(self.fd, _READ_CHUNK)
            except BlockingIOError:
                await anyio.wait_readable(self.fd)

    async def write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.fd, view)
            except BlockingIOError:
                await anyio.wait_writable(self.fd)
                continue
            view = view[written:]


Streams = tuple[MemoryObjectReceiveStream[SessionMessage | Exception], MemoryObjectSendStream[SessionMessage]]


class EarlyAnswerMismatch(Exception):
    """The SDK answered the early-answered `initialize` differently: the session cannot go on."""


@contextlib.asynccontextmanager
async def stdio_transport(
    max_frame_bytes: int, wire: Wire, *, preread: bytes = b"", early: EarlyInitialize | None = None
) -> AsyncIterator[Streams]:
    """(read stream, write stream) over `wire`, for `Server.run`.

    `preread` is what was read from the wire before (by the early phase, `host.mcp.early`):
    it is taken as the start of the input. `early` is the `initialize` already answered: the
    SDK's own answer to it is checked against it and not sent again.
    """
    reader, writer = _Pipe(wire.read_fd), _Pipe(wire.write_fd)
    write_lock = anyio.Lock()
    inbound_send, inbound_receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    outbound_send, outbound_receive = anyio.create_memory_object_stream[SessionMessage](0)

    async def send_line(message: dict[str, Any]) -> None:
        async with write_lock:
            await writer.write_all(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    async def read_loop() -> None:
        async with inbound_send:
            pending = bytearray(preread)
            skipping = False  # inside a line longer than the cap: drop until its end
            while True:
                while True:
                    end = pending.find(b"\n")
                    if end < 0:
                        if len(pending) > max_frame_bytes and not skipping:
                            skipping = True
                            await send_line(_error(None, INVALID_REQUEST, _too_large(max_frame_bytes)))
                        if skipping:
                            pending.clear()
                        break
                    line = bytes(pending[:end])
                    del pending[: end + 1]
                    if skipping:
                        skipping = False
                        continue
                    if len(line) > max_frame_bytes:
                        await send_line(_error(None, INVALID_REQUEST, _too_large(max_frame_bytes)))
                        continue
                    if not line.strip():
                        continue
                    try:
                        message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                    except ValueError:
                        refusal = _refusal(line)
                        if refusal is not None:
                            await send_line(refusal)
                        continue
                    await inbound_send.send(SessionMessage(message))
                chunk = await reader.read()
                if not chunk:
                    return  # EOF: the client is gone
                pending += chunk

    async def write_loop() -> None:
        awaited = early
        async with outbound_receive:
            async for session_message in outbound_receive:
                text = session_message.message.model_dump_json(by_alias=True, exclude_unset=True)
                if awaited is not None and _answers(session_message, awaited.request_id):
                    difference = awaited.check(json.loads(text))
                    if difference:
                        raise EarlyAnswerMismatch(difference)
                    awaited = None
                    continue  # the client has this answer already
                async with write_lock:
                    await writer.write_all(text.encode() + b"\n")

    async with anyio.create_task_group() as group:
        group.start_soon(_guarded, read_loop)
        group.start_soon(_guarded, write_loop)
        try:
            yield inbound_receive, outbound_send
        finally:
            group.cancel_scope.cancel()


def _answers(session_message: SessionMessage, request_id: str | int) -> bool:
    message = session_message.message
    return isinstance(message, types.JSONRPCResponse | types.JSONRPCError) and message.id == request_id


async def _guarded(loop: Any) -> None:
    """A broken pipe (the client went away) ends a loop like EOF does."""
    try:
        await loop()
    except OSError as e:
        if e.errno not in (errno.EPIPE, errno.EBADF, errno.ECONNRESET):
            raise
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        pass


def _too_large(limit: int) -> str:
    return f"message larger than {limit} bytes: not read (send less, e.g. a path instead of file contents)"


def _error(request_id: str | int | None, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _refusal(line: bytes) -> dict[str, Any] | None:
    """The error for a line the SDK's parser refused; None for a bad response or notification
    (nothing may answer those)."""
    try:
        value = json.loads(line)
    except RecursionError:
        return _error(None, INVALID_REQUEST, "message nests too deeply to be read")
    except ValueError as e:
        return _error(None, PARSE_ERROR, f"parse error: not JSON ({e})")
    if not isinstance(value, dict):
        return _error(None, INVALID_REQUEST, "invalid request: a JSON-RPC message is an object")
    if "result" in value or "error" in value:
        return None  # a malformed response to a request of ours: nothing to answer
    request_id = value.get("id")
    if isinstance(request_id, int | str) and not isinstance(request_id, bool):
        return _error(request_id, INVALID_REQUEST, _why(value))
    if "id" not in value and "method" in value:
        return None  # a malformed notification: JSON-RPC forbids answering one
    return _error(None, INVALID_REQUEST, _why(value))


def _why(value: dict[str, Any]) -> str:
    if value.get("jsonrpc") != "2.0":
        return 'invalid request: "jsonrpc" must be "2.0"'
    if not isinstance(value.get("method"), str):
        return 'invalid request: "method" must be a string'
    if "params" in value and not isinstance(value["params"], dict | list):
        return 'invalid request: "params" must be an object'
    return "invalid request: the message nests too deeply or is not a JSON-RPC 2.0 request"
