"""Errors a command raises to fail with one of the ABI's error kinds."""

from __future__ import annotations


class PluginError(Exception):
    kind = "failed"


class Invalid(PluginError):
    """The input or request is wrong: the caller should change it."""

    kind = "invalid"


class Failed(PluginError):
    """The operation ran and failed."""

    kind = "failed"


class Denied(PluginError):
    """A capability was not declared or not granted."""

    kind = "denied"


class LimitExceeded(PluginError):
    """A limit was hit (size, quota, budget)."""

    kind = "limit"


_KINDS = {cls.kind: cls for cls in (Invalid, Failed, Denied, LimitExceeded)}


def from_wit_error(err: object) -> PluginError:
    """Turn the generated `Error_Denied(...)`-style value into one of our exceptions."""
    name = type(err).__name__.removeprefix("Error_").lower()
    message = getattr(err, "value", str(err))
    return _KINDS.get(name, Failed)(message)
