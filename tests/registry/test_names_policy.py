"""Look-alike and near-typo names, short ones included (the pure rule; publishing refuses
them with 409, tests/registry/test_publish_refusals.py)."""

from __future__ import annotations

import pytest

from registry.names_policy import imitates


@pytest.mark.parametrize(
    ("new", "taken"),
    [
        ("gitt", "git"),  # a letter added
        ("ggit", "git"),
        ("gt", "git"),  # a letter dropped
        ("gti", "git"),  # neighbours swapped
        ("igt", "git"),
        ("git2", "git"),  # a number at the end
        ("git-2", "git"),
        ("git22", "git"),
        ("git", "git2"),  # either way round
        ("g1tt", "git"),  # look-alike characters and a typo together
        ("jqq", "jq"),
        ("jq2", "jq"),
        ("project-stat", "project-stats"),  # long names: any one edit
        ("project-stata", "project-stats"),
        ("porject-stats", "project-stats"),
    ],
)
def test_near_typos_of_a_taken_name_are_refused(new: str, taken: str) -> None:
    assert imitates(new, taken) is not None


@pytest.mark.parametrize(
    ("new", "taken"),
    [
        ("gif", "git"),  # a changed letter between short names is usually another word
        ("got", "git"),
        ("yq", "jq"),
        ("gitlab", "git"),  # more than one letter apart
        ("git-tools", "git"),
        ("go", "git"),
        ("lint", "mint"),
        ("code-quality", "code-review"),
    ],
)
def test_distinct_names_are_allowed(new: str, taken: str) -> None:
    assert imitates(new, taken) is None
