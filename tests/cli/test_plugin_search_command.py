"""`acc plugin search` against a real registry: descriptions, filters, orders, every page,
and its refusals, with the exact output."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.cli.cli_kit import Acc, ServedRegistry

HEADER = "NAME           LATEST  PUBLISHER  RATING  DOWNLOADS  CAPABILITIES       DESCRIPTION\n"
FILE_STATS = (
    "file-stats     1.0.0   alice      -       0          fs, process        Counts files per extension for a report.\n"
)
PROJECT_STATS = (
    "project-stats  1.1.0   alice      -       0          fs, process        "
    "Counts a project's files and lines by language.\n"
)
STATS_NEXT = (
    "stats-next     1.0.0   alice      -       0          fs, process        "
    "The next version of the statistics plugin, with a much long…\n"
)
WEB_STATS = (
    "web-stats      1.0.0   alice      -       0          fs, http, process  "
    "Counts lines and posts the summary to a dashboard over HTTP.\n"
)


@pytest.fixture
def searcher(acc: Acc, catalog: ServedRegistry) -> Acc:
    acc.add(catalog)
    return acc


def test_search_lists_every_plugin_with_its_description_cut_to_the_table(searcher: Acc) -> None:
    result = searcher("plugin", "search")
    assert result.stdout == HEADER + FILE_STATS + PROJECT_STATS + STATS_NEXT + WEB_STATS
    assert result.stderr == ""


def test_search_reads_every_page_not_only_the_first(searcher: Acc, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three pages of two: the same four plugins as one page of a hundred (no silent stop at page 1)."""
    import host.marketplace.search

    monkeypatch.setattr(host.marketplace.search, "PAGE_SIZE", 2)
    assert searcher("plugin", "search", "--sort", "name").stdout == (
        HEADER + FILE_STATS + PROJECT_STATS + STATS_NEXT + WEB_STATS
    )


def test_search_filters_by_capability_network_and_category(searcher: Acc) -> None:
    only_web = (
        "NAME       LATEST  PUBLISHER  RATING  DOWNLOADS  CAPABILITIES       DESCRIPTION\n"
        "web-stats  1.0.0   alice      -       0          fs, http, process  "
        "Counts lines and posts the summary to a dashboard over HTTP.\n"
    )
    assert searcher("plugin", "search", "--capability", "http").stdout == only_web
    assert searcher("plugin", "search", "--capability", "HTTP").stdout == only_web  # kinds are lowercase
    offline_header = "NAME           LATEST  PUBLISHER  RATING  DOWNLOADS  CAPABILITIES  DESCRIPTION\n"
    assert searcher("plugin", "search", "--no-network").stdout == (
        offline_header + "file-stats     1.0.0   alice      -       0          fs, process   "
        "Counts files per extension for a report.\n"
        "project-stats  1.1.0   alice      -       0          fs, process   "
        "Counts a project's files and lines by language.\n"
        "stats-next     1.0.0   alice      -       0          fs, process   "
        "The next version of the statistics plugin, with a much long…\n"
    )
    assert searcher("plugin", "search", "--category", "reporting").stdout == (
        "NAME        LATEST  PUBLISHER  RATING  DOWNLOADS  CAPABILITIES  DESCRIPTION\n"
        "file-stats  1.0.0   alice      -       0          fs, process   Counts files per extension for a report.\n"
    )


def test_search_words_and_filters_that_match_nothing_say_so(searcher: Acc) -> None:
    assert searcher("plugin", "search", "dashboard", "--no-network").stdout == (
        "no plugins match 'dashboard' with these filters\n"
    )
    assert searcher("plugin", "search", "nothing-like-it").stdout == "no plugins match 'nothing-like-it'\n"
    assert searcher("plugin", "search", "--category", "games").stdout == "no plugins match these filters\n"
    assert searcher("plugin", "search", "--category", "games", "--json").stdout == "[]\n"


def test_search_json_is_every_field_of_every_result(searcher: Acc, catalog: ServedRegistry) -> None:
    with urllib.request.urlopen(f"{catalog.url}/api/v1/plugins?q=web-stats") as response:
        updated_at = json.loads(response.read())["plugins"][0]["updated_at"]
    expected = [
        {
            "name": "web-stats",
            "marketplace": "local",
            "latest_version": "1.0.0",
            "description": "Counts lines and posts the summary to a dashboard over HTTP.",
            "owner": "alice",
            "owner_verified": None,
            "capabilities": ["fs", "http", "process"],
            "categories": ["analysis"],
            "keywords": ["statistics", "files", "example"],
            "downloads": 0,
            "rating": None,
            "rating_count": 0,
            "deprecated": False,
            "updated_at": updated_at,
        }
    ]
    result = searcher("plugin", "search", "--capability", "http", "--json")
    assert result.stdout == json.dumps(expected, indent=2) + "\n"


def test_searching_two_marketplaces_adds_a_marketplace_column(
    searcher: Acc, shop: ServedRegistry, catalog: ServedRegistry
) -> None:
    searcher.add(shop, "shop")
    # The shop has no http plugin: one row, from local, with the column that says so.
    assert searcher("plugin", "search", "--capability", "http").stdout == (
        "NAME       LATEST  PUBLISHER  RATING  DOWNLOADS  CAPABILITIES       MARKETPLACE  DESCRIPTION\n"
        "web-stats  1.0.0   alice      -       0          fs, http, process  local        "
        "Counts lines and posts the summary to a dashboard over HTTP.\n"
    )
    names = [hit["name"] for hit in json.loads(searcher("plugin", "search", "--sort", "name", "--json").stdout)]
    assert names == sorted(names) and names.count("project-stats") == 2  # merged in name order


def test_an_unknown_capability_is_refused_with_the_kinds(searcher: Acc) -> None:
    result = searcher("plugin", "search", "--capability", "htp", code=2)
    assert result.stderr.endswith(
        "Error: Invalid value for '--capability': 'htp' is not a capability kind; did you mean http? "
        "(the kinds: fs, http, kv, llm, plugins, process, secrets)\n"
    )


def test_an_unknown_sort_is_refused_with_the_orders(searcher: Acc) -> None:
    result = searcher("plugin", "search", "--sort", "stars", code=2)
    assert result.stderr.endswith(
        "Error: Invalid value for '--sort': 'stars' is not one of "
        "'relevance', 'downloads', 'rating', 'recent', 'name'.\n"
    )


def test_an_unknown_marketplace_is_refused_with_a_suggestion(searcher: Acc) -> None:
    result = searcher("plugin", "search", "--marketplace", "locl", code=1)
    assert result.stderr == "error: no marketplace named 'locl' (added: local)\n  hint: did you mean local?\n"
    assert result.stdout == ""


def test_searching_without_a_marketplace_says_how_to_add_one(acc: Acc) -> None:
    result = acc("plugin", "search", "stats", code=1)
    assert result.stderr == (
        "error: no marketplace has been added\n  hint: add one with `acc marketplace add URL --root-sha256 HEX`\n"
    )
