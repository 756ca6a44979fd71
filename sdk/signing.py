"""Publisher signatures: Ed25519 over an archive's sha256, and offline Sigstore bundles.

An Ed25519 signature travels beside its archive as `NAME-VERSION.plugin.sig`, a small
JSON document (`ArchiveSignature`). The signed message is not the raw digest but
`b"acc-plugin-archive-v1\\n" + sha256_hex`, so a signature made for an archive can never be
replayed as a signature over anything else a publisher's key might sign.

Everything here that reads a signature, a key or a bundle treats it as untrusted: sizes
are capped and every malformed input becomes a `SignatureError` that says what to do next.
Sigstore is imported only inside `verify_sigstore_bundle`: it costs ~0.5 s to import.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from sdk.atomic import atomic_write_bytes
from sdk.errors import ArchiveError, SignatureError

SIGNATURE_VERSION = 1
SIGNATURE_ALGORITHM = "ed25519"
SIGNATURE_SUFFIX = ".sig"
# Domain separation: see the module docstring.
SIGNED_MESSAGE_PREFIX = b"acc-plugin-archive-v1\n"

MAX_SIGNATURE_BYTES = 64 * 1024
MAX_KEY_FILE_BYTES = 64 * 1024
MAX_BUNDLE_BYTES = 1024 * 1024

PUBLIC_KEY_TEXT_PREFIX = "ed25519:"
_RAW_KEY_BYTES = 32
_RAW_SIGNATURE_BYTES = 64
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_SIGNATURE_FIELDS = {"version", "algorithm", "key_id", "sha256", "signature"}


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key (32 raw bytes), as publishers share it and users trust it."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != _RAW_KEY_BYTES:
            raise SignatureError(f"an Ed25519 public key has {_RAW_KEY_BYTES} bytes, this one has {len(self.raw)}")

    @property
    def key_id(self) -> str:
        """A short, stable name for the key: the first 16 hex digits of sha256(raw)."""
        return hashlib.sha256(self.raw).hexdigest()[:16]

    def to_pem(self) -> bytes:
        """The key as a SubjectPublicKeyInfo PEM (what `keygen` writes to FILE.pub)."""
        return Ed25519PublicKey.from_public_bytes(self.raw).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def to_text(self) -> str:
        """The key on one line, `ed25519:BASE64`, easy to paste into a web form or a README."""
        return PUBLIC_KEY_TEXT_PREFIX + base64.b64encode(self.raw).decode("ascii")

    @classmethod
    def from_bytes(cls, data: bytes) -> PublicKey:
        """Parse a public key from PEM (SubjectPublicKeyInfo) or the `ed25519:BASE64` text form."""
        text = data.strip()
        if text.startswith(PUBLIC_KEY_TEXT_PREFIX.encode()):
            encoded = text[len(PUBLIC_KEY_TEXT_PREFIX) :]
            try:
                raw = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as e:
                raise SignatureError(
                    "the public key text is not valid base64 after 'ed25519:'",
                    hint="copy the whole line that `acc plugin keygen` printed",
                ) from e
            if len(raw) != _RAW_KEY_BYTES:
                raise SignatureError(
                    f"an Ed25519 public key has {_RAW_KEY_BYTES} bytes, this one has {len(raw)}",
                    hint="copy the whole line that `acc plugin keygen` printed",
                )
            return cls(raw)
        if b"PRIVATE KEY-----" in text:
            # The most likely mix-up: handing out (or trusting) the private half.
            raise SignatureError(
                "this is a private key, not a public key",
                hint="use the FILE.pub that `acc plugin keygen` wrote beside it, and keep the private key to yourself",
            )
        if text.startswith(b"-----BEGIN PUBLIC KEY-----"):
            try:
                key = serialization.load_pem_public_key(text)
            except (ValueError, TypeError) as e:
                raise SignatureError(
                    "the PEM public key could not be read",
                    hint="use the FILE.pub that `acc plugin keygen` wrote",
                ) from e
            if not isinstance(key, Ed25519PublicKey):
                raise SignatureError(
                    f"the public key is not an Ed25519 key (it is {_key_kind(key)})",
                    hint="acc signs with Ed25519 only; create a key with `acc plugin keygen`",
                )
            return cls(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        raise SignatureError(
            "not a public key: expected a PEM 'BEGIN PUBLIC KEY' block or 'ed25519:BASE64'",
            hint="use the FILE.pub that `acc plugin keygen` wrote, or the line it printed",
        )


def load_public_key(path: Path) -> PublicKey:
    """Read a public key file (PEM or `ed25519:BASE64`), bounded in size."""
    data = _read_bounded(path, MAX_KEY_FILE_BYTES, what="public key file")
    try:
        return PublicKey.from_bytes(data)
    except SignatureError as e:
        raise SignatureError(f"{path}: {e.message}", hint=e.hint) from e


def generate_keypair(out: Path) -> PublicKey:
    """Create an Ed25519 key pair: the private key at `out` (PKCS8 PEM, mode 0600), the
    public key at `out` + ".pub". Refuses to overwrite either file."""
    pub_path = out.with_name(out.name + ".pub")
    for existing in (out, pub_path):
        if existing.exists() or existing.is_symlink():
            raise SignatureError(
                f"{existing} already exists; not overwriting a key",
                hint="choose another --out, or move the old key pair away first "
                "(a lost private key cannot be recovered)",
            )
    # The directory holds secrets: if we create it, only the owner may list it.
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL closes the race with another writer; 0o600 at creation means the secret is
    # never readable by others, not even between a write and a later chmod.
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(out, flags, 0o600)
    except FileExistsError as e:
        raise SignatureError(f"{out} already exists; not overwriting a key", hint="choose another --out") from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        public_key = PublicKey(
            private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        atomic_write_bytes(pub_path, public_key.to_pem(), mode=0o644)
    except BaseException:
        # Never leave a private key without its public half (or a half-written key).
        out.unlink(missing_ok=True)
        raise
    return public_key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read an unencrypted PKCS8 PEM Ed25519 private key that only its owner can read.

    A key file readable by group or others is refused (not merely warned about): a signing
    key that others can read may already be someone else's signing key.
    """
    try:
        st = path.stat()
    except FileNotFoundError as e:
        raise SignatureError(
            f"no private key at {path}", hint=f"create one with `acc plugin keygen --out {path}`"
        ) from e
    data = _read_bounded(path, MAX_KEY_FILE_BYTES, what="private key file")
    # Checked before the mode: a .pub is meant to be world-readable, "chmod 600" would mislead.
    if b"BEGIN PUBLIC KEY" in data or data.strip().startswith(PUBLIC_KEY_TEXT_PREFIX.encode()):
        raise SignatureError(
            f"{path} is a public key; signing needs the private key",
            hint="pass the file without .pub that `acc plugin keygen` wrote",
        )
    if os.name == "posix" and st.st_mode & 0o077:
        raise SignatureError(
            f"{path} is readable by other users (mode {st.st_mode & 0o777:o})",
            hint=f"chmod 600 {path}",
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as e:
        # cryptography raises TypeError when a password is needed.
        raise SignatureError(
            f"{path} is encrypted with a password; acc reads unencrypted keys",
            hint="create a key with `acc plugin keygen`",
        ) from e
    except ValueError as e:
        raise SignatureError(
            f"{path} is not a PEM private key", hint="pass the private key written by `acc plugin keygen`"
        ) from e
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(
            f"{path} is not an Ed25519 key (it is {_key_kind(key)})",
            hint="acc signs with Ed25519 only; create a key with `acc plugin keygen`",
        )
    return key


def archive_digest(path: Path) -> str:
    """The sha256 (hex) of a file, read in chunks so large archives stay out of memory."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1024 * 1024):
                digest.update(chunk)
    except FileNotFoundError as e:
        raise ArchiveError(f"no archive at {path}") from e
    except IsADirectoryError as e:
        raise ArchiveError(f"{path} is a directory, not an archive", hint="build one with `acc plugin build`") from e
    return digest.hexdigest()


def signed_message(archive_sha256: str) -> bytes:
    """The exact bytes an archive signature covers (domain-separated, see the module doc)."""
    return SIGNED_MESSAGE_PREFIX + archive_sha256.encode("ascii")


def signature_path(archive: Path) -> Path:
    """Where an archive's signature lives: beside it, with ".sig" appended to the name."""
    return archive.with_name(archive.name + SIGNATURE_SUFFIX)


@dataclass(frozen=True)
class ArchiveSignature:
    """The contents of a `.sig` file: who signed (key id), what (sha256) and the signature."""

    key_id: str
    signature: bytes
    sha256: str

    def to_json(self) -> bytes:
        """Serialize as the version-1 `.sig` document."""
        document = {
            "version": SIGNATURE_VERSION,
            "algorithm": SIGNATURE_ALGORITHM,
            "key_id": self.key_id,
            "sha256": self.sha256,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }
        return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> ArchiveSignature:
        """Parse a `.sig` document strictly: size-capped, known version and algorithm,
        exactly the expected fields with the expected types and shapes."""
        if len(data) > MAX_SIGNATURE_BYTES:
            raise SignatureError(
                f"the signature file is too large ({len(data)} bytes, at most {MAX_SIGNATURE_BYTES})",
                hint="a .sig file is a few hundred bytes; this is not one",
            )
        try:
            document = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise SignatureError(
                f"the signature file is not valid JSON ({e})", hint="get the .sig file again from the publisher"
            ) from e
        if not isinstance(document, dict):
            raise _malformed("it is not a JSON object")
        unknown = sorted(set(document) - _SIGNATURE_FIELDS)
        if unknown:
            raise _malformed(f"unknown field(s): {', '.join(unknown)}")
        missing = sorted(_SIGNATURE_FIELDS - set(document))
        if missing:
            raise _malformed(f"missing field(s): {', '.join(missing)}")
        version = document["version"]
        # bool is an int in Python; `true` is not version 1.
        if type(version) is not int or version != SIGNATURE_VERSION:
            raise SignatureError(
                f"unsupported signature format version {version!r} (this acc reads version {SIGNATURE_VERSION})",
                hint="update acc, or ask the publisher for a version-1 signature",
            )
        if document["algorithm"] != SIGNATURE_ALGORITHM:
            raise SignatureError(
                f"unsupported signature algorithm {document['algorithm']!r} (acc verifies ed25519)",
                hint="ask the publisher for an Ed25519 signature made with `acc plugin sign`",
            )
        key_id, sha256, encoded = document["key_id"], document["sha256"], document["signature"]
        if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
            raise _malformed("key_id must be 16 lowercase hex digits")
        if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
            raise _malformed("sha256 must be 64 lowercase hex digits")
        if not isinstance(encoded, str):
            raise _malformed("signature must be a base64 string")
        try:
            signature = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as e:
            raise _malformed("signature is not valid base64") from e
        if len(signature) != _RAW_SIGNATURE_BYTES:
            raise _malformed(f"an Ed25519 signature has {_RAW_SIGNATURE_BYTES} bytes, not {len(signature)}")
        return cls(key_id=key_id, signature=signature, sha256=sha256)


def read_signature(path: Path) -> ArchiveSignature:
    """Read and parse a `.sig` file without reading more than the size cap."""
    data = _read_bounded(path, MAX_SIGNATURE_BYTES, what="signature file")
    try:
        return ArchiveSignature.from_json(data)
    except SignatureError as e:
        raise SignatureError(f"{path}: {e.message}", hint=e.hint) from e


def sign_archive(archive: Path, key_path: Path) -> Path:
    """Sign `archive` with the private key at `key_path`; write ARCHIVE.sig atomically and
    return its path. Signing the same archive again gives the same file (Ed25519 is
    deterministic), so this is idempotent."""
    key = load_private_key(key_path)
    sha256 = archive_digest(archive)
    public_key = PublicKey(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    signature = ArchiveSignature(key_id=public_key.key_id, signature=key.sign(signed_message(sha256)), sha256=sha256)
    out = signature_path(archive)
    atomic_write_bytes(out, signature.to_json(), mode=0o644)
    return out


def verify_archive_signature(
    archive_sha256: str, signature: ArchiveSignature, trusted: Iterable[PublicKey]
) -> PublicKey:
    """Check that `signature` covers the archive with this sha256 and was made by one of
    the `trusted` keys; return that key. Each way to fail has its own message."""
    if signature.sha256 != archive_sha256:
        raise SignatureError(
            f"the signature is for another archive (it covers sha256 {signature.sha256}, "
            f"the archive has sha256 {archive_sha256}): the archive changed after it was signed",
            hint="get the archive and its .sig from the same release, or sign the new build again",
        )
    # Key ids are 64 bits: try every trusted key with the id rather than the first one.
    candidates = [key for key in trusted if key.key_id == signature.key_id]
    if not candidates:
        raise SignatureError(
            f"signed by key {signature.key_id}, which is not trusted",
            hint="if you trust this publisher, get their public key and run `acc trust add PUBKEY_FILE`",
        )
    message = signed_message(archive_sha256)
    for key in candidates:
        try:
            Ed25519PublicKey.from_public_bytes(key.raw).verify(signature.signature, message)
        except InvalidSignature:
            continue
        return key
    raise SignatureError(
        f"the signature does not verify with trusted key {signature.key_id}: "
        "the signature or the archive was tampered with",
        hint="do not install this archive; get it and its .sig again from the publisher",
    )


def verify_sigstore_bundle(
    artifact: bytes, bundle_json: bytes, *, identity: str, issuer: str, staging: bool = False
) -> None:
    """Verify a Sigstore bundle over `artifact` offline, for a signer `identity` (e.g. an
    email) vouched for by the OIDC `issuer`. Raises `SignatureError` if anything fails.

    Offline means the trust root is the one sigstore keeps in its local cache, seeded from
    the copy shipped inside the `sigstore` package; nothing is fetched.
    """
    if len(bundle_json) > MAX_BUNDLE_BYTES:
        raise SignatureError(
            f"the Sigstore bundle is too large ({len(bundle_json)} bytes, at most {MAX_BUNDLE_BYTES})",
            hint="a Sigstore bundle is a few kilobytes; this is not one",
        )
    # Imported here: sigstore takes ~0.5 s to import and most commands never need it.
    from sigstore.models import Bundle
    from sigstore.verify import Verifier
    from sigstore.verify.policy import Identity

    _quiet_offline_notice()
    instance = "staging" if staging else "production"
    # Untrusted input may make sigstore (or pydantic/cryptography beneath it) raise almost
    # anything; every failure must become a refusal with a message, never a traceback.
    try:
        bundle = Bundle.from_json(bundle_json)
    except Exception as e:
        raise SignatureError(
            f"the Sigstore bundle could not be read: {_one_line(e)}",
            hint="pass the .sigstore bundle file that `sigstore sign` wrote",
        ) from e
    try:
        verifier = Verifier.staging(offline=True) if staging else Verifier.production(offline=True)
    except Exception as e:
        raise SignatureError(
            f"the Sigstore {instance} trust root could not be loaded: {_one_line(e)}",
            # Offline, sigstore copies its shipped trust root into the user's cache dir
            # (sigstore-python/tuf/ under the platform cache dir) and reads it from there.
            hint="check that sigstore-python's cache directory is writable; removing its "
            "tuf/ folder restores the trust root shipped with the sigstore package",
        ) from e
    policy = Identity(identity=identity, issuer=issuer)
    try:
        verifier.verify_artifact(artifact, bundle, policy)
    except Exception as e:
        # sigstore checks the policy before the signature, with the same exception type;
        # re-check the policy alone to tell "someone else signed" from "bad signature".
        if not _policy_holds(policy, bundle):
            raise SignatureError(
                f"the Sigstore bundle was not signed by {identity} ({issuer}): {_one_line(e)}",
                hint="check --identity and --issuer against the publisher's registered identity",
            ) from e
        other = "production" if staging else "staging (--staging)"
        raise SignatureError(
            f"Sigstore verification failed against the {instance} instance: {_one_line(e)}",
            hint=f"the artifact or the bundle changed after signing, or the bundle comes from the {other} instance",
        ) from e


def verify_sigstore_files(
    archive: Path, bundle_file: Path, *, identity: str, issuer: str, staging: bool = False
) -> None:
    """`verify_sigstore_bundle` over an archive file and a bundle file (read size-capped)."""
    try:
        artifact = archive.read_bytes()
    except OSError as e:
        raise ArchiveError(f"cannot read {archive}: {e.strerror}") from e
    try:
        with open(bundle_file, "rb") as f:
            # One byte over the cap is enough for verify_sigstore_bundle to refuse it.
            bundle = f.read(MAX_BUNDLE_BYTES + 1)
    except OSError as e:
        raise SignatureError(f"cannot read the Sigstore bundle {bundle_file}: {e.strerror}") from e
    verify_sigstore_bundle(artifact, bundle, identity=identity, issuer=issuer, staging=staging)


# -- helpers ---------------------------------------------------------------------------------


class _DropOfflineNotice(logging.Filter):
    """Drops sigstore's "TUF repository is loaded in offline mode" warning.

    Offline is our deliberate choice, not a condition to warn about; with no logging
    configured, Python would print that warning on every `acc plugin verify`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("TUF repository is loaded in offline mode")


_OFFLINE_NOTICE_FILTER = _DropOfflineNotice()


def _quiet_offline_notice() -> None:
    # Only this one message of this one logger: every other sigstore warning still shows.
    logger = logging.getLogger("sigstore._internal.tuf")
    if _OFFLINE_NOTICE_FILTER not in logger.filters:
        logger.addFilter(_OFFLINE_NOTICE_FILTER)


def _policy_holds(policy: Any, bundle: Any) -> bool:
    try:
        policy.verify(bundle.signing_certificate)
    except Exception:
        return False
    return True


def _read_bounded(path: Path, limit: int, *, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError as e:
        raise SignatureError(f"no {what} at {path}") from e
    except IsADirectoryError as e:
        raise SignatureError(f"{path} is a directory, not a {what}") from e
    if len(data) > limit:
        raise SignatureError(f"{path} is too large for a {what} (more than {limit} bytes)")
    return data


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one field would let two parsers read two different signatures.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate field {key!r}")
        result[key] = value
    return result


def _malformed(detail: str) -> SignatureError:
    return SignatureError(
        f"the signature file is malformed: {detail}", hint="get the .sig file again from the publisher"
    )


def _key_kind(key: object) -> str:
    name = type(key).__name__.removeprefix("_")
    return name.replace("PublicKey", "").replace("PrivateKey", "") or "unknown"


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
