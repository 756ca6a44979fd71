"""Registry configuration: defaults, then a mapping, then `REGISTRY_*` environment variables.

Environment variables are read here and nowhere else, so a test can build an app from
a mapping alone and an operator can override any setting without code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from registry.errors import ConfigError

DEFAULT_DATA_DIR = Path("registry-data")


@dataclass(frozen=True)
class RegistryConfig:
    data_dir: Path = DEFAULT_DATA_DIR
    #: SQLAlchemy URL; empty means SQLite at DATA_DIR/registry.db.
    database_url: str = ""
    #: Hashed-bin delegation: 2**bin_bits bins (see docs/registry.md for the sizing).
    bin_bits: int = 9
    #: Expiry of each TUF role, in days (timestamp in hours: it is refreshed by the server).
    root_expiry_days: int = 365
    targets_expiry_days: int = 365
    snapshot_expiry_days: int = 7
    bins_expiry_days: int = 7
    timestamp_expiry_hours: int = 24
    #: Largest upload accepted (archive + signature + form fields).
    max_upload_bytes: int = 80 * 1024 * 1024
    #: Writes (publish, yank, reviews...) and logins per client address per minute.
    write_rate_per_minute: int = 60
    login_rate_per_minute: int = 10
    #: Flask's session signing key; empty means one is kept in DATA_DIR/keys/session.key.
    secret_key: str = ""
    #: Send cookies only over HTTPS. Off for loopback development, on behind TLS.
    secure_cookies: bool = False
    #: The URL users install from (shown in install commands); empty means the request's host.
    public_url: str = ""
    #: Verify Sigstore bundles against Sigstore's staging instance (test registries only).
    sigstore_staging: bool = False
    #: Where compiled components are cached (keyed by content); empty means DATA_DIR/compiled.
    compile_cache_dir: Path = Path()
    testing: bool = False

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'registry.db').absolute()}"

    @property
    def generation_file(self) -> Path | None:
        """Where committed repository generations are noted for timestamp.json (registry.generation_file):
        only with the embedded SQLite database, which one host owns."""
        return self.data_dir / "generation" if self.resolved_database_url.startswith("sqlite") else None

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def compiled_dir(self) -> Path:
        return self.compile_cache_dir if str(self.compile_cache_dir) not in ("", ".") else self.data_dir / "compiled"

    @property
    def bin_count(self) -> int:
        return int(2**self.bin_bits)


_PREFIX = "REGISTRY_"


def load_config(mapping: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> RegistryConfig:
    """Build the configuration: defaults < `mapping` (lowercase field names) < REGISTRY_* variables."""
    env = os.environ if environ is None else environ
    config = RegistryConfig()
    values: dict[str, Any] = {}
    known = {f.name: f for f in fields(RegistryConfig)}
    for key, value in (mapping or {}).items():
        name = key.lower()
        if name not in known:
            raise ConfigError(f"unknown registry setting {key!r}", hint="settings: " + ", ".join(sorted(known)))
        values[name] = value
    for key, value in env.items():
        if key.startswith(_PREFIX) and key[len(_PREFIX) :].lower() in known:
            values[key[len(_PREFIX) :].lower()] = value
    converted = {name: _convert(name, value, type(getattr(config, name))) for name, value in values.items()}
    config = replace(config, **converted)
    if not 1 <= config.bin_bits <= 14:
        raise ConfigError(f"bin_bits must be between 1 and 14, not {config.bin_bits}")
    shortest_other = 24 * min(config.snapshot_expiry_days, config.bins_expiry_days)
    if not 1 <= config.timestamp_expiry_hours <= shortest_other // 2:
        # The server re-signs everything when the timestamp is due (tuf_repo.needs_refresh),
        # which keeps snapshot and bins fresh only if the timestamp is due more often.
        raise ConfigError(
            f"timestamp_expiry_hours must be between 1 and {shortest_other // 2} (half the snapshot and bins lifetime)"
        )
    return config


def _convert(name: str, value: Any, kind: type) -> Any:
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    text = str(value).strip()
    try:
        if kind is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        if kind is int:
            return int(text)
        if kind is Path or issubclass(kind, Path):
            return Path(text)
        return text
    except ValueError as e:
        raise ConfigError(f"registry setting {name} = {value!r} is not a valid {kind.__name__}") from e
