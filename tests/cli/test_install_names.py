"""`acc plugin install a b c`: several plugins as one install (all verified and consented to
before any is stored), names in any case, and "did you mean" for names that match nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.cli_kit import Acc, ServedRegistry, publisher_key_id


@pytest.fixture
def buyer(acc: Acc, shop: ServedRegistry) -> Acc:
    acc.add(shop, "shop")
    return acc


def _installed(acc: Acc) -> dict[str, str]:
    return {p["name"]: p["version"] for p in json.loads(acc("plugin", "list", "--json").stdout)}


def test_several_names_are_installed_together_each_reported(buyer: Acc, shop: ServedRegistry) -> None:
    key = publisher_key_id(shop)
    result = buyer("plugin", "install", "Project-Stats", "FILE-stats", "--yes")
    assert result.stdout == (
        f"project-stats 1.1.0 from shop: signed by ed25519 key {key} (publisher alice on shop)\n"
        f"file-stats 1.0.0 from shop: signed by ed25519 key {key} (publisher alice on shop)\n"
        "installed project-stats 1.1.0 from shop\n"
        "  the signing key is trusted through shop's signed metadata (no `acc trust add` needed)\n"
        "  granted  fs: read the project\n"
        "  granted  process: run programs: git\n"
        "installed file-stats 1.0.0 from shop\n"
        "  the signing key is trusted through shop's signed metadata (no `acc trust add` needed)\n"
        "  granted  fs: read the project\n"
        "  granted  process: run programs: git\n"
    )
    assert _installed(buyer) == {"file-stats": "1.0.0", "project-stats": "1.1.0"}
    again = buyer("plugin", "install", "project-stats", "file-stats", "--yes")
    assert again.stdout == (
        "project-stats 1.1.0 is already installed (from shop)\nfile-stats 1.0.0 is already installed (from shop)\n"
    )


def test_a_shared_dependency_is_installed_once_before_what_needs_it(buyer: Acc, shop: ServedRegistry) -> None:
    key = publisher_key_id(shop)
    result = buyer("plugin", "install", "stats-old", "file-stats", "--yes")
    assert result.stdout == (
        f"project-stats 1.0.0 from shop: signed by ed25519 key {key} (publisher alice on shop), "
        "needed by stats-old 1.0.0\n"
        f"stats-old 1.0.0 from shop: signed by ed25519 key {key} (publisher alice on shop)\n"
        f"file-stats 1.0.0 from shop: signed by ed25519 key {key} (publisher alice on shop)\n"
        "installed project-stats 1.0.0 from shop (needed by stats-old 1.0.0)\n"
        "  the signing key is trusted through shop's signed metadata (no `acc trust add` needed)\n"
        "  granted  fs: read the project\n"
        "  granted  process: run programs: git\n"
        "installed stats-old 1.0.0 from shop\n"
        "  the signing key is trusted through shop's signed metadata (no `acc trust add` needed)\n"
        "  granted  fs: read the project\n"
        "  granted  process: run programs: git\n"
        "installed file-stats 1.0.0 from shop\n"
        "  the signing key is trusted through shop's signed metadata (no `acc trust add` needed)\n"
        "  granted  fs: read the project\n"
        "  granted  process: run programs: git\n"
    )
    assert _installed(buyer) == {"file-stats": "1.0.0", "project-stats": "1.0.0", "stats-old": "1.0.0"}


def test_grant_and_deny_answer_for_every_plugin_named(buyer: Acc) -> None:
    buyer("plugin", "install", "file-stats", "project-stats", "--grant", "fs", "--deny", "process")
    listed = {p["name"]: p["granted"] for p in json.loads(buyer("plugin", "list", "--json").stdout)}
    assert listed == {"file-stats": ["fs"], "project-stats": ["fs"]}


def test_one_unknown_name_installs_none_of_them_and_suggests_the_name_meant(buyer: Acc) -> None:
    result = buyer("plugin", "install", "file-stats", "projcet-stats", "--yes", code=1)
    assert result.stderr == (
        "error: no plugin named projcet-stats on shop\n"
        "  hint: did you mean project-stats? search with `acc plugin search projcet-stats`\n"
    )
    assert _installed(buyer) == {}


def test_a_name_like_nothing_gets_no_suggestion(buyer: Acc) -> None:
    result = buyer("plugin", "install", "zebra-crossing", code=1)
    assert result.stderr == (
        "error: no plugin named zebra-crossing on shop\n  hint: search with `acc plugin search zebra-crossing`\n"
    )


def test_two_names_needing_different_versions_of_a_plugin_install_nothing(buyer: Acc) -> None:
    result = buyer("plugin", "install", "stats-old", "project-stats==1.1.0", "--yes", code=1)
    assert result.stderr == (
        "error: stats-old and project-stats==1.1.0 need different versions of project-stats (1.0.0 and 1.1.0): "
        "nothing was installed\n"
        "  hint: install them one at a time to see what each needs, or pin versions that agree\n"
    )
    assert _installed(buyer) == {}


def test_without_consent_for_the_last_nothing_is_stored(buyer: Acc) -> None:
    """No terminal and no --yes: the first plugin's capabilities have no answer, so the
    install stops there, before anything is stored."""
    result = buyer("plugin", "install", "file-stats", "project-stats", "--grant", "fs", code=1)
    assert result.stderr.startswith("error: ")
    assert "process" in result.stderr and "--yes" in result.stderr
    assert _installed(buyer) == {}


def test_a_plugin_named_twice_is_refused(buyer: Acc) -> None:
    result = buyer("plugin", "install", "file-stats", "File-Stats>=1", code=1)
    assert result.stderr == "error: file-stats is named more than once\n  hint: name each plugin once\n"


def test_an_archive_is_installed_on_its_own(buyer: Acc, tmp_path: Path) -> None:
    archive = tmp_path / "x-1.0.0.plugin"
    result = buyer("plugin", "install", str(archive), "file-stats", code=1)
    assert result.stderr == (
        f"error: an archive file is installed on its own, not with other plugins ({archive}, file-stats)\n"
        f"  hint: run `acc plugin install {archive}` by itself, then install the others\n"
    )
