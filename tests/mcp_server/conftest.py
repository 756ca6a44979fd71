"""Fixtures of the MCP tests: the mcp-probe archive, an anyio portal per module, a project."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal


@pytest.fixture(scope="session")
def probe_archive(built_archives: Callable[[str], Path]) -> Path:
    return built_archives("mcp-probe")


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    """An event loop on a thread of its own, so a client can stay connected across tests."""
    with start_blocking_portal() as running:
        yield running


@pytest.fixture(scope="module")
def module_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "hello.txt").write_text("hello\n")
    return root
