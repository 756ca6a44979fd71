"""Benchmarks of the design's runtime budgets; writes the runtime section of docs/performance.md.

Run: .venv/bin/python bench/run.py [--quick]

Measures, on this machine: a plugin's first compile with the shared runtime compiled, and
cached load + instantiate; the host's call overhead over raw wasmtime-py on the same
component; start-up of `acc --help`, `acc --version`, `acc plugin list` and `acc plugin run`
against `python -c pass`, with bytecode caches (as users have them) and without (the
project's modules compiled from source on every run, as under PYTHONDONTWRITEBYTECODE with
no cache); memory of a host with four plugins loaded (RSS, PSS and anonymous memory), and
what closing and reopening a sandbox costs a long-lived host. Medians over repeated runs,
samples interleaved so that the shared machine's load drifts over all alike; nothing here
is a test.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import load_average, write_section  # noqa: E402
from host.install import InstallRequest, install_archive  # noqa: E402
from host.paths import HostPaths  # noqa: E402
from host.runner import PluginHost, RunOptions  # noqa: E402
from host.store import InstalledPlugin  # noqa: E402
from sdk.build import build_plugin  # noqa: E402
from sdk.scaffold import new_plugin  # noqa: E402

CACHE = Path(os.environ.get("ACC_TEST_CACHE") or REPO / ".acc-test-cache")
MEMORY_PLUGINS = ("project-stats", "hostile", "relay", "code-quality")
SOURCES = {
    "project-stats": REPO / "official_plugins" / "example",
    "hostile": REPO / "tests" / "plugins" / "hostile",
    "relay": REPO / "tests" / "plugins" / "relay",
    "code-quality": REPO / "official_plugins" / "code_quality",
}
PROJECT_PACKAGES = ("acc_cli", "host", "sdk")


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def span(samples: list[float], scale: float = 1000.0, digits: int = 0) -> str:
    """Median (min–max, n) of `samples`, scaled (default: seconds to ms)."""
    lo, mid, hi = (f"{v * scale:.{digits}f}" for v in (min(samples), statistics.median(samples), max(samples)))
    return f"{mid} ({lo}–{hi}, n={len(samples)})"


def interleaved(commands: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Wall seconds of each command, run in turn `runs` times (the load drifts over all alike)."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, env=env, capture_output=True, check=True, stdin=subprocess.DEVNULL)
            samples[name].append(time.perf_counter() - started)
    return samples


def drop_project_bytecode() -> None:
    for package in PROJECT_PACKAGES:
        for cache in (REPO / package).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    reps = 3 if args.quick else 10
    loads = [load_average()[0]]
    work = Path(tempfile.mkdtemp(prefix="acc-bench-"))
    paths = HostPaths(home=work / "home", cache=work / "cache")
    paths.compiled.mkdir(parents=True)
    project = work / "project"  # beside ACC_HOME, never holding it (acc refuses that)
    project.mkdir()
    (project / "a.py").write_text("def f(x):\n    return x + 1\n")
    rows: list[tuple[str, str, str]] = []

    # Build the scaffold's demo (a minimal Python plugin) and the plugins the memory row loads.
    demo_src = new_plugin("demo", work / "demo")
    demo = build_plugin(demo_src, work, cache_dir=CACHE / "builds").archive
    archives = {name: build_plugin(src, work, cache_dir=CACHE / "builds").archive for name, src in SOURCES.items()}
    from sdk.archive import read_archive

    demo_wasm = read_archive(demo).wasm

    # 1. A plugin's first compile once the shared runtime is compiled (what an install pays),
    # each in a fresh process with a fresh compiled cache holding only the runtime.
    from bench.shared_runtime_bench import run_probe
    from host.runtime.split import split_component

    runtime = work / "runtime"
    runtime.mkdir()
    _share_runtime(runtime)
    (work / "demo.wasm").write_bytes(demo_wasm)
    run_probe("compile-runtime", "cranelift", str(work / "demo.wasm"), str(runtime))  # no-op when shared
    firsts = []
    for n in range(reps):
        thin = work / f"thin-{n}"
        thin.mkdir()
        firsts.append(run_probe("compile-thin", "cranelift", str(work / "demo.wasm"), str(thin), str(runtime)))
        shutil.rmtree(thin)
    rows.append(
        (
            f"first compile of a {len(demo_wasm) / 1e6:.0f} MB Python plugin, shared runtime compiled "
            f"({len(split_component(demo_wasm).shared)} runtime modules linked)",
            f"{span([f['first_wall'] for f in firsts])} ms wall, {span([f['first_cpu'] for f in firsts])} ms CPU",
            "≤ 0.3 s",
        )
    )
    for cwasm in runtime.glob("*-runtime-*.cwasm"):
        os.link(cwasm, paths.compiled / cwasm.name)
    for archive in (demo, *archives.values()):
        install_archive(paths, InstallRequest(archive=archive, yes=True, allow_unsigned=True))

    # 2. Cached load + instantiate (+ initialize) through the host.
    def open_and_init() -> None:
        with PluginHost(paths, RunOptions(project_dir=project)) as host:
            host.sandbox(host.store.get("demo"))._ensure_instance()

    open_and_init()
    init_s = median_seconds(open_and_init, reps * 3)
    rows.append(("cached load + instantiate + initialize, via the host", f"{init_s * 1000:.1f} ms", "≤ 10 ms"))

    # 3. Call overhead: the host's Sandbox.execute vs a raw wasmtime-py call of the same export.
    rows += _call_overhead(paths, project, args.quick)
    loads.append(load_average()[0])

    # 4. Start-up of the CLI, without and with bytecode caches, in one interleaved run.
    rows += _startup(paths, project, reps)
    loads.append(load_average()[0])

    # 5. Memory of a fresh host process with four plugins loaded and called once (from cache),
    # and what a long-lived host pays to close and reopen a sandbox.
    rows += _memory(paths, project)
    rows += _reopen(paths, project, reps)
    loads.append(load_average()[0])

    write_report(rows, loads)
    shutil.rmtree(work, ignore_errors=True)


def _share_runtime(runtime: Path) -> None:
    """Link the runtime modules the test cache already compiled (compiling libpython takes minutes here)."""
    for cwasm in (CACHE / "compiled").glob("*-runtime-*.cwasm"):
        if not (runtime / cwasm.name).exists():
            os.link(cwasm, runtime / cwasm.name)


def _call_overhead(paths: HostPaths, project: Path, quick: bool) -> list[tuple[str, str, str]]:
    calls = 2000 if not quick else 300
    payload = json.dumps({"name": "bench"})
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        installed = host.store.get("demo")
        sandbox = host.sandbox(installed)
        sandbox.execute("hello", payload)
        (raw, hosted, full), (hosted_ratio, full_ratio) = _interleaved_call_seconds(
            paths,
            installed,
            payload,
            calls,
            hosted=lambda: sandbox.execute("hello", payload),
            full=lambda: host.run("demo", "hello", {"name": "bench"}),
        )
    return [
        ("raw wasmtime-py call (execute hello)", f"{raw * 1e6:.0f} µs", "baseline"),
        ("host call, Sandbox.execute", f"{hosted * 1e6:.0f} µs ({hosted_ratio:.2f}×)", "≤ 1.2×"),
        (
            "host call with schema check + JSON, PluginHost.run",
            f"{full * 1e6:.0f} µs ({full_ratio:.2f}×)",
            "(informational)",
        ),
    ]


def _interleaved_call_seconds(
    paths: HostPaths,
    installed: InstalledPlugin,
    payload: str,
    calls: int,
    *,
    hosted: Callable[[], object],
    full: Callable[[], object],
) -> tuple[tuple[float, float, float], tuple[float, float]]:
    """Seconds per call of one `execute` through wasmtime-py alone (the same compiled
    component, every import a no-op), of `hosted` and of `full` (medians), and the ratios
    hosted/raw and full/raw: measured in alternating rounds, each ratio the median of the
    rounds' own ratios, so a drift in the machine's speed moves both sides of each.
    (The raw store is dropped on return: pending WASI state must not outlive the interpreter.)"""
    import wasmtime
    from wasmtime.component import Linker

    from host.components import compile_and_check
    from host.engine import EngineSettings, shared_engine

    manifest = installed.manifest()
    loaded = compile_and_check(installed.wasm_path, manifest, paths.compiled, wasm_sha256=installed.wasm_sha256)
    engine = shared_engine(EngineSettings())
    linker = Linker(engine)
    linker.add_wasip2()
    loaded.define_runtime(linker)
    with linker.root() as root:
        for interface, functions in _guest_imports(manifest).items():
            with root.add_instance(interface) as imported:
                for function in functions:
                    imported.add_func(function, lambda *_a: None)
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    store.set_epoch_deadline(1_000_000)
    instance = linker.instantiate(store, loaded.component)
    guest = loaded.component.get_export_index("acc:plugin/guest@1.0.0")
    execute = instance.get_func(store, loaded.component.get_export_index("execute", guest))
    assert execute is not None
    call = functools.partial(execute, store, "hello", payload)
    samples: tuple[list[float], list[float], list[float]] = ([], [], [])
    for _ in range(7):
        for fn, into in zip((call, hosted, full), samples, strict=True):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            into.append((time.perf_counter() - start) / calls)
    raw_s, hosted_s, full_s = (statistics.median(s) for s in samples)
    hosted_ratio = statistics.median(h / r for h, r in zip(samples[1], samples[0], strict=True))
    full_ratio = statistics.median(f / r for f, r in zip(samples[2], samples[0], strict=True))
    return (raw_s, hosted_s, full_s), (hosted_ratio, full_ratio)


def _guest_imports(manifest: object) -> dict[str, tuple[str, ...]]:
    """Stubs for the acc interfaces the demo imports (log, and each declared capability)."""
    from sdk.abi import interface_name
    from sdk.world import declared_interfaces

    functions = {"log": ("log", "progress"), "kv": ("get", "set", "delete", "list-keys")}
    names = ["log", *declared_interfaces(manifest)]  # type: ignore[arg-type]
    return {interface_name(name): functions[name] for name in names}


def _startup(paths: HostPaths, project: Path, reps: int) -> list[tuple[str, str, str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "COLUMNS")}
    env |= {"ACC_HOME": str(paths.home), "ACC_CACHE_DIR": str(paths.cache)}
    acc = str(Path(sys.executable).parent / "acc")
    run = [acc, "plugin", "run", "demo", "hello", "--input", '{"name": "x"}', "--project", str(project)]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "acc --help": [acc, "--help"],
        "acc --version": [acc, "--version"],
        "acc plugin list": [acc, "plugin", "list"],
        "acc plugin run demo hello": run,
    }
    # Without caches first: no __pycache__ of the project's modules, and none written.
    drop_project_bytecode()
    cold = interleaved(commands, {**env, "PYTHONDONTWRITEBYTECODE": "1"}, max(reps, 7))
    for command in commands.values():  # write the caches, as a user's first runs do
        subprocess.run(command, env=env, capture_output=True, check=True)
    warm = interleaved(commands, env, max(reps * 2, 15))
    bare_warm, bare_cold = statistics.median(warm["python -c pass"]), statistics.median(cold["python -c pass"])
    budgets = {"acc --help": "≤ 1.5× (cached)", "acc plugin list": "≤ 40 ms (cached)"}
    rows = []
    for name in commands:
        ratio = "" if name == "python -c pass" else f" ({statistics.median(warm[name]) / bare_warm:.2f}×)"
        cold_ratio = "" if name == "python -c pass" else f" ({statistics.median(cold[name]) / bare_cold:.2f}×)"
        label = f"{name} (4 plugins installed)" if name == "acc plugin list" else name
        rows.append(
            (
                label,
                f"cached {span(warm[name])} ms{ratio}; no cache {span(cold[name])} ms{cold_ratio}",
                budgets.get(name, "baseline" if name == "python -c pass" else ""),
            )
        )
    return rows


def _memory(paths: HostPaths, project: Path) -> list[tuple[str, str, str]]:
    """Four plugins in a fresh host process: settled page cache (the budget), and as found
    (see bench/memory_probe.py: RSS depends on how the kernel happens to cache the files)."""
    from bench.memory_probe import measure_twice

    rows = []
    for live in (8, 2):
        as_found, result = measure_twice(paths.home, paths.cache, project, live)
        loaded, before = result["loaded"], result["before"]
        what = "4 plugins loaded and called" if live >= 4 else f"4 plugins called, at most {live} kept open"
        rows.append(
            (
                f"host process, {what}",
                f"RSS {loaded['rss']:.0f} MB, PSS {loaded['pss']:.0f} MB, anonymous {loaded['anon']:.0f} MB "
                f"(before loading: RSS {before['rss']:.0f}, anonymous {before['anon']:.0f}; "
                f"with the page cache as found: RSS {as_found['loaded']['rss']:.0f} MB"
                + (", not settled: this benchmark has loaded wasmtime" if result["held_by_benchmark"] else "")
                + ")",
                "see Shared Python runtime" if live >= 4 else "",
            )
        )
        if live >= 4:
            parts = ", ".join(
                f"{kind} {size:.0f}" for kind, size in sorted(result["by_mapping"].items(), key=lambda kv: -kv[1])
            )
            rows.append(("of which resident, by mapping", f"{parts} MB", ""))
    return rows


def _reopen(paths: HostPaths, project: Path, reps: int) -> list[tuple[str, str, str]]:
    """A call that must reopen its sandbox (the LRU closed it) against a call to an open one."""
    from host.policy import HostPolicy

    calls = max(reps * 3, 21)
    reopened: list[float] = []
    with PluginHost(paths, RunOptions(project_dir=project, policy=HostPolicy(max_live_sandboxes=1))) as host:
        host.run("demo", "hello", {"name": "x"})
        host.run("project-stats", "summary", {"path": "."})
        for _ in range(calls):
            for name, command, value in (("demo", "hello", {"name": "x"}), ("project-stats", "summary", {"path": "."})):
                started = time.perf_counter()
                host.run(name, command, value)
                if name == "demo":
                    reopened.append(time.perf_counter() - started)
    hot: list[float] = []
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        host.run("demo", "hello", {"name": "x"})
        for _ in range(calls):
            started = time.perf_counter()
            host.run("demo", "hello", {"name": "x"})
            hot.append(time.perf_counter() - started)
    return [
        (
            "a call that reopens its sandbox (closed by the host's LRU) / a call to an open one",
            f"{span(reopened, digits=1)} ms / {span(hot, 1e6)} µs",
            "(informational)",
        )
    ]


def write_report(rows: list[tuple[str, str, str]], loads: list[float]) -> None:
    import importlib.metadata as md
    from datetime import UTC, datetime

    from bench.report import machine

    lines = [
        "# Performance",
        "",
        f"Measured by `bench/run.py` on {datetime.now(UTC):%Y-%m-%d}: {machine()}, "
        f"wasmtime {md.version('wasmtime')}, componentize-py {md.version('componentize-py')}. "
        f"1-minute load average {min(loads):.1f}–{max(loads):.1f} while measuring"
        + (
            " (the 2 cores are shared with other agents' builds: absolute times are inflated, ratios within "
            "one run much less). "
            if max(loads) > 1.5
            else " (the benchmark alone). "
        )
        + "Medians, with (min–max, n).",
        "",
        "| what | measured | budget |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
    ]
    notes = REPO / "docs" / "performance-notes.md"
    if notes.exists():
        lines += [notes.read_text()]
    write_section("runtime", "\n".join(lines))  # the other sections (their own benchmarks) stay
    print("\n".join(lines))


if __name__ == "__main__":
    main()
