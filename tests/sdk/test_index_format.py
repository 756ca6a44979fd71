"""The marketplace's target names: one definition, shared by the registry and the host."""

from __future__ import annotations

import pytest

from sdk.index_format import SIGNATURE_KINDS, archive_path, index_path, signature_path


def test_every_target_of_a_plugin_lives_under_its_name() -> None:
    paths = [index_path("git"), archive_path("git", "1.2.0")]
    paths += [signature_path("git", "1.2.0", kind) for kind in SIGNATURE_KINDS]
    assert paths[:2] == ["git/index.json", "git/git-1.2.0.plugin"]
    assert all(p.startswith("git/") for p in paths)
    assert len(set(paths)) == len(paths), "two targets of one version share a name"


def test_a_signature_is_named_after_its_archive_and_its_kind() -> None:
    assert signature_path("git", "1.2.0", "ed25519") == "git/git-1.2.0.plugin.sig"
    assert signature_path("git", "1.2.0", "sigstore") == "git/git-1.2.0.plugin.sigstore.json"


@pytest.mark.parametrize("kind", ["", "ED25519", "pgp", "sigstore.json"])
def test_a_signature_of_an_unknown_kind_has_no_name(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown signature kind"):
        signature_path("git", "1.2.0", kind)
