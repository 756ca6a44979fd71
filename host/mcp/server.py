"""`acc mcp serve`: installed plugins as MCP tools, on the official MCP Python SDK.

`McpService` is everything one server process shares: the listing of tools (remade when
the store changes), the lanes that run calls, the audit log, the sessions. It builds the
SDK's low-level `Server` with these handlers:

    tools/list           the served plugins' commands (`host.mcp.listing`; no sandbox)
    tools/call           one call in the plugin's sandbox (`host.mcp.lanes`), under the
                         session's budget; its log lines and progress reach the client while
                         it runs; every call is audited (`host.mcp.audit`)
    resources/list|read  each served plugin's README, so a client can show what a tool is for
    logging/setLevel     the least severe plugin log level the session wants
    subscriptions/listen list changes for clients of the 2026 protocol

Nothing here writes the store: grants change only through `acc plugin grant`/`revoke`
and the install prompt. The store is watched (`watch`): when another acc process installs,
updates, removes, grants or revokes, clients are told the lists changed
(`notifications/tools/list_changed`, `.../resources/list_changed`), the next call runs
under the new state, and a call running when its plugin is removed or loses a grant is
stopped.

What a plugin or a model did wrong comes back as a tool result with `isError` (an unknown
tool, arguments that break the schema or nest too deeply, `denied`, a limit, a crash, a
stopped call, a spent budget); only what breaks the protocol is a JSON-RPC error.
"""

from __future__ import annotations

import os
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import anyio
import mcp_types as types
from mcp.server import NotificationOptions, Server, ServerRequestContext
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.shared.subscriptions import ResourcesListChanged, ToolsListChanged
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from host.mcp.audit import AuditLog, audit_path, client_field, input_digest
from host.mcp.config import ServeOptions
from host.mcp.handshake import INSTRUCTIONS, SERVER_DESCRIPTION, SERVER_NAME, SERVER_TITLE
from host.mcp.lanes import CallEvent, CallReport, LaneOptions, Lanes
from host.mcp.listing import Listing, ServedTool, read_listing, store_signature
from host.mcp.session import Session, SessionBudget, at_least, mcp_level
from host.project_guard import check_project
from host.tools import ToolOutcome

#: Arguments nesting deeper than this are refused before they reach a plugin.
MAX_INPUT_DEPTH = 64
#: Sessions remembered at once (HTTP sessions come and go); the oldest is forgotten first.
MAX_SESSIONS = 1024
#: A README served as a resource is cut here.
MAX_README_BYTES = 1024 * 1024
#: Progress notifications of one call are sent at most this often (the last one always).
PROGRESS_INTERVAL_SECONDS = 0.05
#: MCP's code for an unknown resource.
RESOURCE_NOT_FOUND = -32002

Context = ServerRequestContext[Any, Any]


class McpService:
    """One `acc mcp serve` process: listing, lanes, audit, sessions, and the SDK server."""

    def __init__(
        self, options: ServeOptions, *, log: Callable[[str], None] = lambda _: None, listing: Listing | None = None
    ) -> None:
        """`listing`: the one already read (and shown to the client before the SDK loaded), so a
        change of the store since then is announced; read here when not given."""
        self.options = options
        self.paths = options.paths
        self.settings = options.settings
        self.log = log  # the server's own messages (stderr), never the protocol
        if listing is None:
            check_project(options.project_dir, options.paths)  # refused now, not at the first call
            listing = self._read_listing()
            for problem in listing.problems:
                log(f"acc mcp: {problem}")
        self.listing = listing
        self.lanes = Lanes(
            self.paths,
            LaneOptions(options.project_dir, options.policy, max_result_chars=self.settings.max_result_chars),
        )
        self.audit = AuditLog(audit_path(self.paths.home), self.settings.audit_max_bytes)
        self.audit.open()
        self.sessions: OrderedDict[str, Session] = OrderedDict()
        self.bus = InMemorySubscriptionBus()
        self.listen = ListenHandler(self.bus)
        self.server = self._build()

    # -- the SDK server ---------------------------------------------------------------------------

    def _build(self) -> Server[Any]:
        with warnings.catch_warnings():
            # logging/setLevel is deprecated from the 2026 protocol on; clients of the
            # handshake era (Claude Code, Claude Desktop, Cursor, VS Code today) use it.
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            server: Server[Any] = Server(
                SERVER_NAME,
                version=self.options.server_version,
                title=SERVER_TITLE,
                description=SERVER_DESCRIPTION,
                instructions=INSTRUCTIONS,
                on_list_tools=self._list_tools,
                on_call_tool=self._call_tool,
                on_list_resources=self._list_resources,
                on_read_resource=self._read_resource,
                on_set_logging_level=self._set_logging_level,
                on_subscriptions_listen=self.listen,
            )
        server.add_notification_handler("notifications/initialized", types.NotificationParams, self._initialized)
        return server

    def initialization_options(self) -> Any:
        return self.server.create_initialization_options(
            NotificationOptions(tools_changed=True, resources_changed=True)
        )

    # -- sessions ---------------------------------------------------------------------------------

    def session(self, ctx: Context) -> Session:
        key = _session_key(ctx)
        session = self.sessions.get(key)
        if session is None:
            session = Session(key, SessionBudget(self.settings.max_tool_calls, self.settings.max_seconds))
            self.sessions[key] = session
            while len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)
        else:
            self.sessions.move_to_end(key)
        params = ctx.session.client_params
        info = params.client_info if params is not None else None
        if info is not None:
            session.client_name, session.client_version = client_field(info.name), client_field(info.version)
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            session.peer = ctx.session  # its connection's channel carries list changes
        return session

    async def _initialized(self, ctx: Context, _params: types.NotificationParams) -> None:
        self.session(ctx)

    async def _set_logging_level(self, ctx: Context, params: types.SetLevelRequestParams) -> types.EmptyResult:
        self.session(ctx).log_level = params.level
        return types.EmptyResult()

    # -- tools ------------------------------------------------------------------------------------

    def current_listing(self) -> Listing:
        """The listing for the store as it is now (remade only if state.json changed)."""
        if store_signature(self.paths) != self.listing.signature:
            self._replace_listing(self._read_listing())
        return self.listing

    def _read_listing(self) -> Listing:
        return read_listing(self.paths, self.settings.plugins)

    async def _list_tools(self, ctx: Context, _params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        self.session(ctx)
        listing = self.current_listing()
        return types.ListToolsResult(
            tools=[types.Tool.model_validate(served.definition()) for served in listing.tools.values()]
        )

    async def _call_tool(self, ctx: Context, params: types.CallToolRequestParams) -> types.CallToolResult:
        session = self.session(ctx)
        started = time.monotonic()
        arguments: Any = params.arguments if params.arguments is not None else {}
        listing = self.current_listing()
        served = listing.tools.get(params.name)
        audit: dict[str, Any] = {
            "session": session.key,
            "transport": self.options.transport,
            "client": session.client(),
            "tool": params.name[:200],
        }
        input_bytes, input_sha256 = input_digest(arguments)
        audit.update(input_bytes=input_bytes, input_sha256=input_sha256)
        if served is None:
            return self._refuse(audit, started, "unknown-tool", listing.why_unknown(params.name))
        audit.update(
            plugin=served.plugin.name,
            version=served.plugin.version,
            archive_sha256=served.plugin.archive_sha256,
            command=served.tool.command,
        )
        refusal = session.budget.refusal()
        if refusal:
            hint = "start a new session (reconnect the server), or raise [mcp] max_tool_calls / max_seconds"
            return self._refuse(audit, started, "budget", f"refused: {refusal}; {hint}")
        depth = _depth(arguments, MAX_INPUT_DEPTH)
        if depth > MAX_INPUT_DEPTH:
            return self._refuse(
                audit, started, "input", f"invalid input: it nests deeper than {MAX_INPUT_DEPTH} levels"
            )
        session.budget.calls += 1
        report = CallReport(session=session.key, request=str(ctx.request_id))
        try:
            outcome = await self._run(ctx, session, served, arguments, listing, report)
        except anyio.get_cancelled_exc_class():
            self._write_audit(audit, started, "stopped", report, limit="stopped")
            raise
        result = _call_result(served, outcome)
        kind = "ok" if not result.is_error else (outcome.error_kind or "invalid-output")
        if outcome.limit == "stopped":  # cancelled, out of session time, or its plugin removed/revoked
            kind = "stopped"
        self._write_audit(audit, started, kind, report, limit=outcome.limit)
        return result

    async def _run(
        self, ctx: Context, session: Session, served: ServedTool, arguments: Any, listing: Listing, report: CallReport
    ) -> ToolOutcome:
        progress = _Progress()

        async def deliver(event: CallEvent) -> None:
            await self._deliver(ctx, session, event, progress)

        report.deliver = deliver
        report.wanted = _wanted_by(ctx, session)

        def cancelled_why() -> str:
            outbound = getattr(ctx.session, "_request_outbound", None)  # the SDK keeps the flag there
            flag = getattr(outbound, "cancel_requested", None)
            if flag is not None and flag.is_set():
                return "the client cancelled the call"
            return "the client went away (or the server is stopping)"

        return await self.lanes.call(served, arguments, listing.signature, report, cancel_reason=cancelled_why)

    async def _deliver(self, ctx: Context, session: Session, event: CallEvent, progress: _Progress) -> None:
        """Pass one log line or progress update of a running call to the client (best effort)."""
        try:
            if event[0] == "progress":
                _, _plugin, done, total, message = event
                if progress.due(done, total):
                    await ctx.session.report_progress(float(done), float(total) if total else None, message or None)
                return
            _, plugin, level, message = event
            mapped: types.LoggingLevel = mcp_level(level)
            modern = ctx.protocol_version in MODERN_PROTOCOL_VERSIONS  # its own opt-in, per request
            if not modern and not at_least(mapped, session.log_level):
                return
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)
                await ctx.session.send_log_message(mapped, message, logger=plugin, related_request_id=ctx.request_id)
        except Exception:  # the client went away: its result cannot reach it either
            return

    def _refuse(self, audit: dict[str, Any], started: float, kind: str, text: str) -> types.CallToolResult:
        self._write_audit(audit, started, kind, None)
        content: list[types.ContentBlock] = [types.TextContent(text=text)]
        return types.CallToolResult(content=content, is_error=True)

    def _write_audit(
        self, audit: dict[str, Any], started: float, outcome: str, report: CallReport | None, *, limit: str = ""
    ) -> None:
        record = {
            **audit,
            "outcome": outcome,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "denials": [
                {"plugin": plugin, "capability": kind, "function": function}
                for plugin, kind, function in (report.denials if report else [])
            ],
        }
        if limit:
            record["limit"] = limit
        try:
            self.audit.write(record)
        except OSError as e:  # the call is done; say so loudly rather than fail it afterwards
            self.log(f"acc mcp: could not write the audit log {self.audit.path}: {e.strerror}")

    # -- resources: each served plugin's README ------------------------------------------------------

    async def _list_resources(
        self, ctx: Context, _params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        self.session(ctx)
        resources = []
        for plugin in self.current_listing().plugins.values():
            try:
                size = min(plugin.readme_path.stat().st_size, MAX_README_BYTES)
            except OSError:
                continue
            resources.append(
                types.Resource(
                    uri=plugin.readme_uri,
                    name=f"{plugin.name}-readme",
                    title=f"{plugin.name} {plugin.version}: README",
                    description=plugin.description,
                    mime_type="text/markdown",
                    size=size,
                )
            )
        return types.ListResourcesResult(resources=resources)

    async def _read_resource(self, ctx: Context, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        self.session(ctx)
        uri = str(params.uri)
        plugin = next((p for p in self.current_listing().plugins.values() if p.readme_uri == uri), None)
        if plugin is None:
            raise MCPError(RESOURCE_NOT_FOUND, f"no such resource: {uri[:200]} (list them with resources/list)")
        try:
            with open(plugin.readme_path, "rb") as f:
                text = f.read(MAX_README_BYTES).decode("utf-8", "replace")
        except OSError as e:
            raise MCPError(RESOURCE_NOT_FOUND, f"the README of {plugin.name} cannot be read ({e.strerror})") from e
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type="text/markdown", text=text)]
        )

    # -- following the store --------------------------------------------------------------------

    async def watch(self) -> None:
        """Poll state.json; on a change, stop calls that lost their ground and announce new lists.
        Stop the calls of sessions whose wall time ran out."""
        while True:
            await anyio.sleep(self.settings.watch_seconds)
            self._stop_out_of_time()
            if store_signature(self.paths) == self.listing.signature:
                continue
            try:
                new = self._read_listing()
            except Exception as e:  # a damaged store: keep serving what was read last
                self.log(f"acc mcp: the store cannot be read ({e}); still serving the tools read before")
                continue
            changed = self._replace_listing(new)
            if changed:
                await self.announce()

    def _stop_out_of_time(self) -> None:
        now = time.monotonic()
        for session in list(self.sessions.values()):
            if now >= session.budget.deadline:
                self.lanes.stop_session(session.key, session.budget.out_of_time_reason())

    def _replace_listing(self, new: Listing) -> bool:
        """Take `new` as the listing; stop calls whose plugin left or lost a grant. Whether
        clients should list again."""
        old, self.listing = self.listing, new
        gone = {name: entry for name, entry in old.installed.items() if name not in new.installed}
        narrowed = {
            name: sorted((entry[1] - new.installed[name][1]) | (new.installed[name][2] - entry[2]))
            for name, entry in old.installed.items()
            if name in new.installed and ((entry[1] - new.installed[name][1]) | (new.installed[name][2] - entry[2]))
        }
        for name in gone:
            self.lanes.stop_involving({name}, f"{name} was removed or disabled while the call ran")
        for name, kinds in narrowed.items():
            self.lanes.stop_involving({name}, f"{name} lost the {', '.join(kinds)} grant while the call ran")
        return old.fingerprint() != new.fingerprint()

    async def announce(self) -> None:
        """Tell every client that the tools and resources changed."""
        for session in list(self.sessions.values()):
            if session.peer is None:
                continue
            try:
                await session.peer.send_tool_list_changed()
                await session.peer.send_resource_list_changed()
            except Exception:  # a session that went away
                session.peer = None
        await self.bus.publish(ToolsListChanged())
        await self.bus.publish(ResourcesListChanged())

    def abandon_http_request(self, session_id: str, request_id: str | int) -> None:
        """An HTTP client closed the connection its request's result was to come on: with no
        way to resume that stream, the result can reach nobody, so its call is stopped (or,
        still waiting for its plugin's lane, never started)."""
        reason = "the client went away before the result (its HTTP connection closed)"
        self.lanes.abandon(f"http:{session_id[:100]}", str(request_id), reason)

    async def aclose(self) -> None:
        self.listen.close()
        await self.lanes.aclose()


class _Progress:
    """Paces one call's progress notifications: the first, then one per interval, and the last."""

    def __init__(self) -> None:
        self.last = 0.0

    def due(self, done: int, total: int) -> bool:
        now = time.monotonic()
        if (total and done >= total) or now - self.last >= PROGRESS_INTERVAL_SECONDS:
            self.last = now
            return True
        return False


def _wanted_by(ctx: Context, session: Session) -> Callable[[CallEvent], bool]:
    """Which events of a call the client would receive: progress only with a progress token
    (on JSON-RPC, the only way it is asked for), log lines at or above the session's level (a
    2026 client asks per request, so all of them go to `_deliver`)."""
    wants_progress = ctx.meta is not None and ctx.meta.get("progress_token") is not None
    modern = ctx.protocol_version in MODERN_PROTOCOL_VERSIONS

    def wanted(event: CallEvent) -> bool:
        if event[0] == "progress":
            return wants_progress
        return modern or at_least(mcp_level(event[2]), session.log_level)

    return wanted


def _call_result(served: ServedTool, outcome: ToolOutcome) -> types.CallToolResult:
    text: list[types.ContentBlock] = [types.TextContent(text=outcome.content)]
    if outcome.is_error:
        return types.CallToolResult(content=text, is_error=True)
    result = outcome.result
    schema = served.tool.output_schema
    if schema is not None:
        problem = _output_problem(served, result)
        if problem:
            failure: list[types.ContentBlock] = [types.TextContent(text=problem)]
            return types.CallToolResult(content=failure, is_error=True)
        return types.CallToolResult(content=text, structured_content=result)
    # Without a declared schema: the object itself, unless the text had to be cut.
    structured = result if isinstance(result, dict) and not outcome.truncated_from else None
    return types.CallToolResult(content=text, structured_content=structured)


def _output_problem(served: ServedTool, result: Any) -> str:
    import jsonschema

    error = jsonschema.exceptions.best_match(_output_validator(served).iter_errors(result))
    if error is None:
        return ""
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    return (
        f"failed: {served.plugin.name} {served.tool.command} returned a result that breaks its declared output "
        f"schema at {where}: {error.message} (a bug in the plugin; tell its author)"
    )


#: Output-schema validators by (archive sha256, command): the archive fixes the schema.
_OUTPUT_VALIDATORS: dict[tuple[str, str], Any] = {}
_MAX_OUTPUT_VALIDATORS = 256


def _output_validator(served: ServedTool) -> Any:
    """The validator of a tool's output schema, made once per installed archive and command."""
    import jsonschema

    key = (served.plugin.archive_sha256, served.tool.command)
    validator = _OUTPUT_VALIDATORS.get(key)
    if validator is None:
        assert served.tool.output_schema is not None
        if len(_OUTPUT_VALIDATORS) >= _MAX_OUTPUT_VALIDATORS:
            _OUTPUT_VALIDATORS.clear()
        validator = _OUTPUT_VALIDATORS[key] = jsonschema.Draft202012Validator(served.tool.output_schema)
    return validator


def _depth(value: Any, limit: int) -> int:
    """How deep `value` nests (objects and lists), counting no further than limit + 1."""
    depth, level = 0, [value]
    while depth <= limit:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            break
        depth += 1
        level = [child for c in containers for child in (c.values() if isinstance(c, dict) else c)]
    return depth


def _session_key(ctx: Context) -> str:
    request = ctx.request
    if request is None:
        return f"stdio:{os.getpid()}"
    headers = getattr(request, "headers", {})
    session_id = headers.get("mcp-session-id") if hasattr(headers, "get") else None
    return f"http:{str(session_id)[:100]}" if session_id else "http:stateless"
