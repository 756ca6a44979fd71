"""Capability `llm`, bound: a plugin asks Claude through the host's Messages client.

The plugin sends a Messages API request body as JSON and gets the response body back.
The host, not the plugin, holds the API key and chooses the model (a request naming
another is refused); it caps `max_tokens` at what the manifest declares (the grant the
user saw), refuses tools that Anthropic's servers would run (web search, code execution)
unless the grant names them, keeps a token budget per plugin for the life of the host,
and, during an agent run, counts the tokens in the run's budget and refuses once the
run's budget is spent. Before a request is sent, its input is measured: a request whose
input could exceed what is left of the plugin's budget is refused unsent. The measure
is a local upper bound, the UTF-8 size of the messages, system prompt and tools (a
token is never less than a byte of text), so no request is sent to learn its size.
The request waits no longer than the plugin call's deadline (`host.deadline`).
Streaming and request fields the host does not know are refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from host.capabilities.binding import BindContext, Binding, scope_as
from host.capabilities.errors import Denied, Failed, Invalid, LimitExceeded
from host.deadline import current_deadline
from host.errors import AgentError
from host.messages import OutOfTime
from host.plugin_json import PluginJsonError, decode
from sdk.capabilities import Capability
from sdk.capabilities.llm import LlmCapability, server_tool_name

if TYPE_CHECKING:
    from host.messages import MessagesClient

MAX_REQUEST_BYTES = 1024 * 1024
DEFAULT_TOKENS_PER_PLUGIN = 200_000
ALLOWED_FIELDS = {
    "model",
    "max_tokens",
    "messages",
    "system",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "tools",
    "tool_choice",
    "metadata",
}


def bind(capability: Capability, context: BindContext) -> Binding:
    gateway, plugin, granted = context.llm(), context.manifest.name, scope_as(capability, LlmCapability)
    return Binding(functions={"complete": lambda request: gateway.complete(plugin, granted, request)})


def estimate_input_tokens(request: dict[str, Any]) -> int:
    """An upper bound on the request's input tokens: the UTF-8 bytes of what the model reads."""
    read = {key: request[key] for key in ("system", "messages", "tools", "tool_choice") if key in request}
    return len(json.dumps(read, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def check_tools(plugin: str, scope: LlmCapability, tools: Any) -> None:
    """Refuse a tool that is not the plugin's own (custom) unless the grant names it."""
    if tools is None:
        return
    if not isinstance(tools, list):
        raise Invalid("`tools` must be a list of tool definitions")
    for tool in tools:
        if not isinstance(tool, dict):
            raise Invalid("each of `tools` must be an object (a tool definition)")
        tool_type = tool.get("type", "custom")
        if tool_type == "custom":
            continue
        name = server_tool_name(str(tool_type))
        if name not in scope.server_tools:
            granted = ", ".join(scope.server_tools) or "none"
            raise Denied(
                f"tool type {tool_type!r} is run by Anthropic's servers, and {plugin}'s llm grant does not name "
                f"{name!r} (server tools granted: {granted}); declare it in plugin.toml "
                f'([capabilities.llm] server_tools = ["{name}"]) so users are asked'
            )


@dataclass
class LlmGateway:
    """One per host: the client (made on first use), the default model and the budgets.

    `run_budget()` returns why the surrounding agent run allows no more tokens ("" if it
    does); `on_usage(plugin, input_tokens, output_tokens)` is told of every completion."""

    client: Callable[[], MessagesClient]
    default_model: str
    tokens_per_plugin: int = DEFAULT_TOKENS_PER_PLUGIN
    run_budget: Callable[[], str] = lambda: ""
    on_usage: Callable[[str, int, int], None] = lambda *_: None
    deadline_seconds: float = 600.0
    used: dict[str, int] = field(default_factory=dict)
    _client: MessagesClient | None = None

    def complete(self, plugin: str, scope: LlmCapability, request_json: str) -> str:
        request = _parse(request_json)
        model = request.setdefault("model", self.default_model)
        if model != self.default_model:
            raise Denied(
                f"the host chooses the model ({self.default_model}); {plugin} asked for {model!r}: "
                "leave `model` out of the request"
            )
        check_tools(plugin, scope, request.get("tools"))
        max_tokens_granted = scope.max_tokens
        wanted = request.setdefault("max_tokens", max_tokens_granted)
        if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted <= 0:
            raise Invalid("max_tokens must be a positive integer")
        if wanted > max_tokens_granted:
            raise Denied(
                f"max_tokens {wanted} is more than {plugin} may ask for per call ({max_tokens_granted}, "
                "from its manifest)"
            )
        used = self.used.get(plugin, 0)
        if used + wanted > self.tokens_per_plugin:
            raise LimitExceeded(f"{plugin} has used {used} of its {self.tokens_per_plugin} llm tokens")
        needed = estimate_input_tokens(request)
        left = self.tokens_per_plugin - used
        if needed + wanted > left:
            raise LimitExceeded(
                f"the request could use up to {needed} input tokens (its size in bytes) plus max_tokens {wanted}; "
                f"{plugin} has {left} of its {self.tokens_per_plugin} llm tokens left: send less"
            )
        hit = self.run_budget()
        if hit:
            raise LimitExceeded(f"the agent run's budget is spent: {hit}")
        seconds = self.deadline_seconds
        deadline = current_deadline()
        if deadline is not None:
            if deadline.expired():
                raise LimitExceeded(f"no time left to ask Claude: {deadline.describe()} has run out")
            seconds = deadline.cap(seconds)
        if self._client is None:
            try:
                self._client = self.client()
            except AgentError as e:
                raise Failed(e.message) from e
        try:
            response = self._client.create(time.monotonic() + seconds, **request)
        except OutOfTime as e:
            limit = deadline.describe() if deadline is not None else f"the llm time limit ({seconds:g} s)"
            raise LimitExceeded(f"Claude did not answer within {limit}") from e
        except AgentError as e:
            raise Failed(e.message) from e
        usage = getattr(response, "usage", None)
        tokens_in = int(getattr(usage, "input_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "output_tokens", 0) or 0)
        self.used[plugin] = used + tokens_in + tokens_out
        self.on_usage(plugin, tokens_in, tokens_out)
        text: str = response.model_dump_json()
        return text


def _parse(request_json: str) -> dict[str, Any]:
    if len(request_json) > MAX_REQUEST_BYTES:
        raise Invalid(f"the request is larger than {MAX_REQUEST_BYTES} bytes")
    try:
        request = decode(request_json)
    except PluginJsonError as e:
        raise Invalid(f"the request is refused: {e}") from e
    if not isinstance(request, dict):
        raise Invalid("the request must be a JSON object (a Messages API request body)")
    if request.get("stream"):
        raise Invalid("streaming is not supported; ask without `stream`")
    request.pop("stream", None)
    unknown = sorted(set(request) - ALLOWED_FIELDS)
    if unknown:
        raise Invalid(f"unknown request field {unknown[0]!r}; allowed: {', '.join(sorted(ALLOWED_FIELDS))}")
    if not isinstance(request.get("messages"), list) or not request["messages"]:
        raise Invalid("the request needs a non-empty `messages` list")
    return request
