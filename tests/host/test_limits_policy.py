"""Every limit is reachable: host ceilings in HostPolicy (from ACC_HOME/config.toml), a plugin's
ask in its manifest's [limits], the smaller one applying; fuel included."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from host.errors import PluginTrap
from host.paths import HostPaths
from host.policy import HostPolicy, PolicyError, load_policy
from host.runner import PluginHost, RunOptions
from sdk.archive import archive_bytes, read_archive
from sdk.errors import ManifestError
from sdk.manifest import MAX_FUEL, load_manifest
from tests.helpers import install_unsigned

MANIFEST = """
name = "demo"
version = "1.0.0"
description = "d"
[limits]
{limits}
[[commands]]
name = "go"
"""


def test_a_manifest_asks_for_fuel_in_its_limits() -> None:
    assert load_manifest(MANIFEST.format(limits="fuel = 5000000")).limits.fuel == 5_000_000
    assert load_manifest(MANIFEST.format(limits="")).limits.fuel is None


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "true", '"lots"', str(MAX_FUEL + 1)])
def test_a_bad_fuel_ask_is_refused(value: str) -> None:
    with pytest.raises(ManifestError, match="fuel must be an integer"):
        load_manifest(MANIFEST.format(limits=f"fuel = {value}"))


@pytest.mark.parametrize(
    ("ceiling", "ask", "applied"),
    [(None, None, None), (None, 1000, 1000), (500, None, 500), (500, 1000, 500), (5000, 1000, 1000)],
)
def test_the_smaller_of_the_hosts_ceiling_and_the_manifests_ask_applies(
    ceiling: int | None, ask: int | None, applied: int | None
) -> None:
    assert HostPolicy(fuel_per_call=ceiling).fuel(ask) == applied


def test_the_host_policy_is_read_from_config_toml(tmp_path: Path) -> None:
    assert load_policy(tmp_path) == HostPolicy()
    (tmp_path / "config.toml").write_text(
        "[agent]\nmodel = 'x'\n[limits]\nfuel_per_call = 1000000\nmax_timeout_seconds = 10\nmax_log_records = 50\n"
    )
    policy = load_policy(tmp_path)
    assert (policy.fuel_per_call, policy.max_timeout_seconds, policy.max_log_records) == (1_000_000, 10, 50)
    assert policy.timeout_seconds(30) == 10


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("fuel_per_call = 0", "must be a positive number"),
        ("max_memory_mb = 1.5", "must be a whole number"),
        ("nonsense = 1", "has no setting 'nonsense'"),
        ("fuel_per_call = 'lots'", "must be a positive number"),
    ],
)
def test_a_bad_limits_table_is_a_clear_error(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(f"[limits]\n{table}\n")
    with pytest.raises(PolicyError, match=message):
        load_policy(tmp_path)


@pytest.mark.slow
def test_a_manifests_fuel_stops_a_loop_without_a_host_ceiling(
    acc_home: HostPaths, built_archives: Callable[[str], Path], project: Path, tmp_path: Path
) -> None:
    real = read_archive(built_archives("hostile"))
    fueled = tmp_path / "hostile-1.0.0.plugin"
    manifest = real.manifest_text.replace("timeout_seconds = 3", "timeout_seconds = 3\nfuel = 2000000000")
    fueled.write_bytes(archive_bytes(manifest, real.wasm, real.readme))
    install_unsigned(acc_home, fueled, grant=("fs",), deny=("process", "plugins", "kv", "secrets", "http"))
    with PluginHost(acc_home, RunOptions(project_dir=project, policy=HostPolicy())) as host:
        with pytest.raises(PluginTrap) as trap:
            host.run("hostile", "loop", {})
        assert trap.value.limit == "fuel"
        assert host.run("hostile", "echo", {"still": "alive"})["input"] == {"still": "alive"}
