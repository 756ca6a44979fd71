"""Installing a plugin archive from a file: verify, check, ask, compile, store.

Order matters: everything that can refuse runs before anything is written, so a refused
or interrupted install leaves the store as it was. And everything that is *decided*
(signature, ABI, the scopes this host can honour, a version already installed from other
bytes, consent) comes before the compile: a person is never kept waiting for a compile
only to be refused, and a refusal compiles nothing (`decide_verified`). Only the shared
Python runtime, compiled once per host and not the plugin's own code, may compile
meanwhile: it starts as soon as the archive is verified, while the prompt waits.
Then the component is compiled and its imports checked (`precompile`).
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from host.abi import SUPPORTED_ABI_VERSIONS
from host.consent import Answers, Asker, decide_install
from host.errors import LoadError
from host.paths import HostPaths
from host.store import InstalledPlugin, LocalStore
from sdk.archive import PluginArchive, read_archive
from sdk.errors import SignatureError

if TYPE_CHECKING:
    from host.progress import Progress

UNSIGNED_SIGNER = "UNSIGNED"


@dataclass(frozen=True)
class InstallRequest:
    archive: Path
    signature: Path | None = None
    grant: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    yes: bool = False
    allow_unsigned: bool = False
    reinstall: bool = False


def install_archive(paths: HostPaths, request: InstallRequest, ask: Asker | None = None) -> InstalledPlugin:
    archive = read_archive(request.archive)
    signer = verify_signature(paths, archive, request)
    return install_verified(paths, archive, signer=signer, request=request, ask=ask)


def install_verified(
    paths: HostPaths,
    archive: PluginArchive,
    *,
    signer: str,
    request: InstallRequest,
    ask: Asker | None = None,
    marketplace: str = "",
    progress: Progress | None = None,
) -> InstalledPlugin:
    """The rest of an install once the publisher signature is verified (by the trust store
    for a file, by a marketplace's TUF-signed index for a marketplace install): ABI,
    precompile and import check, consent, store. `request.archive`/`signature` are unused."""
    granted = prepare_verified(paths, archive, request=request, ask=ask, progress=progress)
    return LocalStore(paths).install(
        archive, granted=granted, signer=signer, reinstall=request.reinstall, marketplace=marketplace
    )


def prepare_verified(
    paths: HostPaths,
    archive: PluginArchive,
    *,
    request: InstallRequest,
    ask: Asker | None = None,
    progress: Progress | None = None,
) -> frozenset[str]:
    """Everything before the store is written: decide (`decide_verified`), then compile and
    check the component. Returns the granted capabilities."""
    granted = decide_verified(paths, archive, request=request, ask=ask)
    precompile(paths, archive, progress)
    return granted


def decide_verified(
    paths: HostPaths, archive: PluginArchive, *, request: InstallRequest, ask: Asker | None = None
) -> frozenset[str]:
    """Everything that can refuse an install, decided before any compile: the ABI and the
    scopes this host can honour, a version already installed from other bytes (refused
    before anyone is asked), then consent. Returns the granted capabilities.

    While a person reads the consent prompt, the shared Python runtime compiles in the
    background (`host.components.start_runtime_compile`); nothing of the plugin is compiled.
    """
    check_abi(archive)
    LocalStore(paths).check_installable(archive, reinstall=request.reinstall)
    answers = Answers(grant=frozenset(request.grant), deny=frozenset(request.deny), yes=request.yes, ask=ask)
    if _will_ask(archive, answers):
        from host.components import start_runtime_compile

        start_runtime_compile(archive.wasm, paths.compiled)
    return decide_install(archive.manifest, answers)


def _will_ask(archive: PluginArchive, answers: Answers) -> bool:
    """A person will be asked: someone is there, and flags do not answer every kind."""
    unanswered = set(archive.manifest.capabilities) - answers.grant - answers.deny
    return answers.ask is not None and not answers.yes and bool(unanswered)


def verify_signature(paths: HostPaths, archive: PluginArchive, request: InstallRequest) -> str:
    sig_path = request.signature or request.archive.with_name(request.archive.name + ".sig")
    if not sig_path.is_file():
        if request.allow_unsigned:
            return UNSIGNED_SIGNER
        raise SignatureError(
            f"{request.archive.name} is not signed (no {sig_path.name} beside it)",
            hint="ask the publisher for the .sig file, or sign your own build with `acc plugin sign ARCHIVE --key KEY`",
        )
    from host.trust import TrustStore
    from sdk.signing import read_signature, verify_archive_signature

    signature = read_signature(sig_path)
    trusted = [entry.public_key for entry in TrustStore(paths).entries()]
    key = verify_archive_signature(archive.sha256, signature, trusted)
    return key.key_id


def check_abi(archive: PluginArchive) -> None:
    """Refuse a plugin made for another ABI, or asking for a scope this host cannot honour."""
    from host.capabilities import unsupported

    manifest = archive.manifest
    if not any(manifest.supports_abi(v) for v in SUPPORTED_ABI_VERSIONS):
        supported = ", ".join(str(v) for v in SUPPORTED_ABI_VERSIONS)
        raise LoadError(
            f"{manifest.name} {manifest.version} needs plugin ABI {manifest.api}; this host supports {supported}",
            hint="update acc, or install a version of the plugin made for this ABI",
        )
    problems = unsupported(manifest)
    if problems:
        raise LoadError(
            f"{manifest.name} {manifest.version} asks for what this host cannot give: {'; '.join(problems)}",
            hint="update acc, or install a version of the plugin made for this host",
        )


def precompile(paths: HostPaths, archive: PluginArchive, progress: Progress | None = None) -> None:
    """Compile (or find cached) and check the component against its manifest."""
    from host.progress import Quiet

    manifest = archive.manifest
    with (progress or Quiet()).step(f"compiling {manifest.name} {manifest.version}"):
        _compile(paths, archive)


def _compile(paths: HostPaths, archive: PluginArchive) -> None:
    from host.components import compile_and_check

    # No wasm_sha256: the loader hashes these bytes itself, once (18 MB, ~12 ms).
    compile_and_check(archive.wasm, archive.manifest, paths.compiled)


class CompileQueue:
    """Compiles decided archives one after another on a daemon thread, while the caller
    downloads the next plugin and asks about it: download and compile overlap across the
    plugins of one install or update.

    Submit an archive only once everything about it is decided (`decide_verified`). `wait`
    returns when every submitted archive is compiled and checked, showing each as a step,
    and raises the first error. The thread is a daemon and stops after an error: a refused
    or interrupted install never waits for a compile it no longer needs, and nothing is
    stored before `wait` returns. Use it from one thread.
    """

    def __init__(self, paths: HostPaths) -> None:
        self.paths = paths
        self._jobs: list[_CompileJob] = []
        self._queue: queue.SimpleQueue[_CompileJob | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._failed = threading.Event()

    def submit(self, archive: PluginArchive) -> None:
        job = _CompileJob(archive)
        self._jobs.append(job)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="acc-install-compile", daemon=True)
            self._thread.start()
        self._queue.put(job)

    def wait(self, progress: Progress | None = None) -> None:
        """Block until every submitted archive is compiled; raise the first failure."""
        from host.progress import Quiet

        for job in self._jobs:
            manifest = job.archive.manifest
            with (progress or Quiet()).step(f"compiling {manifest.name} {manifest.version}"):
                while not job.done.wait(0.1):  # a timeout keeps Ctrl-C responsive
                    pass
                if job.error is not None:
                    raise job.error
        self._jobs.clear()

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._failed.is_set():
                job.error = LoadError("not compiled: an earlier plugin of this install failed")
            else:
                try:
                    _compile(self.paths, job.archive)
                except BaseException as e:  # handed to the waiting thread, which raises it
                    job.error = e
                    self._failed.set()
            job.done.set()


@dataclass
class _CompileJob:
    archive: PluginArchive
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
