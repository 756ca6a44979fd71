"""Real processes for end-to-end tests: the `acc` executable, and a registry server on a
loopback port (gunicorn via `acc registry serve`)."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import REPO, TEST_CACHE

ACC = str(Path(sys.executable).parent / "acc")


def acc(*args: str, env: dict[str, str], cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `acc`; assert it succeeded (or, with ok=False, that it failed cleanly:
    a non-zero status and no traceback). No terminal: prompts must not hang a test."""
    proc = subprocess.run(
        [ACC, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if ok:
        assert proc.returncode == 0, f"acc {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    else:
        assert proc.returncode != 0, f"acc {' '.join(args)} should have failed:\n{proc.stdout}"
        assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_registry(
    data_dir: Path, *, workers: int = 2, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[str]:
    """Serve `data_dir` with `acc registry serve`; yield its base URL; stop it afterwards."""
    port = free_port()
    environment = {**os.environ, "REGISTRY_COMPILE_CACHE_DIR": str(TEST_CACHE / "compiled"), **(env or {})}
    out = open(log or data_dir.parent / "server.log", "ab")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [ACC, "registry", "serve", "--data", str(data_dir), "--port", str(port), "--workers", str(workers)],
        cwd=REPO,
        env=environment,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the registry server exited with {proc.returncode}; see {out.name}")
            try:
                with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the registry server did not answer within 60 s; see {out.name}")
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()


@dataclass
class PublisherRegistry:
    """A registry data dir with one publisher, alice: her account, her Ed25519 key
    (`key`, registered) and a publishing token. `env` runs acc as the publisher."""

    work: Path
    data: Path
    env: dict[str, str]
    key: Path
    token: str

    def acc(self, *args: str) -> str:
        return acc(*args, env=self.env, cwd=self.work).stdout

    def add_key(self, name: str) -> Path:
        """Another key of alice's, registered on her account."""
        self.acc("plugin", "keygen", "--out", f"{name}.key")
        self.acc("registry", "key", "add", "alice", f"{name}.key.pub", "--data", str(self.data))
        return self.work / f"{name}.key"

    def publish(self, url: str, archive: Path) -> None:
        self.acc("plugin", "publish", str(archive), "--registry", url, "--token", self.token)


def registry_with_publisher(work: Path) -> PublisherRegistry:
    env = {**os.environ, "ACC_HOME": str(work / "publisher-home"), "ACC_CACHE_DIR": str(TEST_CACHE)}
    env.pop("ACC_REGISTRY_TOKEN", None)
    data = work / "registry-data"
    setup = PublisherRegistry(work=work, data=data, env=env, key=work / "alice.key", token="")
    setup.acc("registry", "init", "--data", str(data), "--bins", "4")
    setup.acc("registry", "user", "create", "alice", "--email", "alice@example.com", "--data", str(data))
    setup.add_key("alice")
    setup.token = setup.acc("registry", "token", "create", "alice", "--data", str(data)).strip()
    return setup


def root_sha256(url: str) -> str:
    """The sha256 of a registry's first root: what its operator publishes out of band."""
    with urllib.request.urlopen(f"{url}/tuf/metadata/1.root.json") as response:
        return hashlib.sha256(response.read()).hexdigest()
