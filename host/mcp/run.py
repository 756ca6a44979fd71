"""Running `acc mcp serve`: the service on one transport until the client leaves or a signal.

Whatever ends the server (stdin closed, SIGTERM, SIGINT), calls still running are
stopped (their sandboxes and programs), each plugin's cleanup runs, and only then does
the process exit: nothing a call started outlives the server.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

import anyio

from host.mcp.config import ServeOptions
from host.mcp.server import McpService
from host.mcp.stdio import stdio_transport

#: A stdio message may carry the largest input a command takes, plus the envelope around it.
ENVELOPE_BYTES = 64 * 1024


def max_message_bytes(options: ServeOptions) -> int:
    return options.policy.max_input_bytes + ENVELOPE_BYTES


def serve_stdio(options: ServeOptions, log: Callable[[str], None]) -> None:
    """Serve on stdin/stdout until the client closes stdin (or a signal)."""
    service = McpService(options, log=log)
    listing = service.listing
    log(
        f"acc mcp: serving {len(listing.tools)} tools of {len(listing.plugins)} plugins over stdio "
        f"(project {options.project_dir})"
    )
    anyio.run(_stdio, service, max_message_bytes(options))


async def _stdio(service: McpService, max_frame_bytes: int) -> None:
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_stop_on_signal, group.cancel_scope)
            group.start_soon(service.watch)
            async with stdio_transport(max_frame_bytes) as (read_stream, write_stream):
                await service.server.run(read_stream, write_stream, service.initialization_options())
            group.cancel_scope.cancel()
    finally:
        await service.aclose()


async def _stop_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
        async for _ in signals:
            scope.cancel()
            return
