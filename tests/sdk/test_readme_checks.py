"""sdk/readme_checks.py: the scaffold's README, and a README whose capabilities contradict
plugin.toml, found in text alone (the pure core behind `acc plugin validate`/`build` and
the registry's publish)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdk.manifest import load_manifest
from sdk.readme_checks import (
    README_CAPABILITIES,
    SCAFFOLD_README,
    check_readme,
    is_scaffold_readme,
    said_capabilities,
)
from sdk.scaffold import scaffold_readme

REPO = Path(__file__).resolve().parents[2]


def _codes_and_messages(text: str, asked: list[str]) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in check_readme(text, asked)]


# -- the scaffold's README --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["my-plugin", "x", "a1-b2-c3"])
def test_the_scaffold_readme_is_found_whatever_the_name_put_into_it(name: str) -> None:
    assert is_scaffold_readme(scaffold_readme(name))
    assert _codes_and_messages(scaffold_readme(name), ["kv"]) == [
        (SCAFFOLD_README, "README.md is still the one `acc plugin new` wrote")
    ]


def test_spacing_and_line_breaks_do_not_hide_the_scaffold() -> None:
    text = scaffold_readme("demo")
    assert is_scaffold_readme("\n\n" + text.replace("\n", "\r\n").replace(" ", "   ") + "\n\n")
    assert is_scaffold_readme(" ".join(text.split()))


def test_a_readme_with_two_different_names_or_any_edit_is_not_the_scaffold() -> None:
    text = scaffold_readme("demo")
    assert not is_scaffold_readme(text.replace("# demo", "# other", 1)), "one name, the same each time"
    assert not is_scaffold_readme(text.replace("A new acc plugin.", "Counts visits by name."))
    assert not is_scaffold_readme(text + "\nIt also speaks French.\n")
    assert not is_scaffold_readme(text.replace("## Develop", "## Build"))
    assert not is_scaffold_readme("")


# -- the capabilities convention --------------------------------------------------------------

SECTION = """# demo

Does things.

## Capabilities

- `fs` (read): reads the project.
- `process` (`git`): runs git.
  - `http`: a nested item is about its parent, not a kind of its own

```
- `secrets`: inside a fence, not read
## Capabilities
```

## Commands

- `kv`: after the section, not read
"""


def test_a_capabilities_section_names_the_kinds_of_its_list_items() -> None:
    assert said_capabilities(SECTION) == {"fs", "process"}
    assert check_readme(SECTION, ["process", "fs"]) == []


def test_table_rows_and_a_singular_heading_at_any_level_name_kinds_too() -> None:
    table = (
        "# t\n\n### Capability\n\n| capability | why |\n|---|---|\n"
        "| `process`: `pytest` | runs tests |\n| `kv` | remembers |\n"
    )
    assert said_capabilities(table) == {"process", "kv"}
    deeper = "## Use\n\n### Capabilities\n\n- `fs`: reads\n\n## Next\n\n- `kv`: not in it\n"
    assert said_capabilities(deeper) == {"fs"}


@pytest.mark.parametrize(
    "line",
    [
        "Capabilities: none",
        "**Capabilities:** none.",
        "Capabilities: None",
        "capabilities: `none`",
        "## Capabilities: none",
    ],
)
def test_a_one_line_capabilities_none_says_none(line: str) -> None:
    text = f"# demo\n\n{line}\n"
    assert said_capabilities(text) == frozenset()
    assert _codes_and_messages(text, ["fs"]) == [
        (README_CAPABILITIES, "README.md says the plugin asks for no capabilities, but plugin.toml asks for fs")
    ]
    assert check_readme(text, []) == []


def test_a_one_line_list_of_kinds_is_read_and_prose_after_the_colon_is_not() -> None:
    assert said_capabilities("Capabilities: `fs`, `http` and kv\n") == {"fs", "http", "kv"}
    assert said_capabilities("Capabilities: it reads files and never needs the network.\n") is None
    assert said_capabilities("These capabilities: none of your business\n") is None


def test_an_empty_section_says_none_while_some_are_asked() -> None:
    text = "# demo\n\n## Capabilities\n\nThis plugin needs nothing from your computer.\n\n## Commands\n"
    assert _codes_and_messages(text, ["http", "fs"]) == [
        (README_CAPABILITIES, "README.md says the plugin asks for no capabilities, but plugin.toml asks for fs, http")
    ]


def test_kinds_missing_extra_and_unknown_are_each_said() -> None:
    text = "## Capabilities\n\n- `fs`: reads\n- `http`: fetches\n- `filesystem`: typo\n"
    findings = check_readme(text, ["fs", "process", "kv"])
    assert [(f.code, f.message) for f in findings] == [
        (README_CAPABILITIES, "README.md's capabilities do not name kv, process, which plugin.toml asks for"),
        (README_CAPABILITIES, "README.md's capabilities name http, which plugin.toml does not ask for"),
        (README_CAPABILITIES, "README.md's capabilities name filesystem, which is not a capability kind"),
    ]
    assert all(f.hint for f in findings), "each says what to do"


def test_a_readme_that_says_nothing_about_capabilities_is_not_compared() -> None:
    text = "# demo\n\nReads files; see `fs` below.\n\n- `fs`: a list item outside a Capabilities section\n"
    assert said_capabilities(text) is None
    assert check_readme(text, ["process"]) == []


def test_without_a_readable_manifest_only_the_scaffold_is_checked() -> None:
    assert check_readme("Capabilities: none\n", None) == []
    assert [f.code for f in check_readme(scaffold_readme("x"), None)] == [SCAFFOLD_README]


@pytest.mark.parametrize(
    "plugin",
    sorted(
        p.relative_to(REPO).as_posix()
        for parent in ("official_plugins", "tests/plugins")
        for p in (REPO / parent).iterdir()
        if (p / "plugin.toml").is_file()
    ),
)
def test_no_official_or_test_plugin_trips_the_checks(plugin: str) -> None:
    source = REPO / plugin
    manifest = load_manifest((source / "plugin.toml").read_bytes(), source="plugin.toml")
    assert check_readme((source / "README.md").read_text(encoding="utf-8"), manifest.capabilities) == []
