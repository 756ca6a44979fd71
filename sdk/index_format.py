"""The marketplace's index wire format: what the registry writes and every client reads.

TUF clients fetch targets by name and cannot list them, so the names are a contract:

    NAME/index.json                      the plugin's signed index (`INDEX_FORMAT`)
    NAME/NAME-VERSION.plugin             a version's archive
    NAME/NAME-VERSION.plugin.sig         its Ed25519 signature, or
    NAME/NAME-VERSION.plugin.sigstore.json   its Sigstore bundle

The registry's writer (registry/index.py, registry/publish.py) and the host's reader
(host/marketplace/index.py, tuf_client.py, install.py) both take them from here, so the
two sides cannot drift apart. Pure functions, no IO; sdk imports nothing from host or
registry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: The `format` field of NAME/index.json. A reader refuses any other value.
INDEX_FORMAT = 1

#: The file name of every plugin's index target.
INDEX_FILENAME = "index.json"

#: Archive suffix of a version's target (the archive format's own extension).
ARCHIVE_SUFFIX = ".plugin"

#: How a version may be signed, and the suffix its signature target carries after the archive's name.
_SIGNATURE_SUFFIXES = {"ed25519": ".sig", "sigstore": ".sigstore.json"}
SIGNATURE_KINDS: tuple[str, ...] = tuple(_SIGNATURE_SUFFIXES)


def index_path(name: str) -> str:
    """The target path of plugin `name`'s signed index."""
    return f"{name}/{INDEX_FILENAME}"


def archive_path(name: str, version: str) -> str:
    """The target path of the archive of `name` `version`."""
    return f"{name}/{name}-{version}{ARCHIVE_SUFFIX}"


def signature_path(name: str, version: str, kind: str) -> str:
    """The target path of the signature of `name` `version`, signed the `kind` way."""
    try:
        suffix = _SIGNATURE_SUFFIXES[kind]
    except KeyError:
        raise ValueError(f"unknown signature kind {kind!r}; the kinds are {', '.join(SIGNATURE_KINDS)}") from None
    return archive_path(name, version) + suffix


def signer_identity(signer: Mapping[str, Any]) -> str:
    """One string per signer, equal for the same key (Ed25519 key id) or the same Sigstore
    identity and issuer, so two versions' signers can be compared."""
    if signer.get("kind") == "ed25519":
        return f"ed25519:{signer.get('key_id', '')}"
    return f"sigstore:{signer.get('identity', '')}|{signer.get('issuer', '')}"


def describe_signer(signer: Mapping[str, Any]) -> str:
    """A signer for people: `ed25519 key KEYID` or `sigstore identity WHO (ISSUER)`."""
    if signer.get("kind") == "ed25519":
        return f"ed25519 key {signer.get('key_id', '')}"
    return f"sigstore identity {signer.get('identity', '')} ({signer.get('issuer', '')})"


def signer_changes(versions_oldest_first: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Mapping[str, Any]]:
    """The versions signed by another signer than the version before them, each mapped to
    that previous version's signer. Input: (version, signer) pairs, oldest version first.

    A new signer is what a stolen account looks like from outside (the web page and
    `acc plugin info` show it; installers already ask before trusting a new signer).
    """
    changes: dict[str, Mapping[str, Any]] = {}
    previous: Mapping[str, Any] | None = None
    for version, signer in versions_oldest_first:
        if previous is not None and signer_identity(signer) != signer_identity(previous):
            changes[version] = previous
        previous = signer
    return changes
