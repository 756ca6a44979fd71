"""The trust store (host.trust) and `acc trust add|list|remove`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from acc_cli.trust import trust
from host.errors import TrustError
from host.paths import HostPaths
from host.trust import TrustStore
from sdk.signing import PublicKey


def new_key() -> PublicKey:
    private = Ed25519PrivateKey.generate()
    return PublicKey(private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HostPaths:
    home = tmp_path / "acc-home"
    monkeypatch.setenv("ACC_HOME", str(home))
    return HostPaths(home=home, cache=home / "cache")


def test_empty_store_has_no_keys_and_creates_nothing(paths: HostPaths) -> None:
    assert TrustStore(paths).entries() == []
    assert not paths.trust_file.exists()


def test_add_list_remove(paths: HostPaths) -> None:
    store = TrustStore(paths)
    alice, bob = new_key(), new_key()
    assert store.add(alice, label="alice") is True
    assert store.add(bob) is True

    keys = TrustStore(paths).entries()  # a fresh instance reads what was written
    assert [(k.public_key, k.label) for k in keys] == [(alice, "alice"), (bob, "")]
    assert all(k.added_at.endswith("+00:00") for k in keys)

    assert store.remove("alice") == alice
    remaining = TrustStore(paths).entries()
    assert [k.public_key for k in remaining] == [bob]
    assert store.remove(bob.key_id) == bob
    assert store.entries() == []


def test_add_is_idempotent(paths: HostPaths) -> None:
    store = TrustStore(paths)
    key = new_key()
    assert store.add(key, label="first") is True
    before = paths.trust_file.read_bytes()
    assert store.add(key, label="second") is False
    assert paths.trust_file.read_bytes() == before
    assert len(store.entries()) == 1


def test_remove_unknown_key_is_explained(paths: HostPaths) -> None:
    store = TrustStore(paths)
    store.add(new_key(), label="alice")
    with pytest.raises(TrustError, match="no trusted key has the id or label 'bob'") as info:
        store.remove("bob")
    assert info.value.hint is not None and "acc trust list" in info.value.hint
    assert len(store.entries()) == 1


@pytest.mark.parametrize(
    ("label", "message"),
    [("0123456789abcdef", "looks like a key id"), ("a\x1b[2Jb", "control characters"), ("x" * 101, "too long")],
)
def test_bad_labels_are_refused(paths: HostPaths, label: str, message: str) -> None:
    with pytest.raises(TrustError, match=message):
        TrustStore(paths).add(new_key(), label=label)
    assert not paths.trust_file.exists()


def test_label_must_be_unique(paths: HostPaths) -> None:
    store = TrustStore(paths)
    store.add(new_key(), label="alice")
    with pytest.raises(TrustError, match="already names another trusted key"):
        store.add(new_key(), label="alice")
    assert len(store.entries()) == 1


def _valid_entry() -> dict[str, str]:
    key = new_key()
    return {"key": key.to_text(), "key_id": key.key_id, "label": "", "added_at": "2025-01-01T00:00:00+00:00"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b'{"version": 1, "keys": {}}', "'keys' is not a list"),
        (b'{"version": 1, "keys": [42]}', "key #1 is not a JSON object"),
        (
            json.dumps({"version": 1, "keys": [{**_valid_entry(), "key": "ed25519:AAAA"}]}).encode(),
            "key #1: an Ed25519 public key has 32 bytes",
        ),
        (
            json.dumps({"version": 1, "keys": [{**_valid_entry(), "key_id": "0" * 16}]}).encode(),
            "does not match its key",
        ),
        (json.dumps({"version": 1, "keys": [{**_valid_entry(), "label": 7}]}).encode(), "missing or mistyped field"),
    ],
)
def test_corrupt_trust_file_is_reported_and_kept(
    paths: HostPaths,
    content: bytes,
    message: str,
) -> None:
    paths.trust_file.parent.mkdir(parents=True)
    paths.trust_file.write_bytes(content)
    store = TrustStore(paths)
    with pytest.raises(TrustError, match=message) as info:
        store.entries()
    assert str(paths.trust_file) in info.value.message
    assert info.value.hint is not None and "acc trust add" in info.value.hint
    # Writers refuse too, and nobody "repairs" the file by resetting it.
    with pytest.raises(TrustError):
        store.add(new_key())
    with pytest.raises(TrustError):
        store.remove("anything")
    assert paths.trust_file.read_bytes() == content


def test_unknown_trust_file_version_is_refused(paths: HostPaths) -> None:
    paths.trust_file.parent.mkdir(parents=True)
    paths.trust_file.write_text('{"version": 2, "keys": []}')
    with pytest.raises(TrustError, match="unknown format version 2"):
        TrustStore(paths).entries()


# -- CLI -------------------------------------------------------------------------------------


def test_cli_add_list_remove(tmp_path: Path, paths: HostPaths) -> None:
    runner = CliRunner()
    key = new_key()
    pem_file = tmp_path / "alice.pub"
    pem_file.write_bytes(key.to_pem())
    text_file = tmp_path / "bob.pub"
    bob = new_key()
    text_file.write_text(bob.to_text() + "\n")

    result = runner.invoke(trust, ["add", str(pem_file), "--label", "alice"])
    assert result.exit_code == 0, result.output
    assert result.output == f"trusted {key.key_id} (alice)\n"
    result = runner.invoke(trust, ["add", str(pem_file)])
    assert result.output == f"already trusted: {key.key_id}\n"
    result = runner.invoke(trust, ["add", str(text_file)])
    assert result.output == f"trusted {bob.key_id}\n"

    result = runner.invoke(trust, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{key.key_id}  alice  ")
    assert lines[1].startswith(f"{bob.key_id}  ")

    result = runner.invoke(trust, ["list", "--json"])
    listed = json.loads(result.output)
    assert [(e["key_id"], e["key"], e["label"]) for e in listed] == [
        (key.key_id, key.to_text(), "alice"),
        (bob.key_id, bob.to_text(), ""),
    ]

    result = runner.invoke(trust, ["remove", "alice"])
    assert result.output == f"removed {key.key_id}\n"
    result = runner.invoke(trust, ["remove", "alice"])
    assert result.exit_code != 0
    assert isinstance(result.exception, TrustError)


def test_cli_list_empty_and_bad_key_file(tmp_path: Path, paths: HostPaths) -> None:
    runner = CliRunner()
    result = runner.invoke(trust, ["list"])
    assert result.exit_code == 0
    assert "no trusted keys" in result.output

    bad = tmp_path / "bad.pub"
    bad.write_text("hello")
    result = runner.invoke(trust, ["add", str(bad)])
    assert result.exit_code != 0
    assert result.exception is not None and "not a public key" in str(result.exception)
    assert not paths.trust_file.exists()
