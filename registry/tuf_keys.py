"""The TUF signing keys: made, named in metadata, and loaded through securesystemslib signer URIs.

Each online key's public key in root (snapshot, timestamp) or in targets' delegation
(bins) carries where its private key lives, in the `x-acc-online-uri` field, as a
securesystemslib signer URI:

    file2:timestamp.pem                 a PEM file; a relative path is under the data dir's keys/
    awskms:..., gcpkms:..., azurekms:...  a cloud KMS key (install securesystemslib's extras)
    hsm:..., hv:...                     a PKCS#11 HSM, a HashiCorp Vault transit key

`Signer.from_priv_key_uri` loads the private key *for that public key* and fails if they do
not match, so a host holding other keys than the ones metadata names refuses to sign (and
to start: registry/app.py checks at start-up). Keys made before this field existed are
found at keys/ROLE.pem. Offline keys (root, targets) carry no URI: their operator passes
them to the commands that need them (`acc registry renew`, `rotate`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, Key, Signer, SSlibKey

from registry.errors import RepositoryError

ONLINE_URI_FIELD = "x-acc-online-uri"
FILE_SCHEME = CryptoSigner.SCHEME  # "file2"


def generate_key_file(path: Path) -> SSlibKey:
    """A new Ed25519 key in `path` (PEM, mode 0600, never overwriting); its public key."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return SSlibKey.from_crypto(private.public_key())


def file_signer(path: Path, what: str = "key") -> CryptoSigner:
    """A signer for the Ed25519 private key in the PEM file `path` (an offline key handed to a command)."""
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as e:
        raise RepositoryError(f"the {what} {path} does not exist", hint="pass the path of the private key") from e
    except (OSError, ValueError, TypeError) as e:
        raise RepositoryError(f"cannot read the {what} {path}: {e}", hint="pass an unencrypted PEM private key") from e
    if not isinstance(private, Ed25519PrivateKey):
        raise RepositoryError(f"{path} is not an Ed25519 private key")
    return CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))


def with_online_uri(key: SSlibKey, uri: str) -> SSlibKey:
    """`key`, carrying where its private key lives (the keyid does not change)."""
    return SSlibKey(key.keyid, key.keytype, key.scheme, dict(key.keyval), {ONLINE_URI_FIELD: uri})


def online_uri(key: Key, role: str) -> str:
    """Where the private key of online `key` lives (keys/ROLE.pem for keys named before URIs were)."""
    uri = key.unrecognized_fields.get(ONLINE_URI_FIELD)
    return uri if isinstance(uri, str) and uri else f"{FILE_SCHEME}:{role}.pem"


def load_online_signer(key: Key, role: str, keys_dir: Path) -> Signer:
    """The signer of online `key` through its URI; RepositoryError if it is missing or another key."""
    uri = resolve_file_uri(online_uri(key, role), keys_dir)
    try:
        return Signer.from_priv_key_uri(uri, key)
    except FileNotFoundError as e:
        raise RepositoryError(
            f"the {role} key {key.keyid[:16]} that the metadata names is not on this host ({uri} is missing)",
            hint="copy the key file there (every registry host needs the online keys), or restore it from backup",
        ) from e
    except Exception as e:  # securesystemslib raises KeyMismatchError, ValueError, cloud SDK errors...
        raise RepositoryError(
            f"this host cannot sign with the {role} key {key.keyid[:16]} that the metadata names ({uri}): "
            f"{type(e).__name__}: {e}",
            hint="the key at that place is not the one root names: restore the right key, or rotate the "
            "key with `acc registry rotate`",
        ) from e


def resolve_file_uri(uri: str, keys_dir: Path) -> str:
    """A file2: URI with a relative path made absolute under `keys_dir`; other URIs unchanged."""
    parsed = urlparse(uri)
    if parsed.scheme != FILE_SCHEME:
        return uri
    path = Path(uri[len(FILE_SCHEME) + 1 :])
    return f"{FILE_SCHEME}:{path if path.is_absolute() else (keys_dir / path).absolute()}"


def public_key_from_pem(data: bytes) -> SSlibKey:
    """An Ed25519 (or other securesystemslib-supported) public key from PEM, for a KMS/HSM key."""
    try:
        public: Any = serialization.load_pem_public_key(data)
        return SSlibKey.from_crypto(public)
    except (ValueError, TypeError) as e:
        raise RepositoryError(f"not a PEM public key: {e}") from e
