"""Registry configuration: defaults, then a mapping, then `REGISTRY_*` environment variables.

Environment variables are read here and nowhere else, so a test can build an app from
a mapping alone and an operator can override any setting without code.
"""

from __future__ import annotations

import ipaddress
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
    #: How many keys must sign each role (used by `acc registry init`; `rotate` changes them).
    root_threshold: int = 1
    targets_threshold: int = 1
    snapshot_threshold: int = 1
    timestamp_threshold: int = 1
    bins_threshold: int = 1
    #: How many root keys `acc registry init` makes (at least root_threshold): e.g. 3 for 2-of-3.
    root_keys: int = 1
    #: Old metadata versions are kept this long after a newer timestamp replaced them (a
    #: client that read a timestamp fetches what it names within seconds), then pruned.
    metadata_retention_minutes: int = 60
    #: Largest upload accepted (archive + signature + form fields).
    max_upload_bytes: int = 80 * 1024 * 1024
    #: Writes (publish, yank, reviews...) and logins per client address per minute.
    write_rate_per_minute: int = 60
    login_rate_per_minute: int = 10
    #: Failed password checks per account (by name, existing or not) per 15 minutes, from
    #: any address; past it, that account's logins are refused until the window ends.
    login_failures_per_account: int = 10
    #: Flask's secret key (signs CSRF tokens); empty means one is kept in DATA_DIR/keys/session.key,
    #: which only one host can use: with several hosts (blob_store = s3) it must be set.
    secret_key: str = ""
    #: Where blobs live: "local" (DATA_DIR/blobs, one host) or "s3" (a bucket every host shares).
    blob_store: str = "local"
    s3_bucket: str = ""
    #: An S3-compatible endpoint (MinIO, Ceph, ...); empty means AWS.
    s3_endpoint_url: str = ""
    s3_region: str = ""
    #: Credentials; empty means boto3's usual sources (environment, instance role...).
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_prefix: str = "blobs/"
    #: If set, archives and signatures under /tuf/targets/ redirect here (BASE/PREFIX ab/HASH):
    #: a public bucket or a CDN in front of it. Counted at the redirect, not on completion.
    blob_public_url: str = ""
    #: How many proxies in front of the registry set X-Forwarded-For / -Proto (werkzeug's
    #: ProxyFix): client addresses (rate limits, download counts) come from them. 0: none.
    trusted_proxies: int = 0
    #: `acc registry serve` re-signs expiring metadata and prunes old versions every this many
    #: minutes in a process beside gunicorn (one host does the work at a time); 0: leave it to
    #: `acc registry refresh` from cron or a systemd timer.
    refresh_interval_minutes: int = 10
    #: `acc registry serve` upgrades the schema before starting (under a database lock); off:
    #: it refuses to start on an old schema until `acc registry migrate` has run.
    migrate_on_start: bool = True
    #: gunicorn: threads per worker, and how long a client may pause while sending a request
    #: (headers or body) before its connection is closed.
    threads_per_worker: int = 8
    client_timeout_seconds: int = 10
    #: Send cookies only over HTTPS. Off for loopback development, on behind TLS.
    secure_cookies: bool = False
    #: The URL users install from (shown in install commands); empty means the request's host.
    public_url: str = ""
    #: Verify Sigstore bundles against Sigstore's staging instance (test registries only).
    sigstore_staging: bool = False
    #: Where compiled components are cached (keyed by content); empty means DATA_DIR/compiled.
    compile_cache_dir: Path = Path()
    #: How mail reaches account holders (registry/mailer.py): "log" (development: logged,
    #: and appended to `mail_log` if set) or "smtp" (the smtp_* settings).
    mailer: str = "log"
    mail_log: Path = Path()
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    #: The From address of the registry's mail.
    smtp_from: str = ""
    #: "starttls", "tls" (implicit, usually port 465) or "none" (loopback relays only).
    smtp_security: str = "starttls"
    #: Publishers' domain proofs (registry/domain_proof.py): the nameserver asked for them
    #: (`IP`, `IP:PORT`, `[IPv6]:PORT`; empty: the system's), and, for development and tests
    #: only, whether the well-known file may be fetched over plain HTTP, from loopback or
    #: private addresses, and on another port than 443 (80 with HTTP) (0: the default).
    domain_check_nameserver: str = ""
    domain_check_allow_http: bool = False
    domain_check_allow_private: bool = False
    domain_check_port: int = 0
    testing: bool = False

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'registry.db').absolute()}"

    @property
    def generation_file(self) -> Path:
        """Where this host notes the repository generation it last committed (registry/generation.py)."""
        return self.data_dir / "generation"

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
    _check_mailer(config)
    _check_hosts(config)
    _check_domain_checks(config)
    for role in ("root", "targets", "snapshot", "timestamp", "bins"):
        if not 1 <= getattr(config, f"{role}_threshold") <= 16:
            raise ConfigError(f"{role}_threshold must be between 1 and 16")
    if not config.root_threshold <= config.root_keys <= 16:
        raise ConfigError(f"root_keys must be between root_threshold ({config.root_threshold}) and 16")
    if config.metadata_retention_minutes < 1:
        raise ConfigError("metadata_retention_minutes must be at least 1")
    return config


def _check_hosts(config: RegistryConfig) -> None:
    if config.blob_store not in ("local", "s3"):
        raise ConfigError(f"blob_store must be local or s3, not {config.blob_store!r}")
    if config.blob_store == "s3":
        if not config.s3_bucket:
            raise ConfigError("blob_store = s3 needs s3_bucket", hint="set REGISTRY_S3_BUCKET")
        if not config.secret_key:
            # Shared blobs mean several hosts: a form served by one must be accepted by another.
            raise ConfigError(
                "with blob_store = s3 (several hosts) secret_key must be set, the same on every host",
                hint="set REGISTRY_SECRET_KEY to a long random string (e.g. `python -c "
                "'import secrets; print(secrets.token_hex(32))'`)",
            )
    if not 0 <= config.trusted_proxies <= 10:
        raise ConfigError("trusted_proxies must be between 0 and 10")
    if config.refresh_interval_minutes < 0:
        raise ConfigError("refresh_interval_minutes must be 0 (off) or more")
    if not 1 <= config.threads_per_worker <= 256 or not 1 <= config.client_timeout_seconds <= 600:
        raise ConfigError("threads_per_worker must be 1-256 and client_timeout_seconds 1-600")


def _check_domain_checks(config: RegistryConfig) -> None:
    if config.domain_check_nameserver:
        try:
            nameserver_address(config.domain_check_nameserver)
        except ValueError as e:
            raise ConfigError(
                f"domain_check_nameserver = {config.domain_check_nameserver!r} is not an address ({e})",
                hint="write IP, IP:PORT or [IPv6]:PORT, or leave it empty for the system's resolver",
            ) from None
    if not 0 <= config.domain_check_port < 65536:
        raise ConfigError("domain_check_port must be 0 (the default port) or a port number")


def nameserver_address(text: str) -> tuple[str, int]:
    """`IP`, `IP:PORT` or `[IPv6]:PORT` as (address, port); ValueError if it is none of these."""
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = int(rest.removeprefix(":")) if rest else 53
    elif text.count(":") == 1:
        host, _, number = text.partition(":")
        port = int(number)
    ipaddress.ip_address(host)
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is out of range")
    return host, port


def _check_mailer(config: RegistryConfig) -> None:
    if config.mailer not in ("log", "smtp"):
        raise ConfigError(f"mailer must be log or smtp, not {config.mailer!r}")
    if config.smtp_security not in ("starttls", "tls", "none"):
        raise ConfigError(f"smtp_security must be starttls, tls or none, not {config.smtp_security!r}")
    if config.mailer == "smtp" and not (config.smtp_host and config.smtp_from):
        raise ConfigError(
            "mailer = smtp needs smtp_host and smtp_from",
            hint="set REGISTRY_SMTP_HOST and REGISTRY_SMTP_FROM (and the credentials, if the server asks)",
        )


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
