"""What to give each MCP client so it starts `acc mcp serve` (or reaches it over HTTP).

`client_setup` returns the exact text for one client, and where it goes:

    claude-code     a `claude mcp add ...` command line (user scope: every project)
    claude-desktop  JSON for claude_desktop_config.json ("mcpServers")
    cursor          JSON for ~/.cursor/mcp.json or .cursor/mcp.json ("mcpServers")
    vscode          JSON for .vscode/mcp.json ("servers", with "type")

The server command names `acc` by its absolute path (a client's PATH is not the
shell's) and carries ACC_HOME when one is set, so the client's server sees the plugins
and grants this shell sees. Clients that start servers outside a project (Claude
Desktop) get `--project` pinned; Claude Code, Cursor and VS Code start the server in the
open project, which `acc mcp serve` takes as its project by default.

`write_claude_plugin` writes a Claude Code plugin directory (inside a one-plugin
marketplace) whose MCP server is `acc mcp serve`.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sdk.atomic import atomic_write_bytes

CLIENTS = ("claude-code", "claude-desktop", "cursor", "vscode")
SERVER_NAME = "acc"
PLUGIN_NAME = "acc-plugins"
MARKETPLACE_NAME = "acc-local"


@dataclass(frozen=True)
class ServerCommand:
    """How a client starts the stdio server: the executable, its arguments, its environment."""

    executable: str
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpEndpoint:
    url: str
    token: str


@dataclass(frozen=True)
class ClientSetup:
    #: The command or JSON to use, exactly.
    text: str
    #: Where it goes, in words.
    where: str


def server_command(
    acc: str, *, plugins: Sequence[str] | None, project: Path | None, home: Path | None
) -> ServerCommand:
    """`acc mcp serve` with the options given (None: the server's defaults)."""
    args = ["mcp", "serve"]
    if plugins:
        args += ["--plugins", ",".join(plugins)]
    if project is not None:
        args += ["--project", str(project)]
    return ServerCommand(acc, tuple(args), {"ACC_HOME": str(home)} if home is not None else {})


def client_setup(client: str, server: ServerCommand | HttpEndpoint) -> ClientSetup:
    """The setup text for `client` (one of CLIENTS)."""
    if client == "claude-code":
        return ClientSetup(_claude_code(server), "run it in a shell where Claude Code (`claude`) is installed")
    if client == "claude-desktop":
        return ClientSetup(
            _json({"mcpServers": {SERVER_NAME: _entry(server, typed=False)}}),
            "merge it into claude_desktop_config.json (Settings > Developer > Edit Config), then restart Claude "
            "Desktop",
        )
    if client == "cursor":
        return ClientSetup(
            _json({"mcpServers": {SERVER_NAME: _entry(server, typed=False)}}),
            "merge it into ~/.cursor/mcp.json (every project) or .cursor/mcp.json (this project)",
        )
    if client == "vscode":
        return ClientSetup(
            _json({"servers": {SERVER_NAME: _entry(server, typed=True)}}),
            "merge it into .vscode/mcp.json in the project (or the user mcp.json: MCP: Open User Configuration)",
        )
    raise ValueError(f"unknown client {client!r}")


def _claude_code(server: ServerCommand | HttpEndpoint) -> str:
    if isinstance(server, HttpEndpoint):
        words = ["claude", "mcp", "add", "--transport", "http", "--scope", "user", SERVER_NAME, server.url]
        words += ["--header", f"Authorization: Bearer {server.token}"]
        return shlex.join(words)
    words = ["claude", "mcp", "add", "--transport", "stdio", "--scope", "user"]
    for key, value in sorted(server.env.items()):
        words += ["--env", f"{key}={value}"]
    words += [SERVER_NAME, "--", server.executable, *server.args]
    return shlex.join(words)


def _entry(server: ServerCommand | HttpEndpoint, *, typed: bool) -> dict[str, object]:
    if isinstance(server, HttpEndpoint):
        entry: dict[str, object] = {"url": server.url, "headers": {"Authorization": f"Bearer {server.token}"}}
        return {"type": "http", **entry} if typed else entry
    entry = {"command": server.executable, "args": list(server.args)}
    if server.env:
        entry["env"] = dict(server.env)
    return {"type": "stdio", **entry} if typed else entry


def _json(value: object) -> str:
    return json.dumps(value, indent=2)


def write_claude_plugin(out: Path, server: ServerCommand, version: str) -> Path:
    """Write OUT/.claude-plugin/marketplace.json and OUT/acc-plugins/ (the plugin); return the plugin dir.

    Files are written whole (atomically); an existing OUT is updated in place.
    """
    plugin = out / PLUGIN_NAME
    description = "Installed acc plugins as sandboxed MCP tools: each call runs in the plugin's WebAssembly sandbox"
    files = {
        out / ".claude-plugin" / "marketplace.json": {
            "name": MARKETPLACE_NAME,
            "owner": {"name": "acc"},
            "plugins": [{"name": PLUGIN_NAME, "source": f"./{PLUGIN_NAME}", "description": description}],
        },
        plugin / ".claude-plugin" / "plugin.json": {
            "name": PLUGIN_NAME,
            "version": version,
            "description": description,
        },
        plugin / ".mcp.json": {"mcpServers": {SERVER_NAME: _entry(server, typed=False)}},
    }
    for path, value in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, (_json(value) + "\n").encode())
    readme = (
        f"# {PLUGIN_NAME}\n\n{description}.\n\n"
        "The MCP server is `acc mcp serve`: the plugins you installed with `acc plugin install`, under the\n"
        "grants you gave them. Grants change only with `acc plugin grant` / `acc plugin revoke`.\n"
    )
    atomic_write_bytes(plugin / "README.md", readme.encode())
    return plugin
