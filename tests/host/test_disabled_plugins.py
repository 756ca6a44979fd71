"""A disabled plugin stays installed but does not run: `LocalStore.runnable` is what the host,
the agent's tools and inter-plugin calls ask, and it refuses one the user disabled."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from host.errors import PluginDisabled
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from host.store import LocalStore
from host.tools import plugin_tools
from tests.helpers import install_unsigned


@pytest.fixture
def home(acc_home: HostPaths, built_archives: Callable[[str], Path]) -> HostPaths:
    install_unsigned(
        acc_home, built_archives("hostile"), grant=("fs", "plugins", "kv"), deny=("http", "process", "secrets")
    )
    install_unsigned(acc_home, built_archives("relay"), yes=True)
    return acc_home


def test_the_state_carries_enabled_and_keeps_versions_and_grants(home: HostPaths) -> None:
    store = LocalStore(home)
    before = store.get("relay")
    disabled, changed = store.set_enabled("Relay", False)
    assert changed and disabled.enabled is False
    assert (disabled.versions, disabled.granted) == (before.versions, before.granted)
    assert store.set_enabled("relay", False) == (disabled, False)
    enabled, changed = store.set_enabled("relay", True)
    assert changed and enabled == before


def test_a_disabled_plugin_does_not_run(home: HostPaths, project: Path) -> None:
    LocalStore(home).set_enabled("relay", False)
    with PluginHost(home, RunOptions(project_dir=project)) as host, pytest.raises(PluginDisabled) as refused:
        host.run("relay", "read", {"path": "/x"})
    assert refused.value.message == (
        "relay is disabled: it stays installed but does not run and is not offered as a tool"
    )
    assert refused.value.hint == "enable it with `acc plugin enable relay`"


def test_a_call_from_another_plugin_to_a_disabled_one_is_denied(home: HostPaths, project: Path) -> None:
    LocalStore(home).set_enabled("relay", False)
    with PluginHost(home, RunOptions(project_dir=project)) as host:
        result = host.run("hostile", "call", {"plugin": "relay", "command": "read", "input": {"path": "/x"}})
    assert result["ok"] is False and result["kind"] == "denied"
    assert "relay is disabled" in result["error"] and "acc plugin enable relay" in result["error"]


def test_a_disabled_plugin_is_offered_as_no_tool(home: HostPaths) -> None:
    store = LocalStore(home)
    assert [t.name for t in plugin_tools(store, ["relay"])] == ["relay__call", "relay__read"]
    store.set_enabled("relay", False)
    with pytest.raises(PluginDisabled):
        plugin_tools(store, ["relay"])
