"""A read-write fs capability granted for reading only: stored, kept through updates and
rollbacks, shown, and bound as a read-only preopen (the wall that makes it true; the files
plugin's component tests show the plugin's writes refused through it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from acc_cli.root import cli
from host.capabilities import BindContext, bind_granted
from host.capabilities.process import writes_project
from host.errors import StoreError
from host.paths import HostPaths
from host.policy import HostPolicy
from host.store import LocalStore
from sdk.archive import read_archive
from sdk.manifest import load_manifest
from tests.helpers import PLUGIN_SOURCES, TEST_CACHE
from tests.registry_kit import variant


def _context(manifest_text: str, project: Path, tmp_path: Path, read_only: frozenset[str]) -> BindContext:
    def unused(*_: object) -> object:
        raise AssertionError("not used by the fs and process bindings")

    return BindContext(
        manifest=load_manifest(manifest_text),
        granted=frozenset({"fs", "process"}),
        paths=HostPaths(home=tmp_path / "home", cache=TEST_CACHE),
        policy=HostPolicy(),
        project_dir=project,
        secret_source={},
        user_config_environment={},
        llm=unused,  # type: ignore[arg-type]
        plugins=unused,  # type: ignore[arg-type]
        on_close=lambda _: None,
        fail_run=unused,  # type: ignore[arg-type]
        read_only=read_only,
    )


def test_a_read_write_fs_narrowed_to_reading_is_bound_as_a_read_only_preopen(tmp_path: Path) -> None:
    text = (PLUGIN_SOURCES["files"] / "plugin.toml").read_text()
    full = _context(text, tmp_path, tmp_path, frozenset())
    narrowed = _context(text, tmp_path, tmp_path, frozenset({"fs"}))
    assert [p.writable for p in bind_granted(full.manifest, frozenset({"fs"}), full)["fs"].preopens] == [True]
    assert [p.writable for p in bind_granted(full.manifest, frozenset({"fs"}), narrowed)["fs"].preopens] == [False]
    assert bind_granted(full.manifest, frozenset(), narrowed) == {}


def test_programs_never_see_the_project_writable_on_account_of_a_narrowed_fs_grant(tmp_path: Path) -> None:
    text = (PLUGIN_SOURCES["files"] / "plugin.toml").read_text()
    assert writes_project(_context(text, tmp_path, tmp_path, frozenset())) is True
    assert writes_project(_context(text, tmp_path, tmp_path, frozenset({"fs"}))) is False


@pytest.fixture
def store(tmp_path: Path, built_archives: Callable[[str], Path]) -> LocalStore:
    """project-stats 1.0.0 installed with fs and process granted."""
    store = LocalStore(HostPaths(home=tmp_path / "home", cache=TEST_CACHE))
    store.install(read_archive(built_archives("project-stats")), granted=frozenset({"fs", "process"}), signer="k")
    return store


@pytest.mark.slow
def test_the_narrowing_is_stored_shown_and_lifted_by_a_full_grant_or_a_revoke(store: LocalStore) -> None:
    narrowed = store.set_grant("project-stats", "fs", True, read_only=True)
    assert (narrowed.granted, narrowed.read_only) == ({"fs", "process"}, {"fs"})
    assert store.set_grant("project-stats", "fs", True).read_only == frozenset()
    store.set_grant("project-stats", "fs", True, read_only=True)
    revoked = store.set_grant("project-stats", "fs", False)
    assert (revoked.granted, revoked.read_only) == ({"process"}, frozenset())
    with pytest.raises(StoreError, match="only fs can be granted read-only, not process"):
        store.set_grant("project-stats", "process", True, read_only=True)


@pytest.mark.slow
def test_an_update_or_a_rollback_keeps_fs_read_only_while_it_stays_granted(
    store: LocalStore, tmp_path: Path, built_archives: Callable[[str], Path]
) -> None:
    store.set_grant("project-stats", "fs", True, read_only=True)
    path = tmp_path / "project-stats-1.1.0.plugin"
    path.write_bytes(variant(read_archive(built_archives("project-stats")), version="1.1.0"))
    updated = store.install(read_archive(path), granted=frozenset({"fs", "process"}), signer="k")
    assert (updated.version, updated.read_only) == ("1.1.0", {"fs"})
    rolled_back = store.switch("project-stats", "1.0.0", granted=frozenset({"fs"}), expected_current="1.1.0")
    assert rolled_back.read_only == {"fs"}
    without_fs = store.switch("project-stats", "1.1.0", granted=frozenset({"process"}), expected_current="1.0.0")
    assert without_fs.read_only == frozenset()
    again = store.switch("project-stats", "1.0.0", granted=frozenset({"fs"}), expected_current="1.1.0")
    assert again.read_only == frozenset(), "a narrowing dropped with its grant does not come back"


@pytest.mark.slow
def test_acc_plugin_grant_read_only_says_so_and_list_shows_it(store: LocalStore) -> None:
    env = {"ACC_HOME": str(store.paths.home), "ACC_CACHE_DIR": str(TEST_CACHE)}
    granted = CliRunner().invoke(cli, ["plugin", "grant", "project-stats", "fs", "--read-only"], env=env)
    assert granted.exit_code == 0, granted.output
    assert granted.output == "granted fs to project-stats for reading only\n"
    listed = CliRunner().invoke(cli, ["plugin", "list"], env=env)
    assert "granted: fs (read-only), process" in listed.output
    refused = CliRunner().invoke(cli, ["plugin", "grant", "project-stats", "process", "--read-only"], env=env)
    assert refused.exit_code == 1 and "only fs can be granted read-only" in refused.output
