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


def test_a_take_down_in_the_index_makes_the_host_refuse_every_version_even_one_pinned_exactly() -> None:
    from packaging.version import Version as PkgVersion

    from host.errors import ResolutionError
    from host.marketplace.resolve import parse_requirement, select_version

    plugin = _plugin("ed25519", {"kind": "ed25519", "key_id": "k1", "public_key": "pk"})
    listed = parse_index(build_index(plugin), expected_name="git")
    assert listed.taken_down == ""
    assert select_version(listed, parse_requirement("git"), [PkgVersion("1")]).entry.version == "1.2.0"

    plugin.taken_down_at, plugin.takedown_reason = datetime(2026, 12, 7, tzinfo=UTC), "steals \x1b]0;keys\x07"
    plugin.versions[0].yanked, plugin.versions[0].yank_reason = True, "taken down"
    down = parse_index(build_index(plugin), expected_name="git")
    assert down.taken_down == "steals \x1b]0;keys\x07"
    for wanted in ("git", "git==1.2.0"):
        with pytest.raises(ResolutionError) as refused:
            select_version(down, parse_requirement(wanted), [PkgVersion("1")])
        assert refused.value.message == r"git was taken down by the marketplace's moderators: steals \x1b]0;keys\x07"
