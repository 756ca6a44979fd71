"""`acc mcp config`: the exact setup an MCP client needs to use `acc mcp serve`."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.mcp._options import acc_command, acc_home_setting, plugins_option, split
from acc_cli.terminal import echo, err
from host.paths import host_paths


@click.command()
@click.option(
    "--client",
    type=click.Choice(["claude-code", "claude-desktop", "cursor", "vscode"]),
    required=True,
    help="The MCP client to set up.",
)
@click.option(
    "--transport",
    type=click.Choice(["stdio", "http"]),
    default="stdio",
    show_default=True,
    help="stdio: the client starts the server; http: it connects to a running `acc mcp serve --transport http`.",
)
@plugins_option
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    help="Pin the project directory (default: where the client starts the server; pinned to the current "
    "directory for claude-desktop, which starts servers outside any project).",
)
def config(client: str, transport: str, plugins: str | None, project: Path | None) -> None:
    """Print the command (claude-code) or JSON (the others) that gives CLIENT the installed
    plugins as sandboxed tools; where it goes is printed on stderr."""
    from host.mcp.clients import HttpEndpoint, ServerCommand, client_setup, server_command
    from host.mcp.config import load_mcp_settings
    from host.mcp.token import ensure_token

    paths = host_paths()
    server: ServerCommand | HttpEndpoint
    if transport == "http":
        settings = load_mcp_settings(paths.home)
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        server = HttpEndpoint(f"http://{host}:{settings.port}/mcp", ensure_token(paths.home))
    else:
        if project is None and client == "claude-desktop":
            project = Path.cwd()
        executable, leading = acc_command()
        command = server_command(
            executable,
            plugins=split(plugins),
            project=project.resolve() if project is not None else None,
            home=acc_home_setting(),
        )
        server = ServerCommand(command.executable, (*leading, *command.args), command.env)
    setup = client_setup(client, server)
    echo(setup.text)
    err(f"# {setup.where}")
    if transport == "http":
        err("# start the server first: acc mcp serve --transport http (the token is secret: keep this private)")
