"""Each capability kind is one unit: its format in sdk/capabilities, its binding in host/capabilities."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from host.capabilities import unsupported
from host.capabilities.errors import Denied
from host.capabilities.process import profiles_for
from host.capabilities.process.profiles.git import GIT_SUBCOMMANDS
from sdk.abi import WIT_DIR
from sdk.capabilities import KINDS
from sdk.capabilities.diff import diff_capabilities
from sdk.capabilities.process import ProcessCapability
from sdk.errors import ManifestError
from sdk.manifest import manifest_from_mapping


def _manifest(capabilities: dict[str, object]) -> object:
    return manifest_from_mapping(
        {"name": "demo", "version": "1.0.0", "description": "d", "capabilities": capabilities,
         "commands": [{"name": "go"}]}
    )  # fmt: skip


def test_the_kinds_are_found_by_module_and_each_has_a_host_binding() -> None:
    assert set(KINDS) == {"fs", "http", "kv", "llm", "plugins", "process", "secrets"}
    for kind in KINDS:
        module = importlib.import_module(f"host.capabilities.{kind}")
        assert callable(module.bind), kind


def test_each_interface_kind_names_functions_the_wit_declares() -> None:
    wit = (Path(WIT_DIR) / "plugin.wit").read_text()
    for kind in KINDS.values():
        if kind.interface is None:
            continue
        body = wit.split(f"interface {kind.interface} {{", 1)[1].split("\n}", 1)[0]
        for function in kind.functions:
            assert f"  {function}: func(" in body, f"{kind.name}.{function} is not in the WIT"


def test_every_kind_has_words_for_people() -> None:
    for kind in KINDS.values():
        assert kind.meaning and kind.meaning[0].isupper(), kind.name


def test_a_manifest_may_narrow_a_program_to_some_subcommands() -> None:
    manifest = _manifest({"process": {"programs": ["git"], "subcommands": {"git": ["status", "log"]},
                                      "reason": "r"}})  # fmt: skip
    process = manifest.capabilities["process"]  # type: ignore[attr-defined]
    assert isinstance(process, ProcessCapability)
    assert process.subcommands_of("git") == ("status", "log")
    assert process.scope_summary() == "run programs: git (status, log)"


@pytest.mark.parametrize(
    ("subcommands", "message"),
    [
        ({"make": ["all"]}, "subcommands names 'make', which is not in programs"),
        ({"git": []}, "must list at least one entry"),
        ({"git": ["Status; rm"]}, "must be a lowercase word"),
        (["status"], "subcommands must be a table"),
    ],
)
def test_a_malformed_narrowing_is_refused_when_the_manifest_is_read(subcommands: object, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        _manifest({"process": {"programs": ["git"], "subcommands": subcommands, "reason": "r"}})


def test_a_narrowing_can_only_narrow_what_the_host_profile_allows() -> None:
    wider = _manifest({"process": {"programs": ["git"], "subcommands": {"git": ["status", "push"]}, "reason": "r"}})
    assert unsupported(wider) == [
        "process: acc does not run git push; it runs only: " + ", ".join(sorted(GIT_SUBCOMMANDS))
    ]  # type: ignore[arg-type]
    unprofiled = _manifest({"process": {"programs": ["make"], "subcommands": {"make": ["all"]}, "reason": "r"}})
    assert unsupported(unprofiled) == ["process: acc has no profile of make to narrow to all"]  # type: ignore[arg-type]


def test_a_narrowed_git_refuses_other_subcommands_before_anything_runs(tmp_path: Path) -> None:
    profile = profiles_for(ProcessCapability("r", programs=("git",), subcommands=(("git", ("status",)),)))["git"]
    assert profile.check_args(["status", "--short"], tmp_path)[-2:] == ["status", "--short"]
    with pytest.raises(Denied, match="git log is not allowed: this plugin's manifest runs git only for status"):
        profile.check_args(["log"], tmp_path)


def test_lifting_a_narrowing_or_adding_a_subcommand_widens() -> None:
    narrow = ProcessCapability("r", programs=("git",), subcommands=(("git", ("status",)),))
    more = ProcessCapability("r", programs=("git",), subcommands=(("git", ("status", "commit")),))
    whole = ProcessCapability("r", programs=("git",))
    assert [c.text for c in diff_capabilities({"process": narrow}, {"process": more}).wider] == [
        "process: git may now run: commit"
    ]
    assert diff_capabilities({"process": more}, {"process": whole}).widens
    assert not diff_capabilities({"process": whole}, {"process": narrow}).widens


@pytest.mark.parametrize(
    ("capabilities", "may_modify", "open_world"),
    [
        ({"fs": {"access": "read", "reason": "r"}}, False, False),
        ({"fs": {"access": "read-write", "reason": "r"}}, True, False),
        ({"secrets": {"names": ["TOKEN"], "reason": "r"}}, False, False),
        ({"llm": {"reason": "r"}}, False, False),
        ({"http": {"hosts": ["api.github.com"], "reason": "r"}}, True, True),
        ({"process": {"programs": ["git"], "reason": "r"}}, True, False),
        ({"kv": {"reason": "r"}}, True, False),  # the plugin's own data outlives the call
        ({"plugins": {"plugins": ["git"], "reason": "r"}}, True, False),  # unless the callee is followed
    ],
    ids=lambda v: (
        next(iter(v)) + (f"-{next(iter(v.values())).get('access', '')}" if "fs" in v else "")
        if isinstance(v, dict)
        else None
    ),
)
def test_each_scope_says_whether_it_can_change_things_or_reach_the_network(
    capabilities: dict[str, object], may_modify: bool, open_world: bool
) -> None:
    capability = next(iter(_manifest(capabilities).capabilities.values()))  # type: ignore[attr-defined]
    assert capability.may_modify() is may_modify
    assert capability.open_world() is open_world
