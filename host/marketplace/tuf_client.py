"""A python-tuf ngclient per marketplace: everything downloaded from one is verified by TUF.

The updater starts from the newest root this user already verified (host/marketplace/
trusted_root.py; the first time, the root they pinned), follows the root versions the
marketplace signed since, in rounds of `max_root_rotations` for as many rounds as it takes,
then refreshes timestamp, snapshot and targets. Each `MarketplaceClient` refreshes once,
when it is first used, so every command works against fresh metadata. Targets are
verified against every hash the signed metadata lists (any algorithm the TUF
specification allows), and kept by hash so a target already downloaded is not fetched
again (host/marketplace/target_cache.py).

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
from host.marketplace.target_cache import TargetCache
from host.marketplace.trusted_root import TrustedRoot, root_version
from sdk.atomic import file_lock
from sdk.index_format import index_path

if TYPE_CHECKING:
    from host.marketplace.config import MarketplaceConfig
    from host.progress import Progress

USER_AGENT = "acc"
#: Roots followed in one refresh: MAX_ROOT_ROTATIONS per round, up to this many rounds.
MAX_ROOT_ROTATIONS = 64
MAX_ROOT_ROUNDS = 64
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
        max_root_rotations=MAX_ROOT_ROTATIONS,
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
            # Close, do not reuse: the error's body is unread, and on a kept-alive connection
            # the next response would be read from the middle of it (a "bad status line").
            response.close()
            response.release_conn()
            raise tuf_errors.DownloadHTTPError(f"HTTP error {response.status} for {url}", response.status)
        return self._chunks(response)

    def _chunks(self, response: Any) -> Iterator[bytes]:
        complete = False
        try:
            for chunk in response.stream(CHUNK_BYTES, decode_content=True):
                if self.on_chunk is not None:
                    self.on_chunk(len(chunk))
                yield chunk
            complete = True
        except urllib3.exceptions.TimeoutError as e:
            raise tuf_errors.SlowRetrievalError from e
        finally:
            if not complete:  # stopped early (a length cap, an error): the rest is never read
                response.close()
            response.release_conn()


def refresh_following_roots(
    make_updater: Callable[[bytes], Updater], roots: TrustedRoot, metadata_dir: Path
) -> Updater:
    """A refreshed updater, started from the newest trusted root and following as many new
    roots as the repository signed: each round follows up to MAX_ROOT_ROTATIONS, and a round
    that ended there (so more may follow) is retried from where it got."""
    for _ in range(MAX_ROOT_ROUNDS):
        start = roots.bootstrap()
        updater = make_updater(start)
        try:
            updater.refresh()
            return updater
        except tuf_errors.RepositoryError:
            reached = _current_root(metadata_dir)
            if root_version(reached) - root_version(start) < MAX_ROOT_ROTATIONS:
                raise
            # The round stopped at the cap: the roots it verified are trusted; go on from there.
        finally:
            roots.remember(_current_root(metadata_dir))
    raise tuf_errors.RepositoryError(f"more than {MAX_ROOT_ROTATIONS * MAX_ROOT_ROUNDS} new roots at once")


def _current_root(metadata_dir: Path) -> bytes:
    """The newest root ngclient trusts (it keeps root.json pointing at it)."""
    try:
        return (metadata_dir / "root.json").read_bytes()
    except OSError:
        return b""


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
        self._cache = TargetCache(marketplace.directory / "targets")

    def refresh(self) -> None:
        """Fetch and verify fresh top-level metadata (once per client)."""
        if self._updater is not None:
            return
        roots = TrustedRoot(
            self.marketplace.directory / "trusted_root.json", self._config.pinned_root(self.marketplace)
        )
        self.marketplace.metadata_dir.mkdir(parents=True, exist_ok=True)
        self._target_dir.mkdir(parents=True, exist_ok=True)

        def make_updater(bootstrap: bytes) -> Updater:
            return Updater(
                metadata_dir=str(self.marketplace.metadata_dir),
                metadata_base_url=self.marketplace.metadata_url,
                target_base_url=self.marketplace.targets_url,
                target_dir=str(self._target_dir),
                fetcher=self._fetcher,
                config=updater_config(),
                bootstrap=bootstrap,
            )

        with self._metadata_lock(), self._tuf_errors("refresh its metadata"):
            self._updater = refresh_following_roots(make_updater, roots, self.marketplace.metadata_dir)

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
        destination = self.download_target(
            info, self._target_dir / "index.json", action=f"download the index of {name}"
        )
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
        info = TargetFile(length=length, hashes={"sha256": sha256}, path=path)
        return self.download_target(info, destination, progress=progress, label=label)

    def download_target(
        self,
        info: TargetFile,
        destination: Path,
        *,
        progress: Progress | None = None,
        label: str = "",
        action: str = "",
    ) -> Path:
        """Download the target `info` describes to `destination`, verified against its length and
        every hash it lists; from the cache when it was downloaded before."""
        updater = self._refreshed()
        if self._cache.copy_to(info, destination):
            return destination
        with contextlib.ExitStack() as stack:
            if progress is not None and isinstance(self._fetcher, GzipFetcher):  # it counts the bytes
                self._fetcher.on_chunk = stack.enter_context(progress.transfer(label or info.path, info.length))
                stack.callback(setattr, self._fetcher, "on_chunk", None)
            with self._tuf_errors(action or f"download {info.path}"):
                updater.download_target(info, filepath=str(destination))
        self._cache.keep(info, destination)
        return destination

    def target_info(self, path: str) -> TargetFile | None:
        """A target's length and hashes (every one listed), looked up in the signed metadata."""
        updater = self._refreshed()
        with self._metadata_lock(), self._tuf_errors(f"look up {path}"):
            return updater.get_targetinfo(path)

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
