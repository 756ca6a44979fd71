"""`acc plugin build` reads the source before componentize-py runs: a syntax error is
file:line:column with the line, and the commands registered must be plugin.toml's, in a
second and without running the plugin's code."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sdk.build import build_plugin
from sdk.errors import BuildError
from sdk.manifest import load_manifest
from sdk.precheck import precheck
from sdk.scaffold import new_plugin
from tests.server_kit import ACC

MANIFEST = """name = "probe"
version = "1.0.0"
description = "x"
{commands}
"""


def _plugin(tmp_path: Path, files: dict[str, str], commands: tuple[str, ...] = ("hello",)) -> Path:
    root = tmp_path / "probe"
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    table = "".join(f'[[commands]]\nname = "{name}"\n' for name in commands)
    (root / "plugin.toml").write_text(MANIFEST.format(commands=table))
    (root / "README.md").write_text("# probe\n")
    return root


def _check(root: Path) -> object:
    return precheck(root, load_manifest((root / "plugin.toml").read_text()))


def test_a_syntax_error_names_the_file_line_and_column_and_shows_the_line(tmp_path: Path) -> None:
    root = _plugin(
        tmp_path, {"probe.py": "import acc_plugin\n\n\n@acc_plugin.command('hello')\ndef hello(:\n    pass\n"}
    )
    with pytest.raises(BuildError) as raised:
        _check(root)
    message = raised.value.message
    assert message.startswith("probe.py:5:11: syntax error: ")
    assert "\n    def hello(:\n              ^" in message


def test_a_syntax_error_in_a_module_the_plugin_imports_is_found_there(tmp_path: Path) -> None:
    files = {
        "probe.py": "import acc_plugin\nfrom helpers import util\n\n@acc_plugin.command()\ndef hello():\n    pass\n",
        "helpers/__init__.py": "from . import util\n",
        "helpers/util.py": "def broken(\n",
        "scripts/unused.py": "this is not python at all (\n",  # never imported: not the plugin's code
    }
    with pytest.raises(BuildError, match=r"^helpers/util\.py:1:\d+: syntax error"):
        _check(_plugin(tmp_path, files))


def test_commands_missing_from_the_source_or_from_plugin_toml_are_named_with_where(tmp_path: Path) -> None:
    files = {
        "probe.py": "from acc_plugin import command as cmd\nfrom . import more\n\n\n@cmd('hello')\ndef hello(): ...\n",
        "more.py": "import acc_plugin as ap\n\n\n@ap.command()\ndef extra_thing():\n    pass\n",
    }
    root = _plugin(tmp_path, files, commands=("hello", "goodbye"))
    with pytest.raises(BuildError) as raised:
        _check(root)
    assert raised.value.message == (
        "plugin.toml declares goodbye but probe registers no such command; "
        "more.py:5 registers 'extra-thing', which plugin.toml does not declare"
    )


def test_registrations_the_source_does_not_spell_out_are_left_to_the_build(tmp_path: Path) -> None:
    for body in (
        "import acc_plugin\nNAME = 'hello'\n\n@acc_plugin.command(NAME)\ndef f():\n    pass\n",
        "import acc_plugin\n\ndef f():\n    pass\n\nacc_plugin.command('hello')(f)\n",
        "from acc_plugin import command\nregister = command\n",
    ):
        result = _check(_plugin(tmp_path / str(abs(hash(body))), {"probe.py": body}, commands=("other",)))
        assert result.certain is False  # type: ignore[attr-defined]


def test_the_official_plugins_and_the_scaffold_pass(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    sources = [*sorted((repo / "official_plugins").iterdir()), new_plugin("fresh", tmp_path / "fresh")]
    for source in sources:
        manifest = load_manifest((source / "plugin.toml").read_text())
        result = precheck(source, manifest)
        assert result.certain and sorted(result.commands) == sorted(c.name for c in manifest.commands), source


def test_build_stops_at_the_precheck_before_componentize_py(tmp_path: Path) -> None:
    root = _plugin(tmp_path, {"probe.py": "def hello(:\n"})
    with pytest.raises(BuildError, match=r"^probe\.py:1:11: syntax error"):
        build_plugin(root, tmp_path / "out", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "out").exists()


def test_acc_plugin_build_reports_a_syntax_error_as_an_error_line(tmp_path: Path) -> None:
    root = _plugin(tmp_path, {"probe.py": "import acc_plugin\nx = (1,\n"})
    env = {**os.environ, "ACC_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [ACC, "plugin", "build", str(root)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 1
    assert "error: probe.py:2:5: syntax error: '(' was never closed" in proc.stderr
    assert "Traceback" not in proc.stderr and "componentize" not in proc.stderr
