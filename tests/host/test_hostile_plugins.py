"""The hostile-plugin suite: each attempt is refused or contained, and the host keeps working.

Every test runs the real `hostile` component (built with componentize-py) in the real
host. After each refusal, `assert_still_works` makes a normal call through the same
PluginHost: a refusal must never take the host (or the next call) down with it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from host.errors import PluginTrap
from host.paths import HostPaths
from host.policy import HostPolicy
from host.runner import PluginHost, RunOptions
from sdk.archive import archive_bytes, read_archive
from tests.helpers import install_unsigned

pytestmark = pytest.mark.slow


def assert_still_works(host: PluginHost) -> None:
    result = host.run("hostile", "echo", {"still": "alive"})
    assert result["input"] == {"still": "alive"}


def test_reading_inside_the_project_works(hostile: PluginHost) -> None:
    result = hostile.run("hostile", "read", {"path": "/project/hello.txt"})
    assert result == {"ok": True, "value": "hello from the project\n"}


@pytest.mark.parametrize(
    "path", ["/project/../../etc/passwd", "/etc/passwd", "/project/../hello.txt", "../../../../etc/hostname"]
)
def test_paths_outside_the_project_are_not_reachable(hostile: PluginHost, path: str) -> None:
    result = hostile.run("hostile", "read", {"path": path})
    assert result["ok"] is False and result["kind"] == "os"
    assert_still_works(hostile)


def test_the_host_root_is_not_listable(hostile: PluginHost) -> None:
    result = hostile.run("hostile", "listdir", {"path": "/"})
    # Only the preopened project may be visible, never the host's directories.
    assert result["ok"] is False or set(result["value"]) <= {"project"}
    assert_still_works(hostile)


def test_a_symlink_inside_the_project_pointing_outside_is_refused(
    hostile: PluginHost, project: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("must not leak")
    os.symlink(secret, project / "link-out")
    result = hostile.run("hostile", "read", {"path": "/project/link-out"})
    assert result["ok"] is False
    assert "must not leak" not in str(result)
    assert_still_works(hostile)


def test_writing_to_a_read_only_grant_is_refused(hostile: PluginHost, project: Path) -> None:
    result = hostile.run("hostile", "write", {"path": "/project/hello.txt", "text": "overwritten"})
    assert (result["ok"] is False and "PermissionError" in result["error"]) or "Read-only" in result["error"]
    assert (project / "hello.txt").read_text() == "hello from the project\n"
    result = hostile.run("hostile", "write", {"path": "/project/new.txt", "text": "x"})
    assert result["ok"] is False
    assert not (project / "new.txt").exists()
    assert_still_works(hostile)


def test_the_environment_and_argv_are_empty(hostile: PluginHost, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACC_TEST_LEAK", "leaked-value")
    result = hostile.run("hostile", "env", {})
    assert result["environ"] == {}
    assert "leaked-value" not in str(result)
    assert_still_works(hostile)


def test_sockets_cannot_connect(hostile: PluginHost) -> None:
    # The guest's CPython has no socket module at all; wasi:sockets is linked with no network.
    result = hostile.run("hostile", "socket", {"host": "127.0.0.1", "port": 9})
    assert result["ok"] is False and result["kind"] == "os"
    assert_still_works(hostile)


def test_a_program_not_on_the_allowlist_is_denied(hostile: PluginHost) -> None:
    result = hostile.run("hostile", "run", {"program": "sh", "args": ["-c", "echo pwned"]})
    assert result["ok"] is False and result["kind"] == "denied"
    assert "sh" in result["error"]
    assert_still_works(hostile)


def test_an_allowed_program_runs_in_the_project(hostile: PluginHost) -> None:
    result = hostile.run("hostile", "run", {"program": "git", "args": ["version"]})
    assert result["ok"] is True and result["value"]["stdout"].startswith("git version")


@pytest.mark.parametrize(
    "args",
    [
        ["-c", "core.sshCommand=touch /tmp/acc-pwned", "status"],
        ["--upload-pack=touch /tmp/acc-pwned", "status"],
        ["log", "--upload-pack=touch /tmp/acc-pwned"],
        ["fetch", "--upload-pack=touch /tmp/acc-pwned", "origin"],
        ["diff", "--output=/tmp/acc-pwned"],
        ["-C", "/", "status"],
        ["config", "core.pager", "touch /tmp/acc-pwned"],
    ],
    ids=[
        "dash-c-ssh-command",
        "global-upload-pack",
        "log-upload-pack",
        "fetch",
        "diff-output",
        "dash-C-root",
        "config-write",
    ],
)
def test_argument_tricks_on_git_are_refused(hostile: PluginHost, args: list[str]) -> None:
    result = hostile.run("hostile", "run", {"program": "git", "args": args})
    assert result["ok"] is False and result["kind"] in {"invalid", "denied"}
    assert not Path("/tmp/acc-pwned").exists()
    assert_still_works(hostile)


def test_an_infinite_loop_is_stopped_by_the_deadline(hostile: PluginHost) -> None:
    with pytest.raises(PluginTrap) as trap:
        hostile.run("hostile", "loop", {})
    assert trap.value.limit == "time"
    assert "time limit" in trap.value.message
    assert_still_works(hostile)


def test_a_memory_bomb_is_stopped_by_the_memory_limit(hostile: PluginHost) -> None:
    with pytest.raises(Exception) as caught:
        hostile.run("hostile", "membomb", {})
    error = caught.value
    assert getattr(error, "limit", None) == "memory" or getattr(error, "kind", None) == "limit"
    assert "memory" in str(error)
    assert_still_works(hostile)


def test_a_stdout_flood_is_capped(hostile: PluginHost) -> None:
    result = hostile.run("hostile", "flood", {})
    assert result == {"printed": 2_000}  # 2 MB printed, more than the 1 MiB log cap
    sandbox = hostile._sandboxes["hostile"]
    assert sandbox.log.used_bytes <= sandbox.log.max_bytes
    assert sandbox.log.dropped_bytes > 0
    assert_still_works(hostile)


def test_deep_recursion_is_stopped(hostile: PluginHost) -> None:
    with pytest.raises(Exception) as caught:
        hostile.run("hostile", "recurse", {})
    assert "recurs" in str(caught.value)
    assert_still_works(hostile)


def test_recursion_past_pythons_limit_is_stopped_by_the_wasm_stack(hostile: PluginHost) -> None:
    with pytest.raises(Exception) as caught:
        hostile.run("hostile", "recurse", {"limit": 10_000_000})
    assert isinstance(caught.value, PluginTrap) or "recurs" in str(caught.value)
    assert_still_works(hostile)


def test_a_declared_but_denied_capability_gets_denied(hostile: PluginHost) -> None:
    result = hostile.run("hostile", "fetch", {"url": "http://127.0.0.1:1/"})
    assert result["ok"] is False and result["kind"] == "denied"
    assert "acc plugin grant hostile http" in result["error"]
    assert_still_works(hostile)


def test_a_call_cycle_between_plugins_is_refused(hostile: PluginHost) -> None:
    result = hostile.run(
        "hostile", "call", {"plugin": "relay", "command": "call", "input": {"plugin": "hostile", "command": "echo"}}
    )
    assert result["ok"] is True
    inner = result["value"]
    assert inner["ok"] is False and inner["kind"] == "denied"
    assert "cycle" in inner["error"] and "hostile → relay → hostile" in inner["error"]
    assert_still_works(hostile)


def test_a_callee_runs_under_its_own_grants(hostile: PluginHost) -> None:
    # hostile may read the project; relay has no fs grant, so the same read fails inside relay.
    result = hostile.run(
        "hostile", "call", {"plugin": "relay", "command": "read", "input": {"path": "/project/hello.txt"}}
    )
    assert result["ok"] is True
    assert result["value"]["ok"] is False


def test_calling_a_plugin_outside_the_grant_is_denied(hostile: PluginHost) -> None:
    result = hostile.run("hostile", "call", {"plugin": "project-stats", "command": "summary"})
    assert result["ok"] is False and result["kind"] == "denied"


def test_kv_quota_is_enforced_and_data_persists(hostile: PluginHost) -> None:
    assert hostile.run("hostile", "kv-set", {"key": "a", "value": "1"})["ok"] is True
    assert hostile.run("hostile", "kv-get", {"key": "a"}) == {"ok": True, "value": "1"}
    over = hostile.run("hostile", "kv-set", {"key": "b", "value": "x" * 5000})
    assert over["ok"] is False and over["kind"] == "limit"
    assert hostile.run("hostile", "kv-get", {"key": "b"}) == {"ok": True, "value": None}


def test_only_named_secrets_are_readable(hostile: PluginHost) -> None:
    assert hostile.run("hostile", "secret", {"name": "ACC_TEST_SECRET"}) == {"ok": True, "value": "s3cret"}
    other = hostile.run("hostile", "secret", {"name": "HOME_SECRET"})
    assert other["ok"] is False and other["kind"] == "denied"


def test_an_oversized_result_is_refused(hostile: PluginHost) -> None:
    limit = hostile.options.policy.max_result_bytes
    with pytest.raises(PluginTrap) as trap:
        hostile.run("hostile", "big-result", {"size": limit + 10})
    assert trap.value.limit == "result size"
    assert_still_works(hostile)


def test_the_plugin_learns_its_grants_at_initialize(hostile: PluginHost) -> None:
    config = hostile.run("hostile", "echo", {})["config"]
    assert config["plugin"] == "hostile"
    assert config["project"] == "/project"
    assert "http" not in config["granted"] and "fs" in config["granted"]


def test_an_instruction_budget_stops_a_loop_deterministically(hostile_home: HostPaths, project: Path) -> None:
    options = RunOptions(project_dir=project, policy=HostPolicy(fuel_per_call=2_000_000_000))
    with PluginHost(hostile_home, options) as host:
        with pytest.raises(PluginTrap) as trap:
            host.run("hostile", "loop", {})
        assert trap.value.limit == "fuel"
        assert_still_works(host)


def test_nested_plugin_calls_are_depth_limited(hostile_home: HostPaths, project: Path) -> None:
    options = RunOptions(project_dir=project, policy=HostPolicy(max_call_depth=1))
    with PluginHost(hostile_home, options) as host:
        result = host.run("hostile", "call", {"plugin": "relay", "command": "read", "input": {"path": "/x"}})
        assert result["ok"] is False and result["kind"] == "limit"
        assert "deeper than 1" in result["error"]


def test_a_read_write_fs_grant_allows_writes_inside_the_project_only(
    acc_home: HostPaths, built_archives: Callable[[str], Path], project: Path, tmp_path: Path
) -> None:
    # Same component, manifest asking for read-write: fs has no import, so the wasm is unchanged.
    real = read_archive(built_archives("hostile"))
    writable = tmp_path / "hostile-1.0.0.plugin"
    writable.write_bytes(
        archive_bytes(real.manifest_text.replace('access = "read"', 'access = "read-write"'), real.wasm, real.readme)
    )
    install_unsigned(acc_home, writable, grant=("fs",), deny=("process", "plugins", "kv", "secrets", "http"))
    with PluginHost(acc_home, RunOptions(project_dir=project)) as host:
        assert host.run("hostile", "write", {"path": "/project/new.txt", "text": "made"})["ok"] is True
        assert (project / "new.txt").read_text() == "made"
        outside = host.run("hostile", "write", {"path": "/project/../escaped.txt", "text": "x"})
        assert outside["ok"] is False
        assert not (project.parent / "escaped.txt").exists()


def test_kv_denied_reaches_the_guest_as_denied(
    acc_home: HostPaths, built_archives: Callable[[str], Path], project: Path
) -> None:
    # kv.get returns result<option<list<u8>>, error>: an error must not be mistaken for
    # "some value" (host/wasmtime_compat.py), or the guest would crash instead of degrading.
    install_unsigned(
        acc_home, built_archives("hostile"), grant=("fs",), deny=("process", "plugins", "kv", "secrets", "http")
    )
    with PluginHost(acc_home, RunOptions(project_dir=project)) as host:
        got = host.run("hostile", "kv-get", {"key": "a"})
        assert got["ok"] is False and got["kind"] == "denied"
        assert "acc plugin grant hostile kv" in got["error"]
        put = host.run("hostile", "kv-set", {"key": "a", "value": "1"})
        assert put["ok"] is False and put["kind"] == "denied"
