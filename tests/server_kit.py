"""A real registry server process on a loopback port (gunicorn via `acc registry serve`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import REPO, TEST_CACHE

ACC = str(Path(sys.executable).parent / "acc")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_registry(data_dir: Path, *, workers: int = 2, env: dict[str, str] | None = None,
                     log: Path | None = None) -> Iterator[str]:
    """Serve `data_dir` with `acc registry serve`; yield its base URL; stop it afterwards."""
    port = free_port()
    environment = {**os.environ, "REGISTRY_COMPILE_CACHE_DIR": str(TEST_CACHE / "compiled"), **(env or {})}
    out = open(log or data_dir.parent / "server.log", "ab")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([ACC, "registry", "serve", "--data", str(data_dir), "--port", str(port),
                             "--workers", str(workers)], cwd=REPO, env=environment, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
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
