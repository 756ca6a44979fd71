"""`acc registry admin` and `acc registry moderate`, run by an operator on a served registry's
data directory while a user's real `acc` installs from it over HTTP: a take-down reaches the
user through the signed TUF metadata alone (install and update refuse it), and a restore
brings it back. Exact output; other people's text is printed terminal-safe.

One registry for the module (tests/cli/cli_kit.py serves it from a thread); each test uses
different things (take-downs; reviews and reports), so they may run in any order. Both
plugins are packed as tests/cli's SHOP packs them, so the suite packs them once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select

from registry import community
from registry.context import Registry
from registry.models import Plugin as PluginRow
from registry.models import Review, User
from sdk.archive import PluginArchive
from tests.cli.cli_kit import STATS, Acc, Plugin, ServedRegistry, publisher_key_id, served_registry
from tests.helpers import TEST_CACHE
from tests.registry_kit import make_publisher

PLUGINS = [
    Plugin("project-stats", "1.0.0", STATS),
    Plugin("file-stats", "1.0.0", "Counts files per extension for a report.", "reporting"),
]


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory, example: PluginArchive) -> Iterator[ServedRegistry]:
    with served_registry(tmp_path_factory.mktemp("moderated"), example, PLUGINS) as served:
        make_publisher(served.app.extensions["acc_registry"].config, "bob", served.data.parent)  # type: ignore[attr-defined]
        yield served


class Operator:
    """`acc registry ...` on the served registry's data directory (the operator's shell)."""

    def __init__(self, acc: Acc, market: ServedRegistry) -> None:
        self.acc, self.data = acc, market.data
        # The served registry's settings that the commands read from the environment.
        acc.env["REGISTRY_BIN_BITS"] = "4"

    def __call__(self, *args: str, code: int = 0) -> Result:
        return self.acc("registry", *args, "--data", str(self.data), code=code)


@pytest.fixture
def operator(tmp_path: Path, market: ServedRegistry) -> Operator:
    return Operator(Acc(tmp_path / "operator-home", TEST_CACHE), market)


def test_a_take_down_reaches_acc_through_signed_metadata_and_a_restore_brings_the_plugin_back(
    acc: Acc, operator: Operator, market: ServedRegistry
) -> None:
    key = publisher_key_id(market)
    acc.add(market, "shop")
    acc("plugin", "install", "project-stats", "--yes")

    down = operator("moderate", "take-down", "project-stats", "--reason", "mines crypto\x1b[2J")
    assert down.stdout == "took down project-stats (versions yanked: 1.0.0)\n"
    assert operator("moderate", "take-down", "file-stats", "--reason", "spam").stdout == (
        "took down file-stats (versions yanked: 1.0.0)\n"
    )
    listed = operator("moderate", "taken-down").stdout.splitlines()
    assert [line.split()[:2] for line in listed] == [
        ["PLUGIN", "OWNER"],
        ["file-stats", "alice"],
        ["project-stats", "alice"],
    ]
    assert listed[2].endswith("mines crypto\\x1b[2J"), "the reason is printed terminal-safe"
    [entry, _] = json.loads(operator("moderate", "taken-down", "--json").stdout)
    assert (entry["plugin"], entry["owner"], entry["reason"]) == ("file-stats", "alice", "spam")

    # The user's acc learns it from the signed metadata alone: no update, no install, not
    # even of a version pinned exactly (which a mere yank allows), and not in search.
    update = acc("plugin", "update")
    assert (update.stdout, update.stderr) == (
        "",
        "project-stats 1.0.0: project-stats was taken down by the marketplace's moderators: mines crypto\\x1b[2J\n"
        "  project-stats 1.0.0 is still installed and runs: `acc plugin remove project-stats` removes it, "
        "`acc plugin disable project-stats` stops it\n",
    )
    shown = acc("plugin", "info", "project-stats", "--available").stdout.splitlines()
    assert "  TAKEN DOWN by the marketplace's moderators: mines crypto\\x1b[2J (no version installs)" in shown
    as_json = json.loads(acc("plugin", "info", "project-stats", "--available", "--json").stdout)
    assert as_json["taken_down"] == "mines crypto\x1b[2J"
    for wanted in ("file-stats", "file-stats==1.0.0"):
        refused = acc("plugin", "install", wanted, "--yes", code=1)
        assert refused.stderr == (
            "error: file-stats was taken down by the marketplace's moderators: spam\n"
            "  hint: no version of it can be installed or updated to from this marketplace\n"
        )
    assert [p["name"] for p in json.loads(acc("plugin", "search", "stats", "--json").stdout)] == []

    assert operator("moderate", "restore", "file-stats").stdout == "restored file-stats (versions un-yanked: 1.0.0)\n"
    installed = acc("plugin", "install", "file-stats", "--yes")
    assert installed.stdout.startswith(f"file-stats 1.0.0 from shop: signed by ed25519 key {key}")
    refused = operator("moderate", "restore", "file-stats", code=1)
    assert refused.stderr == "error: file-stats is not taken down\n"


def _seed_community(market: ServedRegistry) -> None:
    registry = market.app.extensions["acc_registry"]  # type: ignore[attr-defined]
    assert isinstance(registry, Registry)
    with registry.db.write() as session:
        file_stats = session.execute(select(PluginRow).where(PluginRow.name == "file-stats")).scalar_one()
        alice, bob = (session.execute(select(User).where(User.name == n)).scalar_one() for n in ("alice", "bob"))
        community.save_review(session, bob, file_stats, 1, "Spam \x1b]0;owned\x07 link", "")
        community.save_review(session, alice, file_stats, 5, "Mine", "")
        report = community.report_plugin(session, bob, file_stats, "Steals\nkeys", "")
        session.flush()
        # Fixed times, so the lists' output is exact.
        report.created_at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
        for review in session.execute(select(Review).where(Review.plugin_id == file_stats.id)).scalars():
            review.updated_at = (
                datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
                if review.stars == 1
                else datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
            )


def test_admins_reports_and_reviews_from_the_command_line(operator: Operator, market: ServedRegistry) -> None:
    assert operator("admin", "list").stdout == "no admins (make one with `acc registry admin grant NAME`)\n"
    assert operator("admin", "grant", "bob").stdout == "bob is now an admin (moderation page: /admin/moderation)\n"
    assert operator("admin", "grant", "bob").stdout == "bob is already an admin\n"
    assert operator("admin", "list").stdout == "bob\n"
    assert json.loads(operator("admin", "list", "--json").stdout) == [{"name": "bob", "disabled": False}]
    assert operator("admin", "revoke", "bob").stdout == "bob is no longer an admin\n"
    assert operator("admin", "revoke", "bob").stdout == "bob is not an admin\n"
    assert operator("admin", "grant", "nobody", code=1).stderr == "error: no user named 'nobody'\n"

    assert operator("moderate", "reports").stdout == "no open abuse reports\n"
    _seed_community(market)
    assert operator("moderate", "reports").stdout == (
        "ID  PLUGIN      REPORTER  REPORTED          REASON\n1   file-stats  bob       2026-12-01 09:30  Steals keys\n"
    )
    [report] = json.loads(operator("moderate", "reports", "--json").stdout)
    assert (report["plugin"], report["reporter"], report["reason"]) == ("file-stats", "bob", "Steals\nkeys")
    closed = operator("moderate", "close-report", str(report["id"]), "--resolution", "not abuse")
    assert closed.stdout == f"closed report {report['id']} on file-stats: not abuse\n"
    assert operator("moderate", "reports").stdout == "no open abuse reports\n"
    assert operator("moderate", "reports", "--all").stdout == (
        "ID  PLUGIN      REPORTER  REPORTED          REASON       STATUS\n"
        "1   file-stats  bob       2026-12-01 09:30  Steals keys  closed by operator: not abuse\n"
    )

    assert operator("moderate", "reviews", "--plugin", "file-stats").stdout == (
        "PLUGIN      USER   STARS  WRITTEN           TEXT\n"
        "file-stats  bob    1      2026-12-02 10:00  Spam \\x1b]0;owned\\x07 link\n"
        "file-stats  alice  5      2026-12-01 08:00  Mine\n"
    )
    removed = operator("moderate", "remove-review", "file-stats", "bob", "--reason", "spam")
    assert removed.stdout == "removed bob's review of file-stats (1 star)\n"
    [left] = json.loads(operator("moderate", "reviews", "--plugin", "file-stats", "--json").stdout)
    assert (left["user"], left["stars"]) == ("alice", 5)
    missing = operator("moderate", "remove-review", "file-stats", "bob", "--reason", "spam", code=1)
    assert missing.stderr == (
        "error: bob has no review of file-stats\n"
        "  hint: list its reviews: `acc registry moderate reviews --plugin file-stats`\n"
    )
