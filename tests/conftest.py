"""Shared fixtures: real plugin builds and compiled components, cached by content.

Building a plugin (componentize-py, ~10 s) and compiling it (wasmtime, ~8 s on 2 cores)
dominate the suite's time, so both are cached in .acc-test-cache/ under keys derived
from their inputs: a second run of the suite, or a second test using the same plugin,
pays nothing. Every test still gets its own ACC_HOME.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from sdk.build import build_plugin
from tests.helpers import PLUGIN_SOURCES, TEST_CACHE, install_unsigned


@pytest.fixture(scope="session")
def built_archives(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Build a plugin of PLUGIN_SOURCES once per session; return its archive path."""
    out = tmp_path_factory.mktemp("archives")
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            built[name] = build_plugin(PLUGIN_SOURCES[name], out, cache_dir=TEST_CACHE / "builds").archive
        return built[name]

    return get


@pytest.fixture
def acc_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HostPaths:
    """A fresh ACC_HOME for this test, sharing the content-keyed compiled cache."""
    home = tmp_path / "acc-home"
    monkeypatch.setenv("ACC_HOME", str(home))
    monkeypatch.setenv("ACC_CACHE_DIR", str(TEST_CACHE))
    return HostPaths(home=home, cache=TEST_CACHE)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small project directory with one file, the directory fs/process grants refer to."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "hello.txt").write_text("hello from the project\n")
    return root


@pytest.fixture(scope="module")
def hostile_home(tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]) -> HostPaths:
    """hostile and relay installed once per module: everything granted but http."""
    paths = HostPaths(home=tmp_path_factory.mktemp("hostile-home"), cache=TEST_CACHE)
    install_unsigned(
        paths, built_archives("hostile"), grant=("fs", "process", "plugins", "kv", "secrets"), deny=("http",)
    )
    install_unsigned(paths, built_archives("relay"), yes=True)
    return paths


@pytest.fixture
def hostile(hostile_home: HostPaths, project: Path) -> Iterator[PluginHost]:
    options = RunOptions(project_dir=project, secret_source={"ACC_TEST_SECRET": "s3cret", "HOME_SECRET": "x"})
    with PluginHost(hostile_home, options) as host:
        yield host
