"""What the install boxes show: this registry's root pin, as seen by the visitor's URL."""

from __future__ import annotations

from flask import request

from registry.context import current_registry
from registry.root_pin import RootPin, first_root_sha256, root_pin

_CACHE_KEY = "web:first-root-sha256"


def current_root_pin() -> RootPin:
    """The pin for the URL users install from: the configured public URL, else this request's
    host. 1.root.json never changes, so its sha256 is read once per process."""
    reg = current_registry()
    digest = reg.cache.get(_CACHE_KEY)
    if digest is None:
        with reg.db.read() as session:
            digest = reg.cache[_CACHE_KEY] = first_root_sha256(session).encode()
    return root_pin(reg.config.public_url or request.url_root, digest.decode())
