"""`acc mcp serve`: the installed plugins' commands as MCP tools, each call in its sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from acc_cli import __version__
from acc_cli.mcp._options import plugins_option, split
from acc_cli.terminal import err
from host.paths import host_paths

if TYPE_CHECKING:
    from host.mcp.config import ServeOptions


@click.command()
@plugins_option
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="The project directory the plugins' fs and process grants refer to (default: where the client starts "
    "the server, usually the open project).",
)
@click.option(
    "--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True, help="How clients connect."
)
@click.option("--host", help="HTTP: the address to listen on (default 127.0.0.1; others need --allow-remote).")
@click.option("--port", type=click.IntRange(0, 65535), help="HTTP: the port (default 8765; 0 picks a free one).")
@click.option("--allow-remote", is_flag=True, help="HTTP: allow listening on an address that is not loopback.")
@click.option("--max-tool-calls", type=click.IntRange(min=1), help="Tool calls per session, at most.")
@click.option("--max-seconds", type=click.FloatRange(min=1), help="Wall time of a session, at most.")
@click.option("--max-result-chars", type=click.IntRange(min=100), help="A result's text is cut beyond this.")
def serve(
    plugins: str | None,
    project: Path,
    transport: str,
    host: str | None,
    port: int | None,
    allow_remote: bool,
    max_tool_calls: int | None,
    max_seconds: float | None,
    max_result_chars: int | None,
) -> None:
    """Serve the installed plugins' commands as MCP tools, each call in the plugin's sandbox
    under the grants you gave it. Over stdio (what clients start) by default; over streamable
    HTTP on loopback, with the bearer token of `acc mcp token`, with --transport http."""
    from host.errors import InputError
    from host.mcp.config import ServeOptions, load_mcp_settings
    from host.policy import load_policy

    paths = host_paths()
    project_dir = project.resolve()
    if not project_dir.is_dir():
        raise InputError(f"--project {project} is not a directory")
    settings = load_mcp_settings(paths.home).with_overrides(
        plugins=split(plugins),
        host=host,
        port=port,
        max_tool_calls=max_tool_calls,
        max_seconds=max_seconds,
        max_result_chars=max_result_chars,
    )
    options = ServeOptions(
        paths=paths,
        settings=settings,
        project_dir=project_dir,
        transport=transport,
        policy=load_policy(paths.home),
        server_version=__version__,
    )
    if transport == "stdio":
        from host.mcp.run import serve_stdio

        serve_stdio(options, log=err)
        return
    _serve_http(options, allow_remote)


def _serve_http(options: ServeOptions, allow_remote: bool) -> None:
    from host.mcp.http import bind_address, listening_socket
    from host.mcp.token import ensure_token

    settings = options.settings
    address = bind_address(settings.host, allow_remote=allow_remote)  # refused before anything starts
    token = ensure_token(options.paths.home)
    sock = listening_socket(address, settings.port)

    import anyio

    from host.mcp.http import serve_http
    from host.mcp.run import max_message_bytes
    from host.mcp.server import McpService

    service = McpService(options, log=err)

    def ready(url: str) -> None:
        err(f"acc mcp: serving {len(service.listing.tools)} tools at {url} (bearer token: `acc mcp token`)")

    anyio.run(serve_http, service, sock, token, max_message_bytes(options), ready)
