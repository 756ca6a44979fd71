"""The tool listing is made from the store alone: names, schemas and descriptions from the
manifests, hints from the grants (followed through `plugins`), problems named, and a
signature that changes with every store write. No component is built or loaded here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from host.mcp.listing import read_listing, store_signature
from host.paths import HostPaths
from host.store import LocalStore
from tests.helpers import TEST_CACHE

MANIFEST = """
name = "{name}"
version = "1.0.0"
description = "The {name} plugin."
api = ">=1.0,<2"
{capabilities}
[[commands]]
name = "{command}"
description = "Does {command}."
[commands.input]
type = "object"
properties.path = {{ type = "string" }}
"""


def _install(
    paths: HostPaths,
    name: str,
    capabilities: str,
    granted: list[str],
    command: str = "go",
    read_only: tuple[str, ...] = (),
) -> None:
    """Write a plugin into the store as an install would leave it (without a component)."""
    directory = paths.plugins / name / "1.0.0"
    directory.mkdir(parents=True)
    (directory / "plugin.toml").write_text(MANIFEST.format(name=name, capabilities=capabilities, command=command))
    (directory / "README.md").write_text(f"# {name}\n")
    state = json.loads(paths.state_file.read_text()) if paths.state_file.exists() else {"version": 1, "plugins": {}}
    state["plugins"][name] = {
        "current": "1.0.0",
        "granted": granted,
        "read_only": list(read_only),
        "versions": {"1.0.0": {"archive_sha256": "a" * 64, "wasm_sha256": "b" * 64, "signer": "", "installed_at": ""}},
    }
    paths.state_file.write_text(json.dumps(state))


@pytest.fixture
def paths(tmp_path: Path) -> HostPaths:
    home = tmp_path / "home"
    home.mkdir()
    return HostPaths(home=home, cache=TEST_CACHE)


FS_READ = '[capabilities.fs]\naccess = "read"\nreason = "r"\n'
FS_WRITE = '[capabilities.fs]\naccess = "read-write"\nreason = "r"\n'
PROCESS = '[capabilities.process]\nprograms = ["git"]\nreason = "r"\n'
HTTP = '[capabilities.http]\nhosts = ["api.github.com"]\nreason = "r"\n'


@pytest.mark.parametrize(
    ("capabilities", "granted", "read_only", "open_world"),
    [
        ("", [], True, False),
        (FS_READ, ["fs"], True, False),
        (FS_WRITE, ["fs"], False, False),
        (FS_WRITE, [], True, False),  # declared, not granted: it gets `denied`
        (FS_READ + PROCESS, ["fs", "process"], False, False),
        (HTTP, ["http"], False, True),
        (HTTP + FS_READ, ["fs"], True, False),
    ],
    ids=["nothing", "fs-read", "fs-write", "fs-write-denied", "process", "http", "http-denied"],
)
def test_the_hints_follow_what_was_granted(
    paths: HostPaths, capabilities: str, granted: list[str], read_only: bool, open_world: bool
) -> None:
    _install(paths, "demo", capabilities, granted)
    served = read_listing(paths, None).tools["demo__go"]
    annotations = served.definition()["annotations"]
    assert annotations == {"title": "demo go", "readOnlyHint": read_only, "openWorldHint": open_world}


def test_a_read_write_fs_granted_for_reading_only_is_read_only(paths: HostPaths) -> None:
    _install(paths, "demo", FS_WRITE, ["fs"], read_only=("fs",))
    annotations = read_listing(paths, None).tools["demo__go"].definition()["annotations"]
    assert annotations["readOnlyHint"] is True


def test_a_plugins_grant_counts_as_what_the_callees_were_granted_through_a_cycle(paths: HostPaths) -> None:
    calls = '[capabilities.plugins]\nplugins = ["{callee}"]\nreason = "r"\n'
    _install(paths, "caller", calls.format(callee="middle"), ["plugins"])
    _install(paths, "middle", calls.format(callee="caller") + HTTP, ["plugins", "http"])
    _install(paths, "quiet", calls.format(callee="absent"), ["plugins"])
    listing = read_listing(paths, None)
    caller = listing.tools["caller__go"].definition()["annotations"]
    assert caller["readOnlyHint"] is False and caller["openWorldHint"] is True  # through middle's http
    quiet = listing.tools["quiet__go"].definition()["annotations"]
    assert quiet["readOnlyHint"] is True and quiet["openWorldHint"] is False  # its callee is not installed


def test_tools_carry_the_manifests_schema_and_a_description_naming_the_plugin_and_grants(paths: HostPaths) -> None:
    _install(paths, "demo", FS_READ + PROCESS, ["fs"])
    definition = read_listing(paths, None).tools["demo__go"].definition()
    assert definition["inputSchema"] == {"type": "object", "properties": {"path": {"type": "string"}}}
    assert definition["description"] == "Does go. (plugin demo 1.0.0, sandboxed; granted capabilities: fs)"
    assert "outputSchema" not in definition


def test_plugins_asked_for_but_not_servable_are_named_and_left_out(paths: HostPaths) -> None:
    _install(paths, "demo", "", [])
    _install(paths, "long", "", [], command="x" * 70)
    listing = read_listing(paths, ["demo", "missing", "long"])
    assert set(listing.tools) == {"demo__go"}
    assert listing.problems[0] == "missing is not installed"
    assert listing.problems[1].startswith("long is not served: long's command xxx")
    assert "longer than clients allow (64 characters)" in listing.problems[1]


def test_only_the_enabled_plugins_are_served_but_every_installed_one_is_known(paths: HostPaths) -> None:
    _install(paths, "one", "", [])
    _install(paths, "two", PROCESS, ["process"])
    listing = read_listing(paths, ["one"])
    assert set(listing.plugins) == {"one"}
    assert listing.installed == {
        "one": ("1.0.0", frozenset(), frozenset()),
        "two": ("1.0.0", frozenset({"process"}), frozenset()),
    }


def test_the_signature_and_fingerprint_change_with_a_grant(paths: HostPaths) -> None:
    assert store_signature(paths) is None
    _install(paths, "demo", PROCESS, ["process"])
    before = read_listing(paths, None)
    assert before.signature == store_signature(paths) and before.signature is not None
    state = json.loads(paths.state_file.read_text())
    state["plugins"]["demo"]["granted"] = []
    replacement = paths.state_file.with_suffix(".new")
    replacement.write_text(json.dumps(state))
    replacement.replace(paths.state_file)  # as the store writes: a new file in its place
    after = read_listing(paths, None)
    assert after.signature != before.signature
    assert after.fingerprint() != before.fingerprint()
    assert read_listing(paths, None).fingerprint() == after.fingerprint()


def test_an_unknown_tool_is_explained_by_what_is_served(paths: HostPaths) -> None:
    assert "no plugin is served" in read_listing(paths, None).why_unknown("x__y")
    _install(paths, "demo", "", [])
    listing = read_listing(paths, None)
    assert (
        listing.why_unknown("demo__stop") == "unknown tool 'demo__stop': demo has no command 'stop' (its commands: go)"
    )
    assert "'other' is not installed or not served" in listing.why_unknown("other__go")


def test_a_disabled_plugin_is_offered_as_no_tool_and_counts_as_gone(paths: HostPaths) -> None:
    _install(paths, "one", "", [])
    _install(paths, "two", "", [])
    LocalStore(paths).set_enabled("two", False)
    every = read_listing(paths, None)
    assert set(every.tools) == {"one__go"} and every.problems == ()  # all installed: skipped quietly
    assert set(every.installed) == {"one"}  # a call running in it is stopped, as for a removed plugin
    named = read_listing(paths, ["one", "two"])
    assert set(named.tools) == {"one__go"}
    assert named.problems == ("two is disabled (`acc plugin enable two` offers it again)",)
    LocalStore(paths).set_enabled("two", True)
    assert set(read_listing(paths, ["two"]).tools) == {"two__go"}
