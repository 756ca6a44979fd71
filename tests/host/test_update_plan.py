"""Choosing an update or a rollback from a fresh signed index: pure functions, no network."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from host.errors import StoreError
from host.marketplace.index import PluginIndex
from host.marketplace.plan import choose_rollback, choose_update
from tests.host.test_marketplace_resolve import _entry, _index

ABI = (Version("1.0.0"),)
SHA = "a" * 64  # every entry of _entry has this archive hash


def _update(index: PluginIndex, installed: str) -> tuple[str, str | None, str]:
    choice = choose_update(index, installed, ABI)
    return choice.status, choice.target.version if choice.target else None, choice.note


@pytest.mark.parametrize(
    ("entries", "installed", "expected"),
    [
        ([_entry("1.0.0"), _entry("1.1.0")], "1.0.0", ("update", "1.1.0", "")),
        ([_entry("1.0.0"), _entry("1.1.0")], "1.1.0", ("current", None, "")),
        (
            [_entry("1.0.0"), _entry("1.1.0", yanked=True, reason="broken")],
            "1.0.0",
            ("current", None, "1.1.0 is yanked: broken"),
        ),
        ([_entry("1.0.0"), _entry("2.0.0", abi=">=2,<3")], "1.0.0", ("current", None, "")),
        (
            [_entry("1.0.0"), _entry("1.1.0", yanked=True, reason="broken")],
            "1.1.0",
            ("held", "1.0.0", "git 1.1.0 is yanked: broken; the newest version that is not yanked is 1.0.0"),
        ),
        (
            [_entry("1.0.0")],
            "1.5.0",
            (
                "held",
                "1.0.0",
                "git 1.5.0 is no longer listed by the marketplace; the newest version that is not yanked is 1.0.0",
            ),
        ),
        (
            [_entry("1.0.0", yanked=True, reason="broken")],
            "1.0.0",
            ("none", None, "every version of git matching any version is yanked (published: 1.0.0 (yanked))"),
        ),
    ],
)
def test_update_choice(entries: list[dict[str, object]], installed: str, expected: tuple[str, str | None, str]) -> None:
    assert _update(_index(*entries), installed) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dependents", "expected"),
    [
        ([("tool 1.0", ">=1")], ("update", "2.0.0", "")),
        ([("tool 1.0", "<2")], ("update", "1.5.0", "2.0.0 is available, but tool 1.0 needs git<2")),
        (
            [("tool 1.0", "<2"), ("lint 3.1", "<1.5")],
            ("current", None, "2.0.0 is available, but tool 1.0 needs git<2 and lint 3.1 needs git<1.5"),
        ),
        (
            [("tool 1.0", "<2"), ("lint 3.1", "==3")],
            ("current", None, "2.0.0 is available, but tool 1.0 needs git<2 and lint 3.1 needs git==3"),
        ),
    ],
)
def test_an_update_stays_within_what_installed_dependents_accept(
    dependents: list[tuple[str, str]], expected: tuple[str, str | None, str]
) -> None:
    index = _index(_entry("1.0.0"), _entry("1.5.0"), _entry("2.0.0"))
    choice = choose_update(index, "1.0.0", ABI, [(who, SpecifierSet(spec)) for who, spec in dependents])
    assert (choice.status, choice.target.version if choice.target else None, choice.note) == expected


def test_rollback_picks_the_newest_earlier_kept_version_the_index_vouches_for() -> None:
    index = _index(_entry("1.0.0"), _entry("1.1.0"), _entry("1.2.0", yanked=True, reason="x"), _entry("1.3.0"))
    choice = choose_rollback(index, "1.3.0", {"1.0.0": SHA, "1.1.0": SHA, "1.2.0": SHA}, "local", None)
    assert (choice.target, choice.confirm_reason) == ("1.1.0", "")


def test_rollback_never_picks_a_later_version_by_itself() -> None:
    index = _index(_entry("1.0.0"), _entry("1.1.0"))
    with pytest.raises(StoreError) as refused:
        choose_rollback(index, "1.0.0", {"1.1.0": SHA}, "local", None)
    assert refused.value.message == "git has no earlier version kept to roll back to (current: 1.0.0)"


def test_rollback_explains_why_each_kept_version_is_refused() -> None:
    index = _index(_entry("1.1.0", yanked=True, reason="broken"), _entry("1.2.0"))
    with pytest.raises(StoreError) as refused:
        choose_rollback(index, "1.2.0", {"1.0.0": SHA, "1.1.0": SHA}, "local", None)
    assert refused.value.message == (
        "no kept earlier version of git can be rolled back to: 1.1.0 is yanked: "
        "broken; 1.0.0 is no longer listed in local's signed index"
    )


def test_rollback_to_a_named_unlisted_or_yanked_version_needs_confirmation_with_the_reason() -> None:
    index = _index(_entry("1.1.0", yanked=True, reason="broken"), _entry("1.2.0"))
    kept = {"1.0.0": SHA, "1.1.0": SHA}
    assert choose_rollback(index, "1.2.0", kept, "local", "1.1.0").confirm_reason == "1.1.0 is yanked: broken"
    assert (
        choose_rollback(index, "1.2.0", kept, "local", "1.0.0").confirm_reason
        == "1.0.0 is no longer listed in local's signed index"
    )


def test_rollback_refuses_a_kept_copy_whose_hash_the_index_does_not_list_even_when_named() -> None:
    index = _index(_entry("1.0.0"), _entry("1.1.0"))
    with pytest.raises(StoreError) as refused:
        choose_rollback(index, "1.1.0", {"1.0.0": "c" * 64}, "local", "1.0.0")
    assert refused.value.message == (
        "not rolling back git to 1.0.0: the kept copy of 1.0.0 (sha256 cccccccccccccccc…) "
        "is not the archive local signs for it (sha256 aaaaaaaaaaaaaaaa…)"
    )


def test_rollback_to_a_version_that_is_not_kept_says_how_to_install_it() -> None:
    with pytest.raises(StoreError) as refused:
        choose_rollback(_index(_entry("1.0.0"), _entry("1.1.0")), "1.1.0", {}, "local", "1.0.0")
    assert refused.value.message == "git 1.0.0 is not kept in the store (kept previous versions: none)"
    assert refused.value.hint == "install it with `acc plugin install git==1.0.0`"
