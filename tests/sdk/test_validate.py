"""`acc plugin validate DIR` (sdk/validate.py): every problem a build would stop at, and the
README a reader would miss, found without building; on CPython, in milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdk.scaffold import new_plugin
from sdk.validate import Validation, validate_source

OFFICIAL = Path(__file__).resolve().parents[2] / "official_plugins"


@pytest.fixture
def scaffold(tmp_path: Path) -> Path:
    return new_plugin("my-plugin", tmp_path / "my-plugin")


def _findings(result: Validation) -> list[tuple[str, str]]:
    return [(f.level, f.message) for f in result.findings]


def _describe_plugin(source: Path) -> None:
    (source / "README.md").write_text("# my-plugin\n\nGreets people; reads nothing, runs nothing.\n")


def test_a_fresh_scaffold_is_valid_but_its_readme_is_warned_about(scaffold: Path) -> None:
    result = validate_source(scaffold)
    assert result.valid
    assert result.checked == ["plugin.toml", "README.md", "my_plugin.py", "commands"]
    assert _findings(result) == [("warning", "README.md is still the one `acc plugin new` wrote")]


def test_a_described_plugin_has_no_findings(scaffold: Path) -> None:
    _describe_plugin(scaffold)
    result = validate_source(scaffold)
    assert (result.valid, result.findings) == (True, [])


@pytest.mark.parametrize("plugin", sorted(p.name for p in OFFICIAL.iterdir() if (p / "plugin.toml").is_file()))
def test_every_official_plugin_is_valid(plugin: str) -> None:
    result = validate_source(OFFICIAL / plugin)
    assert (result.valid, _findings(result)) == (True, [])
    assert "commands" in result.checked


def test_every_problem_is_reported_at_once(scaffold: Path) -> None:
    (scaffold / "README.md").unlink()
    (scaffold / "my_plugin.py").unlink()
    result = validate_source(scaffold)
    assert not result.valid
    assert _findings(result) == [
        ("error", "there is no README.md"),
        ("error", "there is no module my_plugin.py"),
    ]


def test_a_command_declared_but_not_registered_and_one_registered_but_not_declared(scaffold: Path) -> None:
    _describe_plugin(scaffold)
    module = scaffold / "my_plugin.py"
    module.write_text(module.read_text().replace('@acc_plugin.command("hello")', '@acc_plugin.command("helo")'))
    result = validate_source(scaffold)
    assert _findings(result) == [
        ("error", "plugin.toml declares command 'hello' but no function is registered for it"),
        ("error", "my_plugin.py:7 registers command 'helo', which plugin.toml does not declare"),
    ]
    assert result.findings[0].hint == 'decorate its function with @acc_plugin.command("hello")'


def test_a_command_named_by_its_function_counts(scaffold: Path) -> None:
    _describe_plugin(scaffold)
    module = scaffold / "my_plugin.py"
    module.write_text(module.read_text().replace('@acc_plugin.command("hello")', "@acc_plugin.command()"))
    assert validate_source(scaffold).findings == []


def test_a_computed_command_name_skips_the_comparison_with_a_warning(scaffold: Path) -> None:
    _describe_plugin(scaffold)
    module = scaffold / "my_plugin.py"
    module.write_text(module.read_text().replace('@acc_plugin.command("hello")', "@acc_plugin.command(NAME)"))
    result = validate_source(scaffold)
    assert result.valid
    assert [f.level for f in result.findings] == ["warning"]
    assert result.findings[0].message.startswith("a command name is computed at run time (my_plugin.py:7)")


def test_a_syntax_error_is_an_error_with_its_line(scaffold: Path) -> None:
    _describe_plugin(scaffold)
    (scaffold / "my_plugin.py").write_text("def hello(:\n")
    result = validate_source(scaffold)
    assert not result.valid
    assert _findings(result)[0][1].startswith("my_plugin.py:1:11: syntax error: invalid syntax")


def test_tests_are_not_read_as_plugin_code(scaffold: Path) -> None:
    _describe_plugin(scaffold)
    (scaffold / "tests" / "test_extra.py").write_text(
        'import acc_plugin\n\n@acc_plugin.command("only-in-tests")\ndef x(): ...\n'
    )
    assert validate_source(scaffold).findings == []


def test_a_manifest_error_is_reported_and_the_readme_still_checked(scaffold: Path) -> None:
    manifest = scaffold / "plugin.toml"
    manifest.write_text(manifest.read_text().replace('version = "0.1.0"', 'version = "one"'))
    (scaffold / "README.md").write_text("")
    result = validate_source(scaffold)
    assert not result.valid
    assert result.manifest is None
    assert [f.level for f in result.findings] == ["error", "error"]
    assert result.findings[1].message == "README.md is empty"


def test_a_directory_without_plugin_toml_says_how_to_start(tmp_path: Path) -> None:
    result = validate_source(tmp_path)
    assert _findings(result)[0] == ("error", f"{tmp_path} has no plugin.toml")
    assert result.findings[0].hint == "run `acc plugin new NAME` to start a plugin"
