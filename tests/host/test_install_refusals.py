"""Installing refuses what must not run, and a refused or interrupted install changes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from host.errors import LoadError, StoreError
from host.install import InstallRequest, install_archive
from host.paths import HostPaths
from host.store import LocalStore
from sdk.archive import archive_bytes, read_archive
from sdk.errors import SignatureError
from tests.helpers import install_unsigned

pytestmark = pytest.mark.slow


def _state(paths: HostPaths) -> bytes | None:
    return paths.state_file.read_bytes() if paths.state_file.exists() else None


def test_a_component_importing_an_undeclared_interface_is_refused(
    acc_home: HostPaths, built_archives: Callable[[str], Path], tmp_path: Path
) -> None:
    # hostile's component imports http; repack it with a manifest that says nothing of http.
    real = read_archive(built_archives("hostile"))
    start = real.manifest_text.index("[capabilities.http]")
    end = real.manifest_text.index("[limits]")
    lying = real.manifest_text[:start] + real.manifest_text[end:]
    forged = tmp_path / "hostile-1.0.0.plugin"
    forged.write_bytes(archive_bytes(lying, real.wasm, real.readme))
    with pytest.raises(LoadError, match="imports acc:plugin/http@1.0.0, a capability its manifest does not"):
        install_unsigned(acc_home, forged, yes=True)
    assert _state(acc_home) is None


def test_a_plugin_needing_another_abi_is_refused(
    acc_home: HostPaths, built_archives: Callable[[str], Path], tmp_path: Path
) -> None:
    real = read_archive(built_archives("project-stats"))
    future = tmp_path / "project-stats-1.0.0.plugin"
    future.write_bytes(
        archive_bytes(real.manifest_text.replace('api = ">=1.0,<2"', 'api = ">=2.0"'), real.wasm, real.readme)
    )
    with pytest.raises(LoadError, match="needs plugin ABI >=2.0; this host supports 1.0.0"):
        install_unsigned(acc_home, future, yes=True)


def test_an_invalid_component_is_refused(
    acc_home: HostPaths, built_archives: Callable[[str], Path], tmp_path: Path
) -> None:
    real = read_archive(built_archives("project-stats"))
    broken = tmp_path / "project-stats-1.0.0.plugin"
    broken.write_bytes(archive_bytes(real.manifest_text, real.wasm[:4096], real.readme))
    with pytest.raises(LoadError, match="not a valid WebAssembly component"):
        install_unsigned(acc_home, broken, yes=True)
    assert _state(acc_home) is None


def test_unsigned_and_untrusted_archives_are_refused(
    acc_home: HostPaths, built_archives: Callable[[str], Path], tmp_path: Path
) -> None:
    from sdk.signing import generate_keypair, sign_archive

    archive = tmp_path / "project-stats-1.0.0.plugin"
    archive.write_bytes(built_archives("project-stats").read_bytes())
    with pytest.raises(SignatureError, match="is not signed"):
        install_archive(acc_home, InstallRequest(archive=archive, yes=True))
    generate_keypair(tmp_path / "stranger.key")
    sign_archive(archive, tmp_path / "stranger.key")
    with pytest.raises(SignatureError, match="which is not trusted") as untrusted:
        install_archive(acc_home, InstallRequest(archive=archive, yes=True))
    assert "acc trust add" in untrusted.value.diagnostics()
    assert _state(acc_home) is None


def test_a_tampered_archive_fails_its_signature(
    acc_home: HostPaths, built_archives: Callable[[str], Path], tmp_path: Path
) -> None:
    from host.trust import TrustStore
    from sdk.signing import generate_keypair, sign_archive

    archive = tmp_path / "project-stats-1.0.0.plugin"
    archive.write_bytes(built_archives("project-stats").read_bytes())
    TrustStore(acc_home).add(generate_keypair(tmp_path / "me.key"))
    sign_archive(archive, tmp_path / "me.key")
    real = read_archive(archive)
    archive.write_bytes(archive_bytes(real.manifest_text.replace("Counts", "Kounts"), real.wasm, real.readme))
    with pytest.raises(SignatureError):
        install_archive(acc_home, InstallRequest(archive=archive, yes=True))
    assert _state(acc_home) is None


def test_no_answer_for_a_capability_refuses_instead_of_guessing(
    acc_home: HostPaths, built_archives: Callable[[str], Path]
) -> None:
    with pytest.raises(StoreError, match="no terminal to ask"):
        install_unsigned(acc_home, built_archives("project-stats"))
    with pytest.raises(StoreError, match="does not declare the http capability"):
        install_unsigned(acc_home, built_archives("project-stats"), grant=("http",))
    assert _state(acc_home) is None


def test_grants_and_denials_are_recorded_per_capability(
    acc_home: HostPaths, built_archives: Callable[[str], Path]
) -> None:
    install_unsigned(acc_home, built_archives("project-stats"), grant=("fs",), deny=("process",))
    assert LocalStore(acc_home).get("project-stats").granted == frozenset({"fs"})
    LocalStore(acc_home).set_grant("project-stats", "process", True)
    assert LocalStore(acc_home).get("project-stats").granted == frozenset({"fs", "process"})


def test_reinstalling_a_version_from_other_bytes_needs_reinstall(
    acc_home: HostPaths, built_archives: Callable[[str], Path], tmp_path: Path
) -> None:
    install_unsigned(acc_home, built_archives("project-stats"), yes=True)
    install_unsigned(acc_home, built_archives("project-stats"), yes=True)  # same bytes: idempotent
    real = read_archive(built_archives("project-stats"))
    other = tmp_path / "project-stats-1.0.0.plugin"
    other.write_bytes(archive_bytes(real.manifest_text, real.wasm, real.readme + "\nchanged\n"))
    with pytest.raises(StoreError, match="already installed from a different archive"):
        install_unsigned(acc_home, other, yes=True)
    assert LocalStore(acc_home).get("project-stats").archive_sha256 == real.sha256


def test_killing_an_install_at_any_moment_leaves_the_store_consistent(
    acc_home: HostPaths, built_archives: Callable[[str], Path], tmp_path: Path
) -> None:
    """SIGKILL an install at several points: state.json is always the old or the new one,
    and whatever it names is complete on disk."""
    install_unsigned(acc_home, built_archives("relay"), yes=True)
    before = _state(acc_home)
    assert before is not None
    script = (
        "from pathlib import Path; from host.paths import HostPaths;"
        "from tests.helpers import install_unsigned;"
        f"install_unsigned(HostPaths(Path({str(acc_home.home)!r}), Path({str(acc_home.cache)!r})),"
        f"Path({str(built_archives('project-stats'))!r}), yes=True)"
    )
    repo = Path(__file__).resolve().parents[2]
    outcomes = set()
    for delay in (0.05, 0.15, 0.3, 0.45, 0.6, 0.8, 1.2):
        proc = subprocess.Popen([sys.executable, "-c", script], cwd=repo)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        state = json.loads(acc_home.state_file.read_text())
        names = sorted(state["plugins"])
        outcomes.add(tuple(names))
        assert names in (["relay"], ["project-stats", "relay"])
        for name, entry in state["plugins"].items():
            directory = acc_home.plugins / name / entry["current"]
            wasm = (directory / "plugin.wasm").read_bytes()
            assert hashlib.sha256(wasm).hexdigest() == entry["versions"][entry["current"]]["wasm_sha256"]
        if names == ["project-stats", "relay"]:
            LocalStore(acc_home).remove("project-stats")
            assert _state(acc_home) is not None
    assert ("relay",) in outcomes  # at least one kill landed before the switch


def test_an_installed_component_changed_on_disk_is_refused_not_compiled(
    tmp_path: Path, built_archives: Callable[[str], Path]
) -> None:
    # An empty compiled cache forces a compile, which must only ever see the verified bytes.
    paths = HostPaths(home=tmp_path / "home", cache=tmp_path / "fresh-cache")
    from tests.helpers import TEST_CACHE

    install_unsigned(HostPaths(home=paths.home, cache=TEST_CACHE), built_archives("relay"), yes=True)
    installed = LocalStore(paths).get("relay")
    wasm = installed.wasm_path.read_bytes()
    installed.wasm_path.write_bytes(wasm[:-1] + bytes([wasm[-1] ^ 1]))
    from host.runner import PluginHost

    with PluginHost(paths) as host, pytest.raises(LoadError, match="does not match the hash recorded"):
        host.run("relay", "read", {"path": "/x"})
    assert not list(paths.compiled.glob("*.cwasm"))
