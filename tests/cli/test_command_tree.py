"""The shape of the `acc` command tree (acc_cli/): the lazy tables resolve, the folders mirror
the commands, `--help` stays lazy, and only terminal.py talks to the terminal."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

import acc_cli
from acc_cli.lazy import LazyGroup
from acc_cli.root import cli

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "acc_cli"
#: What `acc --help` may import of acc_cli: the root and what it is made of, no command.
ROOT_MODULES = {"acc_cli", "acc_cli.root", "acc_cli.lazy", "acc_cli.terminal", "acc_cli.fast"}
HEAVY = (
    "wasmtime",
    "sigstore",
    "flask",
    "sqlalchemy",
    "anthropic",
    "jsonschema",
    "tuf",
    "urllib3",
    "mcp",
    "mcp_types",
    "pydantic",
    "starlette",
    "uvicorn",
    "anyio",
)


def _walk(group: LazyGroup, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], str, str, click.Command]]:
    """(group path, command name, "module:attr", command) for every table entry under `group`."""
    entries = []
    ctx = click.Context(group, info_name=path[-1] if path else "acc")
    for name, (target, short_help) in sorted(group.lazy.items()):
        assert short_help.strip(), f"{' '.join((*path, name))}: the table gives no short help"
        command = group.get_command(ctx, name)
        assert isinstance(command, click.Command)
        entries.append((path, name, target, command))
        if isinstance(command, click.Group):
            assert isinstance(command, LazyGroup), f"{' '.join((*path, name))} is a group but not a LazyGroup"
            entries.extend(_walk(command, (*path, name)))
    return entries


TREE = _walk(cli, ())


def test_every_table_entry_resolves_to_a_click_command_of_that_name() -> None:
    assert len(TREE) >= 46  # 6 groups, 3 registry sub-groups and their commands
    for _path, name, target, command in TREE:
        assert command.name == name, f"{target} is the command {command.name!r}, listed as {name!r}"


def test_a_table_entry_that_is_not_a_click_command_fails_loudly() -> None:
    group = LazyGroup(name="broken", lazy={"typo": ("acc_cli.terminal:echo", "Not a command.")})
    with pytest.raises(TypeError, match=r"acc_cli.terminal:echo is not a click command"):
        group.get_command(click.Context(group), "typo")


def test_the_folders_mirror_the_command_tree() -> None:
    """`acc A B` lives in acc_cli/A/B.py (a group in acc_cli/A/B/__init__.py)."""
    for path, name, target, command in TREE:
        module = target.split(":")[0]
        expected = ".".join(("acc_cli", *path, name.replace("-", "_")))  # `claude-plugin` in claude_plugin.py
        assert module == expected, f"`acc {' '.join((*path, name))}` is in {module}"
        assert isinstance(command, click.Group) == hasattr(importlib.import_module(module), "__path__")


def test_every_command_module_is_in_a_table() -> None:
    """A command module nobody lists is a command nobody can run."""
    listed = {target.split(":")[0] for _, _, target, _ in TREE}
    modules = {
        m.name
        for m in pkgutil.walk_packages(acc_cli.__path__, "acc_cli.")
        if m.name not in ROOT_MODULES | {"acc_cli.__main__"} and not m.name.rsplit(".", 1)[-1].startswith("_")
    }
    assert modules - listed == set()


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["plugin", "--help"],
        ["marketplace", "--help"],
        ["trust", "--help"],
        ["agent", "--help"],
        ["mcp", "--help"],
        ["registry", "--help"],
        ["registry", "user", "--help"],
    ],
    ids=" ".join,
)
def test_help_imports_no_command_module_and_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from acc_cli.root import cli\n"
        "result = CliRunner().invoke(cli, json.loads(sys.argv[1]), env={'ACC_HOME': sys.argv[2]})\n"
        "assert result.exit_code == 0 and 'Commands:' in result.output, result.output\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(args), str(tmp_path / "home")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = json.loads(proc.stdout)
    groups = {".".join(("acc_cli", *args[:i])) for i in range(1, len(args))}  # the packages of the groups named
    assert {m for m in loaded if m.split(".")[0] == "acc_cli"} <= ROOT_MODULES | groups
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []


def test_only_terminal_py_talks_to_the_terminal() -> None:
    """No isatty(), click.confirm/prompt or print() in a command: they go through acc_cli.terminal."""
    pattern = re.compile(r"isatty\(|click\.(confirm|prompt|echo|secho)\(|(?<![\w.])print\(")
    offenders = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "terminal.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
