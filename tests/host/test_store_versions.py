"""Several kept versions per plugin: atomic switch, pruning, and state files of older acc versions."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from host.errors import StoreError
from host.paths import HostPaths
from host.store import LocalStore
from sdk.archive import read_archive
from tests.helpers import TEST_CACHE
from tests.registry_kit import variant

pytestmark = pytest.mark.slow


@pytest.fixture
def store(tmp_path: Path, built_archives: Callable[[str], Path]) -> LocalStore:
    """project-stats 1.0.0, 1.1.0, 1.2.0 and 1.10.0 installed in that order (1.10.0 current)."""
    store = LocalStore(HostPaths(home=tmp_path / "home", cache=TEST_CACHE))
    base = read_archive(built_archives("project-stats"))
    for version in ("1.0.0", "1.1.0", "1.2.0", "1.10.0"):
        path = tmp_path / f"project-stats-{version}.plugin"
        path.write_bytes(variant(base, version=version))
        store.install(read_archive(path), granted=frozenset({"fs"}), signer="k", marketplace="local")
    return store


def test_switch_makes_a_kept_version_current_with_the_given_grants(store: LocalStore) -> None:
    switched = store.switch("project-stats", "1.1.0", granted=frozenset({"fs", "process"}), expected_current="1.10.0")
    assert (switched.version, switched.granted, switched.marketplace) == ("1.1.0", {"fs", "process"}, "local")
    assert store.get("project-stats").version == "1.1.0"
    assert store.get("project-stats").directory.name == "1.1.0"


def test_switch_refuses_when_the_current_version_changed_meanwhile(store: LocalStore) -> None:
    with pytest.raises(StoreError) as refused:
        store.switch("project-stats", "1.1.0", granted=frozenset(), expected_current="1.2.0")
    assert refused.value.message == (
        "project-stats changed while acc was deciding (now 1.10.0, was 1.2.0): nothing was changed"
    )
    assert store.get("project-stats").version == "1.10.0"


def test_prune_keeps_the_current_and_the_newest_previous_versions_by_version_order(store: LocalStore) -> None:
    assert store.prune("project-stats", 2) == ("1.0.0",)
    assert store.get("project-stats").versions == ("1.1.0", "1.10.0", "1.2.0")
    assert not (store.paths.plugins / "project-stats" / "1.0.0").exists()
    store.switch("project-stats", "1.1.0", granted=frozenset(), expected_current="1.10.0")
    assert store.prune("project-stats", 0) == ("1.10.0", "1.2.0")
    assert sorted(p.name for p in (store.paths.plugins / "project-stats").iterdir()) == ["1.1.0"]


def test_a_state_file_written_before_marketplaces_and_rollback_still_loads_and_switches(store: LocalStore) -> None:
    """The state.json format is unchanged: entries without `marketplace` (older acc) read as archive installs."""
    state = json.loads(store.paths.state_file.read_text())
    for meta in state["plugins"]["project-stats"]["versions"].values():
        del meta["marketplace"]
    store.paths.state_file.write_text(json.dumps(state))
    installed = store.get("project-stats")
    assert (installed.version, installed.marketplace, installed.granted) == ("1.10.0", "", {"fs"})
    assert store.get_version("project-stats", "1.0.0").manifest().version.public == "1.0.0"
    assert store.switch("project-stats", "1.0.0", granted=frozenset(), expected_current="1.10.0").version == "1.0.0"


def _disk_full(*_: object, **__: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _state(store: LocalStore) -> str:
    return store.paths.state_file.read_text()


def test_a_full_disk_while_storing_files_leaves_the_store_and_staging_as_they_were(
    store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state(store)
    archive = read_archive(tmp_path / "project-stats-1.10.0.plugin")
    newer = tmp_path / "project-stats-1.11.0.plugin"
    newer.write_bytes(variant(archive, version="1.11.0"))
    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", _disk_full)
        with pytest.raises(OSError, match="No space left"):
            store.install(read_archive(newer), granted=frozenset(), signer="k", marketplace="local")
    assert _state(store) == before
    assert not (store.paths.plugins / "project-stats" / "1.11.0").exists()
    assert list(store.paths.staging.iterdir()) == []
    assert store.install(read_archive(newer), granted=frozenset(), signer="k").version == "1.11.0"


def test_a_full_disk_while_writing_the_state_keeps_the_old_state_and_a_retry_succeeds(
    store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state(store)
    newer = tmp_path / "project-stats-1.11.0.plugin"
    newer.write_bytes(variant(read_archive(tmp_path / "project-stats-1.10.0.plugin"), version="1.11.0"))
    with monkeypatch.context() as patched:
        patched.setattr("host.store.atomic_write_json", _disk_full)
        with pytest.raises(OSError, match="No space left"):
            store.install(read_archive(newer), granted=frozenset(), signer="k", marketplace="local")
    assert _state(store) == before  # the copied files are not named by the state: not installed
    assert store.get("project-stats").version == "1.10.0"
    assert store.install(read_archive(newer), granted=frozenset(), signer="k").version == "1.11.0"
    assert store.get("project-stats").versions == ("1.0.0", "1.1.0", "1.10.0", "1.11.0", "1.2.0")
