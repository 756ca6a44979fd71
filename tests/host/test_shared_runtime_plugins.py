"""Real componentize-py plugins through the shared runtime: the same behaviour as whole, separate state.

The whole component is compiled once into the shared test cache and linked into a
private directory, so its sandbox takes the whole path; the split sandbox compiles its
thin component privately and takes the runtime modules from the shared test cache.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from host.capabilities.binding import Binding, Preopen
from host.compiled_cache import cache_key, load_component
from host.engine import EngineSettings, shared_engine
from host.errors import PluginFailed, PluginTrap
from host.logsink import LogSink
from host.runtime.split import split_component
from host.sandbox import Sandbox, SandboxSpec
from sdk.archive import read_archive
from sdk.capabilities.fs import GUEST_PROJECT_DIR, FsCapability
from tests.helpers import TEST_CACHE
from tests.runtime_kit import reassemble

pytestmark = pytest.mark.slow

SHARED_COMPILED = TEST_CACHE / "compiled"


class Plugin:
    """A built plugin's files, and sandboxes of it on either path."""

    def __init__(self, archive: Path, root: Path) -> None:
        self.archive = read_archive(archive)
        self.root = root
        self.wasm_path = root / "plugin.wasm"
        self.wasm_path.write_bytes(self.archive.wasm)
        self.sha256 = hashlib.sha256(self.archive.wasm).hexdigest()
        self.whole_dir = root / "whole"
        self.thin_dir = root / "thin"
        self.whole_dir.mkdir()
        self.thin_dir.mkdir()

    def ensure_whole(self) -> None:
        """Compile the whole component (once per test cache) and put it where only the whole path looks."""
        settings = EngineSettings()
        load_component(shared_engine(settings), settings, self.wasm_path, SHARED_COMPILED, wasm_sha256=self.sha256)
        name = f"{cache_key(self.sha256, settings)}.cwasm"
        if not (self.whole_dir / name).exists():
            shutil.copyfile(SHARED_COMPILED / name, self.whole_dir / name)

    def sandbox(self, *, split: bool, project: Path | None = None, granted: frozenset[str] = frozenset()) -> Sandbox:
        spec = SandboxSpec(
            manifest=self.archive.manifest,
            wasm_path=self.wasm_path,
            wasm_sha256=self.sha256,
            cache_dir=self.thin_dir if split else self.whole_dir,
            runtime_dir=SHARED_COMPILED,
        )
        bindings = {}
        fs = self.archive.manifest.capabilities.get("fs")
        if "fs" in granted and project is not None and isinstance(fs, FsCapability):
            bindings["fs"] = Binding(preopens=(Preopen(project, GUEST_PROJECT_DIR, writable=fs.writable),))
        sandbox = Sandbox(spec, bindings, LogSink(self.archive.manifest.name))
        assert bool(sandbox.loaded.runtime_imports) == split
        return sandbox


@pytest.fixture(scope="module")
def plugins(
    built_archives: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Plugin]]:
    made: dict[str, Plugin] = {}

    def get(name: str) -> Plugin:
        if name not in made:
            made[name] = Plugin(built_archives(name), tmp_path_factory.mktemp(name))
        return made[name]

    yield get


def _outcome(sandbox: Sandbox, command: str, value: dict[str, Any]) -> Any:
    """A command's result, or what stopped it, as plain data to compare."""
    try:
        return ("ok", json.loads(sandbox.execute(command, json.dumps(value))))
    except PluginFailed as e:
        return ("failed", e.kind, e.detail)
    except PluginTrap as e:
        return ("trap", e.limit, e.message)


def test_a_real_component_splits_into_the_runtime_and_reassembles_byte_for_byte(
    plugins: Callable[[str], Plugin],
) -> None:
    stats, hostile = plugins("project-stats").archive.wasm, plugins("hostile").archive.wasm
    stats_split, hostile_split = split_component(stats), split_component(hostile)
    assert reassemble(stats_split) == stats
    assert reassemble(hostile_split) == hostile
    # libpython, libc and the componentize-py runtime: the same bytes in both plugins.
    assert len(stats_split.shared) >= 3
    assert stats_split.import_names == hostile_split.import_names
    assert sum(len(m.wasm) for m in stats_split.shared) > 6_000_000
    assert len(stats_split.thin) < len(stats) - 6_000_000


def test_project_stats_gives_the_same_results_split_and_whole(plugins: Callable[[str], Plugin], project: Path) -> None:
    plugin = plugins("project-stats")
    plugin.ensure_whole()
    (project / "src").mkdir()
    (project / "src" / "a.py").write_text("x = 1\ny = 2\n")
    (project / "notes.md").write_text("# notes\n")
    outcomes = []
    for split in (False, True):
        with plugin.sandbox(split=split, project=project, granted=frozenset({"fs"})) as sandbox:
            outcomes.append(
                [
                    sandbox.describe(),
                    _outcome(sandbox, "summary", {}),
                    _outcome(sandbox, "summary", {"path": "src"}),
                    _outcome(sandbox, "summary", {"path": "../outside"}),
                    _outcome(sandbox, "git-info", {}),  # process not granted: denied the same way
                ]
            )
    whole, thin = outcomes
    assert thin == whole
    assert whole[1][1]["files"] == 3


def test_hostile_is_contained_the_same_split_and_whole(plugins: Callable[[str], Plugin], project: Path) -> None:
    plugin = plugins("hostile")
    plugin.ensure_whole()
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("echo", {"still": "alive"}),
        ("env", {}),
        ("listdir", {"path": "/"}),
        ("read", {"path": "/etc/passwd"}),
        ("read", {"path": "/project/hello.txt"}),
        ("recurse", {}),
        ("recurse", {"limit": 10_000_000}),
        ("membomb", {}),
        ("echo", {"after": "traps"}),
    ]
    outcomes = []
    for split in (False, True):
        with plugin.sandbox(split=split, project=project, granted=frozenset({"fs"})) as sandbox:
            outcomes.append([_outcome(sandbox, command, value) for command, value in attempts])
    whole, thin = outcomes
    assert thin == whole
    by_command = dict(zip([command for command, _ in attempts], whole, strict=True))
    assert by_command["recurse"][:2] == ("trap", "stack")  # the second recurse: past Python's limit
    assert by_command["membomb"][0] != "ok" and "memory" in str(by_command["membomb"]).lower()
    assert by_command["echo"][0] == "ok"


def test_sandboxes_sharing_the_runtime_do_not_see_each_others_python_state(
    plugins: Callable[[str], Plugin],
) -> None:
    plugin = plugins("hostile")
    with plugin.sandbox(split=True) as first, plugin.sandbox(split=True) as second:
        shared = first.loaded.runtime_modules
        assert shared and all(second.loaded.runtime_modules[name] is module for name, module in shared.items())
        assert _outcome(first, "remember", {"value": "first's secret"}) == ("ok", [])
        assert _outcome(first, "remember", {"value": "again"}) == ("ok", ["first's secret"])
        # The same compiled libpython, but its own heap and globals: nothing of first's is here.
        assert _outcome(second, "remember", {"value": "second's"}) == ("ok", [])
        assert _outcome(first, "remember", {"value": "third"}) == ("ok", ["first's secret", "again"])
