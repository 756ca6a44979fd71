"""Host implementations of the ABI's capability interfaces.

Each capability module is plain Python over a scope (what the user granted) and knows
nothing of wasmtime; `host.linking` adapts them to the component linker. They signal
refusals by raising `CapabilityError`, which the linker turns into the ABI's `error`
variant, so the guest sees `denied`, `invalid`, `failed` or `limit` with the message.
"""

from __future__ import annotations


class CapabilityError(Exception):
    """A refusal or failure of a capability call; `kind` is the ABI error case."""

    kind = "failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Denied(CapabilityError):
    kind = "denied"


class Invalid(CapabilityError):
    kind = "invalid"


class Failed(CapabilityError):
    kind = "failed"


class LimitHit(CapabilityError):
    kind = "limit"
