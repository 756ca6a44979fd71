"""The console script's fast path (acc_cli/fast.py) prints, byte for byte, what the click tree
prints for every group's help, --version and `plugin list`, without importing click or host;
whatever it does not know (another width, a damaged store) goes to click."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest

from acc_cli import __version__
from acc_cli._help_pages import PAGES
from acc_cli.fast import _state_file, fast_path
from acc_cli.lazy import LazyGroup
from acc_cli.root import cli

REPO = Path(__file__).resolve().parents[2]
CLICK = "from acc_cli.root import cli; cli(prog_name='acc')"


def _groups(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    context = click.Context(group, info_name=path[-1] if path else "acc")
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            assert isinstance(command, LazyGroup)
            found += _groups(command, (*path, name))
    return found


GROUPS = _groups(cli)


def _run(args: list[str], *, fast: bool, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """`acc ARGS` through the console script's entry (fast) or straight into click."""
    entry = ["-m", "acc_cli"] if fast else ["-c", CLICK]
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run(
        [sys.executable, *entry, *args],
        cwd=REPO,
        env={**environment, **(env or {})},
        capture_output=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _same(args: list[str], env: dict[str, str] | None = None) -> bytes:
    fast, slow = _run(args, fast=True, env=env), _run(args, fast=False, env=env)
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    return fast.stdout


def test_the_help_pages_cover_exactly_the_groups_of_the_tree() -> None:
    """A group added, removed or renamed needs `python -m acc_cli.fast` run again."""
    assert sorted(PAGES) == sorted(" ".join(path) for path in GROUPS), "run `python -m acc_cli.fast`"


@pytest.mark.parametrize("path", GROUPS, ids=lambda p: " ".join(("acc", *p)))
def test_every_group_s_help_is_the_page_click_renders(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for flag in ("--help", "-h"):
        out = _same([*path, flag], env={"COLUMNS": "120"})
        assert out.startswith(f"Usage: {' '.join(('acc', *path))} [OPTIONS]".encode()), "run `python -m acc_cli.fast`"
    monkeypatch.setenv("COLUMNS", "80")
    assert fast_path([*path, "--help"]) == 0  # answered by the fast path, not by click
    assert capsys.readouterr().out == PAGES[" ".join(path)] + "\n"


def test_a_narrow_terminal_gets_click_s_own_wrapping() -> None:
    narrow = _same(["plugin", "--help"], env={"COLUMNS": "60"})
    assert max(len(line) for line in narrow.decode().splitlines()) <= 58
    assert narrow.decode() != PAGES["plugin"] + "\n"


def test_what_the_fast_path_does_not_know_goes_to_click(tmp_path: Path) -> None:
    for args in (["plugin", "list", "--help"], ["nosuch", "--help"], ["plugin", "--json", "list"]):
        assert fast_path(args) is None
    _same(["nosuch", "--help"])
    _same(["--version", "--help"])


def test_version_is_click_s_line_and_the_installed_distribution_s_version() -> None:
    assert _same(["--version"]) == f"acc, version {__version__}\n".encode()
    assert __version__ == importlib.metadata.version("acc-plugins")


def test_the_console_script_enters_through_the_fast_path() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"acc": "acc_cli.fast:main"}


def _state(home: Path, plugins: dict[str, object], version: int = 1) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "state.json").write_text(json.dumps({"version": version, "plugins": plugins}))


def _entry(current: str, versions: dict[str, dict[str, str]], granted: list[str]) -> dict[str, object]:
    meta = {"archive_sha256": "a" * 64, "wasm_sha256": "b" * 64}
    return {"current": current, "granted": granted, "versions": {v: {**meta, **m} for v, m in versions.items()}}


STORES: dict[str, dict[str, object]] = {
    "empty": {},
    "several": {
        "zeta": {
            **_entry("2.0.0", {"1.0.0": {}, "2.0.0": {"signer": "ab12", "marketplace": "local"}}, ["kv", "fs"]),
            "read_only": ["fs", "process"],  # process is not granted: not read-only either
        },
        "a-very-long-plugin-name": _entry("0.1.0", {"0.1.0": {"signer": "UNSIGNED", "installed_at": "2026"}}, []),
        "git": _entry("10.20.30rc1", {"10.20.30rc1": {"marketplace": "acme"}}, ["process"]),
    },
}


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_plugin_list_prints_what_click_prints(tmp_path: Path, store: str, as_json: bool) -> None:
    _state(tmp_path / "home", STORES[store])
    args = ["plugin", "list", *(["--json"] if as_json else [])]
    out = _same(args, env={"ACC_HOME": str(tmp_path / "home")})
    if store == "several":
        names = (
            [p["name"] for p in json.loads(out)] if as_json else [line.split()[0] for line in out.decode().splitlines()]
        )
        assert names == ["a-very-long-plugin-name", "git", "zeta"]


def test_plugin_list_without_a_store_and_with_a_damaged_one_prints_what_click_prints(tmp_path: Path) -> None:
    env = {"ACC_HOME": str(tmp_path / "none")}
    assert b"no plugins installed" in _same(["plugin", "list"], env=env)
    _state(tmp_path / "future", {}, version=99)
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "state.json").write_text("{not json")
    for home in ("future", "damaged"):
        result = _run(["plugin", "list"], fast=True, env={"ACC_HOME": str(tmp_path / home)})
        assert result.returncode == 1 and result.stderr.startswith(b"error: "), result.stderr
        _same(["plugin", "list"], env={"ACC_HOME": str(tmp_path / home)})


def test_the_fast_path_finds_the_store_where_host_paths_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from host.paths import host_paths

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    for acc_home, xdg in [
        (None, None),
        (None, str(tmp_path / "xdg")),
        (None, "  "),
        ("relative/home", None),
        ("~/h", None),
    ]:
        for name, value in (("ACC_HOME", acc_home), ("XDG_DATA_HOME", xdg)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        assert _state_file() == str(host_paths().state_file)


@pytest.mark.parametrize(
    "args", [["--help"], ["registry", "user", "-h"], ["--version"], ["plugin", "list"]], ids=" ".join
)
def test_the_fast_path_imports_neither_click_nor_host(args: list[str], tmp_path: Path) -> None:
    probe = (
        "import io, json, sys, contextlib\n"
        "from acc_cli.fast import fast_path\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    status = fast_path(json.loads(sys.argv[1]))\n"
        "print(json.dumps([status, sorted(sys.modules)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(args)],
        cwd=REPO,
        env={**os.environ, "ACC_HOME": str(tmp_path), "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    status, modules = json.loads(proc.stdout)
    assert status == 0
    assert [m for m in modules if m.split(".")[0] in ("click", "host", "sdk", "importlib_metadata")] == []
    assert "importlib.metadata" not in modules
