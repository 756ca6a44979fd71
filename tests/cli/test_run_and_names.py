"""`acc plugin run --input @FILE | -`, names in any case and "did you mean" for installed
plugins and their commands (run, info, remove and its aliases), with the exact output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.cli_kit import Acc

SUMMARY = {"path": ".", "files": 1, "lines": 2, "by_extension": {".py": {"files": 1, "lines": 2}}, "truncated": False}


@pytest.fixture
def user(acc: Acc, built_archives: Callable[[str], Path]) -> Acc:
    """project-stats installed from its archive (unsigned: signatures have their own tests)."""
    acc("plugin", "install", str(built_archives("project-stats")), "--allow-unsigned-DANGEROUS", "--yes")
    return acc


def test_input_is_read_from_a_file_with_at(user: Acc, project: Path, tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text('{"path": "."}')
    result = user(
        "plugin",
        "run",
        "project-stats",
        "summary",
        "--input",
        f"@{tmp_path / 'input.json'}",
        "--project",
        str(project),
        "-q",
    )
    assert result.stdout == json.dumps(SUMMARY, indent=2) + "\n"


def test_input_is_read_from_stdin_with_a_dash(user: Acc, project: Path) -> None:
    result = user(
        "plugin",
        "run",
        "project-stats",
        "summary",
        "--input",
        "-",
        "--project",
        str(project),
        "-q",
        input='{"path": "."}',
    )
    assert result.stdout == json.dumps(SUMMARY, indent=2) + "\n"


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        (None, "error: --input @{file}: there is no file {file}\n  hint: e.g. --input @input.json\n"),
        ("dir", "error: --input @{file}: {file} is a directory, not a JSON file\n"),
        (b'{"path": ', "error: --input @{file} is refused: "),
        (b"\xff\xfe{}", "error: --input: {file} is not UTF-8 text (invalid start byte at byte 0)\n"),
    ],
    ids=["missing", "a directory", "not JSON", "not UTF-8"],
)
def test_an_input_file_that_cannot_be_used_is_refused_saying_why(
    user: Acc, project: Path, tmp_path: Path, contents: bytes | str | None, message: str
) -> None:
    file = tmp_path / "input.json"
    if contents == "dir":
        file.mkdir()
    elif isinstance(contents, bytes):
        file.write_bytes(contents)
    result = user("plugin", "run", "project-stats", "summary", "--input", f"@{file}", "--project", str(project), code=1)
    assert result.stderr.startswith(message.format(file=file))
    assert result.stdout == ""


def test_an_input_over_the_hosts_limit_is_refused_without_reading_it_all(user: Acc, project: Path) -> None:
    (user.home / "config.toml").write_text("[limits]\nmax_input_bytes = 16\n")
    big = json.dumps({"path": "x" * 64})
    result = user(
        "plugin", "run", "project-stats", "summary", "--input", "-", "--project", str(project), input=big, code=1
    )
    assert result.stderr == "error: --input -: stdin holds more than the 16-byte input limit\n"


def test_an_at_sign_alone_names_no_file(user: Acc, project: Path) -> None:
    result = user("plugin", "run", "project-stats", "summary", "--input", "@", "--project", str(project), code=1)
    assert result.stderr == "error: --input @ names no file\n  hint: e.g. --input @input.json\n"


def test_a_plugin_name_in_another_case_is_the_plugin(user: Acc, project: Path) -> None:
    result = user("plugin", "run", "Project-STATS", "summary", "--project", str(project), "-q")
    assert json.loads(result.stdout)["files"] == 1
    assert user("plugin", "info", "PROJECT-stats").stdout.startswith("project-stats 1.0.0 — ")
    assert user("plugin", "revoke", "Project-Stats", "process").stdout == "revoked process from project-stats\n"


def test_a_mistyped_installed_name_gets_a_suggestion(user: Acc, project: Path) -> None:
    hint = "  hint: did you mean project-stats? see `acc plugin list`, or install it with `acc plugin install`\n"
    for args in (
        ("run", "projcet-stats", "summary", "--project", str(project)),
        ("remove", "project-stat"),
        ("rm", "project-stat"),
        ("uninstall", "project-stat"),
        ("disable", "prject-stats"),
        ("grant", "project-stat", "fs"),
    ):
        result = user("plugin", *args, code=1)
        assert result.stderr == f"error: plugin {args[1]!r} is not installed\n" + hint, args
    # Nothing installed looks like it, and no marketplace to ask: no suggestion.
    result = user("plugin", "info", "zebra", code=1)
    assert result.stderr == (
        "error: plugin 'zebra' is not installed\n"
        "  hint: see `acc plugin list`, or install it with `acc plugin install`\n"
    )


def test_a_mistyped_command_gets_a_suggestion(user: Acc, project: Path) -> None:
    result = user("plugin", "run", "project-stats", "sumary", "--project", str(project), code=1)
    assert result.stderr == (
        "error: project-stats has no command 'sumary'\n  hint: did you mean summary? its commands: summary, git-info\n"
    )


def test_remove_has_the_aliases_uninstall_and_rm(user: Acc, built_archives: Callable[[str], Path]) -> None:
    assert user("plugin", "uninstall", "project-stats").stdout == "removed project-stats 1.0.0\n"
    user("plugin", "install", str(built_archives("project-stats")), "--allow-unsigned-DANGEROUS", "--yes")
    assert user("plugin", "rm", "Project-Stats").stdout == "removed project-stats 1.0.0\n"
    assert user("plugin", "list", "--json").stdout == "[]\n"


def test_a_mistyped_acc_command_gets_a_suggestion(acc: Acc) -> None:
    result = acc("plugin", "instal", "git", code=2)
    assert result.stderr.endswith("Error: No such command 'instal'. Did you mean install?\n")
    result = acc("plugin", "rmv", code=2)
    assert result.stderr.endswith("Error: No such command 'rmv'. Did you mean rm?\n")
    result = acc("marketplace", "frobnicate", code=2)
    assert result.stderr.endswith("Error: No such command 'frobnicate'.\n")


def test_help_names_the_aliases_beside_their_command(acc: Acc) -> None:
    assert "  remove     Remove an installed plugin (also: uninstall, rm).\n" in acc("plugin", "--help").stdout
