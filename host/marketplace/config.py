"""The marketplaces a user has added, each with the first root it pinned.

Layout under ACC_HOME/marketplaces/NAME/:

    config.json     {"version": 1, "name", "url", "root_sha256", "added_at"}: written last,
                    so a marketplace exists exactly when its config does
    root.json       version 1 of the marketplace's TUF root, the bytes whose sha256 was pinned
    metadata/       the TUF client's trusted metadata (ngclient's metadata_dir)
    trusted_root.json  the newest root verified from the pin (host/marketplace/trusted_root.py)
    targets/        downloaded targets by hash (host/marketplace/target_cache.py)

The pinned root is the trust anchor: a refresh starts from the newest root verified from
it (the pin itself the first time) and follows the root versions the marketplace signed since.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from host.errors import MarketplaceError, MarketplaceUnreachable, MarketplaceUntrusted
from host.paths import HostPaths
from sdk.atomic import atomic_write_bytes, atomic_write_json, file_lock

CONFIG_VERSION = 1
# ngclient's own cap for root metadata (UpdaterConfig.root_max_length).
MAX_ROOT_BYTES = 512_000
MAX_CONFIG_BYTES = 64 * 1024
FETCH_TIMEOUT_SECONDS = 30.0
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Marketplace:
    """One added marketplace: where it is and which first root this user pinned."""

    name: str
    url: str
    root_sha256: str
    added_at: str
    directory: Path

    @property
    def root_file(self) -> Path:
        return self.directory / "root.json"

    @property
    def metadata_dir(self) -> Path:
        return self.directory / "metadata"

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/tuf/metadata/"

    @property
    def targets_url(self) -> str:
        return f"{self.url}/tuf/targets/"


def normalize_url(url: str) -> str:
    """The marketplace's base URL without a trailing slash; http(s) with a host only."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise MarketplaceError(
            f"{url!r} is not a marketplace URL", hint="give the registry's base URL, e.g. https://plugins.example.com"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise MarketplaceError(f"{url!r}: a marketplace URL has no query, fragment or credentials")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def default_name(url: str) -> str:
    """HOST or HOST-PORT of the URL, made safe as a directory and requirement name."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    name = f"{host}-{parts.port}" if parts.port else host
    return re.sub(r"[^a-z0-9._-]", "-", name).strip("-.")[:63] or "marketplace"


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise MarketplaceError(
            f"{name!r} is not a valid marketplace name",
            hint="use lowercase letters, digits, '.', '_' and '-' (at most 63)",
        )
    return name


def check_sha256(value: str) -> str:
    digest = value.strip().lower()
    if not _SHA256_HEX.fullmatch(digest):
        raise MarketplaceError(
            "--root-sha256 must be 64 hex digits", hint="ask the marketplace operator for the sha256 of 1.root.json"
        )
    return digest


def fetch_first_root(url: str) -> bytes:
    """Download URL/tuf/metadata/1.root.json, size-capped. Not yet trusted: pin it first."""
    root_url = f"{url}/tuf/metadata/1.root.json"
    request = urllib.request.Request(root_url, headers={"User-Agent": "acc"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            data: bytes = response.read(MAX_ROOT_BYTES + 1)
    except urllib.error.HTTPError as e:
        raise MarketplaceError(
            f"{root_url} answered {e.code} {e.reason}: is {url} an acc marketplace?",
            hint="give the registry's base URL (the one its web pages are served from)",
        ) from e
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise MarketplaceUnreachable(
            f"cannot reach the marketplace at {url}: {reason}", hint="check the URL and your network connection"
        ) from e
    if len(data) > MAX_ROOT_BYTES:
        raise MarketplaceUntrusted(f"{root_url} is larger than {MAX_ROOT_BYTES} bytes: not a TUF root")
    return data


def check_root(data: bytes, source: str) -> None:
    """Refuse bytes that are not a TUF root signed by its own threshold of root keys."""
    from tuf.api.exceptions import UnsignedMetadataError
    from tuf.api.metadata import Metadata, Root

    try:
        metadata = Metadata[Root].from_bytes(data)
        if not isinstance(metadata.signed, Root):
            raise ValueError(f"it is {metadata.signed.type} metadata")
        metadata.signed.verify_delegate(Root.type, metadata.signed_bytes, metadata.signatures)
    except UnsignedMetadataError as e:
        raise MarketplaceUntrusted(f"{source} is not signed by its own root keys: {e}") from e
    except Exception as e:  # untrusted bytes: any parse failure is a refusal
        raise MarketplaceUntrusted(f"{source} is not TUF root metadata: {e}") from e


def root_fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_root_to_pin(url: str, pin: str | None) -> tuple[bytes, str]:
    """The first root URL serves and its sha256, checked: equal to `pin` when one is given (a
    different root means a different, or an impostor, marketplace) and signed by its own keys.
    Without a pin the caller must still have the fingerprint confirmed before pinning it."""
    root = fetch_first_root(url)
    fingerprint = root_fingerprint(root)
    if pin is not None and fingerprint != pin:
        raise MarketplaceUntrusted(
            f"the root served by {url} has sha256 {fingerprint}, not the pinned {pin}: refused",
            hint="check the hash with the marketplace operator; a different root means a different "
            "(or an impostor) marketplace",
        )
    check_root(root, f"{url}/tuf/metadata/1.root.json")
    return root, fingerprint


class MarketplaceConfig:
    """Add, list, find and remove the marketplaces of one acc home."""

    def __init__(self, paths: HostPaths) -> None:
        self.paths = paths

    def list(self) -> list[Marketplace]:
        if not self.paths.marketplaces.is_dir():
            return []
        found = []
        for directory in sorted(self.paths.marketplaces.iterdir()):
            if (directory / "config.json").is_file():
                found.append(self._load(directory))
        return found

    def get(self, name: str) -> Marketplace:
        """The marketplace `name` (in any case: names are lowercase), or an error naming those added."""
        lowered = name.lower()
        directory = self.paths.marketplaces / lowered if _NAME.fullmatch(lowered) else None
        if directory is None or not (directory / "config.json").is_file():
            from sdk.names import did_you_mean

            added = [m.name for m in self.list()]
            suggestion = did_you_mean(lowered, added)
            raise MarketplaceError(
                f"no marketplace named {name!r} (added: {', '.join(added) or 'none'})",
                hint=suggestion or "add one with `acc marketplace add URL --root-sha256 HEX`",
            )
        return self._load(directory)

    def refuse_second_name(self, name: str, url: str) -> None:
        """Refuse adding `url` as `name` when it is already added under another name: two names
        for one marketplace would make every plugin on it look published twice."""
        for existing in self.list():
            if existing.url == url and existing.name != name:
                raise MarketplaceError(
                    f"{url} is already added as marketplace {existing.name}: not adding it again as {name}",
                    hint=f"keep using {existing.name}, or `acc marketplace remove {existing.name}` first "
                    "to add it under another name",
                )

    def add(self, name: str, url: str, root: bytes) -> tuple[Marketplace, bool]:
        """Store a marketplace whose root the caller has already checked against the pin.

        Returns (marketplace, False) when the same URL and root are already added under the name;
        refuses a URL already added under another name.
        """
        name = check_name(name)
        digest = root_fingerprint(root)
        with file_lock(self.paths.lock_file):
            self.refuse_second_name(name, url)
            directory = self.paths.marketplaces / name
            if (directory / "config.json").is_file():
                existing = self._load(directory)
                if existing.url == url and existing.root_sha256 == digest:
                    return existing, False
                raise MarketplaceError(
                    f"a marketplace named {name!r} already exists ({existing.url})",
                    hint="choose another --name, or `acc marketplace remove` it first",
                )
            if directory.exists():  # a leftover of an interrupted add: it never had a config
                shutil.rmtree(directory)
            (directory / "metadata").mkdir(parents=True)
            atomic_write_bytes(directory / "root.json", root)
            added_at = datetime.now(UTC).isoformat(timespec="seconds")
            atomic_write_json(
                directory / "config.json",
                {"version": CONFIG_VERSION, "name": name, "url": url, "root_sha256": digest, "added_at": added_at},
            )
            return self._load(directory), True

    def remove(self, name: str) -> Marketplace:
        with file_lock(self.paths.lock_file):
            marketplace = self.get(name)
            # The config goes first: without it the directory is not a marketplace any more.
            (marketplace.directory / "config.json").unlink()
            shutil.rmtree(marketplace.directory, ignore_errors=True)
            return marketplace

    def _load(self, directory: Path) -> Marketplace:
        path = directory / "config.json"
        try:
            with open(path, "rb") as f:
                raw = f.read(MAX_CONFIG_BYTES + 1)
            document: Any = json.loads(raw)
        except (OSError, ValueError) as e:
            raise MarketplaceError(
                f"{path} is damaged ({e})", hint=f"remove {directory} and add the marketplace again"
            ) from e
        fields = ("name", "url", "root_sha256", "added_at")
        if (
            len(raw) > MAX_CONFIG_BYTES
            or not isinstance(document, dict)
            or document.get("version") != CONFIG_VERSION
            or not all(isinstance(document.get(f), str) for f in fields)
            or document["name"] != directory.name
        ):
            raise MarketplaceError(
                f"{path} has an unknown format", hint=f"remove {directory} and add the marketplace again"
            )
        return Marketplace(
            name=document["name"],
            url=document["url"],
            root_sha256=document["root_sha256"],
            added_at=document["added_at"],
            directory=directory,
        )

    def pinned_root(self, marketplace: Marketplace) -> bytes:
        """The stored first root, re-checked against its pin (a changed file is refused)."""
        try:
            data = marketplace.root_file.read_bytes()
        except OSError as e:
            raise MarketplaceError(
                f"the pinned root of {marketplace.name} is missing ({e})",
                hint=f"`acc marketplace remove {marketplace.name}` and add it again",
            ) from e
        if root_fingerprint(data) != marketplace.root_sha256:
            raise MarketplaceUntrusted(
                f"the pinned root of {marketplace.name} ({marketplace.root_file}) no longer matches its sha256",
                hint=f"`acc marketplace remove {marketplace.name}` and add it again with the operator's --root-sha256",
            )
        return data
