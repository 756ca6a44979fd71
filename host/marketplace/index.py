"""A plugin's signed index (`NAME/index.json`, format in sdk/index_format.py) as plain data.

The bytes arrive verified by TUF (hash and length from signed metadata), but they are
still parsed strictly: a field of the wrong shape is a refusal, never a KeyError later.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from host.errors import MarketplaceUntrusted
from sdk.index_format import INDEX_FORMAT, SIGNATURE_KINDS
from sdk.publisher_mark import PublisherMark, parse_mark

# Thousands of versions fit in far less; TUF caps the download to the signed length anyway.
MAX_INDEX_BYTES = 8 * 1024 * 1024
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Signer:
    """Who signed a version: an Ed25519 key (with the public key) or a Sigstore identity."""

    kind: str
    key_id: str = ""
    public_key: str = ""
    identity: str = ""
    issuer: str = ""

    def describe(self) -> str:
        if self.kind == "ed25519":
            return f"ed25519 key {self.key_id}"
        return f"sigstore identity {self.identity} ({self.issuer})"


@dataclass(frozen=True)
class IndexVersion:
    version: str
    archive: str
    sha256: str
    length: int
    signature: str
    signature_sha256: str | None
    signature_length: int | None
    signer: Signer
    yanked: bool
    yank_reason: str
    abi: str
    capabilities: dict[str, Any]
    dependencies: dict[str, Any]
    publisher: str = ""  # the account that published this version; older indexes name only the owner


@dataclass(frozen=True)
class PluginIndex:
    name: str
    owner: str
    deprecated: str
    versions: tuple[IndexVersion, ...]
    #: The marketplace's statement that it checked who the owner is (sdk/publisher_mark.py).
    owner_verified: PublisherMark | None = None
    #: The moderators' reason when the marketplace took the plugin down ("": it is not):
    #: then no version is installed or updated to, not even one pinned exactly.
    taken_down: str = ""


def parse_index(data: bytes, *, expected_name: str) -> PluginIndex:
    if len(data) > MAX_INDEX_BYTES:
        raise _bad(expected_name, f"it is larger than {MAX_INDEX_BYTES} bytes")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise _bad(expected_name, f"it is not JSON ({e})") from e
    if not isinstance(document, dict) or document.get("format") != INDEX_FORMAT:
        raise _bad(expected_name, "unknown index format", hint="update acc: the marketplace uses a newer index format")
    if document.get("name") != expected_name:
        raise _bad(expected_name, f"it names plugin {document.get('name')!r}")
    raw_versions = document.get("versions")
    if not isinstance(raw_versions, list):
        raise _bad(expected_name, "versions is not a list")
    deprecated = document.get("deprecated")
    taken_down = document.get("taken_down")
    return PluginIndex(
        name=expected_name,
        owner=_str(document, "owner", expected_name),
        deprecated=deprecated if isinstance(deprecated, str) else ("deprecated" if deprecated else ""),
        versions=tuple(_version(expected_name, v) for v in raw_versions),
        owner_verified=parse_mark(document.get("owner_verified")),
        taken_down=(taken_down or "taken down")
        if isinstance(taken_down, str)
        else ("taken down" if taken_down else ""),
    )


def _version(name: str, raw: Any) -> IndexVersion:
    if not isinstance(raw, dict):
        raise _bad(name, "a version entry is not an object")
    sha256 = _str(raw, "sha256", name)
    if not _SHA256_HEX.fullmatch(sha256):
        raise _bad(name, "an archive sha256 is not 64 hex digits")
    signature_sha256 = raw.get("signature_sha256")
    signature_length = raw.get("signature_length")
    if signature_sha256 is not None and not (
        isinstance(signature_sha256, str) and _SHA256_HEX.fullmatch(signature_sha256)
    ):
        raise _bad(name, "a signature sha256 is not 64 hex digits")
    if signature_length is not None and not _is_length(signature_length):
        raise _bad(name, "a signature length is not a positive integer")
    length: int = raw.get("length")  # type: ignore[assignment]  # checked on the next line
    if not _is_length(length):
        raise _bad(name, "an archive length is not a positive integer")
    signer = raw.get("signer")
    if not isinstance(signer, dict) or signer.get("kind") not in SIGNATURE_KINDS:
        raise _bad(name, "a version has no signer of a known kind")
    capabilities, dependencies = raw.get("capabilities") or {}, raw.get("dependencies") or {}
    if not isinstance(capabilities, dict) or not isinstance(dependencies, dict):
        raise _bad(name, "capabilities and dependencies must be objects")
    yank_reason = raw.get("yank_reason")
    return IndexVersion(
        version=_str(raw, "version", name),
        archive=_str(raw, "archive", name),
        sha256=sha256,
        length=length,
        signature=_str(raw, "signature", name),
        signature_sha256=signature_sha256,
        signature_length=signature_length,
        signer=Signer(
            kind=signer["kind"],
            **{
                k: str(signer[k])
                for k in ("key_id", "public_key", "identity", "issuer")
                if isinstance(signer.get(k), str)
            },
        ),
        yanked=raw.get("yanked") is True,
        yank_reason=yank_reason if isinstance(yank_reason, str) else "",
        abi=_str(raw, "abi", name),
        capabilities=capabilities,
        dependencies=dependencies,
        publisher=raw["publisher"] if isinstance(raw.get("publisher"), str) else "",
    )


def _is_length(value: Any) -> bool:
    return type(value) is int and value > 0


def _str(document: dict[str, Any], key: str, name: str) -> str:
    value = document.get(key)
    if not isinstance(value, str):
        raise _bad(name, f"{key} is not a string")
    return value


def _bad(name: str, detail: str, *, hint: str | None = None) -> MarketplaceUntrusted:
    return MarketplaceUntrusted(
        f"the signed index of {name} is malformed: {detail}", hint=hint or "report this to the marketplace operator"
    )
