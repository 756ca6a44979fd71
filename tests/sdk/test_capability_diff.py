"""The capability difference between two versions, in plain words, and the grants carried over."""

from __future__ import annotations

import pytest

from sdk.capabilities import Capability
from sdk.capabilities.diff import carried_grants, diff_capabilities, diff_summaries
from sdk.capabilities.fs import FsCapability
from sdk.capabilities.http import HttpCapability
from sdk.capabilities.kv import KvCapability
from sdk.capabilities.llm import LlmCapability
from sdk.capabilities.plugins import PluginsCapability
from sdk.capabilities.process import ProcessCapability
from sdk.capabilities.secrets import SecretsCapability

R = "why"
FS_READ = FsCapability(R)
FS_RW = FsCapability(R, writable=True)
GIT = ProcessCapability(R, programs=("git",))
GIT_MAKE = ProcessCapability(R, programs=("git", "make"))
GITHUB = HttpCapability(R, hosts=("api.github.com",))
GITHUB_PYPI = HttpCapability(R, hosts=("api.github.com", "pypi.org"))
KV_SMALL = KvCapability(R, quota_bytes=1000)
KV_BIG = KvCapability(R, quota_bytes=5000)
LLM_SMALL = LlmCapability(R, max_tokens=100)
LLM_BIG = LlmCapability(R, max_tokens=200)
CALL_GIT = PluginsCapability(R, plugins=("git",))
CALL_GIT_DOCS = PluginsCapability(R, plugins=("git", "docs"))
TOKEN = SecretsCapability(R, secrets=("GITHUB_TOKEN",))
TOKENS = SecretsCapability(R, secrets=("GITHUB_TOKEN", "PYPI_TOKEN"))


@pytest.mark.parametrize(
    ("old", "new", "texts"),
    [
        ({}, {"kv": KV_SMALL}, ["new capability kv: store data (up to 1000 bytes) (why: why)"]),
        ({"process": GIT}, {"process": GIT_MAKE}, ["process: may now run: make"]),
        ({"http": GITHUB}, {"http": GITHUB_PYPI}, ["http: may now connect to: pypi.org"]),
        ({"fs": FS_READ}, {"fs": FS_RW}, ["fs: may now change and delete files in the project (was read-only)"]),
        ({"secrets": TOKEN}, {"secrets": TOKENS}, ["secrets: may now read secret: PYPI_TOKEN"]),
        ({"plugins": CALL_GIT}, {"plugins": CALL_GIT_DOCS}, ["plugins: may now call plugin: docs"]),
        ({"kv": KV_SMALL}, {"kv": KV_BIG}, ["kv: may store up to 5000 bytes (was 1000)"]),
        ({"llm": LLM_SMALL}, {"llm": LLM_BIG}, ["llm: may ask Claude for up to 200 tokens per call (was 100)"]),
    ],
)
def test_each_kind_of_widening_is_named_in_plain_words(
    old: dict[str, Capability], new: dict[str, Capability], texts: list[str]
) -> None:
    diff = diff_capabilities(old, new)
    assert [c.text for c in diff.wider] == texts
    assert diff.narrower == ()
    assert diff.widens


@pytest.mark.parametrize(
    ("old", "new", "texts"),
    [
        ({"fs": FS_READ}, {}, ["no longer uses fs (read the project)"]),
        ({"process": GIT_MAKE}, {"process": GIT}, ["process: no longer runs: make"]),
        ({"fs": FS_RW}, {"fs": FS_READ}, ["fs: now only reads the project (was read-write)"]),
        ({"kv": KV_BIG}, {"kv": KV_SMALL}, ["kv: may store up to 1000 bytes (was 5000)"]),
        ({"secrets": TOKENS}, {"secrets": TOKEN}, ["secrets: no longer reads secret: PYPI_TOKEN"]),
    ],
)
def test_narrowing_is_described_but_does_not_widen(
    old: dict[str, Capability], new: dict[str, Capability], texts: list[str]
) -> None:
    diff = diff_capabilities(old, new)
    assert [c.text for c in diff.narrower] == texts
    assert not diff.widens


def test_same_capabilities_with_a_new_reason_are_no_change() -> None:
    diff = diff_capabilities({"process": GIT}, {"process": ProcessCapability("another reason", programs=("git",))})
    assert diff.changes == ()
    assert diff.summary() == "same capabilities"


def test_one_program_swapped_for_another_is_both_wider_and_narrower() -> None:
    diff = diff_capabilities({"process": GIT}, {"process": ProcessCapability(R, programs=("make",))})
    assert diff.summary() == "process: may now run: make; process: no longer runs: git"
    assert diff.widens


def test_grants_are_kept_for_unchanged_and_narrowed_kinds_and_dropped_for_removed_ones() -> None:
    old = {"fs": FS_RW, "process": GIT_MAKE, "http": GITHUB}
    new = {"fs": FS_READ, "process": GIT_MAKE}
    assert carried_grants(frozenset({"fs", "process", "http"}), old, new, approved=False) == {"fs", "process"}


def test_a_denied_kind_stays_denied_even_when_the_widening_is_approved() -> None:
    old, new = {"process": GIT}, {"process": GIT_MAKE, "kv": KV_SMALL}
    assert carried_grants(frozenset(), old, new, approved=True) == {"kv"}


def test_new_and_widened_kinds_are_granted_only_when_approved() -> None:
    old, new = {"process": GIT}, {"process": GIT_MAKE, "kv": KV_SMALL}
    assert carried_grants(frozenset({"process"}), old, new, approved=True) == {"process", "kv"}
    assert carried_grants(frozenset({"process"}), old, new, approved=False) == frozenset()


def test_widenings_can_be_approved_kind_by_kind() -> None:
    old, new = {"process": GIT}, {"process": GIT_MAKE, "kv": KV_SMALL}
    assert carried_grants(frozenset({"process"}), old, new, approved=frozenset({"kv"})) == {"kv"}
    assert carried_grants(frozenset({"process"}), old, new, approved=frozenset({"process"})) == {"process"}


def test_index_summaries_give_a_coarse_diff_that_treats_any_scope_change_as_wider() -> None:
    diff = diff_summaries(
        {"fs": "read the project", "process": "run programs: git"},
        {"process": "run programs: git, make", "kv": "store data (up to 10 bytes)"},
    )
    assert [(c.text, c.widens) for c in diff.changes] == [
        ("new capability kv: store data (up to 10 bytes)", True),
        ("process: run programs: git, make (was: run programs: git)", True),
        ("no longer uses fs", False),
    ]
