"""Fixtures of the CLI tests: an isolated `acc`, and served registries (tests/cli/cli_kit.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sdk.archive import PluginArchive, read_archive
from tests.cli.cli_kit import CATALOG, SHOP, Acc, ServedRegistry, served_registry
from tests.helpers import TEST_CACHE


@pytest.fixture
def acc(tmp_path: Path) -> Acc:
    """`acc` with a fresh ACC_HOME of its own (the compiled cache shared, keyed by content)."""
    return Acc(tmp_path / "acc-home", TEST_CACHE)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory apart from ACC_HOME (acc refuses a project that holds its state)."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "a.py").write_text("x = 1\ny = 2\n")
    return root


@pytest.fixture(scope="session")
def example(built_archives: Callable[[str], Path]) -> PluginArchive:
    return read_archive(built_archives("project-stats"))


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory, example: PluginArchive) -> Iterator[ServedRegistry]:
    """The read-only CATALOG registry (search, info): never installed from."""
    with served_registry(tmp_path_factory.mktemp("catalog"), example, CATALOG) as served:
        yield served


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory, example: PluginArchive) -> Iterator[ServedRegistry]:
    """The SHOP registry that install tests install from."""
    with served_registry(tmp_path_factory.mktemp("shop"), example, SHOP) as served:
        yield served


@pytest.fixture
def fresh_registry(tmp_path: Path, example: PluginArchive) -> Iterator[ServedRegistry]:
    """An empty registry of this test's own, for tests that publish to it."""
    with served_registry(tmp_path / "fresh", example, []) as served:
        yield served
