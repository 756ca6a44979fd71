"""The server's identity, and the answers it can give before the MCP SDK has loaded.

Importing the SDK takes most of a second (its protocol types are pydantic models, built at
import), and a client starting `acc mcp serve` waits for `initialize` and then `tools/list`.
Those two answers, and `ping`, depend only on this server's identity and on the listing
read from the store, so the stdio server gives them while the SDK loads in the background
(`host.mcp.early`); everything else waits for the SDK.

The SDK still owns the session: the `initialize` request answered early is handed to it
as well, so its state is exactly as if it had answered; the transport drops its answer
after checking it is the one already sent (`EarlyInitialize.check`). Nothing is answered
early unless this module can vouch that the SDK would accept the request as it stands:
anything unusual (params it does not know, a cursor, a second `initialize`, the 2026
protocol's per-request envelope) goes to the SDK, and only the SDK.

No import here may load the SDK or pydantic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: What the server calls itself in `initialize` (serverInfo) and how it tells a model what
#: its tools are; `McpService` builds the SDK server from the same values.
SERVER_NAME = "acc"
SERVER_TITLE = "acc plugins"
SERVER_DESCRIPTION = "Installed acc plugins as sandboxed tools"
INSTRUCTIONS = (
    "Each tool is a command of an installed acc plugin. It runs in that plugin's WebAssembly "
    "sandbox and can do only what the user granted the plugin. A result starting with `denied:` "
    "means the user did not grant that: do not try to get around it."
)
#: What the SDK declares for a server with the tools, resources and logging handlers of
#: `McpService` and list-change notifications on (a test holds the two equal).
CAPABILITIES: Mapping[str, Any] = {
    "logging": {},
    "resources": {"listChanged": True, "subscribe": False},
    "tools": {"listChanged": True},
}
#: The protocol versions reached through the `initialize` handshake, oldest first, as the SDK
#: negotiates them (a test holds this equal to `mcp_types.version.HANDSHAKE_PROTOCOL_VERSIONS`).
HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")


def initialize_result(requested: str, server_version: str) -> dict[str, Any]:
    """The `initialize` result for a client asking for protocol `requested`."""
    negotiated = requested if requested in HANDSHAKE_VERSIONS else HANDSHAKE_VERSIONS[-1]
    return {
        "capabilities": {key: dict(value) for key, value in CAPABILITIES.items()},
        "instructions": INSTRUCTIONS,
        "protocolVersion": negotiated,
        "serverInfo": {
            "description": SERVER_DESCRIPTION,
            "name": SERVER_NAME,
            "title": SERVER_TITLE,
            "version": server_version,
        },
    }


@dataclass
class EarlyInitialize:
    """The `initialize` answered early: its id, and the answer the SDK must also give."""

    request_id: str | int
    answer: dict[str, Any]

    def check(self, sdk_answer: Mapping[str, Any]) -> str:
        """'' if the SDK answered as this server did; otherwise what differs (for the log)."""
        if dict(sdk_answer) == self.answer:
            return ""
        return f"sent {self.answer!r}, the SDK answered {dict(sdk_answer)!r}"


class EarlyAnswers:
    """Answers `initialize`, then `tools/list` and `ping`, the way the SDK would, while it loads.

    `answer` is given each message in the order the client sent them, and says what to reply
    now (or None) and whether the SDK must still see the message. The first message it cannot
    vouch for ends the early phase (`done`): that message and all after it go to the SDK
    alone, in order, so nothing is answered out of turn.
    """

    def __init__(self, server_version: str, tools: list[dict[str, Any]]) -> None:
        self.server_version = server_version
        self.tools = tools
        self.initialize: EarlyInitialize | None = None
        self.done = False

    def answer(self, message: object) -> tuple[dict[str, Any] | None, bool]:
        """(the reply to send now or None, whether to pass the message on to the SDK)."""
        if self.done or not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return self._stop()
        method, request_id = message.get("method"), message.get("id")
        if "id" not in message:  # a notification: the SDK keeps the session's state
            if method == "notifications/initialized" and self.initialize is not None:
                return None, True
            return self._stop()
        if not _plain_id(request_id) or not isinstance(method, str):
            return self._stop()
        assert isinstance(request_id, str | int)
        params = message.get("params")
        if method == "ping" and _no_params(params):
            return _result(request_id, {}), False
        if method == "initialize" and self.initialize is None and _initialize_vouched(params):
            assert isinstance(params, dict)
            result = initialize_result(params["protocolVersion"], self.server_version)
            self.initialize = EarlyInitialize(request_id, _result(request_id, result))
            return self.initialize.answer, True
        if method == "tools/list" and self.initialize is not None and _no_params(params):
            return _result(request_id, {"tools": self.tools}), False
        return self._stop()

    def _stop(self) -> tuple[None, bool]:
        self.done = True
        return None, True


def _result(request_id: str | int, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _plain_id(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and len(value) <= 200)


def _no_params(params: object) -> bool:
    """No params, or only a progress token: nothing the answer depends on. (A `_meta` with more,
    such as the 2026 protocol's envelope, the SDK judges.)"""
    if params is None:
        return True
    if not isinstance(params, dict) or set(params) - {"_meta"}:
        return False
    meta = params.get("_meta", {})
    return isinstance(meta, dict) and set(meta) <= {"progressToken"}


#: The client capabilities the SDK's model knows, and what each must be for it to accept them
#: (objects all the way down, but `roots.listChanged`); keys it does not know it ignores.
_OBJECT = "object"
_CAPABILITY_SHAPES: Mapping[str, Any] = {
    "experimental": "object of objects",
    "extensions": "object of objects",
    "sampling": {"context": _OBJECT, "tools": _OBJECT},
    "elicitation": {"form": _OBJECT, "url": _OBJECT},
    "roots": {"listChanged": "bool"},
    "tasks": {
        "list": _OBJECT,
        "cancel": _OBJECT,
        "requests": {"sampling": {"createMessage": _OBJECT}, "elicitation": {"create": _OBJECT}},
    },
}
_CLIENT_INFO_TEXT = ("title", "description", "websiteUrl")


def _initialize_vouched(params: object) -> bool:
    """Whether the SDK is sure to accept these `initialize` params (stricter than it is)."""
    if not isinstance(params, dict) or set(params) - {"protocolVersion", "capabilities", "clientInfo"}:
        return False  # `_meta` or anything else: the SDK decides
    version, info = params.get("protocolVersion"), params.get("clientInfo")
    if not isinstance(version, str) or not isinstance(info, dict):
        return False
    if not isinstance(info.get("name"), str) or not isinstance(info.get("version"), str) or "icons" in info:
        return False
    if any(key in info and not isinstance(info[key], str) for key in _CLIENT_INFO_TEXT):
        return False
    capabilities = params.get("capabilities")
    return isinstance(capabilities, dict) and _fits(capabilities, _CAPABILITY_SHAPES)


def _fits(value: object, shape: object) -> bool:
    if shape == "bool":
        return value is None or isinstance(value, bool)
    if value is None:
        return True  # every known capability field is optional
    if not isinstance(value, dict):
        return False
    if shape == "object of objects":
        return all(isinstance(inner, dict) for inner in value.values())
    if isinstance(shape, Mapping):
        return all(_fits(value[key], inner) for key, inner in shape.items() if key in value)
    return True  # an object whose contents the SDK does not look into
