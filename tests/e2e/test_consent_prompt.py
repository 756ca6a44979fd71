"""The consent prompt on a real terminal (a pty): each capability is shown with its reason
and answered one by one; the answers become the grants."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import TEST_CACHE
from tests.server_kit import ACC

pytestmark = pytest.mark.slow


def _read_until(fd: int, needle: str, seen: list[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while needle not in "".join(seen):
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {needle!r} in:\n{''.join(seen)}")
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen.append(os.read(fd, 4096).decode(errors="replace"))
            except OSError:
                break


def test_install_asks_per_capability_and_records_the_answers(
    tmp_path: Path, built_archives: Callable[[str], Path]
) -> None:
    env = {**os.environ, "ACC_HOME": str(tmp_path / "home"), "ACC_CACHE_DIR": str(TEST_CACHE)}
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [ACC, "plugin", "install", str(built_archives("project-stats")), "--allow-unsigned-DANGEROUS"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
    )
    os.close(secondary)
    seen: list[str] = []
    try:
        _read_until(primary, "Grant fs?", seen)
        assert "why: Reads the project's files to count them and their lines." in "".join(seen)
        os.write(primary, b"y\n")
        _read_until(primary, "Grant process?", seen)
        assert "run programs: git" in "".join(seen)
        os.write(primary, b"n\n")
        _read_until(primary, "installed project-stats", seen)
    finally:
        proc.wait(timeout=60)
        os.close(primary)
    assert proc.returncode == 0, "".join(seen)
    listed = subprocess.run([ACC, "plugin", "list", "--json"], env=env, capture_output=True, text=True, check=True)
    assert json.loads(listed.stdout)[0]["granted"] == ["fs"]
