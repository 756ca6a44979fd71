"""`acc plugin disable` / `enable`: a plugin stays installed but does not run and is no tool,
until it is enabled again; list, info and updates keep saying and keeping so."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.cli_kit import Acc, ServedRegistry


@pytest.fixture
def user(acc: Acc, built_archives: Callable[[str], Path]) -> Acc:
    acc("plugin", "install", str(built_archives("project-stats")), "--allow-unsigned-DANGEROUS", "--yes")
    return acc


def test_disable_stops_run_and_tools_until_enable(user: Acc, project: Path) -> None:
    assert user("plugin", "disable", "project-stats").stdout == (
        "disabled project-stats 1.0.0 (enable it again with `acc plugin enable project-stats`)\n"
    )
    refusal = (
        "error: project-stats is disabled: it stays installed but does not run and is not offered as a tool\n"
        "  hint: enable it with `acc plugin enable project-stats`\n"
    )
    ran = user("plugin", "run", "project-stats", "summary", "--project", str(project), code=1)
    assert (ran.stdout, ran.stderr) == ("", refusal)
    assert user("agent", "tools", "--plugins", "project-stats", code=1).stderr == refusal
    assert user("plugin", "disable", "project-stats").stdout == "project-stats is already disabled\n"

    assert user("plugin", "enable", "Project-Stats").stdout == "enabled project-stats 1.0.0\n"
    assert user("plugin", "enable", "project-stats").stdout == "project-stats is already enabled\n"
    assert json.loads(user("plugin", "run", "project-stats", "summary", "--project", str(project), "-q").stdout)
    assert user("agent", "tools", "--plugins", "project-stats").stdout.startswith("project-stats__summary\n")


def test_list_and_info_show_a_disabled_plugin(user: Acc) -> None:
    user("plugin", "disable", "project-stats")
    assert user("plugin", "list").stdout == "project-stats  1.0.0       granted: fs, process  (disabled)\n"
    assert [p["enabled"] for p in json.loads(user("plugin", "list", "--json").stdout)] == [False]
    info = user("plugin", "info", "project-stats").stdout
    assert (
        "  DISABLED: it does not run and is not offered as a tool "
        "(`acc plugin enable project-stats` enables it)\n" in info
    )
    assert json.loads(user("plugin", "info", "project-stats", "--json").stdout)["enabled"] is False


def test_disabling_a_plugin_others_need_says_who(acc: Acc, shop: ServedRegistry) -> None:
    acc.add(shop, "shop")
    acc("plugin", "install", "stats-old", "--yes")
    result = acc("plugin", "disable", "project-stats")
    assert result.stdout == "disabled project-stats 1.0.0 (enable it again with `acc plugin enable project-stats`)\n"
    assert result.stderr == "note: stats-old depends on project-stats: calls to it fail while it is disabled\n"


def test_an_update_keeps_a_plugin_disabled(acc: Acc, shop: ServedRegistry) -> None:
    acc.add(shop, "shop")
    acc("plugin", "install", "project-stats==1.0.0", "--yes")
    acc("plugin", "disable", "project-stats")
    assert acc("plugin", "update", "project-stats").stdout.endswith("updated project-stats 1.0.0 -> 1.1.0\n")
    listed = json.loads(acc("plugin", "list", "--json").stdout)
    assert [(p["version"], p["enabled"]) for p in listed] == [("1.1.0", False)]
