"""An ngclient fetcher that reads a registry through its Flask test client: the real TUF
client against the real app, without a server process (fast enough to run per test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask.testing import FlaskClient
from tuf.api import exceptions as tuf_errors
from tuf.ngclient.fetcher import FetcherInterface

#: The marketplace URL the tests add; requests under it go to the test client.
REGISTRY_URL = "http://registry.test"


class FlaskFetcher(FetcherInterface):
    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.on_chunk: Callable[[int], None] | None = None
        #: URL path -> bytes served instead of the registry's answer (an attacker's copy).
        self.overrides: dict[str, bytes] = {}

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = url.removeprefix(REGISTRY_URL)
        if path in self.overrides:
            return iter([self.overrides[path]])
        response = self.client.get(path)
        if response.status_code >= 400:
            raise tuf_errors.DownloadHTTPError(f"HTTP {response.status_code} for {url}", response.status_code)
        return iter([response.data])
