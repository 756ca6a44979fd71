"""bench/tuf_conformance_client.py speaks the TUF conformance suite's client protocol (init,
refresh, download; exit 0 or 1), checked against a repository served over loopback HTTP."""

from __future__ import annotations

import hashlib
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.tuf_simulator import Simulator

CLIENT = REPO / "bench" / "tuf_conformance_client.py"


@pytest.fixture
def served() -> Iterator[tuple[Simulator, str]]:
    """The simulator's files over HTTP at http://127.0.0.1:PORT/tuf/; requests are recorded."""
    repo = Simulator()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            repo.requests.append(self.path)
            data = repo.files.get(self.path.removeprefix("/tuf/"))
            if data is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield repo, f"http://127.0.0.1:{server.server_address[1]}/tuf"
        server.shutdown()


def _run(tmp_path: Path, base: str, command: str, *extra: str) -> int:
    args = [sys.executable, str(CLIENT), "--metadata-dir", str(tmp_path / "metadata")]
    if command != "init":
        args += ["--metadata-url", f"{base}/metadata"]
    proc = subprocess.run(
        [*args, *extra, command] if command != "init" else [*args, command, *extra],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.returncode


def _download(tmp_path: Path, base: str, name: str) -> int:
    return _run(
        tmp_path,
        base,
        "download",
        "--target-name",
        name,
        "--target-base-url",
        f"{base}/targets",
        "--target-dir",
        str(tmp_path / "targets"),
    )


def test_init_refresh_and_download_follow_the_protocol(tmp_path: Path, served: tuple[Simulator, str]) -> None:
    repo, base = served
    (tmp_path / "root.json").write_bytes(repo.root_bytes(1))
    assert _run(tmp_path, base, "init", str(tmp_path / "root.json")) == 0
    assert repo.requests == [], "init makes no request"
    data = b"an artifact"
    repo.add_target("dir/artifact.txt", data, {"sha512": hashlib.sha512(data).hexdigest()})
    repo.publish()
    assert _run(tmp_path, base, "refresh") == 0
    assert (tmp_path / "metadata" / "timestamp.json").exists()
    assert _download(tmp_path, base, "dir/artifact.txt") == 0
    [stored] = list((tmp_path / "targets").iterdir())
    assert stored.read_bytes() == data
    fetched = [r for r in repo.requests if r.startswith("/tuf/targets/")]
    assert _download(tmp_path, base, "dir/artifact.txt") == 0
    assert [r for r in repo.requests if r.startswith("/tuf/targets/")] == fetched, "not downloaded again"


def test_a_tampered_artifact_fails_with_status_1_and_is_not_stored(
    tmp_path: Path, served: tuple[Simulator, str]
) -> None:
    repo, base = served
    (tmp_path / "root.json").write_bytes(repo.root_bytes(1))
    assert _run(tmp_path, base, "init", str(tmp_path / "root.json")) == 0
    target = repo.add_target("artifact.txt", b"good")
    repo.publish()
    repo.files[f"targets/{target.hashes['sha256']}.artifact.txt"] = b"evil"
    assert _download(tmp_path, base, "artifact.txt") == 1
    assert not (tmp_path / "targets" / "artifact.txt").exists()
    assert _download(tmp_path, base, "no-such-artifact.txt") == 1
