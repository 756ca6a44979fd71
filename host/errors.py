"""Errors of the host runtime, all under `sdk.errors.AccError`.

AccError
├── StoreError          the local store (ACC_HOME) refused or failed an operation
│   ├── ConsentRequired          a capability or a new publisher key needs a yes, and none was given
│   └── PluginDisabled           the plugin is installed but disabled: it does not run
├── TrustError          a key could not be trusted, listed or removed
├── LoadError           a component could not be loaded (invalid, undeclared imports, ABI)
├── InputError          a command's input is not JSON or breaks its schema; unknown command
├── ProjectRefused      the project directory holds acc's own state (ACC_HOME, trusted keys, cache)
├── PluginTrap          the plugin was stopped: a limit was hit or it crashed (`limit` says which)
├── PluginFailed        the plugin ran and returned an error (`kind`: denied/invalid/failed/limit)
├── MarketplaceError    a marketplace is not configured, or its configuration is refused
│   ├── MarketplaceUnreachable   the network failed: nothing was verified or changed
│   └── MarketplaceUntrusted     what it served failed TUF verification (tampering, rollback...)
├── ResolutionError     no published version satisfies the requirement (or it is ambiguous)
└── AgentError          the agent cannot start (no API key) or the Messages API refused or failed
"""

from __future__ import annotations

from sdk.errors import AccError
from sdk.terminal_text import printable


class StoreError(AccError):
    """The local plugin store refused or failed an operation."""


class PluginDisabled(StoreError):
    """The plugin is installed but the user disabled it: it does not run and is no tool."""


class TrustError(AccError):
    """A trusted key could not be added, listed or removed."""


class LoadError(AccError):
    """A component could not be loaded into a sandbox."""


class InputError(AccError):
    """The input for a command is not valid (not JSON, schema violation, unknown command)."""


class ProjectRefused(AccError):
    """acc will not run plugins on this project: it contains (or lies inside) acc's own state."""


class PluginTrap(AccError):
    """The plugin was stopped by the host: `limit` names what was hit (or 'crash')."""

    #: The plugin that was starting (instantiate, initialize) when this happened; "" once it had started.
    loading = ""

    def __init__(self, message: str, *, limit: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.limit = limit


class PluginFailed(AccError):
    """The plugin's command returned an error value of the ABI's `error` variant."""

    loading = ""  # as for PluginTrap: set when its initialize returned the error

    def __init__(self, kind: str, message: str, *, plugin: str, command: str) -> None:
        # The message is the plugin's own text: made printable here, so no reader of the
        # error (a terminal, a transcript, a model) gets its escape sequences.
        message = printable(message, multiline=True)
        super().__init__(f"{plugin} {command}: {kind}: {message}")
        self.kind = kind
        self.detail = message
        self.plugin = plugin
        self.command = command


class MarketplaceError(AccError):
    """A marketplace is unknown, misconfigured, or could not be added."""


class MarketplaceUnreachable(MarketplaceError):
    """The marketplace could not be reached (connection, timeout, HTTP error)."""


class MarketplaceUntrusted(MarketplaceError):
    """Data from the marketplace failed verification: it is refused and nothing is changed."""


class ResolutionError(AccError):
    """No published version satisfies a requirement, or the requirement is ambiguous."""


class ConsentRequired(StoreError):
    """A capability or a new publisher key needs a person's yes, and none was given (no flag, no
    --yes, no terminal), or it was refused. Nothing was stored."""


class AgentError(AccError):
    """An agent run cannot start or continue: configuration, or the Messages API refused or failed."""
