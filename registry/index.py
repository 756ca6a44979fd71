"""A plugin's signed index target (`NAME/index.json`) and the paths of its targets.

TUF clients fetch named targets and cannot list them, so each plugin has one index that
names every version with what a client needs to choose and verify one: archive hash and
length, yanked flag and reason, capabilities, ABI specifier, dependencies and the
publisher identity that signed it. It is deterministic JSON, so re-publishing the same
state gives the same bytes and the same target hash.
"""

from __future__ import annotations

import json
from typing import Any

from registry.models import Plugin, Version

INDEX_FORMAT = 1


def index_path(name: str) -> str:
    return f"{name}/index.json"


def archive_path(name: str, version: str) -> str:
    return f"{name}/{name}-{version}.plugin"


def signature_path(name: str, version: str, kind: str) -> str:
    suffix = ".sig" if kind == "ed25519" else ".sigstore.json"
    return f"{name}/{name}-{version}.plugin{suffix}"


def version_entry(plugin: Plugin, v: Version) -> dict[str, Any]:
    return {
        "version": v.version,
        "archive": archive_path(plugin.name, v.version),
        "sha256": v.archive_sha256,
        "length": v.archive_length,
        "signature": signature_path(plugin.name, v.version, v.signature_kind),
        # With these a client downloads the signature by the verified index alone, without
        # looking up the signature's own bin (one bin per install instead of three).
        "signature_sha256": v.signature_sha256,
        "signature_length": v.signature_length,
        "signer": v.signer,
        "publisher": v.publisher.name,  # the account that published it: the owner or a collaborator
        "yanked": v.yanked,
        "yank_reason": v.yank_reason,
        "abi": v.abi,
        "capabilities": v.capabilities,
        "dependencies": v.dependencies,
        "published_at": v.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def build_index(plugin: Plugin) -> bytes:
    document = {
        "format": INDEX_FORMAT,
        "name": plugin.name,
        "owner": plugin.owner.name,
        "deprecated": plugin.deprecated,
        "versions": [version_entry(plugin, v) for v in plugin.versions],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
