"""The llm capability stays inside its grant: the host's model, no ungranted server tools,
and no request whose input could exceed what is left of the plugin's token budget.

The gateway is tested with a recording client in place of the Messages API (the real
client against a scripted server is in tests/e2e/test_agent.py): what matters here is
what is refused before anything is sent.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from host.capabilities.errors import Denied, Invalid, LimitExceeded
from host.capabilities.llm import LlmGateway, estimate_input_tokens
from host.deadline import within
from host.messages import OutOfTime
from sdk.capabilities.diff import diff_capabilities
from sdk.capabilities.llm import LlmCapability, server_tool_name
from sdk.errors import ManifestError
from sdk.manifest import load_manifest

MODEL = "claude-sonnet-4-5"
GRANT = LlmCapability("Answers questions.", max_tokens=100)


@dataclass
class _Usage:
    input_tokens: int = 10
    output_tokens: int = 5


@dataclass
class _Response:
    usage: _Usage = field(default_factory=_Usage)

    def model_dump_json(self) -> str:
        return json.dumps({"content": [{"type": "text", "text": "ok"}], "usage": vars(self.usage)})


@dataclass
class RecordingClient:
    sent: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[float] = field(default_factory=list)
    delay: float = 0.0

    def create(self, deadline: float, **request: Any) -> _Response:
        self.deadlines.append(deadline)
        if self.delay and time.monotonic() + self.delay > deadline:
            raise OutOfTime("the run's wall-time budget ran out while waiting for the model")
        self.sent.append(request)
        return _Response()


def _gateway(client: RecordingClient, **kwargs: Any) -> LlmGateway:
    return LlmGateway(client=lambda: client, default_model=MODEL, **kwargs)  # type: ignore[arg-type, return-value]


def _request(**fields: Any) -> str:
    return json.dumps({"messages": [{"role": "user", "content": "hi"}], **fields})


def test_the_host_chooses_the_model() -> None:
    client = RecordingClient()
    _gateway(client).complete("asker", GRANT, _request())
    assert client.sent[0]["model"] == MODEL


@pytest.mark.parametrize("model", ["claude-opus-4-1", "claude-opus-4-1-20250805", "", "CLAUDE-SONNET-4-5"])
def test_a_plugin_asking_for_another_model_is_refused_unsent(model: str) -> None:
    client = RecordingClient()
    with pytest.raises(Denied, match="the host chooses the model"):
        _gateway(client).complete("asker", GRANT, _request(model=model))
    assert client.sent == []


@pytest.mark.parametrize(
    "tool",
    [
        {"type": "web_search_20250305", "name": "web_search"},
        {"type": "code_execution_20250825", "name": "code_execution"},
        {"type": "web_fetch_20250910", "name": "web_fetch"},
        {"type": "bash_20250124", "name": "bash"},
    ],
    ids=lambda t: t["type"],
)
def test_a_server_tool_the_grant_does_not_name_is_refused_unsent(tool: dict[str, str]) -> None:
    client = RecordingClient()
    with pytest.raises(Denied) as refused:
        _gateway(client).complete("asker", GRANT, _request(tools=[tool]))
    assert "run by Anthropic's servers" in refused.value.message
    assert f'server_tools = ["{server_tool_name(tool["type"])}"]' in refused.value.message
    assert client.sent == []


def test_a_server_tool_the_grant_names_is_sent() -> None:
    client = RecordingClient()
    grant = LlmCapability("Searches.", max_tokens=100, server_tools=("web_search",))
    search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
    _gateway(client).complete("asker", grant, _request(tools=[search]))
    assert client.sent[0]["tools"] == [search]
    with pytest.raises(Denied):  # only the one named
        _gateway(client).complete("asker", grant, _request(tools=[{"type": "code_execution_20250825", "name": "c"}]))


def test_custom_tools_need_no_grant() -> None:
    client = RecordingClient()
    custom = {"name": "lookup", "description": "d", "input_schema": {"type": "object"}}
    _gateway(client).complete("asker", GRANT, _request(tools=[custom, {**custom, "name": "x", "type": "custom"}]))
    assert len(client.sent) == 1


def test_an_input_larger_than_the_budget_left_is_refused_unsent() -> None:
    client = RecordingClient()
    gateway = _gateway(client, tokens_per_plugin=10_000)
    big = "word " * 3_000  # 15,000 bytes: could be up to 15,000 tokens
    with pytest.raises(LimitExceeded) as refused:
        gateway.complete("asker", GRANT, json.dumps({"messages": [{"role": "user", "content": big}]}))
    assert "has 10000 of its 10000 llm tokens left" in refused.value.message
    assert client.sent == []
    gateway.complete("asker", GRANT, _request())  # a small one still goes
    assert len(client.sent) == 1


def test_the_input_estimate_never_undercounts() -> None:
    # A token is at least one byte of text, so the UTF-8 size bounds the token count.
    request = {"system": "be brief", "messages": [{"role": "user", "content": "é" * 100}], "max_tokens": 5}
    assert estimate_input_tokens(request) >= len("be brief") + len("é".encode()) * 100


def test_the_completion_waits_no_longer_than_the_plugins_deadline() -> None:
    client = RecordingClient(delay=5.0)  # the model would take 5 s
    gateway = _gateway(client, deadline_seconds=600)
    with within("asker", 0.3), pytest.raises(LimitExceeded, match="asker's 0.3 s time limit"):
        gateway.complete("asker", GRANT, _request())
    assert client.deadlines[0] - time.monotonic() < 0.3


@pytest.mark.parametrize("text", ['{"messages": [{"role": "user", "content": NaN}]}', "[" * 200 + "]" * 200])
def test_a_request_that_is_not_plain_json_is_invalid(text: str) -> None:
    with pytest.raises(Invalid, match="the request is refused"):
        _gateway(RecordingClient()).complete("asker", GRANT, text)


# --- the format: server_tools in the manifest ------------------------------------------------


def _manifest(llm: str) -> str:
    return f"""
name = "asker"
version = "1.0.0"
description = "Asks."
[capabilities.llm]
{llm}
reason = "Asks Claude."
[[commands]]
name = "ask"
"""


def test_server_tools_parse_and_show_in_the_summary() -> None:
    manifest = load_manifest(_manifest('server_tools = ["web_search", "code_execution"]'))
    llm = manifest.capabilities["llm"]
    assert isinstance(llm, LlmCapability)
    assert llm.server_tools == ("web_search", "code_execution")
    assert "server tools: web_search, code_execution" in llm.scope_summary()
    assert llm.scope()["server_tools"] == ["web_search", "code_execution"]
    assert "Anthropic's servers act for it" in llm.warning()


@pytest.mark.parametrize("entry", ['"web_search_20250305"', '"Web Search"', '"../x"', "3"])
def test_a_malformed_server_tool_is_refused(entry: str) -> None:
    with pytest.raises(ManifestError):
        load_manifest(_manifest(f"server_tools = [{entry}]"))


def test_adding_a_server_tool_widens_and_asks_again() -> None:
    old = {"llm": LlmCapability("r", max_tokens=100)}
    new = {"llm": LlmCapability("r", max_tokens=100, server_tools=("web_search",))}
    diff = diff_capabilities(old, new)
    assert [c.text for c in diff.wider] == ["llm: may now use server tools: web_search"]
    assert [c.text for c in diff_capabilities(new, old).narrower] == ["llm: no longer uses server tools: web_search"]
