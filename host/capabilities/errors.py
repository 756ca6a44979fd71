"""How a capability call refuses or fails, as the guest sees it.

    CapabilityError          `kind` is the ABI's `error` case the guest receives
    ├── Denied               not granted (a program, host, secret, plugin, or the kind itself)
    │   └── SandboxUnavailable   no OS sandbox can confine a launched program (`process`)
    ├── Invalid              a malformed request (bad argument, URL, key, JSON)
    ├── Failed               it ran and failed (a program missing, DNS, a full disk)
    └── LimitExceeded        a limit was hit (time, output, quota, budget, depth)

These are the host side of the ABI's `types.error` variant; the guest helper raises the
same names (`acc_plugin.Denied`, ..., `acc_plugin.LimitExceeded`) on its side. They are
not `AccError`s: they travel to the plugin, which decides what the user sees.
"""

from __future__ import annotations

from sdk.errors import AccError


class CapabilityError(Exception):
    """A refusal or failure of a capability call; `kind` is the ABI error case."""

    kind = "failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Denied(CapabilityError):
    kind = "denied"


class SandboxUnavailable(Denied):
    """The `process` capability is refused: nothing on this system can confine the program.

    The guest sees `denied` with the message; `error` is the `AccError` (with its hint)
    that the host also shows the user whatever the plugin does with the refusal.
    """

    def __init__(self, error: AccError) -> None:
        super().__init__(f"{error.message}. {error.hint}" if error.hint else error.message)
        self.error = error


class Invalid(CapabilityError):
    kind = "invalid"


class Failed(CapabilityError):
    kind = "failed"


class LimitExceeded(CapabilityError):
    kind = "limit"


#: ABI error case -> the exception that carries it.
BY_KIND: dict[str, type[CapabilityError]] = {
    "denied": Denied,
    "invalid": Invalid,
    "failed": Failed,
    "limit": LimitExceeded,
}
