"""A python-tuf ngclient per marketplace: everything downloaded from one is verified by TUF.

The updater starts from the root the user pinned (`bootstrap`), follows the root
versions the marketplace signed since (ngclient caches them in metadata/root_history/),
then refreshes timestamp, snapshot and targets. Each `MarketplaceClient` refreshes once,
when it is first used, so every command works against fresh metadata.

Errors from python-tuf are wrapped here, once:

    tuf DownloadError (connection, timeout, HTTP status)   -> MarketplaceUnreachable
    urllib3 ProtocolError (the connection broke mid-body)  -> MarketplaceUnreachable
    tuf DownloadLengthMismatchError (endless data)         -> MarketplaceUntrusted
    tuf RepositoryError (signatures, versions, expiry,     -> MarketplaceUntrusted
        length or hash of a target; BadVersionNumberError,
        a rollback or mix-and-match, has its own message)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import urllib3
from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import TargetFile
from tuf.ngclient import Updater, UpdaterConfig
from tuf.ngclient.fetcher import FetcherInterface

from host.errors import MarketplaceUnreachable, MarketplaceUntrusted
from host.marketplace.config import Marketplace
from host.marketplace.index import MAX_INDEX_BYTES, PluginIndex, parse_index
from sdk.atomic import file_lock
from sdk.index_format import index_path

if TYPE_CHECKING:
    from host.marketplace.config import MarketplaceConfig
    from host.progress import Progress

USER_AGENT = "acc"
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 30.0
CHUNK_BYTES = 256 * 1024


def updater_config() -> UpdaterConfig:
    """Bounded caps, well above what the registry needs (512 bins: a snapshot of ~60 KB)."""
    return UpdaterConfig(
        timestamp_max_length=16_384,
        snapshot_max_length=4_000_000,
        targets_max_length=4_000_000,
        root_max_length=512_000,
        max_root_rotations=64,
        app_user_agent=USER_AGENT,
    )


class GzipFetcher(FetcherInterface):
    """Like ngclient's Urllib3Fetcher, but asks for gzip (the registry compresses metadata).

    urllib3 decodes `Content-Encoding: gzip` while streaming (bounded per chunk since
    urllib3 2.6), and ngclient's `download_bytes`/`download_file` cap the decoded length,
    so a compressed endless-data attack is cut off like an uncompressed one.
    No proxy support: marketplaces are reached directly.
    """

    def __init__(self) -> None:
        #: Called with the size of each chunk received, while a caller wants progress.
        self.on_chunk: Callable[[int], None] | None = None
        self._pool = urllib3.PoolManager(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"},
            retries=urllib3.Retry(total=2, connect=1, read=0, redirect=3, backoff_factor=0.1),
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS),
        )

    def _fetch(self, url: str) -> Iterator[bytes]:
        try:
            response = self._pool.request("GET", url, preload_content=False, decode_content=True)
        except urllib3.exceptions.MaxRetryError as e:
            if isinstance(e.reason, urllib3.exceptions.TimeoutError):
                raise tuf_errors.SlowRetrievalError from e
            raise
        if response.status >= 400:
            response.release_conn()
            raise tuf_errors.DownloadHTTPError(f"HTTP error {response.status} for {url}", response.status)
        return self._chunks(response)

    def _chunks(self, response: Any) -> Iterator[bytes]:
        try:
            for chunk in response.stream(CHUNK_BYTES, decode_content=True):
                if self.on_chunk is not None:
                    self.on_chunk(len(chunk))
                yield chunk
        except urllib3.exceptions.TimeoutError as e:
            raise tuf_errors.SlowRetrievalError from e
        finally:
            response.release_conn()


class MarketplaceClient:
    """Verified access to one marketplace: its plugins' signed indexes and their targets."""

    def __init__(
        self,
        marketplace: Marketplace,
        config: MarketplaceConfig,
        target_dir: Path,
        *,
        fetcher: FetcherInterface | None = None,
    ) -> None:
        self.marketplace = marketplace
        self._config = config
        self._target_dir = target_dir
        self._updater: Updater | None = None
        #: How bytes arrive: over HTTP by default; tests pass a fetcher that serves the
        #: registry's app from memory and tampers with its answers (python-tuf's own tests
        #: use a RepositorySimulator the same way).
        self._fetcher = fetcher if fetcher is not None else GzipFetcher()

    def refresh(self) -> None:
        """Fetch and verify fresh top-level metadata (once per client)."""
        if self._updater is not None:
            return
        root = self._config.pinned_root(self.marketplace)
        self.marketplace.metadata_dir.mkdir(parents=True, exist_ok=True)
        self._target_dir.mkdir(parents=True, exist_ok=True)
        with self._metadata_lock(), self._tuf_errors("refresh its metadata"):
            updater = Updater(
                metadata_dir=str(self.marketplace.metadata_dir),
                metadata_base_url=self.marketplace.metadata_url,
                target_base_url=self.marketplace.targets_url,
                target_dir=str(self._target_dir),
                fetcher=self._fetcher,
                config=updater_config(),
                bootstrap=root,
            )
            updater.refresh()
        self._updater = updater

    def plugin_index(self, name: str) -> PluginIndex | None:
        """The signed index of plugin `name`, or None if this marketplace has no such plugin."""
        updater = self._refreshed()
        path = index_path(name)
        with self._metadata_lock(), self._tuf_errors(f"look up {name}"):
            info = updater.get_targetinfo(path)
        if info is None:
            return None
        if info.length > MAX_INDEX_BYTES:
            raise MarketplaceUntrusted(
                f"the signed index of {name} on {self.marketplace.name} is "
                f"{info.length} bytes, over the {MAX_INDEX_BYTES}-byte limit"
            )
        destination = self._target_dir / "index.json"
        with self._tuf_errors(f"download the index of {name}"):
            updater.download_target(info, filepath=str(destination))
        return parse_index(destination.read_bytes(), expected_name=name)

    def download(
        self,
        path: str,
        *,
        sha256: str,
        length: int,
        destination: Path,
        progress: Progress | None = None,
        label: str = "",
    ) -> Path:
        """Download target `path`, verified against a length and sha256 that came from
        signed metadata (the plugin's TUF-verified index): one bin per install, not three."""
        updater = self._refreshed()
        info = TargetFile(length=length, hashes={"sha256": sha256}, path=path)
        with contextlib.ExitStack() as stack:
            if progress is not None and isinstance(self._fetcher, GzipFetcher):  # it counts the bytes
                self._fetcher.on_chunk = stack.enter_context(progress.transfer(label or path, length))
                stack.callback(setattr, self._fetcher, "on_chunk", None)
            with self._tuf_errors(f"download {path}"):
                updater.download_target(info, filepath=str(destination))
        return destination

    def target_info(self, path: str) -> tuple[str, int] | None:
        """(sha256, length) of a target, looked up in the signed metadata."""
        updater = self._refreshed()
        with self._metadata_lock(), self._tuf_errors(f"look up {path}"):
            info = updater.get_targetinfo(path)
        if info is None or "sha256" not in info.hashes:
            return None
        return info.hashes["sha256"], info.length

    def _refreshed(self) -> Updater:
        self.refresh()
        assert self._updater is not None
        return self._updater

    def _metadata_lock(self) -> contextlib.AbstractContextManager[None]:
        # ngclient writes the metadata dir while refreshing (the root_history symlink is not
        # atomic) and while loading bins, so two acc processes take turns on it.
        return file_lock(self.marketplace.metadata_dir.parent / "metadata.lock")

    def _tuf_errors(self, action: str) -> _TufErrors:
        return _TufErrors(self.marketplace, action)


class _TufErrors:
    """Turns python-tuf's exceptions into the host's, naming the marketplace and the action."""

    def __init__(self, marketplace: Marketplace, action: str) -> None:
        self.marketplace = marketplace
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
        if error is None:
            return
        name, url = self.marketplace.name, self.marketplace.url
        if isinstance(error, tuf_errors.DownloadLengthMismatchError):
            # Cut off at the signed length (targets, snapshot) or at acc's cap (timestamp, bins):
            # an endless stream and a swapped longer file end up here alike, so the hint names both.
            raise MarketplaceUntrusted(
                f"marketplace {name} sent more data than its signed metadata allows while trying to "
                f"{self.action}: refused by TUF, nothing was installed",
                hint="the marketplace or a mirror on the way served a longer file than it signed (tampered or "
                "damaged storage, or an endless-data attack); report it to the marketplace operator",
            ) from error
        if isinstance(error, tuf_errors.LengthOrHashMismatchError):
            raise MarketplaceUntrusted(
                f"marketplace {name} served data that does not match its signed metadata while trying to "
                f"{self.action} ({error}): refused by TUF, nothing was installed",
                hint="the marketplace's storage or a mirror was tampered with or damaged; "
                "report it to the marketplace operator",
            ) from error
        if isinstance(error, tuf_errors.ExpiredMetadataError):
            raise MarketplaceUntrusted(
                f"marketplace {name} serves expired metadata ({error}): refused, it may be a frozen mirror",
                hint="try again later, or report it to the marketplace operator",
            ) from error
        if isinstance(error, tuf_errors.BadVersionNumberError):
            raise MarketplaceUntrusted(
                f"marketplace {name} served metadata of another version than the one it signed or served "
                f"before while trying to {self.action} ({error}): refused by TUF, nothing was changed",
                hint="a rollback or mix-and-match attack, or a stale mirror, looks like this; try again later and "
                "report it to the marketplace operator if it persists",
            ) from error
        if isinstance(error, tuf_errors.RepositoryError):
            raise MarketplaceUntrusted(
                f"marketplace {name} served metadata that failed TUF verification while trying to "
                f"{self.action}: {type(error).__name__}: {error}",
                hint="nothing was changed; report it to the marketplace operator",
            ) from error
        if isinstance(error, tuf_errors.DownloadHTTPError):
            raise MarketplaceUnreachable(
                f"marketplace {name} ({url}) answered HTTP {error.status_code} while trying to {self.action}",
                hint="try again later; check the URL with `acc marketplace list`",
            ) from error
        if isinstance(error, urllib3.exceptions.ProtocolError):
            # Raised while streaming a body (not wrapped in MaxRetryError): the connection broke mid-download.
            raise MarketplaceUnreachable(
                f"the connection to marketplace {name} at {url} broke while trying to {self.action} "
                f"({_one_line(error)}): nothing was installed",
                hint="try again; installed plugins keep working offline (`acc plugin list`, `acc plugin run`)",
            ) from error
        if isinstance(error, tuf_errors.DownloadError | urllib3.exceptions.HTTPError):
            cause = error.__cause__ or error
            reason = getattr(cause, "reason", None) or cause
            raise MarketplaceUnreachable(
                f"cannot reach marketplace {name} at {url} ({_one_line(reason)})",
                hint="check your network connection and that the marketplace is up; "
                "installed plugins keep working offline (`acc plugin list`, `acc plugin run`)",
            ) from error


def _one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 200 else text[:197] + "..."
