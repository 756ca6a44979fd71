"""Real processes for end-to-end tests: the `acc` executable, a registry server on a loopback
port (gunicorn via `acc registry serve`), and the end-to-end session's shared marketplace."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from registry.app import create_app
from registry.operator import add_key_command, create_token_command, create_user_command
from sdk.archive import archive_bytes, read_archive
from sdk.signing import generate_keypair, sign_archive
from tests.helpers import REPO, TEST_CACHE, traps_on_start_wasm
from tests.registry_kit import Publisher, make_config, publish, variant

ACC = str(Path(sys.executable).parent / "acc")


def acc(*args: str, env: dict[str, str], cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `acc`; assert it succeeded (or, with ok=False, that it failed cleanly:
    a non-zero status and no traceback). No terminal: prompts must not hang a test."""
    proc = subprocess.run(
        [ACC, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if ok:
        assert proc.returncode == 0, f"acc {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    else:
        assert proc.returncode != 0, f"acc {' '.join(args)} should have failed:\n{proc.stdout}"
        assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_registry(
    data_dir: Path, *, workers: int = 2, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[str]:
    """Serve `data_dir` with `acc registry serve`; yield its base URL; stop it afterwards."""
    port = free_port()
    environment = {**os.environ, "REGISTRY_COMPILE_CACHE_DIR": str(TEST_CACHE / "compiled"), **(env or {})}
    out = open(log or data_dir.parent / "server.log", "ab")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [ACC, "registry", "serve", "--data", str(data_dir), "--port", str(port), "--workers", str(workers)],
        cwd=REPO,
        env=environment,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the registry server exited with {proc.returncode}; see {out.name}")
            try:
                with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the registry server did not answer within 60 s; see {out.name}")
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()


def root_sha256(url: str) -> str:
    """The sha256 of a registry's first root: what its operator publishes out of band."""
    with urllib.request.urlopen(f"{url}/tuf/metadata/1.root.json") as response:
        return hashlib.sha256(response.read()).hexdigest()


KV_TOML = '[capabilities.kv]\nreason = "Remembers the last summary to report what changed."\n'

#: (name, version, [dependencies] table or other TOML, signed by alice's second key),
#: in publishing order: a dependency is published before what needs it.
CATALOG: list[tuple[str, str, str, bool]] = [
    ("project-stats", "1.1.0", "", False),
    ("stats-next", "1.1.0", "", False),
    ("stats-next", "1.2.0", KV_TOML, False),
    ("stats-rekey", "1.0.0", "", False),
    ("stats-rekey", "1.1.0", "", True),
    ("stats-broken", "1.0.0", "", False),
    ("dep-base", "1.0.0", "", False),
    ("dep-base", "2.0.0", "", False),
    ("dep-middle", "1.0.0", '[dependencies]\ndep-base = "<2"\n', False),
    ("dep-middle", "2.0.0", '[dependencies]\ndep-base = ">=2"\n', False),
    ("dep-top", "1.0.0", '[dependencies]\ndep-middle = "<2"\n', False),
    ("dep-needy", "1.0.0", '[dependencies]\ndep-base = ">=3"\n', False),
    ("ring-one", "1.0.0", "", False),
    ("ring-two", "1.0.0", '[dependencies]\nring-one = ""\n', False),
    ("ring-one", "2.0.0", '[dependencies]\nring-two = ""\n', False),
]


@dataclass
class Marketplace:
    """The end-to-end session's registry server, and its publisher alice (key `work/alice.key`)."""

    url: str
    data: Path
    work: Path  # the archives and their .sig files, alice's keys
    env: dict[str, str]  # runs acc outside any user's home (yank, unyank with `token`)
    token: str
    root_sha256: str
    archives: dict[str, Path]  # "NAME VERSION" -> signed archive
    sha256: dict[str, str]  # "NAME VERSION" -> archive sha256


@contextmanager
def shared_marketplace(work: Path, example_archive: Path) -> Iterator[Marketplace]:
    """A registry in `work` with alice publishing CATALOG (see tests/e2e/conftest.py), served.

    Set up and published in this process, through the registry's own operator commands and
    its app (publishing through `acc plugin publish` has its own tests); then served."""
    data = work / "registry-data"
    config = make_config(data)
    create_user_command(config, "alice", "alice@example.com", "correct horse battery")
    keys = {}
    for name in ("alice", "alice2"):  # alice2: another key of alice's, registered on her account
        keys[name] = work / f"{name}.key"
        generate_keypair(keys[name])
        add_key_command(config, "alice", keys[name].with_name(f"{name}.key.pub"))
    token = create_token_command(config, "alice", [], 30, "tests")
    base_path = work / "project-stats-1.0.0.plugin"
    shutil.copy(example_archive, base_path)
    base = read_archive(base_path)
    archives = {"project-stats 1.0.0": base_path}
    for name, version, extra, _ in CATALOG:
        path = work / f"{name}-{version}.plugin"
        path.write_bytes(variant(base, name=name, version=version, extra_toml=extra))
        archives[f"{name} {version}"] = path
    broken = read_archive(archives["stats-broken 1.0.0"])
    archives["stats-broken 1.1.0"] = work / "stats-broken-1.1.0.plugin"
    archives["stats-broken 1.1.0"].write_bytes(
        archive_bytes(
            broken.manifest_text.replace('version = "1.0.0"', 'version = "1.1.0"'), traps_on_start_wasm(), broken.readme
        )
    )
    rekeyed = {f"{name} {version}" for name, version, _, other_key in CATALOG if other_key}
    app = create_app(config)
    try:
        client = app.test_client()
        for label, archive in archives.items():
            key = keys["alice2" if label in rekeyed else "alice"]
            sign_archive(archive, key)
            publisher = Publisher(name="alice", token=token, key=key, keys_dir=work)
            response = publish(
                client, publisher, archive.read_bytes(), archive.with_name(archive.name + ".sig").read_bytes()
            )
            assert response.status_code == 201, (label, response.get_json())
    finally:
        app.extensions["acc_registry"].db.dispose()
    env = {**os.environ, "ACC_HOME": str(work / "publisher-home"), "ACC_CACHE_DIR": str(TEST_CACHE)}
    env.pop("ACC_REGISTRY_TOKEN", None)
    with running_registry(data) as url:
        yield Marketplace(
            url=url,
            data=data,
            work=work,
            env=env,
            token=token,
            root_sha256=root_sha256(url),
            archives=archives,
            sha256={label: hashlib.sha256(path.read_bytes()).hexdigest() for label, path in archives.items()},
        )
