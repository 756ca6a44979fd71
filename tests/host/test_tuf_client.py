"""The installer's TUF client (host/marketplace/tuf_client.py) against an in-memory repository
(tests/tuf_simulator.py): the TUF conformance suite's cases that acc failed or that matter
most here, ported (the suite itself is not installable offline; bench/tuf_conformance_client.py
is the CLI it would drive), and the root-chain cases behind issue 14.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from host.errors import MarketplaceUntrusted
from host.marketplace.config import MarketplaceConfig
from host.marketplace.tuf_client import MAX_ROOT_ROTATIONS, MarketplaceClient
from host.paths import HostPaths
from tests.tuf_simulator import MARKETPLACE_URL, Simulator, new_signer

DATA = b"target contents, verified by every hash listed"


@pytest.fixture
def repo() -> Simulator:
    return Simulator()


@pytest.fixture
def paths(tmp_path: Path) -> HostPaths:
    return HostPaths(home=tmp_path / "home", cache=tmp_path / "cache")


def _client(paths: HostPaths, repo: Simulator, work: str = "work") -> MarketplaceClient:
    """A fresh client (as a new `acc` process would make), trusting the repository's root 1."""
    config = MarketplaceConfig(paths)
    market = next((m for m in config.list() if m.name == "sim"), None)
    if market is None:
        market, _ = config.add("sim", MARKETPLACE_URL, repo.root_bytes(1))
    return MarketplaceClient(market, config, paths.home / work, fetcher=repo.fetcher())


def _trusted_root_version(paths: HostPaths) -> int:
    """The newest root the client recorded (1, the pin, before any newer one)."""
    record = paths.home / "marketplaces" / "sim" / "trusted_root.json"
    return int(json.loads(record.read_bytes())["version"]) if record.exists() else 1


# -- hashes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "algorithms",
    [("sha512",), ("sha256", "sha512"), ("sha384",), ("sha224", "sha256"), ("blake2b", "sha256")],
    ids=lambda a: "+".join(a),
)
def test_a_target_with_any_allowed_hashes_is_downloaded_and_verified(
    paths: HostPaths, repo: Simulator, algorithms: tuple[str, ...]
) -> None:
    hashes = {a: hashlib.new(a, DATA).hexdigest() for a in algorithms}
    repo.add_target("p/file.txt", DATA, hashes)
    repo.publish()
    client = _client(paths, repo)
    info = client.target_info("p/file.txt")
    assert info is not None and info.hashes == hashes, "every listed hash is kept, sha256 or not"
    assert client.download_target(info, paths.home / "out").read_bytes() == DATA


def test_every_listed_hash_is_verified_not_only_the_first(paths: HostPaths, repo: Simulator) -> None:
    wrong = hashlib.sha512(b"something else").hexdigest()
    repo.add_target("p/file.txt", DATA, {"sha256": hashlib.sha256(DATA).hexdigest(), "sha512": wrong})
    repo.publish()
    client = _client(paths, repo)
    info = client.target_info("p/file.txt")
    assert info is not None
    with pytest.raises(MarketplaceUntrusted, match="does not match its signed metadata"):
        client.download_target(info, paths.home / "out")
    assert not (paths.home / "out").exists() or (paths.home / "out").read_bytes() != DATA


def test_a_target_whose_bytes_changed_is_refused(paths: HostPaths, repo: Simulator) -> None:
    target = repo.add_target("p/file.txt", DATA)
    repo.publish()
    repo.files[f"targets/p/{target.hashes['sha256']}.file.txt"] = b"malicious " + DATA
    client = _client(paths, repo)
    info = client.target_info("p/file.txt")
    assert info is not None
    with pytest.raises(MarketplaceUntrusted):
        client.download_target(info, paths.home / "out")


# -- the target cache ------------------------------------------------------------------------


def test_a_target_downloaded_before_is_not_downloaded_again(paths: HostPaths, repo: Simulator) -> None:
    repo.add_target("p/file.txt", DATA)
    repo.publish()
    first = _client(paths, repo, "one")
    info = first.target_info("p/file.txt")
    assert info is not None
    assert first.download_target(info, paths.home / "a").read_bytes() == DATA
    assert len(repo.fetched("targets")) == 1
    # Another command (a new client) asking for the same target reads it from the cache.
    second = _client(paths, repo, "two")
    again = second.target_info("p/file.txt")
    assert again is not None
    assert second.download_target(again, paths.home / "b").read_bytes() == DATA
    assert len(repo.fetched("targets")) == 1


def test_a_damaged_cache_entry_is_downloaded_again_and_never_trusted(paths: HostPaths, repo: Simulator) -> None:
    repo.add_target("p/file.txt", DATA)
    repo.publish()
    client = _client(paths, repo)
    info = client.target_info("p/file.txt")
    assert info is not None
    client.download_target(info, paths.home / "a")
    [cached] = list((paths.home / "marketplaces" / "sim" / "targets").iterdir())
    cached.write_bytes(b"tampered on disk")
    assert client.download_target(info, paths.home / "b").read_bytes() == DATA
    assert len(repo.fetched("targets")) == 2


def test_a_changed_target_is_downloaded_under_its_new_hash(paths: HostPaths, repo: Simulator) -> None:
    repo.add_target("p/file.txt", DATA)
    repo.publish()
    first = _client(paths, repo, "one")
    old = first.target_info("p/file.txt")
    assert old is not None and first.download_target(old, paths.home / "a").read_bytes() == DATA
    repo.add_target("p/file.txt", b"version two")
    repo.publish()
    client = _client(paths, repo, "two")
    info = client.target_info("p/file.txt")
    assert info is not None
    assert client.download_target(info, paths.home / "b").read_bytes() == b"version two"


# -- roots -----------------------------------------------------------------------------------


def test_a_client_follows_more_root_rotations_than_one_round_allows(paths: HostPaths, repo: Simulator) -> None:
    """Installed at root 1; the timestamp key is rotated in each of 70 new roots. Walking
    from the pinned root with a cap of 64 rotations per refresh stopped at root 65 and then
    refused the timestamp signed with a later key."""
    repo.add_target("p/file.txt", DATA)
    repo.publish()
    _client(paths, repo).refresh()
    assert _trusted_root_version(paths) == 1
    rotations = MAX_ROOT_ROTATIONS + 6
    for _ in range(rotations):
        repo.rotate("timestamp")
    repo.publish()
    client = _client(paths, repo, "after")
    info = client.target_info("p/file.txt")
    assert info is not None and client.download_target(info, paths.home / "out").read_bytes() == DATA
    assert _trusted_root_version(paths) == 1 + rotations


def test_the_next_refresh_starts_from_the_newest_trusted_root(paths: HostPaths, repo: Simulator) -> None:
    for _ in range(3):
        repo.rotate("timestamp")
    repo.publish()
    _client(paths, repo, "one").refresh()
    assert _trusted_root_version(paths) == 4
    # Even with the local root history gone, nothing before root 4 is fetched again.
    history = paths.home / "marketplaces" / "sim" / "metadata" / "root_history"
    for path in history.iterdir():
        path.unlink()
    repo.requests.clear()
    _client(paths, repo, "two").refresh()
    roots = [url.rsplit("/", 1)[1] for url in repo.fetched("metadata") if url.endswith(".root.json")]
    assert roots == ["5.root.json"], "only the next root is asked for (404: none yet)"


def test_a_recorded_root_reached_from_another_pin_is_ignored(paths: HostPaths, repo: Simulator) -> None:
    """The record names the pin it was reached from: one from another pin (a marketplace
    added again with another root, or a planted file) is not a trust anchor."""
    repo.rotate("timestamp")
    repo.publish()
    _client(paths, repo).refresh()
    impostor = Simulator()  # another repository's keys entirely
    impostor.root.version = 99
    impostor._store_root()
    record = paths.home / "marketplaces" / "sim" / "trusted_root.json"
    pin = hashlib.sha256(repo.root_bytes(1)).hexdigest()
    forged = {"pinned_sha256": "0" * 64, "version": 99, "root": impostor.root_bytes(99).decode()}
    record.write_text(json.dumps(forged))
    _client(paths, repo, "two").refresh()
    rewritten = json.loads(record.read_bytes())
    assert (rewritten["pinned_sha256"], rewritten["version"]) == (pin, 2)


def test_metadata_signed_with_a_rotated_out_key_is_refused(paths: HostPaths, repo: Simulator) -> None:
    old_timestamp_keys = repo.keys["timestamp"]
    repo.rotate("timestamp")
    repo.publish()
    _client(paths, repo, "one").refresh()
    # Someone holding the retired key signs a newer timestamp.
    repo.publish(timestamp_signers=old_timestamp_keys)
    with pytest.raises(MarketplaceUntrusted, match="failed TUF verification"):
        _client(paths, repo, "two").refresh()


def test_a_root_rotated_to_two_of_three_keys_is_followed_and_needs_two_signatures(
    paths: HostPaths, repo: Simulator
) -> None:
    _client(paths, repo, "one").refresh()
    new_root_keys = [new_signer() for _ in range(3)]
    repo.rotate("root", new_root_keys, threshold=2)
    repo.publish()
    _client(paths, repo, "two").refresh()
    assert _trusted_root_version(paths) == 2
    # A root signed by only one of the three is not trusted.
    repo.keys["root"] = new_root_keys[:1]
    repo.root.version += 1
    repo.files[f"metadata/{repo.root.version}.root.json"] = repo._signed(repo.root, new_root_keys[:1])
    repo.publish()
    with pytest.raises(MarketplaceUntrusted):
        _client(paths, repo, "three").refresh()
    assert _trusted_root_version(paths) == 2
