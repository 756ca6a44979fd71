"""Capability `llm`, bound: a plugin asks Claude through the host's Messages client.

The plugin sends a Messages API request body as JSON and gets the response body back.
The host, not the plugin, holds the API key; it sets the model when the request names
none, caps `max_tokens` at what the manifest declares (the grant the user saw), keeps a
token budget per plugin for the life of the host, and, during an agent run, counts the
tokens in the run's budget and refuses once the run's budget is spent. Streaming and
request fields the host does not know are refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from host.capabilities.binding import BindContext, Binding, scope_as
from host.capabilities.errors import Denied, Failed, Invalid, LimitExceeded
from host.errors import AgentError
from sdk.capabilities import Capability
from sdk.capabilities.llm import LlmCapability

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
    gateway, plugin, granted = context.llm(), context.manifest.name, scope_as(capability, LlmCapability).max_tokens
    return Binding(functions={"complete": lambda request: gateway.complete(plugin, granted, request)})


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

    def complete(self, plugin: str, max_tokens_granted: int, request_json: str) -> str:
        request = _parse(request_json)
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
        hit = self.run_budget()
        if hit:
            raise LimitExceeded(f"the agent run's budget is spent: {hit}")
        request.setdefault("model", self.default_model)
        if self._client is None:
            try:
                self._client = self.client()
            except AgentError as e:
                raise Failed(e.message) from e
        try:
            response = self._client.create(time.monotonic() + self.deadline_seconds, **request)
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
        request = json.loads(request_json)
    except (ValueError, RecursionError) as e:
        raise Invalid(f"the request is not JSON ({e})") from e
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
