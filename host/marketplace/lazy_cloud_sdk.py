"""Keep boto3 out of the installer's start-up: `import_tuf_without_boto3`.

python-tuf imports securesystemslib's signers, and its AWS KMS signer runs `import boto3`
at import time when boto3 is installed (it is: the registry's S3 blob store uses it). That
import costs about 0.28 s on an idle machine, three quarters of loading `tuf.api.metadata`,
on every install, update and info, for a signer the installer never uses (it verifies; it
never signs). So the client loads securesystemslib's signers with boto3 hidden: the AWS
signer records that boto3 is missing, and boto3 itself stays importable for anything else.

A lazy loader would not do: on Python 3.11 the `import boto3` statement itself reads the
module's `__spec__` and so loads it at once.
"""

from __future__ import annotations

import sys

#: Modules hidden while the signers load: securesystemslib's AWS signer imports these.
_HIDDEN = ("boto3", "botocore", "botocore.exceptions")


def import_tuf_without_boto3() -> None:
    """Load securesystemslib's signers with boto3 hidden, unless they are loaded already or this
    is a registry process (the registry signs, and may sign with `awskms:` keys)."""
    if "securesystemslib.signer" in sys.modules or "registry" in sys.modules:
        return
    hidden = [name for name in _HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # None: `import` raises ImportError
    try:
        import securesystemslib.signer  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
