"""The registry writes NAME/index.json and the host reads it, both by sdk/index_format.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from host.errors import MarketplaceUntrusted
from host.marketplace.index import parse_index
from registry.index import build_index
from registry.models import Plugin, User, Version
from sdk.index_format import archive_path, signature_path

SHA = "ab" * 32


def _plugin(signature_kind: str, signer: dict[str, str]) -> Plugin:
    owner = User(name="alice", email="alice@example.invalid")
    plugin = Plugin(name="git", owner=owner, deprecated=None)
    plugin.versions.append(
        Version(
            version="1.2.0",
            archive_sha256=SHA,
            archive_length=1234,
            signature_sha256="cd" * 32,
            signature_length=99,
            signature_kind=signature_kind,
            signer=signer,
            publisher=owner,
            yanked=False,
            yank_reason=None,
            abi=">=1,<2",
            capabilities={"fs": {"scope": "read .", "reason": "reads the tree"}},
            dependencies={},
            published_at=datetime(2024, 5, 1, tzinfo=UTC),
        )
    )
    return plugin


@pytest.mark.parametrize(
    ("kind", "signer"),
    [
        ("ed25519", {"kind": "ed25519", "key_id": "k1", "public_key": "pk"}),
        ("sigstore", {"kind": "sigstore", "identity": "a@example.invalid", "issuer": "https://issuer.invalid"}),
    ],
)
def test_what_the_registry_writes_the_host_reads(kind: str, signer: dict[str, str]) -> None:
    index = parse_index(build_index(_plugin(kind, signer)), expected_name="git")
    (entry,) = index.versions
    assert (index.name, index.owner, entry.version) == ("git", "alice", "1.2.0")
    assert entry.archive == archive_path("git", "1.2.0")
    assert entry.signature == signature_path("git", "1.2.0", kind)
    assert (entry.sha256, entry.length, entry.signer.kind, entry.publisher) == (SHA, 1234, kind, "alice")


def test_the_host_refuses_an_index_of_another_format() -> None:
    data = build_index(_plugin("ed25519", {"kind": "ed25519", "key_id": "k1", "public_key": "pk"}))
    newer = data.replace(b'"format":1', b'"format":2')
    assert newer != data
    with pytest.raises(MarketplaceUntrusted, match="unknown index format"):
        parse_index(newer, expected_name="git")
