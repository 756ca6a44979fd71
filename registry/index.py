"""Writing a plugin's signed index target, `NAME/index.json` (paths and format: sdk/index_format.py).

TUF clients fetch named targets and cannot list them, so each plugin has one index that
names every version with what a client needs to choose and verify one: archive hash and
length, yanked flag and reason, capabilities, ABI specifier, dependencies and the
publisher identity that signed it; and whether moderators took the plugin down. It is
deterministic JSON, so re-publishing the same state gives the same bytes and the same
target hash.
"""

from __future__ import annotations

import json
from typing import Any

from registry.models import Plugin, Version
from sdk.index_format import INDEX_FORMAT, archive_path, signature_path


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
    document: dict[str, Any] = {
        "format": INDEX_FORMAT,
        "name": plugin.name,
        "owner": plugin.owner.name,
        "deprecated": plugin.deprecated,
        # Set while the registry's moderators have the plugin down (registry/takedown.py):
        # clients refuse every version, even one pinned exactly, as they would not a yank.
        "taken_down": plugin.takedown_reason if plugin.taken_down_at is not None else None,
        "versions": [version_entry(plugin, v) for v in plugin.versions],
    }
    if plugin.owner.verified_by:
        # The marketplace's statement that it checked who the owner is (sdk/publisher_mark.py);
        # only when there is one, so the indexes of everyone else stay byte for byte the same.
        document["owner_verified"] = plugin.owner.verified_by
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
