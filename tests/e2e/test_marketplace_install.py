"""A plugin user's journey against a real registry server: add the marketplace with a pinned
root, search, install by name and specifier through TUF, yanked versions, a tampered blob,
and the marketplace going away while installed plugins keep working. The registry is the
session's shared marketplace (tests/e2e/conftest.py)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server_kit import Marketplace, acc, running_registry

pytestmark = pytest.mark.slow


@dataclass
class User:
    env: dict[str, str]
    cwd: Path

    def acc(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return acc(*args, env=self.env, cwd=self.cwd, ok=ok)

    def installed(self) -> dict[str, str]:
        return {p["name"]: p["version"] for p in json.loads(self.acc("plugin", "list", "--json").stdout)}


def _user(tmp_path: Path, marketplace: Marketplace, *, add: bool = True, url: str | None = None) -> User:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "a.py").write_text("x = 1\ny = 2\n")
    user = User(env={**marketplace.env, "ACC_HOME": str(tmp_path / "home")}, cwd=project)
    if add:
        added = user.acc(
            "marketplace", "add", url or marketplace.url, "--name", "local", "--root-sha256", marketplace.root_sha256
        )
        assert added.stdout.startswith("added marketplace local")
    return user


@contextmanager
def _yanked(marketplace: Marketplace, version: str, reason: str) -> Iterator[None]:
    acc(
        "plugin",
        "yank",
        "project-stats",
        version,
        "--reason",
        reason,
        "--registry",
        marketplace.url,
        "--token",
        marketplace.token,
        env=marketplace.env,
        cwd=marketplace.work,
    )
    try:
        yield
    finally:
        acc(
            "plugin",
            "unyank",
            "project-stats",
            version,
            "--registry",
            marketplace.url,
            "--token",
            marketplace.token,
            env=marketplace.env,
            cwd=marketplace.work,
        )


def _blob(marketplace: Marketplace, version: str) -> Path:
    digest = hashlib.sha256(marketplace.archives[f"project-stats {version}"].read_bytes()).hexdigest()
    return marketplace.data / "blobs" / digest[:2] / digest


def test_add_pins_the_root_and_list_and_remove_show_it(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    listed = user.acc("marketplace", "list").stdout
    assert listed.startswith(f"local  {marketplace.url}  root sha256 {marketplace.root_sha256[:16]}")
    again = user.acc("marketplace", "add", marketplace.url, "--name", "local", "--root-sha256", marketplace.root_sha256)
    assert again.stdout == f"marketplace local ({marketplace.url}) is already added\n"
    assert user.acc("marketplace", "remove", "local").stdout == f"removed marketplace local ({marketplace.url})\n"
    assert user.acc("marketplace", "list").stdout.startswith("no marketplaces added")


def test_add_names_the_marketplace_after_host_and_port_by_default(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace, add=False)
    user.acc("marketplace", "add", marketplace.url + "/", "--root-sha256", marketplace.root_sha256.upper())
    port = marketplace.url.rsplit(":", 1)[1]
    assert user.acc("marketplace", "list").stdout.startswith(f"127.0.0.1-{port}  {marketplace.url}  ")


def test_add_refuses_a_root_that_does_not_match_the_pin(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace, add=False)
    refused = user.acc("marketplace", "add", marketplace.url, "--root-sha256", "0" * 64, ok=False)
    assert f"has sha256 {marketplace.root_sha256}, not the pinned {'0' * 64}: refused" in refused.stderr
    assert user.acc("marketplace", "list").stdout.startswith("no marketplaces added")


def test_add_without_a_pin_and_without_a_terminal_shows_the_fingerprint_and_refuses(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace, add=False)
    refused = user.acc("marketplace", "add", marketplace.url, ok=False)
    assert f"its 1.root.json has sha256 {marketplace.root_sha256}" in refused.stderr
    assert f"--root-sha256 {marketplace.root_sha256}" in refused.stderr
    assert user.acc("marketplace", "list").stdout.startswith("no marketplaces added")


def test_search_finds_the_plugin_with_its_latest_version_and_capabilities(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    lines = user.acc("plugin", "search", "project-stats").stdout.splitlines()
    assert lines[0].split() == ["NAME", "LATEST", "PUBLISHER", "RATING", "DOWNLOADS", "CAPABILITIES", "DESCRIPTION"]
    [row] = lines[1:]
    at = lines[0].index("DESCRIPTION")  # the description is cut to fit the table
    name, latest, publisher, rating, downloads, capabilities = row[:at].rstrip().split(None, 5)
    assert (name, latest, publisher, rating, capabilities) == ("project-stats", "1.1.0", "alice", "-", "fs, process")
    assert row[at:] == "Counts a project's files and lines by language, and reports…"
    assert downloads.isdigit()
    assert user.acc("plugin", "search", "no-such-thing").stdout == "no plugins match 'no-such-thing'\n"


def test_install_by_name_gets_the_newest_version_signed_by_the_publisher(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    installed = user.acc("plugin", "install", "project-stats", "--yes")
    key_id = json.loads((marketplace.work / "project-stats-1.1.0.plugin.sig").read_text())["key_id"]
    assert (
        f"project-stats 1.1.0 from local: signed by ed25519 key {key_id} (publisher alice on local)" in installed.stdout
    )
    assert "\ninstalled project-stats 1.1.0 from local\n" in installed.stdout
    assert "no `acc trust add` needed" in installed.stdout
    assert user.installed() == {"project-stats": "1.1.0"}
    info = json.loads(user.acc("plugin", "info", "project-stats", "--json").stdout)
    assert (info["marketplace"], info["signer"]) == ("local", key_id)
    again = user.acc("plugin", "install", "project-stats", "--yes")
    assert again.stdout == "project-stats 1.1.0 is already installed (from local)\n"


def test_install_with_a_specifier_gets_the_version_it_allows(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    user.acc("plugin", "install", "project-stats==1.0.0", "--yes")
    assert user.installed() == {"project-stats": "1.0.0"}
    user.acc("plugin", "install", "project-stats@local>=1.0,<1.1", "--yes")
    assert user.installed() == {"project-stats": "1.0.0"}


def test_an_unsatisfiable_specifier_is_a_clear_error(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    refused = user.acc("plugin", "install", "project-stats>=2", "--yes", ok=False)
    assert "error: no version of project-stats satisfies >=2 (published: 1.0.0, 1.1.0)" in refused.stderr
    missing = user.acc("plugin", "install", "no-such-plugin", "--yes", ok=False)
    assert "error: no plugin named no-such-plugin on local" in missing.stderr
    assert user.installed() == {}


def test_a_yanked_version_is_skipped_unless_pinned_and_then_installed_with_a_warning(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    with _yanked(marketplace, "1.1.0", "miscounts lines"):
        user.acc("plugin", "install", "project-stats", "--yes")
        assert user.installed() == {"project-stats": "1.0.0"}
        pinned = user.acc("plugin", "install", "project-stats==1.1.0", "--yes")
        assert "WARNING: project-stats 1.1.0 is yanked: miscounts lines" in pinned.stderr
        assert user.installed() == {"project-stats": "1.1.0"}


def test_a_tampered_archive_is_refused_by_tuf_and_the_installed_version_keeps_working(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.acc("plugin", "install", "project-stats==1.0.0", "--yes")
    blob = _blob(marketplace, "1.1.0")
    original = blob.read_bytes()
    tampered = bytearray(original)
    tampered[len(tampered) // 2] ^= 0xFF  # same length: only the hash can tell
    blob.write_bytes(bytes(tampered))
    try:
        refused = user.acc("plugin", "install", "project-stats", "--yes", ok=False)
    finally:
        blob.write_bytes(original)
    assert (
        "error: marketplace local served data that does not match its signed metadata while trying to "
        "download project-stats/project-stats-1.1.0.plugin" in refused.stderr
    )
    assert "refused by TUF, nothing was installed" in refused.stderr
    assert user.installed() == {"project-stats": "1.0.0"}
    result = json.loads(user.acc("plugin", "run", "project-stats", "summary", "-q").stdout)
    assert (result["files"], result["lines"]) == (1, 2)


def test_offline_install_says_the_marketplace_cannot_be_reached_while_installed_plugins_work(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    with running_registry(marketplace.data, workers=1, log=tmp_path / "second-server.log") as url:
        user = _user(tmp_path, marketplace, url=url)
        user.acc("plugin", "install", "project-stats", "--yes")
    refused = user.acc("plugin", "install", "project-stats==1.0.0", "--yes", ok=False)
    assert f"error: cannot reach marketplace local at {url}" in refused.stderr
    searched = user.acc("plugin", "search", "stats", ok=False)
    assert f"error: cannot reach marketplace local at {url}" in searched.stderr
    assert user.installed() == {"project-stats": "1.1.0"}
    assert "project-stats 1.1.0" in user.acc("plugin", "info", "project-stats").stdout
    result = json.loads(user.acc("plugin", "run", "project-stats", "summary", "-q").stdout)
    assert (result["files"], result["lines"]) == (1, 2)


def test_an_archive_file_still_installs_by_path(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace, add=False)
    user.acc("trust", "add", str(marketplace.work / "alice.key.pub"))
    installed = user.acc("plugin", "install", str(marketplace.archives["project-stats 1.0.0"]), "--yes")
    assert installed.stdout.startswith("installed project-stats 1.0.0 (signed by ")
    missing = user.acc("plugin", "install", "nothing-here-1.0.0.plugin", "--yes", ok=False)
    assert "nothing-here-1.0.0.plugin" in missing.stderr
