"""Benchmarks of the design's runtime budgets; writes the runtime section of docs/performance.md.

Run: .venv/bin/python bench/run.py [--quick]

Measures, on this machine: cold compile and cached load + instantiate of a Python
plugin; the host's call overhead over raw wasmtime-py on the same component; start-up
of `acc --help` and `acc plugin list` against `python -c pass`; resident memory with
four plugins loaded. Medians over repeated runs; nothing here is a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from host.install import InstallRequest, install_archive  # noqa: E402
from host.paths import HostPaths  # noqa: E402
from host.runner import PluginHost, RunOptions  # noqa: E402
from sdk.build import build_plugin  # noqa: E402
from sdk.scaffold import new_plugin  # noqa: E402

CACHE = REPO / ".acc-test-cache"


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def wall(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    return median_seconds(lambda: subprocess.run(cmd, env=env, capture_output=True, check=True), runs)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    reps = 3 if args.quick else 10
    work = Path(tempfile.mkdtemp(prefix="acc-bench-"))
    paths = HostPaths(home=work / "home", cache=work / "cache")
    project = work / "project"  # beside ACC_HOME, never holding it (acc refuses that)
    project.mkdir()
    rows: list[tuple[str, str, str]] = []

    # Build the scaffold's demo (a minimal Python plugin) and the example plugin.
    demo_src = new_plugin("demo", work / "demo")
    demo = build_plugin(demo_src, work, cache_dir=CACHE / "builds").archive
    example = build_plugin(REPO / "official_plugins" / "example", work, cache_dir=CACHE / "builds").archive
    extra = [
        build_plugin(REPO / "tests" / "plugins" / n, work, cache_dir=CACHE / "builds").archive
        for n in ("hostile", "relay")
    ]
    from sdk.archive import read_archive

    demo_wasm = read_archive(demo).wasm
    wasm_mb = len(demo_wasm) / 1e6

    # 1. Cold compile (what install pays once, never on the call path).
    import wasmtime
    from wasmtime.component import Component, Linker

    from host.engine import EngineSettings, shared_engine

    engine = shared_engine(EngineSettings())
    compile_s = median_seconds(lambda: Component(engine, demo_wasm), 3 if not args.quick else 1)
    rows.append((f"first compile of a {wasm_mb:.0f} MB Python plugin", f"{compile_s * 1000:.0f} ms", "≤ 1 s"))

    # 2. Cached load + instantiate (+ initialize) through the host.
    for archive in (demo, example, *extra):
        install_archive(paths, InstallRequest(archive=archive, yes=True, allow_unsigned=True))
    cwasm = next(paths.compiled.glob(f"{hashlib.sha256(demo_wasm).hexdigest()}-*.cwasm"))
    load_s = median_seconds(lambda: Component.deserialize_file(engine, str(cwasm)), reps * 3)
    rows.append(("cached load (deserialize) of that plugin", f"{load_s * 1000:.1f} ms", "≤ 10 ms (with instantiate)"))

    def open_and_init() -> None:
        with PluginHost(paths, RunOptions(project_dir=project)) as host:
            host.sandbox(host.store.get("demo"))._ensure_instance()

    init_s = median_seconds(open_and_init, reps * 3)
    rows.append(("cached load + instantiate + initialize, via the host", f"{init_s * 1000:.1f} ms", "≤ 10 ms"))

    # 3. Call overhead: the host's Sandbox.execute vs a raw wasmtime-py call of the same export.
    component = Component.deserialize_file(engine, str(cwasm))
    linker = Linker(engine)
    linker.add_wasip2()
    with linker.root() as root, root.add_instance("acc:plugin/log@1.0.0") as log_interface:
        log_interface.add_func("log", lambda *_a: None)
        log_interface.add_func("progress", lambda *_a: None)
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    store.set_epoch_deadline(1_000_000)
    instance = linker.instantiate(store, component)
    guest = component.get_export_index("acc:plugin/guest@1.0.0")
    execute = instance.get_func(store, component.get_export_index("execute", guest))
    payload = json.dumps({"name": "bench"})
    calls = 2000 if not args.quick else 300
    raw = median_seconds(lambda: [execute(store, "hello", payload) for _ in range(calls)], 5) / calls
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        sandbox = host.sandbox(host.store.get("demo"))
        sandbox.execute("hello", payload)
        hosted = median_seconds(lambda: [sandbox.execute("hello", payload) for _ in range(calls)], 5) / calls
        full = median_seconds(lambda: [host.run("demo", "hello", {"name": "bench"}) for _ in range(calls)], 5) / calls
    rows.append(("raw wasmtime-py call (execute hello)", f"{raw * 1e6:.0f} µs", "baseline"))
    rows.append(("host call, Sandbox.execute", f"{hosted * 1e6:.0f} µs ({hosted / raw:.2f}×)", "≤ 1.2×"))
    rows.append(
        (
            "host call with schema check + JSON, PluginHost.run",
            f"{full * 1e6:.0f} µs ({full / raw:.2f}×)",
            "(informational)",
        )
    )
    # Drop the raw store before exit: pending WASI state must not outlive the interpreter.
    instance = execute = store = None

    # 4. Start-up of the CLI, with bytecode caching as users have it (this workplace sets
    # PYTHONDONTWRITEBYTECODE, which makes every run recompile every module) after a warm-up.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["ACC_HOME"] = str(paths.home)
    acc = str(Path(sys.executable).parent / "acc")
    for warm in ([acc, "--help"], [acc, "plugin", "list"]):
        subprocess.run(warm, env=env, capture_output=True, check=True)
    bare = wall([sys.executable, "-c", "pass"], reps * 2, env)
    help_s = wall([acc, "--help"], reps * 2, env)
    list_s = wall([acc, "plugin", "list"], reps * 2, env)
    rows.append(("python -c pass", f"{bare * 1000:.0f} ms", "baseline"))
    rows.append(("acc --help", f"{help_s * 1000:.0f} ms ({help_s / bare:.1f}×)", "≤ 60 ms"))
    rows.append(("acc plugin list (4 installed)", f"{list_s * 1000:.0f} ms ({list_s / bare:.1f}×)", "≤ 80 ms"))

    # 5. Memory of a fresh host process with four plugins loaded and called once (from cache).
    probe = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from bench.run import rss_mb, peak_rss_mb; from host.paths import HostPaths;"
        "from host.runner import PluginHost, RunOptions;"
        "paths = HostPaths(Path(sys.argv[2]), Path(sys.argv[3])); base = rss_mb();"
        "host = PluginHost(paths, RunOptions(project_dir=Path(sys.argv[4])));"
        "host.run('demo', 'hello', {'name': 'x'}); host.run('project-stats', 'summary', {'path': '.'});"
        "host.run('hostile', 'echo', {}); host.run('relay', 'read', {'path': '/nonexistent'});"
        "print(json.dumps([base, rss_mb(), peak_rss_mb()])); host.close()"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(REPO), str(paths.home), str(paths.cache), str(project)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    base, loaded, peak = json.loads(out.strip().splitlines()[-1])
    rows.append(
        (
            "resident memory of a host process with 4 plugins loaded",
            f"{loaded:.0f} MB (Python + imports {base:.0f} MB)",
            "< 100 MB",
        )
    )
    rows.append(("peak resident memory of that process", f"{peak:.0f} MB", "< 300 MB"))

    write_report(rows)


def write_report(rows: list[tuple[str, str, str]]) -> None:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import importlib.metadata as md

    lines = [
        "# Performance",
        "",
        f"Measured by `bench/run.py` on {datetime.now(UTC):%Y-%m-%d}: {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, wasmtime {md.version('wasmtime')}, "
        f"componentize-py {md.version('componentize-py')}. Medians of repeated runs.",
        "",
        "| what | measured | budget |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
    ]
    notes = REPO / "docs" / "performance-notes.md"
    if notes.exists():
        lines += [notes.read_text()]
    write_section("runtime", "\n".join(lines))  # the registry section (bench/registry_bench.py) stays
    print("\n".join(lines))


if __name__ == "__main__":
    main()
