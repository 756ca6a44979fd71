"""What a process that runs an installed plugin carries: no OpenSSL (hashlib), no SQLite
until a kv store is used, no packaging.requirements for a manifest's bundled packages;
and compiled files written so that the kernel caches them in small folios.

Each of those libraries is resident memory in every long-lived host (the MCP server, agent
runs) whether or not it is used; the budget is in docs/performance.md. Fresh interpreters,
because this is about what a process imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from host.paths import HostPaths
from sdk.atomic import MAPPED_FILE_PIECE_BYTES, atomic_write_bytes
from tests.helpers import REPO

HEAVY_MODULES = ("_hashlib", "_ssl", "_sqlite3", "packaging.requirements", "subprocess", "socket", "host.confinement")


def _modules_after(code: str) -> list[str]:
    """Run `code` in a fresh interpreter; the HEAVY_MODULES loaded when it ends."""
    return _modules_at_marks(code + "\nmark()\n")[-1]


def _modules_at_marks(code: str) -> list[list[str]]:
    """Run `code` in a fresh interpreter; the HEAVY_MODULES loaded at each `mark()` it calls."""
    preamble = (
        "import json, sys\n"
        f"def mark():\n    print(json.dumps(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", preamble + code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("[")]


def test_each_capability_loads_its_libraries_at_its_first_use_not_when_bound(
    hostile_home: HostPaths, project: Path
) -> None:
    """hostile holds kv, process, fs and secrets grants. A call that uses none of them loads
    no OpenSSL, SQLite, sockets, subprocess or OS sandbox detection (loading compiled code
    hashes nothing); a kv round trip then loads exactly SQLite, and running a program exactly
    subprocess and the sandbox detection. Each step also works."""
    code = (
        "from pathlib import Path\n"
        "from host.paths import HostPaths\n"
        "from host.runner import PluginHost, RunOptions\n"
        f"paths = HostPaths(home=Path({str(hostile_home.home)!r}), cache=Path({str(hostile_home.cache)!r}))\n"
        f"with PluginHost(paths, RunOptions(project_dir=Path({str(project)!r}))) as host:\n"
        "    assert host.run('hostile', 'echo', {}) is not None\n"
        "    mark()\n"
        "    host.run('hostile', 'kv-set', {'key': 'k', 'value': 'v'})\n"
        "    assert host.run('hostile', 'kv-get', {'key': 'k'}) == {'ok': True, 'value': 'v'}\n"
        "    mark()\n"
        "    out = host.run('hostile', 'run', {'program': 'git', 'args': ['rev-parse', '--is-inside-work-tree']})\n"
        "    assert out['ok'] and out['value']['status'] != 0, out  # ran; the project is no repository\n"
        "    mark()\n"
    )
    assert _modules_at_marks(code) == [
        [],
        ["_sqlite3"],
        ["_sqlite3", "host.confinement", "subprocess"],
    ]


def test_reading_a_manifest_with_pinned_packages_does_not_import_packaging_requirements() -> None:
    code = (
        "from sdk.manifest import load_manifest\n"
        'm = load_manifest(\'name = "p"\\nversion = "1.0.0"\\ndescription = "x"\\n'
        '[python]\\npackages = [\\"pyflakes==3.4.0\\", \\"Mc_Cabe==0.7.0\\"]\\n'
        '[[commands]]\\nname = "go"\\n\')\n'
        "assert [(p.name, p.version) for p in m.python_packages] == [('pyflakes', '3.4.0'), ('mc-cabe', '0.7.0')]\n"
    )
    assert _modules_after(code) == []


PIECE = MAPPED_FILE_PIECE_BYTES


@pytest.mark.parametrize("size", [0, 1, PIECE - 1, PIECE, 5 * PIECE + 7])
def test_a_file_written_in_pieces_has_exactly_the_bytes_given(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    target = tmp_path / "compiled.cwasm"
    atomic_write_bytes(target, memoryview(data), piece_bytes=MAPPED_FILE_PIECE_BYTES)
    assert target.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["compiled.cwasm"]  # no temp file left


def test_compiled_files_are_written_in_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """write_serialized (every compilation the host keeps) hands the kernel no write larger
    than a piece, whatever the size of the compiled code."""
    from wasmtime import Engine, Module

    from host.wasmtime_compat import write_serialized
    from sdk import atomic

    sizes: list[int] = []
    real_write_all = atomic._write_all

    def recording_write_all(f: object, piece: memoryview) -> None:
        sizes.append(len(piece))
        real_write_all(f, piece)

    module = Module(Engine(), '(module (memory 1) (data (i32.const 0) "' + "x" * 70_000 + '"))')
    monkeypatch.setattr(atomic, "_write_all", recording_write_all)
    write_serialized(module, tmp_path / "m.cwasm")
    assert sum(sizes) == (tmp_path / "m.cwasm").stat().st_size > MAPPED_FILE_PIECE_BYTES
    assert max(sizes) <= MAPPED_FILE_PIECE_BYTES
