"""The error tree of acc. Every error a user can see derives from `AccError`.

    AccError                 message + hint (what to do next); the CLI prints both
    ├── ManifestError        plugin.toml is missing, malformed or invalid
    ├── ArchiveError         a .plugin file is corrupt, unsafe or oversized
    ├── SignatureError       a signature is missing, wrong, or from an untrusted key
    └── BuildError           componentize-py or the build's own checks failed

The host and the registry add their own subclasses (`host.errors`).
"""

from __future__ import annotations


class AccError(Exception):
    """An error with a message for the user and, where there is one, a next step."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """The full text the CLI prints: the message, then the hint on its own line."""
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ManifestError(AccError):
    """plugin.toml is missing, malformed, or breaks a rule."""


class ArchiveError(AccError):
    """A plugin archive is corrupt, unsafe (escaping paths, links, bombs) or too large."""


class SignatureError(AccError):
    """A signature is missing, does not match, or comes from a key that is not trusted."""


class BuildError(AccError):
    """Building a plugin into a component failed."""
