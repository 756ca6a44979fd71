"""The [agent] table of ACC_HOME/config.toml (host.agent.config): read, checked, refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from host.agent.config import load_agent_config
from host.errors import InputError


def test_no_config_file_means_no_defaults(tmp_path: Path) -> None:
    assert load_agent_config(tmp_path) == {}


def test_a_valid_table_is_returned_as_written(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[agent]\nmodel = "claude-haiku-4-5"\nplugins = ["git", "testing"]\nmax_turns = 5\nmax_seconds = 90.5\n'
        "retries = 0\n[other]\nignored = true\n"
    )
    assert load_agent_config(tmp_path) == {
        "model": "claude-haiku-4-5",
        "plugins": ["git", "testing"],
        "max_turns": 5,
        "max_seconds": 90.5,
        "retries": 0,
    }


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("[agent\n", "is not valid TOML"),
        ("agent = 3\n", "[agent] must be a table"),
        ("[agent]\nmax_turn = 5\n", "unknown key 'max_turn' in [agent]"),
        ('[agent]\nplugins = "git"\n', "[agent] plugins must be a list of plugin names"),
        ("[agent]\nplugins = [1]\n", "[agent] plugins must be a list of plugin names"),
        ("[agent]\nmax_turns = -1\n", "[agent] max_turns must be a non-negative number"),
        ("[agent]\nmax_tool_calls = true\n", "[agent] max_tool_calls must be a non-negative number"),
        ('[agent]\nretries = "4"\n', "[agent] retries must be a non-negative number"),
        ("[agent]\nmodel = 4\n", "[agent] model must be a string"),
    ],
)
def test_a_bad_table_is_refused_with_what_is_wrong(tmp_path: Path, text: str, refusal: str) -> None:
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(InputError) as refused:
        load_agent_config(tmp_path)
    assert refusal in refused.value.message
    assert str(tmp_path / "config.toml") in refused.value.message
