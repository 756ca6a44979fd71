"""`acc plugin dev`: run an author's plugin from its source directory, installing nothing.

The author's edit → run loop: build (`sdk.build`: the source checked in CPython first, the
component cached by content), install the build into a throwaway home (a temporary
ACC_HOME that shares this host's compiled cache, so the shared Python runtime is compiled
once per host and each run compiles only the plugin's thin component), grant what the
manifest declares except what `deny` names, run one command, and throw the home away: no
grant, kv entry or file of the run outlives it. The build is not signed; the signer
recorded in the throwaway home says so, and the caller shows it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host.install import InstallRequest, install_verified
from host.logsink import Emitter
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from host.store import InstalledPlugin
from sdk.archive import read_archive
from sdk.build import build_plugin
from sdk.manifest import Manifest

#: The signer a development run records: nobody signed it.
DEV_SIGNER = "UNSIGNED-DEVELOPMENT-BUILD"


@dataclass(frozen=True)
class DevPlugin:
    """What a development run is about to run: the build, and what it was granted."""

    installed: InstalledPlugin
    manifest: Manifest
    source: Path
    cached_build: bool


def dev_run(
    paths: HostPaths,
    source: Path,
    command: str,
    value: Any,
    *,
    project_dir: Path | None,
    deny: Collection[str] = (),
    emit_log: Emitter | None = None,
    before_run: Callable[[DevPlugin], None] | None = None,
) -> tuple[DevPlugin, Any]:
    """Build `source`, install it into a throwaway home and run `command` with `value`.

    `paths` gives the compiled cache and build cache to share (the throwaway home is new).
    `before_run(plugin)` is called once the plugin is built and granted, before it runs
    (the CLI shows the grants there). Returns the plugin and the command's decoded result;
    raises what `acc plugin build`, `install` and `run` raise.
    """
    with tempfile.TemporaryDirectory(prefix="acc-dev-") as tmp:
        work = Path(tmp)
        # The archive is read once, here, and deleted: deflating 18 MB would be a second wasted.
        built = build_plugin(source, work / "build", cache_dir=paths.builds, compress=False)
        archive = read_archive(built.archive)
        manifest = archive.manifest
        denied = frozenset(deny)
        request = InstallRequest(
            archive=built.archive,
            grant=tuple(sorted(set(manifest.capabilities) - denied)),
            deny=tuple(sorted(denied)),
        )
        home = HostPaths(home=work / "home", cache=paths.cache)
        installed = install_verified(home, archive, signer=DEV_SIGNER, request=request)
        plugin = DevPlugin(installed, manifest, source.resolve(), built.cached)
        if before_run is not None:
            before_run(plugin)
        with PluginHost(home, RunOptions(project_dir=project_dir, emit_log=emit_log)) as host:
            return plugin, host.run(manifest.name, command, value)
