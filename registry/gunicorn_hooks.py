"""gunicorn server hooks for `acc registry serve` (`-c python:registry.gunicorn_hooks`): the
metadata refresher process (registry/refresher.py) runs from when the server is ready until
it exits, when `refresh_interval_minutes` is not 0."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

_refresher: subprocess.Popen[bytes] | None = None


def when_ready(server: Any) -> None:
    global _refresher
    from registry.config import load_config

    if load_config().refresh_interval_minutes > 0:
        _refresher = subprocess.Popen([sys.executable, "-m", "registry.refresher"])
        server.log.info("metadata refresher started (pid %s)", _refresher.pid)


def on_exit(server: Any) -> None:
    if _refresher is not None and _refresher.poll() is None:
        _refresher.terminate()
        try:
            _refresher.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _refresher.kill()
