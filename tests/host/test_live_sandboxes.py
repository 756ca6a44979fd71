"""A long-lived host keeps at most `HostPolicy.max_live_sandboxes` sandboxes open: the least
recently used idle one is closed (cleanup run, bindings closed) and reopened fresh on its
next call; a plugin in the middle of a call is never closed to make room."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from host.paths import HostPaths
from host.policy import HostPolicy
from host.runner import PluginHost, RunOptions


def _host(paths: HostPaths, project: Path, limit: int) -> PluginHost:
    return PluginHost(paths, RunOptions(project_dir=project, policy=HostPolicy(max_live_sandboxes=limit)))


@pytest.fixture
def one_live(hostile_home: HostPaths, project: Path) -> Iterator[PluginHost]:
    with _host(hostile_home, project, 1) as host:
        yield host


def test_opening_a_plugin_beyond_the_limit_closes_the_least_recently_used(one_live: PluginHost) -> None:
    assert one_live.run("hostile", "remember", {"value": "a"}) == []
    assert one_live.run("hostile", "remember", {"value": "b"}) == ["a"]  # the same instance
    assert one_live.run("relay", "read", {"path": "/nonexistent"})["ok"] is False
    assert one_live.live_sandboxes() == ["relay"]
    # Reopened on its next call: a fresh instance, whose heap remembers nothing.
    assert one_live.run("hostile", "remember", {"value": "c"}) == []
    assert one_live.live_sandboxes() == ["hostile"]


def test_under_the_limit_every_plugin_stays_open_in_order_of_use(hostile_home: HostPaths, project: Path) -> None:
    with _host(hostile_home, project, 2) as host:
        host.run("hostile", "remember", {"value": "a"})
        host.run("relay", "read", {"path": "/nonexistent"})
        host.run("hostile", "echo", {})
        assert host.live_sandboxes() == ["relay", "hostile"]
        assert host.run("hostile", "remember", {"value": "b"}) == ["a"]


def test_a_plugin_in_the_middle_of_a_call_is_not_closed_to_make_room(one_live: PluginHost) -> None:
    # relay is mid-call while hostile opens: both stay open until the outer call returns,
    # then the callee (used less recently than its caller) closes.
    result = one_live.run("relay", "call", {"plugin": "hostile", "command": "remember", "input": {"value": "x"}})
    assert result == {"ok": True, "value": []}
    assert one_live.live_sandboxes() == ["relay"]
    call = {"plugin": "relay", "command": "read", "input": {"path": "/nonexistent"}}
    assert one_live.run("hostile", "call", call)["ok"] is True
    assert one_live.live_sandboxes() == ["hostile"]


def test_a_closed_plugin_s_kv_store_is_closed_and_its_data_kept(one_live: PluginHost) -> None:
    assert one_live.run("hostile", "kv-set", {"key": "k", "value": "v"})["ok"] is True
    one_live.run("relay", "read", {"path": "/nonexistent"})
    assert one_live.live_sandboxes() == ["relay"]
    assert "hostile" not in one_live._closers  # its kv binding's connection was closed with it
    assert one_live.run("hostile", "kv-get", {"key": "k"}) == {"ok": True, "value": "v"}


def test_the_limit_is_set_in_config_toml(tmp_path: Path) -> None:
    from host.policy import load_policy

    assert load_policy(tmp_path).max_live_sandboxes == 8
    (tmp_path / "config.toml").write_text("[limits]\nmax_live_sandboxes = 2\n")
    assert load_policy(tmp_path).max_live_sandboxes == 2
