"""The origin a registry may name in the links it mails: `trusted_origin`.

`public_url` when the operator set it. Without it, the request's Host header is the client's
choice: a password reset requested with `Host: attacker.example` would mail the victim a link
that hands its token to the attacker (host-header poisoning). So without `public_url` only a
registry reached on loopback (development) names itself, and any other gets no origin.
"""

from __future__ import annotations

from flask import request

from registry.context import current_registry

#: Host names a registry without `public_url` may put in the links it mails: this machine only.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


def trusted_origin() -> str | None:
    """`public_url`, or this request's origin if it is loopback, or None (no trusted origin)."""
    configured = current_registry().config.public_url
    if configured:
        return configured.rstrip("/")
    host = request.host.lower()
    hostname = host.rsplit("]", 1)[0] + "]" if host.startswith("[") else host.split(":", 1)[0]
    return request.host_url.rstrip("/") if hostname in _LOOPBACK_HOSTS else None
