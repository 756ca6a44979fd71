"""A new signer in a plugin's signed index is pointed out (`acc plugin info`), in version order."""

from __future__ import annotations

import json
from typing import Any

from host.marketplace.index import parse_index
from host.marketplace.listing import signer_changes
from sdk.index_format import INDEX_FORMAT


def _version(version: str, signer: dict[str, str]) -> dict[str, Any]:
    return {
        "version": version,
        "archive": f"p/p-{version}.plugin",
        "sha256": "a" * 64,
        "length": 10,
        "signature": f"p/p-{version}.plugin.sig",
        "signer": signer,
        "abi": ">=1,<2",
    }


KEY_A = {"kind": "ed25519", "key_id": "aaaa", "public_key": "ed25519:A"}
KEY_B = {"kind": "ed25519", "key_id": "bbbb", "public_key": "ed25519:B"}
SIGSTORE = {"kind": "sigstore", "identity": "dev@example.com", "issuer": "https://github.com/login/oauth"}


def _index(*versions: dict[str, Any]) -> bytes:
    return json.dumps({"format": INDEX_FORMAT, "name": "p", "owner": "alice", "versions": list(versions)}).encode()


def test_each_version_signed_by_another_signer_than_the_one_before_is_named_with_the_old_signer() -> None:
    # Listed out of order on purpose: the comparison follows version order, not list order.
    index = parse_index(
        _index(
            _version("1.10.0", KEY_B),
            _version("1.2.0", KEY_A),
            _version("1.9.0", KEY_A),
            _version("2.0.0", SIGSTORE),
            _version("2.1.0", SIGSTORE),
        ),
        expected_name="p",
    )
    assert signer_changes(index) == {
        "1.10.0": "ed25519 key aaaa",
        "2.0.0": "ed25519 key bbbb",
    }


def test_one_signer_throughout_changes_nothing() -> None:
    index = parse_index(_index(_version("1.0.0", KEY_A), _version("1.1.0", dict(KEY_A))), expected_name="p")
    assert signer_changes(index) == {}
