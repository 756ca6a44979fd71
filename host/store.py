"""The local plugin store under ACC_HOME.

Layout:
    state.json                  installed plugins: current version, versions, grants,
                                and `"disabled": true` for a plugin the user disabled
    plugins/NAME/VERSION/       plugin.toml, plugin.wasm, README.md, LICENSE
    tmp/                        staging for installs (a leftover here is an interrupted install)
    .lock                       serialises writers

An install stages files in tmp/, renames the finished directory into plugins/, then
replaces state.json atomically. The state file is the only truth: a crash at any point
leaves either the old state or the new one, and a version directory that state.json does
not name is invisible (and replaced by the next install of that version).

A disabled plugin stays installed (its versions, grants and data are kept) but does not
run: `LocalStore.runnable` is what everything that runs a plugin or offers its commands
asks (`acc plugin run`, inter-plugin calls, the agent's tools, the MCP server), and it
refuses a disabled plugin with `PluginDisabled`. Listings read `InstalledPlugin.enabled`.

Plugin names are lowercase (sdk.names), so a name given in another case finds its plugin
(`Git` is `git`); a name that finds nothing is answered with the installed names it
resembles ("did you mean ...").
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from host.errors import PluginDisabled, StoreError
from host.paths import HostPaths
from sdk.atomic import atomic_write_json, file_lock, fsync_dir

if TYPE_CHECKING:  # `acc plugin list` must not pay for importing the manifest parser
    from sdk.archive import PluginArchive
    from sdk.manifest import Manifest

STATE_VERSION = 1


@dataclass(frozen=True)
class InstalledPlugin:
    name: str
    version: str
    versions: tuple[str, ...]
    granted: frozenset[str]
    archive_sha256: str
    wasm_sha256: str
    signer: str
    installed_at: str
    directory: Path
    #: The marketplace this version was installed from; "" for an archive file.
    marketplace: str = ""
    #: Granted kinds the user narrowed to reading only (today only `fs`: a read-write
    #: manifest granted read-only). A narrowing outlives updates: see `_keep_narrowing`.
    read_only: frozenset[str] = frozenset()
    #: False when the user disabled it: installed, but not run and not offered as a tool.
    enabled: bool = True

    @property
    def wasm_path(self) -> Path:
        return self.directory / "plugin.wasm"

    def manifest(self) -> Manifest:
        path = self.directory / "plugin.toml"
        return _installed_manifest(path.read_bytes(), str(path))

    def readme(self) -> str:
        return (self.directory / "README.md").read_text(encoding="utf-8")

    def declared(self) -> tuple[list[str], list[str]]:
        """(command names, capability kinds) as plugin.toml lists them, read as TOML only:
        cheap enough for shell completion, which must not wait for the manifest's checks."""
        import tomllib

        data = tomllib.loads((self.directory / "plugin.toml").read_text(encoding="utf-8"))
        commands = [c["name"] for c in data.get("commands", []) if isinstance(c, dict) and "name" in c]
        return [str(c) for c in commands], sorted(str(k) for k in data.get("capabilities", {}))


@functools.lru_cache(maxsize=64)
def _installed_manifest(data: bytes, source: str) -> Manifest:
    """An installed plugin.toml, parsed once per process for the same bytes (about 2 ms of
    TOML and checks: a long-lived host reopening a sandbox its LRU closed reads it again).
    A `Manifest` is frozen and its mappings are read-only, so every caller can share one.
    Raises `ManifestError` each time for bad bytes (exceptions are not cached)."""
    from sdk.manifest import load_manifest

    # Checked in full when it was installed; the schema meta-check is not repeated per load.
    return load_manifest(data, source=source, check_schemas=False)


def forget_parsed_manifests() -> None:
    """Parse installed manifests afresh from now on (for measuring what a new process pays)."""
    _installed_manifest.cache_clear()


class LocalStore:
    """Installed plugins and their grants."""

    def __init__(self, paths: HostPaths) -> None:
        self.paths = paths

    # -- reading -----------------------------------------------------------------------------

    def _read_state(self) -> dict[str, Any]:
        try:
            raw = self.paths.state_file.read_bytes()
        except FileNotFoundError:
            return {"version": STATE_VERSION, "plugins": {}}
        try:
            state = json.loads(raw)
        except json.JSONDecodeError as e:
            raise StoreError(
                f"{self.paths.state_file} is damaged ({e})",
                hint="restore it from a backup or remove ACC_HOME to start afresh",
            ) from e
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise StoreError(
                f"{self.paths.state_file} has an unknown format", hint="it was written by another version of acc"
            )
        return state

    def list(self) -> list[InstalledPlugin]:
        state = self._read_state()
        return [self._entry(name, entry) for name, entry in sorted(state["plugins"].items())]

    def get(self, name: str) -> InstalledPlugin:
        """The installed plugin `name` (in any case); `StoreError` with suggestions if there is none."""
        state = self._read_state()
        name, entry = _lookup(state, name)
        return self._entry(name, entry)

    def find(self, name: str) -> InstalledPlugin | None:
        """The installed plugin `name` (in any case), or None."""
        plugins = self._read_state()["plugins"]
        key = _key(plugins, name)
        return None if key is None else self._entry(key, plugins[key])

    def runnable(self, name: str) -> InstalledPlugin:
        """The installed plugin `name`, if it may run and be offered as a tool.

        The one question everything that runs a plugin or lists its commands for a model
        asks: `PluginDisabled` for a plugin the user disabled, `StoreError` if it is not
        installed."""
        return require_enabled(self.get(name))

    def get_version(self, name: str, version: str) -> InstalledPlugin:
        """A kept version of `name` (current or previous), as if it were current; grants are the
        current ones and say nothing about that version."""
        name, entry = _lookup(self._read_state(), name)
        if version not in entry["versions"]:
            kept = ", ".join(entry["versions"])
            raise StoreError(
                f"{name} {version} is not installed (kept versions: {kept})",
                hint=f"install it with `acc plugin install {name}=={version}`",
            )
        return self._entry(name, entry, version)

    def _entry(self, name: str, entry: dict[str, Any], version: str | None = None) -> InstalledPlugin:
        version = version or entry["current"]
        meta = entry["versions"][version]
        return InstalledPlugin(
            name=name,
            version=version,
            versions=tuple(sorted(entry["versions"])),
            granted=frozenset(entry.get("granted", [])),
            archive_sha256=meta["archive_sha256"],
            wasm_sha256=meta["wasm_sha256"],
            signer=meta.get("signer", ""),
            installed_at=meta.get("installed_at", ""),
            directory=self.paths.plugins / name / version,
            marketplace=meta.get("marketplace", ""),
            read_only=frozenset(entry.get("read_only", [])) & frozenset(entry.get("granted", [])),
            enabled=entry.get("disabled") is not True,
        )

    # -- writing -----------------------------------------------------------------------------

    def install(
        self,
        archive: PluginArchive,
        *,
        granted: frozenset[str],
        signer: str,
        reinstall: bool = False,
        marketplace: str = "",
    ) -> InstalledPlugin:
        """Store an already verified archive and make it the current version, atomically."""
        import hashlib

        name, version = archive.manifest.name, str(archive.manifest.version)
        self.paths.staging.mkdir(parents=True, exist_ok=True)
        with file_lock(self.paths.lock_file):
            state = self._read_state()
            _refuse_other_archive(state, archive, reinstall=reinstall)
            entry = state["plugins"].get(name)
            target = self.paths.plugins / name / version
            self._stage_and_move(archive, target)
            entry = entry or {"versions": {}, "granted": []}
            entry["versions"][version] = {
                "archive_sha256": archive.sha256,
                "wasm_sha256": hashlib.sha256(archive.wasm).hexdigest(),
                "signer": signer,
                "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            if marketplace:  # absent in state files of older acc versions: read as ""
                entry["versions"][version]["marketplace"] = marketplace
            entry["current"] = version
            entry["granted"] = sorted(granted)
            _keep_narrowing(entry)
            state["plugins"][name] = entry
            atomic_write_json(self.paths.state_file, state)
            self._sweep_staging()
            return self._entry(name, entry)

    def check_installable(self, archive: PluginArchive, *, reinstall: bool = False) -> None:
        """Refuse now what `install` would refuse later: a version installed from other bytes
        (unless `reinstall`). Called before anything is asked or compiled; `install` checks
        again under the lock, since another acc may install meanwhile."""
        _refuse_other_archive(self._read_state(), archive, reinstall=reinstall)

    def _stage_and_move(self, archive: PluginArchive, target: Path) -> None:
        import shutil
        import tempfile  # imported by what installs, not by every run (with shutil: 2.4 MB)

        staged = Path(tempfile.mkdtemp(dir=self.paths.staging, prefix=f"{archive.manifest.name}-"))
        try:
            files = {
                "plugin.toml": archive.manifest_text.encode(),
                "plugin.wasm": archive.wasm,
                "README.md": archive.readme.encode(),
            }
            if archive.license is not None:
                files["LICENSE"] = archive.license.encode()
            for filename, data in files.items():
                with open(staged / filename, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            fsync_dir(staged)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                # Not named by state.json as different content (checked above), or a reinstall:
                # move it aside first so the rename below is a single atomic step.
                aside = Path(tempfile.mkdtemp(dir=self.paths.staging, prefix="old-"))
                os.replace(target, aside / "v")
            os.replace(staged, target)
            fsync_dir(target.parent)
        finally:
            if staged.exists():
                shutil.rmtree(staged, ignore_errors=True)

    def _sweep_staging(self) -> None:
        # Leftovers of interrupted installs; safe to delete while holding the lock.
        import shutil

        for child in self.paths.staging.iterdir():
            shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)

    def remove(self, name: str, *, force: bool = False) -> InstalledPlugin:
        """Remove NAME with all its kept versions. Refused while other installed plugins
        depend on it, unless `force` (they would fail to start without it)."""
        name = self.get(name).name
        needs = [] if force else self.dependents(name)
        if needs:
            dependents = [f"{p.name} {p.version}" for p in needs]
            raise StoreError(
                f"{', '.join(dependents)} {'depend' if len(dependents) > 1 else 'depends'} on {name}: not removed",
                hint=f"remove {'them' if len(dependents) > 1 else 'it'} first, or pass --force to remove it anyway",
            )
        with file_lock(self.paths.lock_file):
            state = self._read_state()
            name, entry = _lookup(state, name)
            removed = self._entry(name, entry)
            del state["plugins"][name]
            atomic_write_json(self.paths.state_file, state)
            # The state no longer names the files: delete them after the switch, never before.
            import shutil

            with contextlib.suppress(OSError):
                shutil.rmtree(self.paths.plugins / name)
            return removed

    def switch(self, name: str, version: str, *, granted: frozenset[str], expected_current: str) -> InstalledPlugin:
        """Make an installed `version` current with `granted`, in one atomic state write.

        Refused when the current version is no longer `expected_current` (another acc
        changed it since the caller decided), so a decision is never applied to a state it
        was not made for.
        """
        with file_lock(self.paths.lock_file):
            state = self._read_state()
            entry = state["plugins"].get(name)
            if entry is None:
                raise StoreError(f"plugin {name!r} is not installed", hint="see `acc plugin list`")
            if entry["current"] != expected_current:
                raise StoreError(
                    f"{name} changed while acc was deciding (now {entry['current']}, "
                    f"was {expected_current}): nothing was changed",
                    hint="run the command again",
                )
            if version not in entry["versions"]:
                kept = ", ".join(entry["versions"])
                raise StoreError(f"{name} {version} is not installed (kept versions: {kept})")
            entry["current"] = version
            entry["granted"] = sorted(granted)
            _keep_narrowing(entry)
            atomic_write_json(self.paths.state_file, state)
            return self._entry(name, entry)

    def prune(self, name: str, keep: int) -> tuple[str, ...]:
        """Forget all but the `keep` newest previous versions of `name` (the current one always
        stays); delete their files after the state no longer names them. Returns the pruned."""
        import shutil

        from packaging.version import InvalidVersion, Version

        def order(version: str) -> tuple[int, Version | str]:
            try:
                return (1, Version(version))
            except InvalidVersion:  # never from a marketplace; oldest first
                return (0, version)

        with file_lock(self.paths.lock_file):
            state = self._read_state()
            entry = state["plugins"].get(name)
            if entry is None:
                return ()
            previous = sorted((v for v in entry["versions"] if v != entry["current"]), key=order, reverse=True)
            pruned = tuple(previous[max(keep, 0) :])
            if not pruned:
                return ()
            for version in pruned:
                del entry["versions"][version]
            atomic_write_json(self.paths.state_file, state)
            for version in pruned:  # still under the lock: no install of that version can interleave
                with contextlib.suppress(OSError):
                    shutil.rmtree(self.paths.plugins / name / version)
        return pruned

    def set_grant(self, name: str, kind: str, granted: bool, *, read_only: bool = False) -> InstalledPlugin:
        """Grant or revoke `kind`; `read_only` grants a read-write `fs` for reading only."""
        with file_lock(self.paths.lock_file):
            state = self._read_state()
            name, entry = _lookup(state, name)
            manifest = self._entry(name, entry).manifest()
            if kind not in manifest.capabilities:
                declared = ", ".join(sorted(manifest.capabilities)) or "none"
                raise StoreError(
                    f"{name} does not declare the {kind} capability (it declares: {declared})",
                    hint="a plugin can only be granted what its plugin.toml declares",
                )
            if read_only and kind not in NARROWABLE_TO_READING:
                raise StoreError(
                    f"only {', '.join(sorted(NARROWABLE_TO_READING))} can be granted read-only, not {kind}",
                    hint=f"grant {kind} without --read-only, or leave it revoked",
                )
            grants = set(entry.get("granted", []))
            narrowed = set(entry.get("read_only", []))
            grants.add(kind) if granted else grants.discard(kind)
            narrowed.add(kind) if granted and read_only else narrowed.discard(kind)
            entry["granted"] = sorted(grants)
            entry["read_only"] = sorted(narrowed)
            atomic_write_json(self.paths.state_file, state)
            return self._entry(name, entry)

    def set_enabled(self, name: str, enabled: bool) -> tuple[InstalledPlugin, bool]:
        """Enable or disable `name`; returns the plugin and whether anything changed.

        Versions, grants and the plugin's data stay as they are: enabling it again gives back
        exactly what it had. Updates and rollbacks keep the state (it lives beside the versions).
        """
        with file_lock(self.paths.lock_file):
            state = self._read_state()
            name, entry = _lookup(state, name)
            if (entry.get("disabled") is not True) == enabled:
                return self._entry(name, entry), False
            if enabled:
                entry.pop("disabled", None)
            else:
                entry["disabled"] = True
            atomic_write_json(self.paths.state_file, state)
            return self._entry(name, entry), True

    def dependents(self, name: str) -> builtins.list[InstalledPlugin]:
        """The installed plugins whose current version depends on `name`."""
        return [p for p in self.list() if p.name != name and name in p.manifest().dependencies]


def require_enabled(installed: InstalledPlugin) -> InstalledPlugin:
    """`installed` if it is enabled; `PluginDisabled` (saying how to enable it) if not."""
    if not installed.enabled:
        raise PluginDisabled(
            f"{installed.name} is disabled: it stays installed but does not run and is not offered as a tool",
            hint=f"enable it with `acc plugin enable {installed.name}`",
        )
    return installed


def _key(plugins: dict[str, Any], name: str) -> str | None:
    """The store's key for `name`: itself, or its lowercase form (every plugin name is lowercase)."""
    if name in plugins:
        return name
    lowered = name.lower()
    return lowered if lowered in plugins else None


def _lookup(state: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """(canonical name, state entry) of an installed plugin, or `StoreError` with suggestions."""
    plugins: dict[str, Any] = state["plugins"]
    key = _key(plugins, name)
    if key is None:
        from sdk.names import did_you_mean

        suggestion = did_you_mean(name, plugins)
        raise StoreError(
            f"plugin {name!r} is not installed",
            hint=(f"{suggestion} " if suggestion else "")
            + "see `acc plugin list`, or install it with `acc plugin install`",
        )
    return key, plugins[key]


def _refuse_other_archive(state: dict[str, Any], archive: PluginArchive, *, reinstall: bool) -> None:
    name, version = archive.manifest.name, str(archive.manifest.version)
    entry = state["plugins"].get(name)
    known = entry["versions"].get(version) if entry else None
    if known and known["archive_sha256"] != archive.sha256 and not reinstall:
        raise StoreError(
            f"{name} {version} is already installed from a different archive",
            hint="a published version never changes; bump the version, or pass --reinstall while developing",
        )


#: Kinds a user may grant for reading only although the manifest asks to write.
NARROWABLE_TO_READING = frozenset({"fs"})


def _keep_narrowing(entry: dict[str, Any]) -> None:
    """Keep a kind's read-only narrowing while it stays granted: an update or rollback that
    keeps `fs` granted must not silently turn a read-only grant into a read-write one."""
    kept = sorted(set(entry.get("read_only", [])) & set(entry["granted"]))
    if kept:
        entry["read_only"] = kept
    else:
        entry.pop("read_only", None)
