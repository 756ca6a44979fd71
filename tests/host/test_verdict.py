"""A command's verdict: how `acc plugin run` decides its exit status from a check's result.

plugin.toml names the result's boolean field (`verdict = "passed"`): true passes, false
fails, null means nothing was checked, and anything else (missing, not a boolean) fails:
a gate does not open on silence.
"""

from __future__ import annotations

from typing import Any

import pytest

from host.verdict import Verdict, verdict_of
from sdk.errors import ManifestError
from sdk.manifest import Command, load_manifest

CHECK = Command("report", "A check.", {"type": "object"}, verdict="passed")
PLAIN = Command("status", "Not a check.", {"type": "object"})


@pytest.mark.parametrize(
    ("result", "passed", "message"),
    [
        ({"passed": True, "summary": "ok"}, True, "passed: true"),
        ({"passed": False}, False, "passed: false"),
        ({"passed": None, "threshold": None}, None, "passed: null (nothing was checked)"),
        ({"summary": "ok"}, False, "the result has no 'passed' field, which plugin.toml names as its verdict"),
        ({"passed": "yes"}, False, "the result's verdict field 'passed' is 'yes', not true, false or null"),
        ({"passed": 1}, False, "not true, false or null"),
        ([True], False, "has no 'passed' field"),
        ("passed", False, "has no 'passed' field"),
    ],
)
def test_a_checks_result_passes_fails_or_says_nothing_was_checked(
    result: Any, passed: bool | None, message: str
) -> None:
    verdict = verdict_of(CHECK, result)
    assert verdict.passed is passed
    assert verdict.failed is (passed is False)
    assert message in verdict.message


@pytest.mark.parametrize("result", [{"passed": False}, {}, None, "anything"])
def test_a_command_without_a_verdict_never_fails_by_its_result(result: Any) -> None:
    assert verdict_of(PLAIN, result) == Verdict(None)


MANIFEST = """
name = "gate"
version = "1.0.0"
description = "A check."

[[commands]]
name = "report"
verdict = {verdict}
"""


def test_the_manifest_names_a_commands_verdict_field() -> None:
    manifest = load_manifest(MANIFEST.format(verdict='"passed"'))
    assert manifest.commands[0].verdict == "passed"
    assert load_manifest(MANIFEST.replace("verdict = {verdict}\n", "")).commands[0].verdict is None


@pytest.mark.parametrize("value", ['""', '"checks.passed"', '"-x"', "true", "3", '["passed"]'])
def test_a_verdict_that_is_not_a_field_name_is_refused(value: str) -> None:
    with pytest.raises(ManifestError, match="verdict must name a field of the result"):
        load_manifest(MANIFEST.format(verdict=value))


def test_the_official_checks_declare_their_verdict() -> None:
    from tests.helpers import PLUGIN_SOURCES

    checks = {
        (name, command.name)
        for name in ("testing", "code-quality", "docs")
        for command in load_manifest((PLUGIN_SOURCES[name] / "plugin.toml").read_text()).commands
        if command.verdict == "passed"
    }
    assert checks == {("testing", "run"), ("code-quality", "report"), ("docs", "coverage")}


def test_a_verdict_is_described_in_one_line_naming_the_command() -> None:
    # One wording for `acc plugin run`'s stderr and the agent's `check failed:` line.
    assert (
        verdict_of(CHECK, {"passed": False}).describe("code-quality", "report") == "code-quality report: passed: false"
    )
    assert Verdict(None).describe("git", "status") == "git status"
