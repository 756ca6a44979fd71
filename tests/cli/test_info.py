"""`acc plugin info`: parameters as a table, human sizes; for a plugin that is not installed,
its description, commands, license and homepage beside what the signed index lists."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from acc_cli.terminal import human_size
from tests.cli.cli_kit import Acc, ServedRegistry, publisher_key_id

SUMMARY_TABLE = (
    "PARAMETER  TYPE               REQUIRED  DEFAULT  DESCRIPTION\n"
    'path       string                       "."      Directory inside the project, relative to its root.\n'
    "max_files  integer 1..100000            20000\n"
)


def _indented(text: str, indent: str) -> str:
    return "".join(indent + line + "\n" for line in text.splitlines())


def test_info_of_a_plugin_not_installed_shows_what_its_plugin_toml_says(acc: Acc, catalog: ServedRegistry) -> None:
    acc.add(catalog)
    newer, older = catalog.version("project-stats", "1.1.0"), catalog.version("project-stats", "1.0.0")
    result = acc("plugin", "info", "project-stats")
    assert result.stdout == (
        "project-stats on local (owner alice), verified by its signed index\n"
        "  Counts a project's files and lines by language.\n"
        "  license: Apache-2.0   homepage: https://example.com/project-stats   authors: acc plugins team\n"
        "versions:\n"
        f"  1.1.0  {human_size(newer.length)}  newest for this host\n"
        f"  1.0.0  {human_size(older.length)}\n"
        f"1.1.0: signed by ed25519 key {publisher_key_id(catalog)}, published by alice\n"
        "  capabilities:\n"
        "    fs: read the project\n"
        "        why: Reads the project's files to count them and their lines.\n"
        "    process: run programs: git\n"
        "        why: Asks git for its version and the number of commits in the project.\n"
        "  commands:\n"
        "    summary: Count files and lines per file extension under a directory of the project.\n"
        + _indented(SUMMARY_TABLE, "      ")
        + "    git-info: Report the git version and how many commits the project has.\n"
        "      (no parameters)\n"
        "install: acc plugin install project-stats\n"
    )
    assert result.stderr == ""
    assert human_size(newer.length).endswith(" MB")


def test_info_json_of_a_plugin_not_installed(acc: Acc, catalog: ServedRegistry) -> None:
    acc.add(catalog)
    document = json.loads(acc("plugin", "info", "file-stats", "--json").stdout)
    published = catalog.version("file-stats", "1.0.0")
    assert {k: v for k, v in document.items() if k not in ("versions", "commands")} == {
        "installed": False,
        "name": "file-stats",
        "marketplace": "local",
        "owner": "alice",
        "owner_verified": None,
        "deprecated": None,
        "taken_down": None,
        "latest": "1.0.0",
        "description": "Counts files per extension for a report.",
        "license": "Apache-2.0",
        "homepage": "https://example.com/file-stats",
        "authors": ["acc plugins team"],
    }
    assert sorted(document["commands"]) == ["git-info", "summary"]
    assert [(v["version"], v["sha256"], v["length"]) for v in document["versions"]] == [
        ("1.0.0", published.sha256, published.length)
    ]


def test_info_of_an_installed_plugin_shows_parameters_as_a_table_and_its_size(
    acc: Acc, built_archives: Callable[[str], Path]
) -> None:
    archive = built_archives("project-stats")
    acc("plugin", "install", str(archive), "--allow-unsigned-DANGEROUS", "--yes")
    wasm = acc.home / "plugins" / "project-stats" / "1.0.0" / "plugin.wasm"
    installed = json.loads(acc("plugin", "list", "--json").stdout)[0]
    assert acc("plugin", "info", "project-stats").stdout == (
        "project-stats 1.0.0 — Counts a project's files and lines by language, "
        "and reports the git version that tracks it.\n"
        f"  signed by: UNSIGNED   installed: {installed['installed_at']}\n"
        "  license: Apache-2.0   authors: acc plugins team\n"
        f"  component: {human_size(wasm.stat().st_size)}\n"
        "capabilities:\n"
        "  [granted] fs: read the project\n"
        "      why: Reads the project's files to count them and their lines.\n"
        "  [granted] process: run programs: git\n"
        "      why: Asks git for its version and the number of commits in the project.\n"
        "commands:\n"
        "  summary: Count files and lines per file extension under a directory of the project.\n"
        + _indented(SUMMARY_TABLE, "    ")
        + "  git-info: Report the git version and how many commits the project has.\n"
        "    (no parameters)\n"
    )
    document = json.loads(acc("plugin", "info", "project-stats", "--json").stdout)
    assert (document["installed"], document["enabled"], document["component_bytes"]) == (
        True,
        True,
        wasm.stat().st_size,
    )


def test_a_mistyped_name_not_installed_gets_suggestions_from_the_marketplace(acc: Acc, catalog: ServedRegistry) -> None:
    acc.add(catalog)
    result = acc("plugin", "info", "web-stat", code=1)
    assert result.stderr == (
        "error: no plugin named web-stat on local\n"
        "  hint: did you mean web-stats? search with `acc plugin search web-stat`\n"
    )


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 KB"), (18_234_567, "18.2 MB"), (999_950, "1.0 MB"), (3 * 10**9, "3.0 GB")],
)
def test_sizes_are_shown_as_people_read_them(size: int, shown: str) -> None:
    assert human_size(size) == shown
