"""The verified-publisher mark in `acc plugin search` (from the search API, unsigned like
every search result) and `acc plugin info` (from the plugin's signed index), exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from host.marketplace.search import _hit
from registry.context import Registry
from registry.publisher_verification import set_mark
from sdk.archive import PluginArchive
from sdk.publisher_mark import PublisherMark
from tests.cli.cli_kit import Acc, Plugin, ServedRegistry, served_registry

HEADER = "NAME        LATEST  PUBLISHER                        RATING  DOWNLOADS  CAPABILITIES  DESCRIPTION\n"
ROW = (
    "file-stats  1.0.0   alice (verified: alice.example)  -       0          fs, process   "
    "Counts files per extension.\n"
)


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory, example: PluginArchive) -> Iterator[ServedRegistry]:
    """A registry where alice, the publisher of file-stats, proved alice.example."""
    plugin = Plugin("file-stats", "1.0.0", "Counts files per extension.", "reporting")
    with served_registry(tmp_path_factory.mktemp("marked"), example, [plugin]) as served:
        yield served


def _mark(served: ServedRegistry, mark: PublisherMark | None) -> None:
    registry = served.app.extensions["acc_registry"]  # type: ignore[attr-defined]
    assert isinstance(registry, Registry)
    set_mark(registry, "alice", mark, actor="operator", remote_addr="local")


def test_search_shows_the_publisher_and_its_mark(acc: Acc, marked: ServedRegistry) -> None:
    _mark(marked, PublisherMark("dns", "alice.example"))
    acc.add(marked)
    assert acc("plugin", "search").stdout == HEADER + ROW
    [hit] = json.loads(acc("plugin", "search", "--json").stdout)
    assert (hit["owner"], hit["owner_verified"]) == (
        "alice",
        {"how": "dns", "domain": "alice.example", "text": "verified publisher: alice.example"},
    )


def test_search_shows_the_operators_mark_and_no_mark_once_removed(acc: Acc, marked: ServedRegistry) -> None:
    acc.add(marked)
    _mark(marked, PublisherMark("operator"))
    assert acc("plugin", "search").stdout == (
        "NAME        LATEST  PUBLISHER                         RATING  DOWNLOADS  CAPABILITIES  DESCRIPTION\n"
        "file-stats  1.0.0   alice (verified by the operator)  -       0          fs, process   "
        "Counts files per extension.\n"
    )
    _mark(marked, None)
    assert acc("plugin", "search").stdout == (
        "NAME        LATEST  PUBLISHER  RATING  DOWNLOADS  CAPABILITIES  DESCRIPTION\n"
        "file-stats  1.0.0   alice      -       0          fs, process   Counts files per extension.\n"
    )


def test_info_shows_the_mark_from_the_signed_index(acc: Acc, marked: ServedRegistry) -> None:
    _mark(marked, PublisherMark("well-known", "alice.example"))
    acc.add(marked)
    result = acc("plugin", "info", "file-stats")
    assert result.stdout.splitlines()[0] == (
        "file-stats on local (owner alice, verified publisher: alice.example), verified by its signed index"
    )
    document = json.loads(acc("plugin", "info", "file-stats", "--json").stdout)
    assert document["owner_verified"] == {
        "how": "well-known",
        "domain": "alice.example",
        "text": "verified publisher: alice.example",
    }


def test_info_without_a_mark_says_only_the_owner(acc: Acc, marked: ServedRegistry) -> None:
    _mark(marked, None)
    acc.add(marked)
    assert acc("plugin", "info", "file-stats").stdout.splitlines()[0] == (
        "file-stats on local (owner alice), verified by its signed index"
    )
    assert json.loads(acc("plugin", "info", "file-stats", "--json").stdout)["owner_verified"] is None


@pytest.mark.parametrize(
    "claimed",
    [
        {"how": "dns", "domain": "evil.example\x1b[2J"},
        {"how": "dns", "domain": "alice.example verified"},
        {"how": "root", "domain": None},
        {"how": "operator", "domain": "x" * 10_000},
        "operator",
        ["dns", "alice.example"],
    ],
)
def test_a_mark_a_marketplace_sends_that_is_not_one_is_not_shown(claimed: object) -> None:
    hit = _hit("local", {"name": "file-stats", "owner": "alice", "owner_verified": claimed})
    assert hit.owner_verified is None
