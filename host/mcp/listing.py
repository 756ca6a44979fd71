"""What the MCP server offers, read from the local store alone: tools, their hints, READMEs.

A `Listing` is made from `state.json` and the installed manifests; it instantiates no
sandbox and compiles nothing, so listing tools is as cheap as `acc plugin list`. It is
remade only when the store changes: `store_signature` (one `stat` of `state.json`,
which every change replaces atomically) says when.

The hints a client shows come from the grants, never from the plugin: `read_only` when
nothing the plugin was granted can change anything that outlives the call, `open_world`
when it can reach hosts on the network. A `plugins` grant counts as what the plugins it
may call were granted (they run under their own grants), followed transitively.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from host.paths import HostPaths
from host.store import InstalledPlugin, LocalStore
from host.tools import PluginTool, command_tools
from sdk.errors import AccError

if TYPE_CHECKING:
    from sdk.manifest import Manifest

#: `state.json`'s identity: (inode, size, mtime ns, ctime ns); None when nothing is installed yet.
StoreSignature = tuple[int, int, int, int] | None

README_URI = "acc://plugins/{name}/README.md"


def store_signature(paths: HostPaths) -> StoreSignature:
    """Changes whenever the store does: every write replaces state.json (a new inode)."""
    try:
        st = os.stat(paths.state_file)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class ServedPlugin:
    """An installed plugin whose commands are served, as the store has it now."""

    name: str
    version: str
    archive_sha256: str
    granted: frozenset[str]
    description: str
    readme_path: Path
    #: Nothing granted (followed through `plugins`) can change anything outside the call.
    read_only: bool
    #: Something granted (followed through `plugins`) can reach hosts on the network.
    open_world: bool

    @property
    def readme_uri(self) -> str:
        return README_URI.format(name=self.name)


@dataclass(frozen=True)
class ServedTool:
    tool: PluginTool
    plugin: ServedPlugin

    def definition(self) -> dict[str, Any]:
        """The tool as MCP's `tools/list` describes it (plain JSON, camelCase as on the wire)."""
        tool, plugin = self.tool, self.plugin
        annotations: dict[str, Any] = {
            "title": f"{plugin.name} {tool.command}",
            "readOnlyHint": plugin.read_only,
            "openWorldHint": plugin.open_world,
        }
        definition: dict[str, Any] = {
            "name": tool.name,
            "title": f"{plugin.name} {tool.command}",
            "description": tool.description,
            "inputSchema": tool.input_schema,
            "annotations": annotations,
        }
        if tool.output_schema is not None:
            definition["outputSchema"] = tool.output_schema
        return definition


@dataclass(frozen=True)
class Listing:
    """The served plugins and their tools at one state of the store."""

    signature: StoreSignature
    plugins: Mapping[str, ServedPlugin] = field(default_factory=dict)
    tools: Mapping[str, ServedTool] = field(default_factory=dict)
    #: Plugins that were asked for but are not served, each with the reason (for the log).
    problems: tuple[str, ...] = ()
    #: Every installed plugin, served or not (a served one may call it): (version, grants,
    #: grants narrowed to reading only).
    installed: Mapping[str, tuple[str, frozenset[str], frozenset[str]]] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Equal for two listings a client would see as the same tools and resources."""
        shown = {
            "tools": [served.definition() for served in self.tools.values()],
            "resources": sorted(self.plugins),
        }
        return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()

    def why_unknown(self, name: str) -> str:
        """Why `name` is not a tool now, for the tool error a client gets."""
        plugin, _, command = name.partition("__")
        if plugin in self.plugins:
            commands = ", ".join(sorted(t.tool.command for t in self.tools.values() if t.plugin.name == plugin))
            return f"unknown tool {name!r}: {plugin} has no command {command!r} (its commands: {commands})"
        if not self.tools:
            return f"unknown tool {name!r}: no plugin is served (install one with `acc plugin install`)"
        return f"unknown tool {name!r}: {plugin!r} is not installed or not served; list the tools again"


def read_listing(paths: HostPaths, enabled: Sequence[str] | None) -> Listing:
    """The listing for `enabled` plugins (None: every installed one); no sandbox is made."""
    signature = store_signature(paths)  # before reading: a change during the read shows next time
    installed = {plugin.name: plugin for plugin in LocalStore(paths).list()}
    manifests = _Manifests(installed)
    names = list(enabled) if enabled is not None else sorted(installed)
    plugins: dict[str, ServedPlugin] = {}
    tools: dict[str, ServedTool] = {}
    problems: list[str] = []
    for name in dict.fromkeys(names):
        entry = installed.get(name)
        if entry is None:
            problems.append(f"{name} is not installed")
            continue
        if not entry.enabled:  # disabled by the user: installed, but offered as no tool
            if enabled is not None:
                problems.append(f"{name} is disabled (`acc plugin enable {name}` offers it again)")
            continue
        try:
            manifest = manifests.get(name)
            commands = command_tools(entry, manifest)
        except (AccError, OSError) as e:
            problems.append(f"{name} is not served: {e}")
            continue
        may_modify, open_world = _effects(name, installed, manifests, frozenset())
        served = ServedPlugin(
            name=name,
            version=entry.version,
            archive_sha256=entry.archive_sha256,
            granted=entry.granted,
            description=manifest.description,
            readme_path=entry.directory / "README.md",
            read_only=not may_modify,
            open_world=open_world,
        )
        plugins[name] = served
        for tool in commands:
            tools[tool.name] = ServedTool(tool, served)
    # A disabled plugin counts as gone: a call running in it is stopped like one in a removed plugin.
    every = {
        name: (entry.version, entry.granted, entry.read_only) for name, entry in installed.items() if entry.enabled
    }
    return Listing(signature, plugins, tools, tuple(problems), every)


class _Manifests:
    """Installed manifests, parsed once each and only when needed."""

    def __init__(self, installed: Mapping[str, InstalledPlugin]) -> None:
        self._installed = installed
        self._parsed: dict[str, Manifest] = {}

    def get(self, name: str) -> Manifest:
        """The manifest of installed `name`; AccError or OSError when it cannot be read."""
        if name not in self._parsed:
            self._parsed[name] = self._installed[name].manifest()
        return self._parsed[name]


def _effects(
    name: str, installed: Mapping[str, InstalledPlugin], manifests: _Manifests, calling: frozenset[str]
) -> tuple[bool, bool]:
    """(may modify, open world) of what `name` was granted, through the plugins it may call."""
    entry = installed.get(name)
    if entry is None or name in calling:
        return False, False  # a callee that is not installed cannot run; a cycle adds nothing new
    try:
        manifest = manifests.get(name)
    except (AccError, OSError):
        return True, True  # grants that cannot be read: claim nothing reassuring
    may_modify = open_world = False
    for kind in entry.granted:
        capability = manifest.capabilities.get(kind)
        if capability is None or kind in entry.read_only:  # narrowed to reading: bound read-only
            continue
        if kind == "plugins":
            for callee in getattr(capability, "plugins", ()):
                callee_modifies, callee_open = _effects(callee, installed, manifests, calling | {name})
                may_modify |= callee_modifies
                open_world |= callee_open
        else:
            may_modify |= capability.may_modify()
            open_world |= capability.open_world()
    return may_modify, open_world
