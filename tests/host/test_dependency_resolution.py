"""Dependency resolution over signed indexes: pure functions, indexes built in memory."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from host.errors import ResolutionError
from host.marketplace import dependencies
from host.marketplace.dependencies import Installed, Pick, resolve_install
from host.marketplace.index import PluginIndex, parse_index
from host.marketplace.resolve import parse_requirement

ABI = (Version("1.0.0"),)
MARKET = "acme"

# name -> [(version, {dep: specifier}) or (version, {dep: specifier}, {"yanked"/"reason"/"abi": ...})]
Catalog = Mapping[str, list[Any]]


def _index(name: str, versions: list[Any]) -> PluginIndex:
    entries = []
    for item in versions:
        version, deps, *rest = item
        options: dict[str, Any] = rest[0] if rest else {}
        entries.append(
            {
                "version": version,
                "archive": f"{name}/{name}-{version}.plugin",
                "sha256": "a" * 64,
                "length": 10,
                "signature": f"{name}/{name}-{version}.plugin.sig",
                "signature_sha256": "b" * 64,
                "signature_length": 5,
                "signer": {"kind": "ed25519", "key_id": "0" * 16, "public_key": "ed25519:AAAA"},
                "yanked": options.get("yanked", False),
                "yank_reason": options.get("reason"),
                "abi": options.get("abi", ">=1.0,<2"),
                "capabilities": {},
                "dependencies": deps,
            }
        )
    document = {"format": 1, "name": name, "owner": "alice", "deprecated": False, "versions": entries}
    return parse_index(json.dumps(document).encode(), expected_name=name)


def resolve(catalog: Catalog, requirement: str, installed: Mapping[str, Installed] | None = None) -> list[Pick]:
    indexes = {name: _index(name, versions) for name, versions in catalog.items()}
    looked_up: list[str] = []

    def lookup(name: str) -> PluginIndex | None:
        looked_up.append(name)
        return indexes.get(name)

    parsed = parse_requirement(requirement)
    picks = resolve_install(
        parsed, indexes[parsed.name], marketplace=MARKET, lookup=lookup, installed=installed or {}, abi_versions=ABI
    )
    assert len(looked_up) == len(set(looked_up)), f"an index was fetched twice: {looked_up}"
    return picks


def labels(picks: list[Pick]) -> list[str]:
    return [p.label + ("" if p.entry is not None else " (kept)") for p in picks]


def refusal(catalog: Catalog, requirement: str, installed: Mapping[str, Installed] | None = None) -> ResolutionError:
    with pytest.raises(ResolutionError) as refused:
        resolve(catalog, requirement, installed)
    return refused.value


def installed(name: str, version: str, deps: dict[str, str] | None = None, marketplace: str = MARKET) -> Installed:
    return Installed(name, version, marketplace, {d: SpecifierSet(s) for d, s in (deps or {}).items()})


def test_a_plugin_without_dependencies_resolves_to_itself() -> None:
    assert labels(resolve({"a": [("1.0", {}), ("2.0", {})]}, "a")) == ["a 2.0"]


def test_dependencies_come_first_and_transitively() -> None:
    catalog = {
        "a": [("1.0", {"b": ">=1"})],
        "b": [("1.0", {"c": ""}), ("1.5", {"c": ">=2"})],
        "c": [("1.0", {}), ("2.0", {}), ("3.0", {})],
    }
    picks = resolve(catalog, "a")
    assert labels(picks) == ["c 3.0", "b 1.5", "a 1.0"]
    assert [p.needed_by for p in picks] == [("b 1.5",), ("a 1.0",), ()]


def test_an_installed_dependency_that_fits_is_kept_not_upgraded() -> None:
    catalog = {"a": [("1.0", {"b": ">=1"})], "b": [("1.0", {}), ("2.0", {})]}
    assert labels(resolve(catalog, "a", {"b": installed("b", "1.0")})) == ["b 1.0 (kept)", "a 1.0"]


def test_an_installed_dependency_that_does_not_fit_is_upgraded() -> None:
    catalog = {"a": [("1.0", {"b": ">=2"})], "b": [("1.0", {}), ("2.0", {}), ("2.1", {})]}
    assert labels(resolve(catalog, "a", {"b": installed("b", "1.0")})) == ["b 2.1", "a 1.0"]


def test_backtracking_picks_an_older_dependency_that_satisfies_everyone() -> None:
    catalog = {
        "a": [("1.0", {"b": "", "c": ""})],
        "b": [("1.0", {}), ("2.0", {}), ("3.0", {})],
        "c": [("1.0", {"b": "<3"})],
    }
    assert labels(resolve(catalog, "a")) == ["b 2.0", "c 1.0", "a 1.0"]


def test_backtracking_falls_back_to_an_older_requested_version() -> None:
    catalog = {"a": [("1.0", {"b": "<2"}), ("2.0", {"b": ">=5"})], "b": [("1.0", {}), ("2.0", {})]}
    assert labels(resolve(catalog, "a")) == ["b 1.0", "a 1.0"]


def test_yanked_prerelease_and_other_abi_dependencies_are_never_picked() -> None:
    catalog = {
        "a": [("1.0", {"b": ""})],
        "b": [
            ("1.0", {}),
            ("1.1", {}, {"yanked": True, "reason": "broken"}),
            ("1.2", {}, {"abi": ">=2"}),
            ("1.3rc1", {}),
        ],
    }
    assert labels(resolve(catalog, "a")) == ["b 1.0", "a 1.0"]


def test_a_dependency_specifier_naming_a_prerelease_admits_it() -> None:
    catalog = {"a": [("1.0", {"b": ">=1.3rc1"})], "b": [("1.0", {}), ("1.3rc1", {})]}
    assert labels(resolve(catalog, "a")) == ["b 1.3rc1", "a 1.0"]


def test_an_unsatisfiable_dependency_names_who_needs_what_and_what_exists() -> None:
    catalog = {"a": [("1.0", {"b": ">=3"})], "b": [("1.0", {}), ("2.0", {}, {"yanked": True})]}
    error = refusal(catalog, "a")
    assert error.message == (
        "a 1.0 needs b>=3, and no published version of b satisfies it (published: 1.0, 2.0 (yanked))"
    )


def test_a_dependency_the_marketplace_does_not_publish_is_named() -> None:
    error = refusal({"a": [("1.0", {"ghost": ">=1"})]}, "a")
    assert error.message == "a 1.0 needs ghost, which marketplace acme does not publish"


def test_two_dependents_that_disagree_are_explained_in_words() -> None:
    catalog = {"a": [("1.0", {"b": ">=2", "c": ""})], "b": [("1.0", {}), ("2.0", {})], "c": [("1.0", {"b": "<2"})]}
    error = refusal(catalog, "a")
    assert error.message == ("cannot install a: c 1.0 needs b<2, but b 2.0 is the b chosen (a 1.0 needs it)")


def test_an_installed_plugin_keeps_its_dependency_from_being_moved_under_it() -> None:
    catalog = {"a": [("1.0", {"b": ">=2"})], "b": [("1.0", {}), ("2.0", {})]}
    error = refusal(catalog, "a", {"b": installed("b", "1.0"), "c": installed("c", "1.0", {"b": "<2"})})
    assert error.message == (
        "c 1.0 (installed) needs b<2; a 1.0 needs b>=2, and no published version of b "
        "satisfies all of that (published: 1.0, 2.0)"
    )
    assert error.hint == "update or remove c 1.0 (installed) first"


def test_installing_a_version_an_installed_dependent_excludes_is_refused() -> None:
    catalog = {"b": [("1.0", {}), ("2.0", {})]}
    error = refusal(catalog, "b>=2", {"b": installed("b", "1.0"), "c": installed("c", "1.0", {"b": "<2"})})
    assert error.message.startswith("cannot install b>=2: c 1.0 (installed) needs b<2; you need b>=2, and no ")
    assert error.hint == "update or remove c 1.0 (installed) first"


def test_an_installed_dependent_limits_the_requested_plugin_to_versions_it_accepts() -> None:
    catalog = {"b": [("1.0", {}), ("1.5", {}), ("2.0", {})]}
    assert labels(resolve(catalog, "b", {"c": installed("c", "1.0", {"b": "<2"})})) == ["b 1.5"]


def test_what_a_replaced_plugin_needed_stops_counting() -> None:
    catalog = {
        "a": [("1.0", {"b": ">=2", "d": ">=2"})],
        "b": [("1.0", {"d": "<2"}), ("2.0", {"d": ">=2"})],
        "d": [("1.0", {}), ("2.0", {})],
    }
    have = {"b": installed("b", "1.0", {"d": "<2"}), "d": installed("d", "1.0")}
    assert labels(resolve(catalog, "a", have)) == ["d 2.0", "b 2.0", "a 1.0"]


def test_a_dependency_installed_from_another_source_is_a_conflict_not_a_substitute() -> None:
    catalog = {"a": [("1.0", {"b": ""})], "b": [("1.0", {})]}
    error = refusal(catalog, "a", {"b": installed("b", "1.0", marketplace="")})
    assert error.message == "a 1.0 needs b from acme, but the installed b 1.0 came from an archive file"
    assert "acc plugin remove b" in (error.hint or "")
    error = refusal(catalog, "a", {"b": installed("b", "1.0", marketplace="other")})
    assert error.message.endswith("came from marketplace other")


def test_a_dependency_cycle_is_refused_with_its_path() -> None:
    catalog = {"a": [("2.0", {"b": ""})], "b": [("1.0", {"c": ""})], "c": [("1.0", {"a": ">=1"})]}
    error = refusal(catalog, "a")
    assert error.message == "a dependency cycle: a 2.0 → b 1.0 → c 1.0 → a 2.0"


def test_a_plugin_that_depends_on_itself_is_a_cycle() -> None:
    error = refusal({"a": [("1.0", {"a": ""})]}, "a")
    assert error.message == "a dependency cycle: a 1.0 → a 1.0"


@pytest.mark.parametrize(
    ("deps", "fragment"),
    [
        ({"B": ">=1"}, "lists a dependency that is not NAME = SPECIFIER"),
        ({"../b": ">=1"}, "lists a dependency that is not NAME = SPECIFIER"),
        ({"b": ">>1"}, "needs b '>>1', which is not a version specifier"),
    ],
)
def test_malformed_dependencies_in_a_signed_index_are_refused(deps: dict[str, str], fragment: str) -> None:
    error = refusal({"a": [("1.0", deps)], "b": [("1.0", {})]}, "a")
    assert fragment in error.message


def test_the_search_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every version of a needs some b, and every b rules a out: without a bound the search tries them all.
    monkeypatch.setattr(dependencies, "MAX_STEPS", 50)
    catalog = {
        "a": [(f"{n}.0", {"b": ""}) for n in range(1, 40)],
        "b": [(f"{n}.0", {"c": "<0"}) for n in range(1, 40)],
        "c": [("1.0", {})],
    }
    error = refusal(catalog, "a")
    assert error.message == "gave up choosing versions for a after 50 tries"
