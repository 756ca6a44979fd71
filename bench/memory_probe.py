"""Memory of a host process with four plugins loaded and called, as `acc` would hold them.

Run by bench/run.py and bench/shared_runtime_bench.py in a fresh process:

    python bench/memory_probe.py HOME CACHE PROJECT [MAX_LIVE]

and prints one JSON object: RSS, PSS and anonymous memory (from /proc/self/smaps_rollup)
before the host is created and after the four calls, resident memory by kind of mapping,
how many sandboxes were left open, and the files the process had mapped.

`measure_twice` (what the benchmarks call) runs it as the page cache happens to be, then
again after dropping those files from the page cache. RSS counts the file pages a process
maps, and how many it maps for the pages it touches depends on how the kernel cached the
file: Linux 6.18 keeps a file written in large writes in large folios and maps a whole
folio for one touched page, so a `_libwasmtime.so` that pip wrote minutes ago costs about
3 MB more than the same file read back from disk. The second figure is the settled state
every later start sees once the page cache has turned over (after a reboot, or pressure).

This file imports nothing but the host and the standard library's small modules: the
measured process must not carry the benchmarks' own imports (`hashlib` alone maps
OpenSSL's libcrypto, 3 MB resident, which a plugin run does not load).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

#: The plugins and calls measured: small ones, a test plugin and a CPU-heavy official one.
CALLS = (
    ("project-stats", "summary", {"path": "."}),
    ("hostile", "echo", {}),
    ("relay", "read", {"path": "/nonexistent"}),
    ("code-quality", "complexity", {"path": "."}),
)


def smaps() -> dict[str, float]:
    """RSS, PSS and anonymous memory of this process, in MB."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"], "anon": fields["Anonymous"]}


def rss_by_mapping() -> dict[str, float]:
    """Resident MB by kind of mapping: compiled code files, memory images, anonymous, the rest."""
    totals: dict[str, float] = {}
    kind = "other"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            path = head[5] if len(head) > 5 else ""
            if path.endswith(".cwasm"):
                kind = "compiled files (.cwasm)"
            elif "wasm-memory-image" in path:
                kind = "memory images (memfd)"
            elif path in ("", "[heap]"):
                kind = "anonymous and heap"
            else:
                kind = "libraries and other"
        elif head and head[0] == "Rss:":
            totals[kind] = totals.get(kind, 0.0) + int(head[1]) / 1024
    return totals


def mapped_files() -> list[str]:
    """The regular files this process maps (libraries, compiled plugins)."""
    found = set()
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith("/") and os.path.isfile(fields[5]):
            found.add(fields[5])
    return sorted(found)


def drop_from_page_cache(files: list[str]) -> None:
    """Ask the kernel to drop the cached pages of `files` that no process maps."""
    for name in files:
        try:
            fd = os.open(name, os.O_RDONLY)
        except OSError:
            continue
        try:
            # Written back first: dirty pages (a file pip wrote a minute ago) are not dropped.
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def run_in_fresh_process(home: Path, cache: Path, project: Path, max_live: int | None = None) -> dict[str, Any]:
    import subprocess  # here: this file is also the measured process, which must not load it

    args = [sys.executable, str(Path(__file__).resolve()), str(home), str(cache), str(project)]
    done = subprocess.run([*args, *([str(max_live)] if max_live is not None else [])], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"memory probe failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_twice(
    home: Path, cache: Path, project: Path, max_live: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(as the page cache was, after dropping the mapped files from it): see the docstring.

    Pages that a running process maps cannot be dropped: the settled result lists under
    "held_by_benchmark" wasmtime's library and compiled plugins that the calling process
    maps itself (a benchmark that has loaded wasmtime): its figure is then not settled."""
    as_found = run_in_fresh_process(home, cache, project, max_live)
    drop_from_page_cache(as_found["mapped_files"])
    settled = run_in_fresh_process(home, cache, project, max_live)
    ours = [f for f in mapped_files() if f.endswith(".cwasm") or "_libwasmtime" in f]
    settled["held_by_benchmark"] = sorted(set(as_found["mapped_files"]) & set(ours))
    return as_found, settled


def measure(home: Path, cache: Path, project: Path, max_live: int | None = None) -> dict[str, object]:
    sys.path.insert(0, str(REPO))
    from host.paths import HostPaths
    from host.policy import HostPolicy
    from host.runner import PluginHost, RunOptions

    before = smaps()
    policy = HostPolicy() if max_live is None else HostPolicy(max_live_sandboxes=max_live)
    host = PluginHost(HostPaths(home, cache), RunOptions(project_dir=project, policy=policy))
    for plugin, command, value in CALLS:
        host.run(plugin, command, value)
    result = {
        "before": before,
        "loaded": smaps(),
        "by_mapping": rss_by_mapping(),
        "live": host.live_sandboxes(),
        "mapped_files": mapped_files(),
    }
    host.close()
    return result


if __name__ == "__main__":
    home, cache, project = (Path(arg) for arg in sys.argv[1:4])
    live = int(sys.argv[4]) if len(sys.argv) > 4 else None
    print(json.dumps(measure(home, cache, project, live)))
