"""Ed25519 archive signatures (sdk.signing) and `acc plugin keygen|sign|verify`, with real keys."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from acc_cli.plugin.keygen import keygen
from acc_cli.plugin.sign import sign
from acc_cli.plugin.verify import verify
from host.paths import HostPaths
from host.trust import TrustStore
from sdk.errors import SignatureError
from sdk.signing import (
    MAX_SIGNATURE_BYTES,
    ArchiveSignature,
    PublicKey,
    archive_digest,
    generate_keypair,
    load_private_key,
    read_signature,
    sign_archive,
    signature_path,
    signed_message,
    verify_archive_signature,
)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "demo-1.0.0.plugin"
    path.write_bytes(b"PK\x03\x04 pretend this is a plugin archive " * 100)
    return path


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[Path, PublicKey]:
    key_path = tmp_path / "keys" / "me.key"
    return key_path, generate_keypair(key_path)


def _other_key(tmp_path: Path, name: str = "other.key") -> tuple[Path, PublicKey]:
    path = tmp_path / "keys" / name
    return path, generate_keypair(path)


# -- keys ------------------------------------------------------------------------------------


def test_keygen_writes_private_key_0600_and_public_key(tmp_path: Path) -> None:
    out = tmp_path / "keys" / "me.key"
    # With umask 0 a create-then-chmod implementation would briefly (or forever) be 0666.
    old_umask = os.umask(0)
    try:
        public_key = generate_keypair(out)
    finally:
        os.umask(old_umask)

    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in out.read_bytes()
    pub_path = tmp_path / "keys" / "me.key.pub"
    assert PublicKey.from_bytes(pub_path.read_bytes()) == public_key
    assert pub_path.read_bytes() == public_key.to_pem()
    loaded = load_private_key(out)
    raw = loaded.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw == public_key.raw


def test_keygen_refuses_to_overwrite(tmp_path: Path, key_pair: tuple[Path, PublicKey]) -> None:
    key_path, _ = key_pair
    before = key_path.read_bytes()
    with pytest.raises(SignatureError, match="already exists") as info:
        generate_keypair(key_path)
    assert info.value.hint
    assert key_path.read_bytes() == before

    # A leftover .pub is not silently replaced either, and no private key is created.
    lone_pub = tmp_path / "lone.key.pub"
    lone_pub.write_text("keep me")
    with pytest.raises(SignatureError, match="already exists"):
        generate_keypair(tmp_path / "lone.key")
    assert not (tmp_path / "lone.key").exists()
    assert lone_pub.read_text() == "keep me"


def test_public_key_forms_round_trip(key_pair: tuple[Path, PublicKey]) -> None:
    _, public_key = key_pair
    text = public_key.to_text()
    assert text.startswith("ed25519:")
    assert PublicKey.from_bytes(text.encode() + b"\n") == public_key
    assert PublicKey.from_bytes(public_key.to_pem()) == public_key
    assert len(public_key.key_id) == 16
    assert public_key.key_id != PublicKey(bytes(32)).key_id


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"ssh-ed25519 AAAA", "not a public key"),
        (b"ed25519:!!!notbase64", "not valid base64"),
        (b"ed25519:" + base64.b64encode(bytes(31)), "has 31"),
        (b"-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n", "could not be read"),
    ],
)
def test_public_key_garbage_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(SignatureError, match=message) as info:
        PublicKey.from_bytes(data)
    assert info.value.hint


def test_public_key_refuses_other_algorithms_and_private_keys(
    key_pair: tuple[Path, PublicKey],
) -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(SignatureError, match="not an Ed25519 key"):
        PublicKey.from_bytes(ec_pem)
    key_path, _ = key_pair
    with pytest.raises(SignatureError, match="private key, not a public key"):
        PublicKey.from_bytes(key_path.read_bytes())


def test_group_readable_private_key_is_refused(
    key_pair: tuple[Path, PublicKey],
    archive: Path,
) -> None:
    key_path, _ = key_pair
    key_path.chmod(0o640)
    with pytest.raises(SignatureError, match="readable by other users") as info:
        sign_archive(archive, key_path)
    assert info.value.hint == f"chmod 600 {key_path}"
    assert not signature_path(archive).exists()


def test_private_key_problems_are_explained(
    tmp_path: Path,
    key_pair: tuple[Path, PublicKey],
) -> None:
    with pytest.raises(SignatureError, match="no private key") as info:
        load_private_key(tmp_path / "missing.key")
    assert info.value.hint is not None and "keygen" in info.value.hint

    key_path, _ = key_pair
    with pytest.raises(SignatureError, match="is a public key"):
        load_private_key(key_path.with_name(key_path.name + ".pub"))

    ec_key = tmp_path / "ec.key"
    ec_key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ec_key.chmod(0o600)
    with pytest.raises(SignatureError, match="not an Ed25519 key"):
        load_private_key(ec_key)

    junk = tmp_path / "junk.key"
    junk.write_text("hello")
    junk.chmod(0o600)
    with pytest.raises(SignatureError, match="not a PEM private key"):
        load_private_key(junk)


# -- sign and verify -------------------------------------------------------------------------


def test_sign_and_verify_round_trip(archive: Path, key_pair: tuple[Path, PublicKey]) -> None:
    key_path, public_key = key_pair
    sig_path = sign_archive(archive, key_path)
    assert sig_path == archive.with_name("demo-1.0.0.plugin.sig")

    signature = read_signature(sig_path)
    assert signature.key_id == public_key.key_id
    assert signature.sha256 == archive_digest(archive)
    assert verify_archive_signature(archive_digest(archive), signature, [public_key]) == public_key

    # Ed25519 is deterministic: signing again rewrites the same bytes.
    first = sig_path.read_bytes()
    sign_archive(archive, key_path)
    assert sig_path.read_bytes() == first


def test_signature_covers_a_domain_separated_message(
    archive: Path,
    key_pair: tuple[Path, PublicKey],
) -> None:
    key_path, public_key = key_pair
    sha256 = archive_digest(archive)
    assert signed_message(sha256) == b"acc-plugin-archive-v1\n" + sha256.encode()
    # A signature over the bare digest (what another tool might sign) must not pass.
    bare = load_private_key(key_path).sign(sha256.encode())
    forged = ArchiveSignature(key_id=public_key.key_id, signature=bare, sha256=sha256)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_archive_signature(sha256, forged, [public_key])


def test_changed_archive_byte_is_refused(archive: Path, key_pair: tuple[Path, PublicKey]) -> None:
    key_path, public_key = key_pair
    signature = read_signature(sign_archive(archive, key_path))
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))
    with pytest.raises(SignatureError, match="changed after it was signed"):
        verify_archive_signature(archive_digest(archive), signature, [public_key])


def test_changed_archive_with_rewritten_sha256_is_refused(
    archive: Path,
    key_pair: tuple[Path, PublicKey],
) -> None:
    # The attacker also updates the sha256 inside the .sig: the signature no longer covers it.
    key_path, public_key = key_pair
    signature = read_signature(sign_archive(archive, key_path))
    archive.write_bytes(archive.read_bytes() + b"evil")
    rewritten = ArchiveSignature(key_id=signature.key_id, signature=signature.signature, sha256=archive_digest(archive))
    with pytest.raises(SignatureError, match="tampered"):
        verify_archive_signature(archive_digest(archive), rewritten, [public_key])


def test_signature_from_untrusted_key_is_refused(
    tmp_path: Path,
    archive: Path,
    key_pair: tuple[Path, PublicKey],
) -> None:
    _, trusted_key = key_pair
    other_path, other_key = _other_key(tmp_path)
    signature = read_signature(sign_archive(archive, other_path))
    expected = f"signed by key {other_key.key_id}, which is not trusted"
    with pytest.raises(SignatureError, match=expected) as info:
        verify_archive_signature(archive_digest(archive), signature, [trusted_key])
    assert info.value.hint is not None and "acc trust add PUBKEY_FILE" in info.value.hint


def test_signature_claiming_a_trusted_key_id_is_refused(
    tmp_path: Path,
    archive: Path,
    key_pair: tuple[Path, PublicKey],
) -> None:
    _, trusted_key = key_pair
    other_path, _ = _other_key(tmp_path)
    signature = read_signature(sign_archive(archive, other_path))
    impostor = ArchiveSignature(key_id=trusted_key.key_id, signature=signature.signature, sha256=signature.sha256)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_archive_signature(archive_digest(archive), impostor, [trusted_key])


def test_tampered_signature_byte_is_refused(
    archive: Path,
    key_pair: tuple[Path, PublicKey],
) -> None:
    key_path, public_key = key_pair
    sig_path = sign_archive(archive, key_path)
    document = json.loads(sig_path.read_bytes())
    raw = bytearray(base64.b64decode(document["signature"]))
    raw[0] ^= 0x80
    document["signature"] = base64.b64encode(bytes(raw)).decode()
    sig_path.write_text(json.dumps(document))
    with pytest.raises(SignatureError, match="does not verify with trusted key") as info:
        verify_archive_signature(archive_digest(archive), read_signature(sig_path), [public_key])
    assert info.value.hint is not None and "do not install" in info.value.hint


def _valid_document(archive: Path, key_path: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(sign_archive(archive, key_path).read_bytes())
    return loaded


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 2}, "unsupported signature format version 2"),
        ({"version": True}, "unsupported signature format version True"),
        ({"version": "1"}, "unsupported signature format version '1'"),
        ({"algorithm": "rsa"}, "unsupported signature algorithm 'rsa'"),
        ({"key_id": 12}, "key_id must be"),
        ({"key_id": "ABCDEF0123456789"}, "key_id must be"),
        ({"sha256": "00"}, "sha256 must be"),
        ({"sha256": None}, "sha256 must be"),
        ({"signature": 5}, "signature must be a base64 string"),
        ({"signature": "not base64!"}, "not valid base64"),
        ({"signature": base64.b64encode(bytes(63)).decode()}, "has 64 bytes, not 63"),
        ({"extra": 1}, "unknown field"),
        ({"signature": None, "__delete__": "signature"}, "missing field"),
    ],
)
def test_malformed_signature_fields_are_refused(
    archive: Path,
    key_pair: tuple[Path, PublicKey],
    change: dict[str, object],
    message: str,
) -> None:
    document = _valid_document(archive, key_pair[0])
    delete = change.pop("__delete__", None)
    document.update(change)
    if isinstance(delete, str):
        del document[delete]
    with pytest.raises(SignatureError, match=message) as info:
        ArchiveSignature.from_json(json.dumps(document).encode())
    assert info.value.hint


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"\xff\xfe", b"[1, 2]", b'"a string"', b"[" * 10_000, b'{"version": 1, "version": 1}'],
)
def test_malformed_signature_json_is_refused(data: bytes) -> None:
    with pytest.raises(SignatureError, match="signature file"):
        ArchiveSignature.from_json(data)


def test_oversize_signature_is_refused(
    tmp_path: Path,
    archive: Path,
    key_pair: tuple[Path, PublicKey],
) -> None:
    document = _valid_document(archive, key_pair[0])
    padded = json.dumps(document).encode() + b" " * MAX_SIGNATURE_BYTES
    with pytest.raises(SignatureError, match="too large"):
        ArchiveSignature.from_json(padded)
    big = tmp_path / "big.sig"
    big.write_bytes(padded)
    with pytest.raises(SignatureError, match="too large"):
        read_signature(big)


def test_signature_json_round_trip(archive: Path, key_pair: tuple[Path, PublicKey]) -> None:
    signature = read_signature(sign_archive(archive, key_pair[0]))
    assert ArchiveSignature.from_json(signature.to_json()) == signature
    document = json.loads(signature.to_json())
    assert document["version"] == 1 and document["algorithm"] == "ed25519"


# -- CLI -------------------------------------------------------------------------------------


def test_cli_keygen_sign_verify(tmp_path: Path, archive: Path) -> None:
    runner = CliRunner()
    key_path = tmp_path / "cli" / "me.key"
    result = runner.invoke(keygen, ["--out", str(key_path)])
    assert result.exit_code == 0, result.output
    public_key = PublicKey.from_bytes(key_path.with_name("me.key.pub").read_bytes())
    assert public_key.key_id in result.output
    assert public_key.to_text() in result.output
    assert str(key_path) in result.output

    result = runner.invoke(sign, [str(archive), "--key", str(key_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(signature_path(archive))

    pub = str(key_path.with_name("me.key.pub"))
    result = runner.invoke(verify, [str(archive), "--key", pub])
    assert result.exit_code == 0, result.output
    assert result.output == f"OK: signed by {public_key.key_id}\n"

    moved_sig = tmp_path / "elsewhere.sig"
    signature_path(archive).rename(moved_sig)
    result = runner.invoke(verify, [str(archive), "--key", pub, "--signature", str(moved_sig)])
    assert result.exit_code == 0, result.output


def test_cli_keygen_refuses_overwrite(key_pair: tuple[Path, PublicKey]) -> None:
    result = CliRunner().invoke(keygen, ["--out", str(key_pair[0])])
    assert result.exit_code != 0
    assert isinstance(result.exception, SignatureError)
    assert "already exists" in result.exception.message


def test_cli_verify_uses_the_trust_store(
    tmp_path: Path,
    archive: Path,
    key_pair: tuple[Path, PublicKey],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "acc-home"
    monkeypatch.setenv("ACC_HOME", str(home))
    key_path, public_key = key_pair
    sign_archive(archive, key_path)
    runner = CliRunner()

    result = runner.invoke(verify, [str(archive)])
    assert result.exit_code != 0
    assert isinstance(result.exception, SignatureError)
    assert f"signed by key {public_key.key_id}, which is not trusted" in result.exception.message

    TrustStore(HostPaths(home=home, cache=home / "cache")).add(public_key, label="me")
    result = runner.invoke(verify, [str(archive)])
    assert result.exit_code == 0, result.output
    assert result.output == f"OK: signed by {public_key.key_id}\n"


def test_cli_verify_refuses_a_tampered_archive(
    archive: Path,
    key_pair: tuple[Path, PublicKey],
) -> None:
    key_path, _ = key_pair
    sign_archive(archive, key_path)
    archive.write_bytes(archive.read_bytes()[:-1])
    result = CliRunner().invoke(verify, [str(archive), "--key", str(key_path) + ".pub"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SignatureError)
    assert "changed after it was signed" in result.exception.message


def test_cli_verify_without_signature_file(archive: Path, key_pair: tuple[Path, PublicKey]) -> None:
    result = CliRunner().invoke(verify, [str(archive), "--key", str(key_pair[0]) + ".pub"])
    assert isinstance(result.exception, SignatureError)
    assert "no signature file" in result.exception.message


def test_cli_verify_rejects_mixed_options(archive: Path, key_pair: tuple[Path, PublicKey]) -> None:
    runner = CliRunner()
    result = runner.invoke(verify, [str(archive), "--sigstore-bundle", str(archive), "--identity", "a@b.c"])
    assert result.exit_code == 2
    assert "needs both --identity and --issuer" in result.output
    result = runner.invoke(verify, [str(archive), "--identity", "a@b.c"])
    assert result.exit_code == 2
    assert "only apply to --sigstore-bundle" in result.output
