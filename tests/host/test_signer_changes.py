"""A new signer in a plugin's signed index is pointed out (`acc plugin info`), in version order; a
signer is described with its publisher and the marketplace's mark (the install prompt)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from host.marketplace.config import Marketplace
from host.marketplace.index import parse_index
from host.marketplace.install import describe_signer
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


def _index(*versions: dict[str, Any], **extra: Any) -> bytes:
    document = {"format": INDEX_FORMAT, "name": "p", "owner": "alice", "versions": list(versions), **extra}
    return json.dumps(document).encode()


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


def test_the_signer_is_described_with_the_publisher_and_the_mark_only_when_the_owner_published() -> None:
    market = Marketplace("local", "http://127.0.0.1:1", "0" * 64, "", Path("/nonexistent"))
    by_owner = _version("1.0.0", KEY_A)
    by_other = {**_version("1.1.0", KEY_B), "publisher": "mallory"}
    verified = parse_index(_index(by_owner, by_other, owner_verified="dns:example.com"), expected_name="p")
    owner_entry, other_entry = verified.versions
    assert describe_signer(verified, owner_entry, market) == (
        "ed25519 key aaaa (publisher alice on local; verified publisher: example.com)"
    )
    assert describe_signer(verified, other_entry, market) == "ed25519 key bbbb (publisher mallory on local)"
    plain = parse_index(_index(by_owner), expected_name="p")
    assert describe_signer(plain, plain.versions[0], market) == "ed25519 key aaaa (publisher alice on local)"
    operator = parse_index(_index(by_owner, owner_verified="operator"), expected_name="p")
    assert describe_signer(operator, operator.versions[0], market).endswith(
        "(publisher alice on local; verified publisher (checked by the marketplace's operator))"
    )
