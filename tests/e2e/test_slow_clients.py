"""A real `acc registry serve` keeps answering while clients hold connections open without
finishing a request: silent ones, and ones that stop half way through their headers (two
such connections stopped the old two-worker sync server for 129 s)."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry_kit import make_config
from tests.server_kit import running_registry

pytestmark = pytest.mark.slow

#: How long the server waits for a client that stopped sending (REGISTRY_CLIENT_TIMEOUT_SECONDS).
CLIENT_TIMEOUT = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("slow") / "registry-data"
    make_config(data)
    env = {"REGISTRY_CLIENT_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT), "REGISTRY_REFRESH_INTERVAL_MINUTES": "0"}
    with running_registry(data, workers=2, env=env) as url:
        yield url


def _slow(url: str, first_bytes: bytes) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    if first_bytes:
        sock.sendall(first_bytes)
    return sock


def _answer_time(url: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(f"{url}/api/v1/health", timeout=10) as response:
        assert response.status == 200
    return time.monotonic() - started


def test_normal_requests_are_answered_within_a_second_while_clients_stall(server: str) -> None:
    partial_headers = b"GET /api/v1/health HTTP/1.1\r\nHost: registry\r\nX-Slow: "
    stalled = [_slow(server, partial_headers) for _ in range(4)] + [_slow(server, b"") for _ in range(4)]
    try:
        time.sleep(0.5)  # the partial requests reached their threads
        times = [_answer_time(server) for _ in range(20)]
        assert max(times) < 1.0, times
        # A stalled client is disconnected once it has been silent for the client timeout.
        stalled[0].settimeout(CLIENT_TIMEOUT + 10)  # a recv that times out here fails the test
        started = time.monotonic()
        while stalled[0].recv(4096):  # whatever the server says, it closes the connection
            pass
        assert time.monotonic() - started < CLIENT_TIMEOUT + 5
    finally:
        for sock in stalled:
            sock.close()


def test_a_body_that_stops_half_way_does_not_hold_the_server(server: str, tmp_path: Path) -> None:
    upload = (
        b"POST /api/v1/plugins HTTP/1.1\r\nHost: registry\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: 1000000\r\nAuthorization: Bearer acc_x\r\n\r\n" + b"x" * 1000
    )
    stalled = [_slow(server, upload) for _ in range(4)]
    try:
        times = [_answer_time(server) for _ in range(10)]
        assert max(times) < 1.0, times
    finally:
        for sock in stalled:
            sock.close()
