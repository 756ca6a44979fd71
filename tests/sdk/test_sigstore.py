"""Offline Sigstore verification against a real bundle from Sigstore's staging instance.

The fixture (tests/fixtures/sigstore/, see its README) is a real signed artifact and its
v0.3 bundle. Every test runs with the network cut off, so "offline" is checked, not assumed.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from acc_cli.plugin.verify import verify
from sdk.errors import SignatureError
from sdk.signing import MAX_BUNDLE_BYTES, verify_sigstore_bundle
from tests.helpers import TEST_FIXTURES

IDENTITY = "william@yossarian.net"
ISSUER = "https://github.com/login/oauth"


FIXTURES = TEST_FIXTURES / "sigstore"
ARTIFACT = FIXTURES / "bundle_v3_alt.txt"
BUNDLE = FIXTURES / "bundle_v3_alt.txt.sigstore"


@pytest.fixture(autouse=True)
def offline_and_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No network, and sigstore's trust-root cache in tmp_path rather than the user's home."""

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def test_fixture_is_present() -> None:
    assert ARTIFACT.is_file() and BUNDLE.is_file(), f"missing fixtures under {FIXTURES}"


def test_real_staging_bundle_verifies_offline() -> None:
    verify_sigstore_bundle(ARTIFACT.read_bytes(), BUNDLE.read_bytes(), identity=IDENTITY, issuer=ISSUER, staging=True)


def test_changed_artifact_byte_is_refused() -> None:
    artifact = bytearray(ARTIFACT.read_bytes())
    artifact[0] ^= 0x01
    with pytest.raises(SignatureError, match="Sigstore verification failed") as info:
        verify_sigstore_bundle(bytes(artifact), BUNDLE.read_bytes(), identity=IDENTITY, issuer=ISSUER, staging=True)
    assert "digest mismatch" in info.value.message
    assert info.value.hint


def test_another_identity_is_refused() -> None:
    expected = re.escape("not signed by mallory@example.com")
    with pytest.raises(SignatureError, match=expected) as info:
        verify_sigstore_bundle(
            ARTIFACT.read_bytes(), BUNDLE.read_bytes(), identity="mallory@example.com", issuer=ISSUER, staging=True
        )
    # The message tells who did sign, so the user can judge.
    assert IDENTITY in info.value.message


def test_another_issuer_is_refused() -> None:
    with pytest.raises(SignatureError, match=re.escape(f"not signed by {IDENTITY}")) as info:
        verify_sigstore_bundle(
            ARTIFACT.read_bytes(),
            BUNDLE.read_bytes(),
            identity=IDENTITY,
            issuer="https://accounts.google.com",
            staging=True,
        )
    assert ISSUER in info.value.message  # sigstore reports the issuer it found


def test_staging_bundle_is_refused_by_production_trust_root() -> None:
    with pytest.raises(SignatureError, match="production") as info:
        verify_sigstore_bundle(
            ARTIFACT.read_bytes(), BUNDLE.read_bytes(), identity=IDENTITY, issuer=ISSUER, staging=False
        )
    assert info.value.hint is not None and "staging" in info.value.hint


@pytest.mark.parametrize("bundle", [b"not json at all", b"{}", b"[]", b'{"mediaType": 5}', b"\xff"])
def test_garbage_bundle_is_refused_clearly(bundle: bytes) -> None:
    with pytest.raises(SignatureError, match="the Sigstore bundle could not be read") as info:
        verify_sigstore_bundle(ARTIFACT.read_bytes(), bundle, identity=IDENTITY, issuer=ISSUER, staging=True)
    assert info.value.hint


def test_oversize_bundle_is_refused() -> None:
    bundle = BUNDLE.read_bytes() + b" " * MAX_BUNDLE_BYTES
    with pytest.raises(SignatureError, match="too large"):
        verify_sigstore_bundle(ARTIFACT.read_bytes(), bundle, identity=IDENTITY, issuer=ISSUER, staging=True)


def test_cli_verify_sigstore_bundle() -> None:
    runner = CliRunner()
    args = [str(ARTIFACT), "--sigstore-bundle", str(BUNDLE), "--issuer", ISSUER, "--staging"]
    result = runner.invoke(verify, [*args, "--identity", IDENTITY])
    assert result.exit_code == 0, result.output
    # Exactly this line: sigstore's "offline mode" warning must not leak into the output.
    assert result.output == f"OK: signed by {IDENTITY} ({ISSUER})\n"

    result = runner.invoke(verify, [*args, "--identity", "mallory@example.com"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SignatureError)
    assert "not signed by mallory@example.com" in result.exception.message
