"""Requirements, the signed index's parsing and the version choice: pure functions, no network."""

from __future__ import annotations

import json
from typing import Any

import pytest
from packaging.version import Version

from host.errors import MarketplaceUntrusted, ResolutionError
from host.marketplace.index import PluginIndex, parse_index
from host.marketplace.resolve import parse_requirement, select_version

ABI = (Version("1.0.0"),)


def _entry(version: str, *, yanked: bool = False, reason: str = "", abi: str = ">=1.0,<2") -> dict[str, Any]:
    return {
        "version": version,
        "archive": f"git/git-{version}.plugin",
        "sha256": "a" * 64,
        "length": 10,
        "signature": f"git/git-{version}.plugin.sig",
        "signature_sha256": "b" * 64,
        "signature_length": 5,
        "signer": {"kind": "ed25519", "key_id": "0" * 16, "public_key": "ed25519:AAAA"},
        "yanked": yanked,
        "yank_reason": reason if yanked else None,
        "abi": abi,
        "capabilities": {},
        "dependencies": {},
        "published_at": "2025-01-01T00:00:00Z",
    }


def _index(*entries: dict[str, Any]) -> PluginIndex:
    document = {"format": 1, "name": "git", "owner": "alice", "deprecated": False, "versions": list(entries)}
    return parse_index(json.dumps(document).encode(), expected_name="git")


STANDARD = _index(
    _entry("1.0.0"),
    _entry("1.2.0"),
    _entry("1.3.0", yanked=True, reason="breaks diff"),
    _entry("2.0.0", abi=">=2,<3"),
    _entry("2.1.0rc1"),
)


@pytest.mark.parametrize(
    ("text", "name", "market", "spec"),
    [
        ("git", "git", None, ""),
        ("git>=1.2,<2", "git", None, "<2,>=1.2"),
        ("git@acme==1.4.0", "git", "acme", "==1.4.0"),
        ("code-quality@127.0.0.1-8080 ~= 1.2", "code-quality", "127.0.0.1-8080", "~=1.2"),
        # Names are lowercase, so another case names the same plugin (and marketplace).
        ("Git", "git", None, ""),
        ("Code-Quality@ACME==1.0RC1", "code-quality", "acme", "==1.0rc1"),
    ],
)
def test_requirements_parse_into_name_marketplace_and_specifier(
    text: str, name: str, market: str | None, spec: str
) -> None:
    requirement = parse_requirement(text)
    assert (requirement.name, requirement.marketplace, str(requirement.specifier)) == (name, market, spec)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("_Git", "'_Git' is not a plugin requirement"),
        ("../git", "'../git' is not a plugin requirement"),
        ("@acme", "'@acme' is not a plugin requirement"),
        ("", "'' is not a plugin requirement"),
        ("git>>1", "'>>1' is not a version specifier"),
        ("git@", "'@' is not a version specifier"),
    ],
)
def test_malformed_requirements_are_refused_with_the_syntax(text: str, message: str) -> None:
    with pytest.raises(ResolutionError) as refused:
        parse_requirement(text)
    assert refused.value.message.startswith(message)


@pytest.mark.parametrize(
    ("text", "chosen", "warning"),
    [
        ("git", "1.2.0", None),  # 1.3.0 yanked, 2.x needs ABI 2, rc excluded
        ("git<1.2", "1.0.0", None),
        ("git>=1.0,<1.3", "1.2.0", None),
        ("git==1.3.0", "1.3.0", "git 1.3.0 is yanked: breaks diff"),  # an exact pin takes a yanked version
        ("git==2.1.0rc1", "2.1.0rc1", None),  # pre-release only when pinned
    ],
)
def test_the_newest_allowed_version_is_chosen(text: str, chosen: str, warning: str | None) -> None:
    selection = select_version(STANDARD, parse_requirement(text), ABI)
    assert (selection.entry.version, selection.warning) == (chosen, warning)


def test_a_range_over_only_yanked_versions_says_how_to_pin() -> None:
    with pytest.raises(ResolutionError) as refused:
        select_version(STANDARD, parse_requirement("git>1.2,<2"), ABI)
    assert refused.value.message == (
        "every version of git matching <2,>1.2 is yanked (published: 1.0.0, 1.2.0, 1.3.0 (yanked), 2.0.0, 2.1.0rc1)"
    )
    assert refused.value.hint == "pin one exactly to install it anyway, e.g. `acc plugin install git==1.3.0`"


def test_versions_for_another_abi_are_explained() -> None:
    with pytest.raises(ResolutionError) as refused:
        select_version(STANDARD, parse_requirement("git>=2,<2.1"), ABI)
    assert refused.value.message == (
        "no version of git matching <2.1,>=2 runs on this host's plugin ABI 1.0.0 (2.0.0 needs ABI >=2,<3)"
    )


def test_an_unsatisfiable_specifier_lists_what_is_published() -> None:
    with pytest.raises(ResolutionError) as refused:
        select_version(_index(_entry("1.0.0"), _entry("1.1.0")), parse_requirement("git>=3"), ABI)
    assert refused.value.message == "no version of git satisfies >=3 (published: 1.0.0, 1.1.0)"


def test_only_prereleases_published_are_installable_without_a_pin() -> None:
    selection = select_version(_index(_entry("0.1.0a1"), _entry("0.1.0a2")), parse_requirement("git"), ABI)
    assert selection.entry.version == "0.1.0a2"


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"name": "gut"}, "it names plugin 'gut'"),
        ({"format": 2}, "unknown index format"),
        ({"versions": {}}, "versions is not a list"),
        ({"versions": [{**_entry("1.0.0"), "sha256": "nothex"}]}, "an archive sha256 is not 64 hex digits"),
        ({"versions": [{**_entry("1.0.0"), "length": True}]}, "an archive length is not a positive integer"),
        ({"versions": [{**_entry("1.0.0"), "signer": {"kind": "pgp"}}]}, "a version has no signer of a known kind"),
    ],
)
def test_a_malformed_index_is_refused_not_crashed_on(change: dict[str, Any], detail: str) -> None:
    document = {"format": 1, "name": "git", "owner": "alice", "deprecated": False, "versions": [], **change}
    with pytest.raises(MarketplaceUntrusted) as refused:
        parse_index(json.dumps(document).encode(), expected_name="git")
    assert refused.value.message == f"the signed index of git is malformed: {detail}"
