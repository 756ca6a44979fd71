"""sha256 for the host's run path, without loading OpenSSL until something large is hashed.

`import hashlib` maps OpenSSL's libcrypto into the process (about 3 MB resident, 2.6 ms),
and a host that only loads cached plugins hashes nothing large: the one hash it computes
on every load, the engine settings' fingerprint, is a hundred bytes.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any


def sha256_hex(data: bytes | memoryview) -> str:
    """OpenSSL's sha256 (fast on large inputs: components, runtime modules), imported here."""
    import hashlib

    return hashlib.sha256(data).hexdigest()


def small_sha256_hex(data: bytes) -> str:
    """CPython's built-in sha256, for a few bytes: it loads no OpenSSL."""
    return str(_builtin_sha256()(data).hexdigest())


@functools.cache
def _builtin_sha256() -> Any:
    """Looked up once: a failed import is not cached by Python, and searching the path for
    a module that is not there costs time on every sandbox a host opens."""
    for name in ("_sha2", "_sha256"):  # CPython 3.12+, then 3.11
        try:
            return importlib.import_module(name).sha256
        except ImportError:
            continue
    import hashlib  # an interpreter built without them

    return hashlib.sha256
