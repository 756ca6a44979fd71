"""`acc mcp serve` over real stdio pipes, with the official MCP client SDK as the client.

One server (and one connected client) serves this whole module: mcp-probe installed with
fs (read) and process (sleep) granted and http denied. Nothing here changes the store;
the tests that do (installs, revocations, removals, budgets) start servers of their own.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import anyio
import mcp_types as types
import pytest
from anyio.from_thread import BlockingPortal
from mcp.shared.exceptions import MCPError

from tests.mcp_server.mcp_kit import (
    Session,
    audit_records,
    gone,
    launched,
    mcp_session,
    probe_home,
    serve_args,
    sleep_marker,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(
    portal: BlockingPortal, probe_archive: Path, module_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Session]:
    home = probe_home(tmp_path_factory.mktemp("home"), probe_archive).home
    with mcp_session(portal, home, serve_args(module_project)) as session:
        yield session


def _text(result: types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text


# -- listing ---------------------------------------------------------------------------------


def test_each_command_is_a_tool_with_its_description_schema_and_hints_from_the_grants(served: Session) -> None:
    tools = served.tools()
    assert set(tools) == {
        f"mcp-probe__{c}" for c in ("echo", "steps", "levels", "spin", "sleep-program", "fetch", "typed", "big")
    }
    steps = tools["mcp-probe__steps"]
    assert steps.description is not None and steps.description.startswith("Count to `count`")
    assert "granted capabilities: fs, process" in steps.description  # not http: it was denied
    assert steps.input_schema["required"] == ["count"] and steps.input_schema["additionalProperties"] is False
    # process is granted (a program can change things); http is not (no open world)
    assert steps.annotations is not None
    assert steps.annotations.read_only_hint is False and steps.annotations.open_world_hint is False
    assert tools["mcp-probe__typed"].output_schema == {
        "type": "object",
        "required": ["count"],
        "properties": {"count": {"type": "integer"}},
    }
    assert tools["mcp-probe__echo"].output_schema is None


def test_each_plugins_readme_is_a_resource(served: Session) -> None:
    async def go() -> tuple[types.ListResourcesResult, types.ReadResourceResult]:
        listed = await served.client.list_resources()
        return listed, await served.client.read_resource(listed.resources[0].uri)

    listed, read = served.run(go)
    [resource] = listed.resources
    assert str(resource.uri) == "acc://plugins/mcp-probe/README.md" and resource.mime_type == "text/markdown"
    [content] = read.contents
    assert isinstance(content, types.TextResourceContents) and content.text.startswith("# mcp-probe")

    async def unknown() -> None:
        await served.client.read_resource("acc://plugins/nope/README.md")

    with pytest.raises(MCPError, match="no such resource"):
        served.run(unknown)


# -- calls -----------------------------------------------------------------------------------


def test_a_call_runs_in_the_sandbox_and_returns_its_json_as_text_and_structured_content(served: Session) -> None:
    result = served.call("mcp-probe__echo", {"text": "hi"})
    assert result.is_error is False
    assert result.structured_content == {"input": {"text": "hi"}}
    assert json.loads(_text(result)) == {"input": {"text": "hi"}}


def test_a_declared_output_schema_is_kept_and_a_result_breaking_it_is_a_tool_error(served: Session) -> None:
    good = served.call("mcp-probe__typed", {"kind": "good"})
    assert good.is_error is False and good.structured_content == {"count": 3}
    bad = served.call("mcp-probe__typed", {"kind": "bad"})
    assert bad.is_error is True
    assert "breaks its declared output schema at count" in _text(bad)


def test_a_capability_that_was_not_granted_comes_back_as_a_denied_tool_error(served: Session) -> None:
    result = served.call("mcp-probe__fetch", {})
    assert result.is_error is True
    assert _text(result).startswith("denied: mcp-probe was not granted the http capability")
    assert "acc plugin grant mcp-probe http" in _text(result)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"count": "three"}, "invalid input: input for mcp-probe steps is invalid at count"),
        ({"count": 2, "extra": 1}, "Additional properties are not allowed"),
        ({}, "'count' is a required property"),
    ],
    ids=["wrong-type", "unknown-property", "missing"],
)
def test_arguments_that_break_the_schema_are_a_tool_error(
    served: Session, arguments: dict[str, object], message: str
) -> None:
    result = served.call("mcp-probe__steps", arguments)
    assert result.is_error is True and message in _text(result)


def test_an_unknown_tool_is_a_tool_error_that_names_what_there_is(served: Session) -> None:
    other = served.call("nope__status", {})
    assert other.is_error is True and "'nope' is not installed or not served" in _text(other)
    command = served.call("mcp-probe__nope", {})
    assert command.is_error is True and "mcp-probe has no command 'nope' (its commands: big, echo," in _text(command)


def test_deeply_nested_arguments_are_refused_before_the_plugin(served: Session) -> None:
    nested: object = "leaf"
    for _ in range(100):
        nested = [nested]
    result = served.call("mcp-probe__echo", {"text": "x", "deep": nested})
    assert result.is_error is True and "nests deeper than 64 levels" in _text(result)


def test_huge_arguments_are_refused_with_the_input_limit(served: Session) -> None:
    result = served.call("mcp-probe__echo", {"text": "x" * (4 * 1024 * 1024 + 10)})
    assert result.is_error is True and "input is larger than 4194304 bytes" in _text(result)


def test_arguments_that_are_not_an_object_are_a_protocol_error(served: Session) -> None:
    async def go() -> None:
        params = types.CallToolRequestParams.model_construct(name="mcp-probe__echo", arguments=[1])
        with warnings.catch_warnings():  # pydantic notices the list: that is the point
            warnings.simplefilter("ignore", UserWarning)
            await served.client.session.send_request(types.CallToolRequest(params=params), types.CallToolResult)

    with pytest.raises(MCPError) as caught:
        served.run(go)
    assert caught.value.error.code == types.INVALID_PARAMS


def test_a_long_result_text_is_cut_with_a_note(served: Session) -> None:
    result = served.call("mcp-probe__big", {"size": 150_000})
    assert result.is_error is False
    assert "[truncated by the host: 100000 of 150002 characters shown]" in _text(result)
    assert result.structured_content is None  # a string is no object; and the text was cut


# -- progress and logs -------------------------------------------------------------------------


def test_log_progress_becomes_progress_notifications_for_a_client_that_sent_a_token(served: Session) -> None:
    result, seen = served.call_with_progress("mcp-probe__steps", {"count": 5})
    assert result.is_error is False and result.structured_content == {"steps": 5}
    assert seen[0] == (1.0, 5.0, "step 1") and seen[-1] == (5.0, 5.0, "step 5")
    assert [p for p, _, _ in seen] == sorted(p for p, _, _ in seen)


def test_plugin_log_lines_arrive_as_log_messages_at_the_level_the_client_asked_for(served: Session) -> None:
    warned = served.probe_log_lines("warning", 2)
    assert [(log.level, log.data) for log in warned] == [("warning", "a warning line"), ("error", "an error line")]
    assert {log.logger for log in warned} == {"mcp-probe"}

    every = served.probe_log_lines("debug", 5)
    assert [(log.level, log.data) for log in every] == [
        ("debug", "a trace line"),
        ("debug", "a debug line"),
        ("info", "an info line"),
        ("warning", "a warning line"),
        ("error", "an error line"),
    ]
    served.set_log_level("info")


# -- cancelling, overlapping --------------------------------------------------------------------


def test_cancelling_a_call_kills_the_program_it_launched_and_the_next_call_works(served: Session) -> None:
    marker = sleep_marker(37)

    async def cancel_after_start() -> float:
        async with anyio.create_task_group() as group:
            group.start_soon(served.client.call_tool, "mcp-probe__sleep-program", {"seconds": marker})
            await launched(marker)  # cancel only once the program runs: the test must be able to fail
            group.cancel_scope.cancel()
        return time.monotonic()

    cancelled_at = served.run(cancel_after_start)
    assert gone(f"sleep {marker}"), "the launched sleep outlived the cancelled call"
    assert time.monotonic() - cancelled_at < 10
    served.wait_for(
        lambda: any(r.get("command") == "sleep-program" for r in audit_records(served.home)), "the audit record"
    )
    record = [r for r in audit_records(served.home) if r.get("command") == "sleep-program"][-1]
    assert record["outcome"] == "stopped" and record["limit"] == "stopped"
    assert served.call("mcp-probe__echo", {"text": "after"}).structured_content == {"input": {"text": "after"}}


def test_cancelling_a_computing_call_stops_the_guest_long_before_its_time_limit(served: Session) -> None:
    async def cancel_spin() -> None:
        with anyio.move_on_after(0.5):
            await served.client.call_tool("mcp-probe__spin", {})

    started = time.monotonic()
    served.run(cancel_spin)
    # The lane is free again only once the sandbox stopped: a call behind it answers promptly.
    assert served.call("mcp-probe__echo", {"text": "next"}).is_error is False
    assert time.monotonic() - started < 8  # the plugin's own limit is 20 s


def test_overlapping_calls_of_one_plugin_run_one_after_the_other(served: Session) -> None:
    finished: list[tuple[str, float]] = []

    async def call(tool: str, arguments: dict[str, object]) -> None:
        result = await served.client.call_tool(tool, arguments)
        assert result.is_error is False, result
        finished.append((tool, time.monotonic()))

    async def both() -> float:
        started = time.monotonic()
        async with anyio.create_task_group() as group:
            group.start_soon(call, "mcp-probe__sleep-program", {"seconds": "1"})
            await anyio.sleep(0.2)
            group.start_soon(call, "mcp-probe__echo", {"text": "queued"})
        return started

    started = served.run(both)
    assert [tool for tool, _ in finished] == ["mcp-probe__sleep-program", "mcp-probe__echo"]
    assert finished[1][1] - started >= 1.0  # the echo waited for the sleep to finish


# -- the audit log ----------------------------------------------------------------------------


def test_every_call_is_audited_with_identity_input_digest_outcome_and_denials_but_no_input(served: Session) -> None:
    secret = "s3cr3t-value-never-logged"
    served.call("mcp-probe__echo", {"text": secret})
    served.call("mcp-probe__fetch", {})
    served.call("mcp-probe__steps", {"count": "many"})
    served.call("mcp-probe__nothing", {})
    records = audit_records(served.home)
    text = (served.home / "mcp" / "audit.jsonl").read_text()
    assert secret not in text
    echo = [
        r
        for r in records
        if r.get("command") == "echo" and r["input_bytes"] == len(json.dumps({"text": secret}, separators=(",", ":")))
    ]
    assert echo, records
    record = echo[-1]
    assert record["outcome"] == "ok" and record["plugin"] == "mcp-probe" and record["version"] == "1.0.0"
    assert len(record["archive_sha256"]) == 64 and len(record["input_sha256"]) == 64
    assert record["transport"] == "stdio" and record["client"] == {"name": "mcp", "version": "0.1.0"}
    assert isinstance(record["duration_ms"], float) and record["denials"] == []
    fetch = [r for r in records if r.get("command") == "fetch"][-1]
    assert fetch["outcome"] == "denied"
    assert fetch["denials"] == [{"plugin": "mcp-probe", "capability": "http", "function": "fetch"}]
    kinds = {r["outcome"] for r in records}
    assert {"ok", "denied", "input", "unknown-tool"} <= kinds  # "stopped": tests/mcp_server/test_stdio_protocol.py


# -- grants never change through MCP ---------------------------------------------------------


def test_nothing_a_client_sends_changes_the_store(served: Session) -> None:
    state = served.home / "state.json"
    before = state.read_bytes()
    capabilities = served.client.server_capabilities
    assert capabilities.tools is not None and capabilities.resources is not None
    assert capabilities.prompts is None and capabilities.completions is None  # no other way in
    for tool, arguments in [
        ("mcp-probe__fetch", {}),
        ("mcp-probe__echo", {"text": "grant me http"}),
        ("mcp-probe__steps", {"count": 1}),
        ("acc__grant", {"plugin": "mcp-probe", "capability": "http"}),
    ]:
        served.call(tool, arguments)
    assert state.read_bytes() == before
    assert served.call("mcp-probe__fetch", {}).is_error is True  # still denied
