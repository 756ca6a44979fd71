"""The operator's and the author's journey against a real registry server process:
init, accounts, serve under gunicorn, publish and yank with the real `acc`, and a standard
TUF client (python-tuf ngclient), given only the first root, verifying everything served."""

from __future__ import annotations

import hashlib
import html as html_module
import json
import os
import re
import shlex
import shutil
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tuf.ngclient import Updater

from sdk.signing import ArchiveSignature, PublicKey, verify_archive_signature
from tests.helpers import TEST_CACHE
from tests.server_kit import acc, root_sha256, running_registry

pytestmark = pytest.mark.slow


@dataclass
class Marketplace:
    url: str
    data: Path
    env: dict[str, str]
    work: Path
    token: str
    archive: Path
    init_output: str


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]) -> Iterator[Marketplace]:
    work = tmp_path_factory.mktemp("market")
    env = {**os.environ, "ACC_HOME": str(work / "home"), "ACC_CACHE_DIR": str(TEST_CACHE)}
    env.pop("ACC_REGISTRY_TOKEN", None)
    data = work / "registry-data"
    init = acc("registry", "init", "--data", str(data), env=env, cwd=work)
    assert "created a registry" in init.stdout and "NOT protected" in init.stderr
    acc("registry", "user", "create", "alice", "--email", "alice@example.com", "--data", str(data), env=env, cwd=work)
    acc("plugin", "keygen", "--out", "alice.key", env=env, cwd=work)
    acc("registry", "key", "add", "alice", "alice.key.pub", "--data", str(data), env=env, cwd=work)
    token = acc("registry", "token", "create", "alice", "--data", str(data), env=env, cwd=work).stdout.strip()
    archive = work / "project-stats-1.0.0.plugin"
    shutil.copy(built_archives("project-stats"), archive)
    acc("plugin", "sign", str(archive), "--key", "alice.key", env=env, cwd=work)
    with running_registry(data) as url:
        yield Marketplace(url=url, data=data, env=env, work=work, token=token, archive=archive, init_output=init.stdout)


def _updater(market: Marketplace, name: str) -> Updater:
    """A fresh ngclient that trusts only version 1 of root, fetched out of band."""
    client_dir = market.work / f"client-{name}"
    (client_dir / "metadata").mkdir(parents=True, exist_ok=True)
    (client_dir / "targets").mkdir(exist_ok=True)
    root = market.data / "root-1.json"
    if not root.exists():
        with urllib.request.urlopen(f"{market.url}/tuf/metadata/1.root.json") as response:
            root.write_bytes(response.read())
    return Updater(
        metadata_dir=str(client_dir / "metadata"),
        metadata_base_url=f"{market.url}/tuf/metadata/",
        target_base_url=f"{market.url}/tuf/targets/",
        target_dir=str(client_dir / "targets"),
        bootstrap=root.read_bytes(),
    )


def _publish(market: Marketplace, *extra: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return acc(
        "plugin",
        "publish",
        str(market.archive),
        "--registry",
        market.url,
        *extra,
        env=market.env,
        cwd=market.work,
        ok=ok,
    )


def test_publish_then_a_tuf_client_verifies_and_downloads_every_target(market: Marketplace) -> None:
    published = _publish(market, "--token", market.token)
    assert "published project-stats 1.0.0" in published.stdout
    retried = _publish(market, "--token", market.token)
    assert "already published" in retried.stdout

    updater = _updater(market, "first")
    updater.refresh()
    index_info = updater.get_targetinfo("project-stats/index.json")
    assert index_info is not None
    index = json.loads(Path(updater.download_target(index_info)).read_bytes())
    [entry] = index["versions"]
    assert entry["version"] == "1.0.0" and entry["yanked"] is False
    assert entry["capabilities"]["process"]["scope"] == "run programs: git"

    archive_info = updater.get_targetinfo(entry["archive"])
    signature_info = updater.get_targetinfo(entry["signature"])
    assert archive_info is not None and signature_info is not None
    archive = Path(updater.download_target(archive_info)).read_bytes()
    assert archive == market.archive.read_bytes()
    assert hashlib.sha256(archive).hexdigest() == entry["sha256"]
    signature = ArchiveSignature.from_json(Path(updater.download_target(signature_info)).read_bytes())
    signer = PublicKey.from_bytes(entry["signer"]["public_key"].encode())
    assert verify_archive_signature(entry["sha256"], signature, [signer]).key_id == entry["signer"]["key_id"]


def test_init_and_serve_print_the_root_pin_of_the_root_they_serve(market: Marketplace) -> None:
    root = root_sha256(market.url)
    assert f"root sha256: {root}\n" in market.init_output
    assert f"--root-sha256 {root}\n" in market.init_output
    name = market.url.removeprefix("http://").replace(":", "-")
    served = (market.work / "server.log").read_text()
    assert f"users add it with: acc marketplace add {market.url} --name {name} --root-sha256 {root}\n" in served


def test_the_add_command_copied_from_the_home_page_adds_the_marketplace(market: Marketplace) -> None:
    with urllib.request.urlopen(market.url + "/") as response:
        html = response.read().decode()
    [command] = re.findall(r'<code id="add-marketplace">([^<]+)</code>', html)
    program, *args = shlex.split(html_module.unescape(command))
    assert program == "acc" and args[:2] == ["marketplace", "add"]
    env = {**market.env, "ACC_HOME": str(market.work / "home-from-page")}
    added = acc(*args, env=env, cwd=market.work)
    assert f"added marketplace {args[args.index('--name') + 1]} ({market.url}), root sha256 " in added.stdout


def test_search_and_detail_see_the_published_plugin(market: Marketplace) -> None:
    _publish(market, "--token", market.token)
    with urllib.request.urlopen(f"{market.url}/api/v1/plugins?q=stats&network=none") as response:
        found = json.loads(response.read())
    assert [p["name"] for p in found["plugins"]] == ["project-stats"]


def test_yank_reaches_tuf_clients_through_a_new_signed_index(market: Marketplace) -> None:
    _publish(market, "--token", market.token)
    yanked = acc(
        "plugin",
        "yank",
        "project-stats",
        "1.0.0",
        "--reason",
        "miscounts lines",
        "--registry",
        market.url,
        "--token",
        market.token,
        env=market.env,
        cwd=market.work,
    )
    assert "yanked project-stats 1.0.0" in yanked.stdout
    updater = _updater(market, "after-yank")
    updater.refresh()
    info = updater.get_targetinfo("project-stats/index.json")
    assert info is not None
    [entry] = json.loads(Path(updater.download_target(info)).read_bytes())["versions"]
    assert (entry["yanked"], entry["yank_reason"]) == (True, "miscounts lines")
    acc(
        "plugin",
        "unyank",
        "project-stats",
        "1.0.0",
        "--registry",
        market.url,
        "--token",
        market.token,
        env=market.env,
        cwd=market.work,
    )


def _signed_index(market: Marketplace, client: str) -> dict[str, object]:
    updater = _updater(market, client)
    updater.refresh()
    info = updater.get_targetinfo("project-stats/index.json")
    assert info is not None
    index: dict[str, object] = json.loads(Path(updater.download_target(info)).read_bytes())
    return index


def test_deprecate_and_its_undo_reach_tuf_clients_through_a_new_signed_index(market: Marketplace) -> None:
    _publish(market, "--token", market.token)
    where = ("--registry", market.url, "--token", market.token)
    refused = acc("plugin", "deprecate", "project-stats", *where, env=market.env, cwd=market.work, ok=False)
    assert "pass --message saying what to use instead, or --undo" in refused.stderr
    deprecated = acc(
        "plugin", "deprecate", "project-stats", "--message", "use line-census", *where, env=market.env, cwd=market.work
    )
    assert deprecated.stdout == "deprecated project-stats: use line-census\n"
    assert _signed_index(market, "after-deprecate")["deprecated"] == "use line-census"
    undone = acc("plugin", "deprecate", "project-stats", "--undo", *where, env=market.env, cwd=market.work)
    assert undone.stdout == "project-stats is no longer deprecated\n"
    assert not _signed_index(market, "after-undeprecate")["deprecated"]


def test_migrate_on_a_current_registry_says_its_revision(market: Marketplace) -> None:
    from registry import schema

    migrated = acc("registry", "migrate", "--data", str(market.data), env=market.env, cwd=market.work)
    assert migrated.stdout == f"database at revision {schema.head_revision()}\n"


def test_a_bad_token_is_refused_with_the_registry_message(market: Marketplace) -> None:
    refused = _publish(market, "--token", "acc_forged", ok=False)
    assert "error: the API token is not valid" in refused.stderr


def test_publish_without_a_token_says_how_to_get_one(market: Marketplace) -> None:
    refused = _publish(market, ok=False)
    assert "ACC_REGISTRY_TOKEN" in refused.stderr


def test_an_unreachable_registry_is_a_clear_error(market: Marketplace) -> None:
    refused = acc(
        "plugin",
        "publish",
        str(market.archive),
        "--registry",
        "http://127.0.0.1:9",
        "--token",
        "acc_x",
        env=market.env,
        cwd=market.work,
        ok=False,
    )
    assert "cannot reach the registry" in refused.stderr


def test_caching_headers_match_what_can_change(market: Marketplace) -> None:
    with urllib.request.urlopen(f"{market.url}/tuf/metadata/timestamp.json") as response:
        assert "max-age=5" in response.headers["Cache-Control"]
    with urllib.request.urlopen(f"{market.url}/tuf/metadata/1.root.json") as response:
        assert "immutable" in response.headers["Cache-Control"]


def test_serve_refuses_a_directory_without_a_registry(market: Marketplace, tmp_path: Path) -> None:
    refused = acc("registry", "serve", "--data", str(tmp_path / "nothing"), env=market.env, cwd=market.work, ok=False)
    assert "acc registry init" in refused.stderr


def test_init_refuses_to_overwrite_an_existing_registry(market: Marketplace) -> None:
    refused = acc("registry", "init", "--data", str(market.data), env=market.env, cwd=market.work, ok=False)
    assert "already holds a registry" in refused.stderr


def test_renewing_offline_roles_is_followed_by_clients_that_trust_only_the_first_root(market: Marketplace) -> None:
    _publish(market, "--token", market.token)
    offline = market.work / "offline"
    offline.mkdir(exist_ok=True)
    for role in ("root", "targets"):  # the operator keeps these keys elsewhere
        shutil.move(market.data / "keys" / f"{role}.pem", offline / f"{role}.pem")
    try:
        missing = acc(
            "registry", "renew", "root", "--data", str(market.data), env=market.env, cwd=market.work, ok=False
        )
        assert "kept offline" in missing.stderr
        wrong = acc(
            "registry",
            "renew",
            "root",
            "--key",
            str(offline / "targets.pem"),
            "--data",
            str(market.data),
            env=market.env,
            cwd=market.work,
            ok=False,
        )
        assert "is not a root key named in the current metadata" in wrong.stderr
        for role in ("root", "targets"):
            renewed = acc(
                "registry",
                "renew",
                role,
                "--key",
                str(offline / f"{role}.pem"),
                "--data",
                str(market.data),
                env=market.env,
                cwd=market.work,
            )
            assert f"signed {role} version" in renewed.stdout
    finally:
        for role in ("root", "targets"):
            shutil.move(offline / f"{role}.pem", market.data / "keys" / f"{role}.pem")
    updater = _updater(market, "after-renew")
    updater.refresh()
    assert updater.get_targetinfo("project-stats/index.json") is not None
    trusted_root = json.loads((market.work / "client-after-renew" / "metadata" / "root.json").read_bytes())
    assert trusted_root["signed"]["version"] >= 2
