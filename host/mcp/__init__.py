"""`acc mcp`: installed plugins as MCP tools for Claude Code and any other MCP client.

    config.py     the [mcp] table of ACC_HOME/config.toml (plugins, budgets, audit size, address); ServeOptions
    listing.py    tools, hints and READMEs from the store alone (no sandbox); the store's signature
    lanes.py      one lane per plugin: its calls in its sandbox, in order, stoppable
    session.py    a session's budget (tool calls, wall time), log level and client
    server.py     McpService: the SDK server's handlers, the audit, following the store
    audit.py      the append-only JSONL audit log, and reading and following it
    handshake.py  the server's identity; the answers given before the SDK loads (no SDK import)
    early.py      stdio's first moments: the handshake answered while the SDK loads on a thread
    stdio_wire.py stdin/stdout taken for the protocol alone (no SDK import)
    stdio.py      the stdio transport (message size cap, JSON-RPC errors for bad frames)
    http.py       streamable HTTP on loopback: Host, Origin and bearer token checked first
    token.py      the bearer token (made on first use, 0600)
    clients.py    what Claude Code, Claude Desktop, Cursor and VS Code need; a Claude Code plugin
    run.py        serving until the client leaves or a signal, stopping whatever still runs

Built on the official MCP Python SDK (`mcp`), which only server, stdio and http import
(directly): the rest of acc (and `acc --help`) never loads it, and `acc mcp serve` over
stdio loads it on a background thread while it answers the handshake. Grants never change
through MCP.
"""
