"""Running `acc mcp serve`: the service on one transport until the client leaves or a signal.

Over stdio, the client's handshake is answered while the MCP SDK loads (`host.mcp.early`):
the project is checked and the listing read first, the SDK-backed service is imported on a
background thread, and the service takes over the connection where the early phase left it.

Whatever ends the server (stdin closed, SIGTERM, SIGINT), calls still running are
stopped (their sandboxes and programs), each plugin's cleanup runs, and only then does
the process exit: nothing a call started outlives the server.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from host.mcp.config import ServeOptions
from host.mcp.early import EarlyPhase, SdkLoader, answer_until_loaded
from host.mcp.handshake import EarlyAnswers
from host.mcp.listing import Listing, read_listing
from host.mcp.stdio_wire import Wire, claimed_stdio
from host.project_guard import check_project

if TYPE_CHECKING:
    import anyio

    from host.mcp.server import McpService

#: A stdio message may carry the largest input a command takes, plus the envelope around it.
ENVELOPE_BYTES = 64 * 1024
#: The module that brings in the SDK, loaded while the handshake is answered.
SERVICE_MODULE = "host.mcp.server"
#: The GIL switch interval while it loads, in seconds (Python's default is 0.005).
EARLY_SWITCH_INTERVAL = 0.0005


def max_message_bytes(options: ServeOptions) -> int:
    return options.policy.max_input_bytes + ENVELOPE_BYTES


def serve_stdio(options: ServeOptions, log: Callable[[str], None]) -> None:
    """Serve on stdin/stdout until the client closes stdin (or a signal)."""
    check_project(options.project_dir, options.paths)  # refused before anything is answered
    listing = read_listing(options.paths, options.settings.plugins)
    for problem in listing.problems:
        log(f"acc mcp: {problem}")
    log(
        f"acc mcp: serving {len(listing.tools)} tools of {len(listing.plugins)} plugins over stdio "
        f"(project {options.project_dir})"
    )
    with claimed_stdio() as wire:
        answers = EarlyAnswers(options.server_version, [served.definition() for served in listing.tools.values()])
        loader = SdkLoader(SERVICE_MODULE)
        switch_interval = sys.getswitchinterval()
        # The loading thread holds the GIL almost all the time: hand it over more often, so the
        # answers (a few microseconds of Python each) do not wait 5 ms at every read and write.
        sys.setswitchinterval(EARLY_SWITCH_INTERVAL)
        try:
            loader.start()
            early = answer_until_loaded(wire, answers, loader, max_message_bytes(options))
            loader.wait()
        finally:
            sys.setswitchinterval(switch_interval)
        _serve_loaded(options, log, listing, wire, early)


def _serve_loaded(
    options: ServeOptions, log: Callable[[str], None], listing: Listing, wire: Wire, early: EarlyPhase
) -> None:
    import anyio

    from host.mcp.server import McpService
    from host.mcp.stdio import EarlyAnswerMismatch

    service = McpService(options, log=log, listing=listing)
    try:
        anyio.run(_stdio, service, wire, early, max_message_bytes(options))
    except* EarlyAnswerMismatch as group:
        log(
            f"acc mcp: stopped: the MCP SDK answered `initialize` unlike the answer sent while it loaded "
            f"({group.exceptions[0]}); this is a bug in acc, please report it"
        )
        raise SystemExit(1) from None


async def _stdio(service: McpService, wire: Wire, early: EarlyPhase, max_frame_bytes: int) -> None:
    import anyio

    from host.mcp.stdio import stdio_transport

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_stop_on_signal, group.cancel_scope)
            group.start_soon(service.watch)
            transport = stdio_transport(max_frame_bytes, wire, preread=early.unread, early=early.initialize)
            async with transport as (read_stream, write_stream):
                await service.server.run(read_stream, write_stream, service.initialization_options())
            group.cancel_scope.cancel()
    finally:
        await service.aclose()


async def _stop_on_signal(scope: anyio.CancelScope) -> None:
    import anyio

    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
        async for _ in signals:
            scope.cancel()
            return
