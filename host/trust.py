"""The publisher keys this user trusts (`acc trust ...`), kept in ACC_HOME/trusted-keys.json.

The file is the user's decision, so it is never reset behind their back: a damaged file
stops every command that needs it with a message naming the file, until they fix it.

    {"version": 1, "keys": [{"key": "ed25519:BASE64", "key_id": "…", "label": "…",
                             "added_at": "2025-01-01T00:00:00+00:00"}]}

`key_id` is stored only so the file is readable by people; it is recomputed on load and
must agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from host.errors import TrustError
from host.paths import HostPaths
from sdk.atomic import atomic_write_json, file_lock
from sdk.errors import SignatureError
from sdk.signing import PublicKey

TRUST_FILE_VERSION = 1
# Thousands of keys fit in far less; a bigger file is not one we wrote.
MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024
MAX_LABEL_CHARS = 100
_KEY_ID = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class TrustedKey:
    """One trusted publisher key, with the user's label for it and when it was added."""

    public_key: PublicKey
    label: str
    added_at: str


class TrustStore:
    """Read and change the trusted keys of one acc home."""

    def __init__(self, paths: HostPaths) -> None:
        self.paths = paths

    def entries(self) -> list[TrustedKey]:
        """The trusted keys, oldest first. A missing file means no key is trusted."""
        # No lock: writers replace the file atomically, so a reader sees old or new.
        return self._load()

    def add(self, public_key: PublicKey, *, label: str = "") -> bool:
        """Trust `public_key`. Returns False (and changes nothing) if it is already trusted."""
        label = _check_label(label)
        with file_lock(self.paths.lock_file):
            keys = self._load()
            if any(entry.public_key == public_key for entry in keys):
                return False
            if label and any(entry.label == label for entry in keys):
                raise TrustError(
                    f"the label {label!r} already names another trusted key",
                    hint="choose another --label, or see `acc trust list`",
                )
            added_at = datetime.now(UTC).isoformat(timespec="seconds")
            keys.append(TrustedKey(public_key=public_key, label=label, added_at=added_at))
            self._save(keys)
            return True

    def remove(self, key_id_or_label: str) -> PublicKey:
        """Stop trusting the key with this key id or label; return it."""
        with file_lock(self.paths.lock_file):
            keys = self._load()
            match = _find(keys, key_id_or_label)
            if match is None:
                raise TrustError(
                    f"no trusted key has the id or label {key_id_or_label!r}",
                    hint="see the trusted keys and their ids with `acc trust list`",
                )
            self._save([entry for entry in keys if entry is not match])
            return match.public_key

    # -- the file ------------------------------------------------------------------------------

    def _load(self) -> list[TrustedKey]:
        path = self.paths.trust_file
        try:
            with open(path, "rb") as f:
                raw = f.read(MAX_TRUST_FILE_BYTES + 1)
        except FileNotFoundError:
            return []
        if len(raw) > MAX_TRUST_FILE_BYTES:
            raise self._damaged(f"it is larger than {MAX_TRUST_FILE_BYTES} bytes")
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise self._damaged(f"it is not valid JSON: {e}") from e
        if not isinstance(document, dict):
            raise self._damaged("it is not a JSON object")
        if document.get("version") != TRUST_FILE_VERSION:
            raise TrustError(
                f"{path} has an unknown format version {document.get('version')!r}",
                hint="it was written by another version of acc; use that version, or update acc",
            )
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise self._damaged("'keys' is not a list")
        return [self._entry(index, entry) for index, entry in enumerate(entries)]

    def _entry(self, index: int, entry: Any) -> TrustedKey:
        if not isinstance(entry, dict):
            raise self._damaged(f"key #{index + 1} is not a JSON object")
        text, key_id = entry.get("key"), entry.get("key_id")
        label, added_at = entry.get("label", ""), entry.get("added_at", "")
        if not isinstance(text, str) or not isinstance(label, str) or not isinstance(added_at, str):
            raise self._damaged(f"key #{index + 1} has a missing or mistyped field")
        try:
            public_key = PublicKey.from_bytes(text.encode("utf-8"))
        except SignatureError as e:
            raise self._damaged(f"key #{index + 1}: {e.message}") from e
        if key_id != public_key.key_id:
            raise self._damaged(f"key #{index + 1}: key_id {key_id!r} does not match its key ({public_key.key_id})")
        return TrustedKey(public_key=public_key, label=label, added_at=added_at)

    def _save(self, keys: list[TrustedKey]) -> None:
        document = {
            "version": TRUST_FILE_VERSION,
            "keys": [
                {
                    "key": entry.public_key.to_text(),
                    "key_id": entry.public_key.key_id,
                    "label": entry.label,
                    "added_at": entry.added_at,
                }
                for entry in keys
            ],
        }
        atomic_write_json(self.paths.trust_file, document)

    def _damaged(self, detail: str) -> TrustError:
        path = self.paths.trust_file
        return TrustError(
            f"the trusted keys file {path} is damaged: {detail}",
            hint=f"fix it by hand, or move it aside (mv {path} {path}.bad) and add the keys "
            "you trust again with `acc trust add PUBKEY_FILE`",
        )


def _find(keys: list[TrustedKey], key_id_or_label: str) -> TrustedKey | None:
    # An id wins over a label; labels that look like ids are refused in `add`, so the two
    # never collide.
    for entry in keys:
        if entry.public_key.key_id == key_id_or_label:
            return entry
    for entry in keys:
        if entry.label and entry.label == key_id_or_label:
            return entry
    return None


def _check_label(label: str) -> str:
    label = label.strip()
    if len(label) > MAX_LABEL_CHARS:
        raise TrustError(f"the label is too long ({len(label)} characters, at most {MAX_LABEL_CHARS})")
    if any(not ch.isprintable() for ch in label):
        # Control characters in a label could rewrite the terminal when `trust list` prints it.
        raise TrustError(
            "the label contains control characters", hint="use a short printable name, e.g. the publisher's name"
        )
    if _KEY_ID.fullmatch(label):
        raise TrustError(
            f"the label {label!r} looks like a key id",
            hint="use a name that is not 16 hex digits, e.g. the publisher's name",
        )
    return label
