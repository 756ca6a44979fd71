"""The author's loop through the real `acc`: `acc plugin dev` builds and runs a plugin from its
directory without installing it, unsigned and saying so, with the grants it runs under shown;
an edit shows in the next run; a syntax error stops it at once with file:line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import TEST_CACHE
from tests.server_kit import acc

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ACC_HOME": str(tmp_path / "home"), "ACC_CACHE_DIR": str(TEST_CACHE)}


def test_dev_runs_the_source_unsigned_shows_its_grants_and_installs_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    acc("plugin", "new", "demo", env=env, cwd=tmp_path)
    run = acc("plugin", "dev", "demo", "visits", "--input", '{"name": "Ada"}', env=env, cwd=tmp_path)
    assert json.loads(run.stdout) == {"name": "Ada", "visits": 1}
    assert f"demo 0.1.0 from {tmp_path / 'demo'}" in run.stderr and "UNSIGNED development run" in run.stderr
    assert "  granted  kv: store data" in run.stderr
    # A throwaway home each run: nothing installed, no kv entry kept.
    assert json.loads(acc("plugin", "list", "--json", env=env, cwd=tmp_path).stdout) == []
    again = acc("plugin", "dev", "demo", "visits", "--input", '{"name": "Ada"}', env=env, cwd=tmp_path)
    assert json.loads(again.stdout)["visits"] == 1
    denied = acc("plugin", "dev", "demo", "visits", "--input", '{"name": "Ada"}', "--deny", "kv", env=env, cwd=tmp_path)
    assert json.loads(denied.stdout)["visits"] is None and "  denied   kv:" in denied.stderr


def test_an_edit_shows_in_the_next_run_and_a_syntax_error_stops_it_with_file_and_line(
    tmp_path: Path, env: dict[str, str]
) -> None:
    acc("plugin", "new", "demo", env=env, cwd=tmp_path)
    module = tmp_path / "demo" / "demo.py"
    module.write_text(module.read_text().replace('f"Hello, {name}!"', 'f"Hi there, {name}."'))
    run = acc("plugin", "dev", "demo", "hello", "--input", '{"name": "Ada"}', env=env, cwd=tmp_path)
    assert json.loads(run.stdout) == {"greeting": "Hi there, Ada."}
    assert "[demo] info: greeting Ada" in run.stderr
    module.write_text(module.read_text().replace("def hello(name: str) -> dict:", "def hello(name: str) -> dict"))
    broken = acc("plugin", "dev", "demo", "hello", "--input", '{"name": "Ada"}', env=env, cwd=tmp_path, ok=False)
    assert broken.stderr.startswith("error: demo.py:7:")
    assert "syntax error: expected ':'" in broken.stderr and "def hello(name: str) -> dict" in broken.stderr
