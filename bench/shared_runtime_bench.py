"""The shared Python runtime: compile times, cache sizes, memory, and Winch against Cranelift.

Run: .venv/bin/python bench/shared_runtime_bench.py [--quick] [--no-write]

Every measurement runs in a fresh process (this file with `--probe`), as `acc` would:
nothing compiled in one is reused by the next except through the on-disk cache.
Measured, on the plugins of this repository (official and test plugins, built with the
content-keyed build cache):

1. a whole component compiled with Cranelift, as every install did before;
2. the shared runtime (the core modules the splitter cuts out), compiled once, with
   Cranelift and with Winch;
3. each plugin's first compile with the runtime already compiled: read, hash, split,
   compile the thin component, write it (what an install now pays);
4. compiled-cache sizes: whole against thin plus the runtime once;
5. memory of a host process with four plugins loaded and called: RSS, PSS and anonymous
   memory from /proc/self/smaps_rollup, whole components against the shared runtime;
6. guest speed: instantiate + initialize, and a CPU-bound command (code-quality
   `complexity` over this repository's host/), Cranelift against Winch.

Wall times on a shared 2-core machine move with the load average (reported); CPU
seconds (user + system of the process, all threads) do much less. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import load_average, machine, write_section  # noqa: E402

CACHE = Path(os.environ.get("ACC_TEST_CACHE") or REPO / ".acc-test-cache")
PLUGINS = {
    "project-stats": REPO / "official_plugins" / "example",
    "git": REPO / "official_plugins" / "git",
    "testing": REPO / "official_plugins" / "testing",
    "docs": REPO / "official_plugins" / "docs",
    "code-quality": REPO / "official_plugins" / "code_quality",
    "hostile": REPO / "tests" / "plugins" / "hostile",
    "relay": REPO / "tests" / "plugins" / "relay",
}
MEMORY_PLUGINS = ("project-stats", "hostile", "relay", "code-quality")
FIRST_COMPILE_BUDGET_S = 0.3
RUNTIME_COMPILE_BUDGET_S = 8.0


# -- probes: each runs in its own process and prints one JSON object -------------------------


@contextmanager
def timed(into: dict[str, float], prefix: str) -> Iterator[None]:
    """Record wall seconds and CPU seconds (all threads of this process) of the block."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    yield
    into[f"{prefix}_wall"] = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    into[f"{prefix}_cpu"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _settings(strategy: str) -> Any:
    from host.engine import EngineSettings

    return EngineSettings(strategy=strategy)


def probe_compile_whole(wasm_path: str, cache_dir: str) -> dict[str, Any]:
    from wasmtime.component import Component

    from host.compiled_cache import cache_key
    from host.engine import shared_engine
    from sdk.atomic import atomic_write_bytes

    settings = _settings("cranelift")
    engine = shared_engine(settings)
    wasm = Path(wasm_path).read_bytes()
    out: dict[str, Any] = {}
    with timed(out, "compile"):
        component = Component(engine, wasm)
    data = bytes(component.serialize())
    out["cwasm_bytes"] = len(data)
    target = Path(cache_dir) / f"{cache_key(hashlib.sha256(wasm).hexdigest(), settings)}.cwasm"
    if not target.exists():
        atomic_write_bytes(target, data)
    return out


def probe_compile_runtime(strategy: str, wasm_path: str, runtime_dir: str) -> dict[str, Any]:
    from host.engine import shared_engine
    from host.runtime.loader import runtime_module
    from host.runtime.split import split_component

    settings = _settings(strategy)
    engine = shared_engine(settings)
    split = split_component(Path(wasm_path).read_bytes())
    out: dict[str, Any] = {"modules": []}
    with timed(out, "compile"):
        for module in split.shared:
            entry: dict[str, Any] = {"sha256": module.sha256, "wasm_bytes": len(module.wasm)}
            with timed(entry, "compile"):
                runtime_module(engine, settings, module, Path(runtime_dir))
            out["modules"].append(entry)
    out["cwasm_bytes"] = sum(
        p.stat().st_size for p in Path(runtime_dir).glob("*-runtime-*.cwasm") if f"-{settings.fingerprint()}." in p.name
    )
    return out


def probe_compile_thin(strategy: str, wasm_path: str, thin_dir: str, runtime_dir: str) -> dict[str, Any]:
    from host.engine import shared_engine
    from host.runtime.loader import ModuleTypeFiles, load_plugin_component
    from host.runtime.split import split_component

    settings = _settings(strategy)
    engine = shared_engine(settings)
    out: dict[str, Any] = {}
    with timed(out, "first"):  # what an install pays: read, hash, split, compile, write
        wasm = Path(wasm_path).read_bytes()
        loaded = load_plugin_component(engine, settings, wasm, Path(thin_dir), runtime_dir=Path(runtime_dir))
    with timed(out, "split"):  # as the load above ran it: the runtime modules' types kept beside them
        split_component(wasm, module_types=ModuleTypeFiles(Path(runtime_dir)))
    out["runtime_modules"] = len(loaded.runtime_modules)
    out["cwasm_bytes"] = sum(p.stat().st_size for p in Path(thin_dir).glob("*.cwasm"))
    return out


def probe_guest(strategy: str, wasm_path: str, manifest_text: str, cache: str, project: str) -> dict[str, Any]:
    from host.capabilities import BindContext, bind_granted
    from host.logsink import LogSink
    from host.paths import HostPaths
    from host.policy import HostPolicy
    from host.sandbox import Sandbox, SandboxSpec
    from sdk.manifest import load_manifest

    manifest = load_manifest(Path(manifest_text).read_text())
    wasm = Path(wasm_path)
    spec = SandboxSpec(
        manifest=manifest,
        wasm_path=wasm,
        wasm_sha256=hashlib.sha256(wasm.read_bytes()).hexdigest(),
        cache_dir=Path(cache),
    )
    context = BindContext(
        manifest=manifest,
        granted=frozenset({"fs"}),
        paths=HostPaths(home=Path(cache) / "home", cache=Path(cache)),
        policy=HostPolicy(),
        project_dir=Path(project),
        secret_source={},
        user_config_environment={},
        llm=_no_llm,
        plugins=None,  # type: ignore[arg-type]  # code-quality declares no plugins capability
        on_close=lambda _closer: None,
        fail_run=_fail_run,
    )
    # CPU time of this thread (the guest runs on it): steadier than wall time on a shared machine.
    starts, runs = [], []
    for _ in range(3):
        bindings = bind_granted(manifest, frozenset({"fs"}), context)
        with Sandbox(spec, bindings, LogSink(manifest.name), settings=_settings(strategy)) as sandbox:
            t = time.thread_time()
            sandbox.describe()  # instantiate + initialize + one call
            starts.append(time.thread_time() - t)
            for _ in range(3):
                t = time.thread_time()
                sandbox.execute("complexity", json.dumps({"path": ".", "max_complexity": 10}))
                runs.append(time.thread_time() - t)
    return {"start": statistics.median(starts), "complexity": statistics.median(runs)}


def _fail_run(error: Exception) -> None:
    raise error


def _no_llm() -> Any:
    raise RuntimeError("no llm in this benchmark")


def probe_install(home: str, cache: str, *archives: str) -> dict[str, Any]:
    """Install `archives` (unsigned, everything granted): in its own process, so the
    benchmark's process never maps wasmtime and the memory probe can settle the page cache."""
    from host.install import InstallRequest, install_archive
    from host.paths import HostPaths

    paths = HostPaths(Path(home), Path(cache))
    for archive in archives:
        install_archive(paths, InstallRequest(archive=Path(archive), yes=True, allow_unsigned=True))
    return {"installed": len(archives)}


PROBES: dict[str, Callable[..., dict[str, Any]]] = {
    "install": probe_install,
    "compile-whole": probe_compile_whole,
    "compile-runtime": probe_compile_runtime,
    "compile-thin": probe_compile_thin,
    "guest": probe_guest,
}


def run_probe(name: str, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, __file__, "--probe", name, *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"probe {name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the benchmark ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="four plugins, no whole-component memory run")
    parser.add_argument("--no-write", action="store_true", help="print the report, leave docs/performance.md")
    parser.add_argument("--probe", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(PROBES[args.probe[0]](*args.probe[1:])))
        return

    from sdk.archive import read_archive
    from sdk.build import build_plugin

    loads = [load_average()[0]]
    work = Path(tempfile.mkdtemp(prefix="acc-runtime-bench-"))
    names = list(MEMORY_PLUGINS) if args.quick else list(PLUGINS)
    wasm_paths: dict[str, Path] = {}
    manifests: dict[str, Path] = {}
    archives: dict[str, Path] = {}
    for name in names:
        archive = build_plugin(PLUGINS[name], work / "archives", cache_dir=CACHE / "builds").archive
        archives[name] = archive
        read = read_archive(archive)
        wasm_paths[name] = work / f"{name}.wasm"
        wasm_paths[name].write_bytes(read.wasm)
        manifests[name] = work / f"{name}.toml"
        manifests[name].write_text(read.manifest_text)
    print(f"{len(names)} plugins built; load average {loads[0]:.1f}", flush=True)

    runtime_dir = work / "runtime"
    runtime_dir.mkdir()
    whole_dir = work / "whole"
    whole_dir.mkdir()
    first = names[0]

    whole = run_probe("compile-whole", str(wasm_paths[first]), str(whole_dir))
    print(f"whole compile of {first}: {whole['compile_wall']:.2f} s wall, {whole['compile_cpu']:.2f} s CPU", flush=True)
    runtime = {
        s: run_probe("compile-runtime", s, str(wasm_paths[first]), str(runtime_dir)) for s in ("cranelift", "winch")
    }
    for strategy, r in runtime.items():
        print(f"runtime compile ({strategy}): {r['compile_wall']:.2f} s wall, {r['compile_cpu']:.2f} s CPU", flush=True)
    thin: dict[str, dict[str, dict[str, Any]]] = {"cranelift": {}, "winch": {}}
    for strategy in thin:
        for name in names:
            thin_dir = work / f"thin-{strategy}-{name}"
            thin_dir.mkdir()
            thin[strategy][name] = run_probe(
                "compile-thin", strategy, str(wasm_paths[name]), str(thin_dir), str(runtime_dir)
            )
            t = thin[strategy][name]
            print(
                f"first compile {name} ({strategy}): {t['first_wall']:.3f} s wall, {t['first_cpu']:.3f} s CPU",
                flush=True,
            )
    loads.append(load_average()[0])

    memory = _memory_runs(work, archives, runtime_dir, whole_dir, quick=args.quick)
    guest = _guest_runs(work, wasm_paths["code-quality"], manifests["code-quality"], runtime_dir)
    loads.append(load_average()[0])
    report = _report(names, whole, runtime, thin, memory, guest, loads)
    print(report)
    if not args.no_write:
        write_section("shared-runtime", report)
    shutil.rmtree(work, ignore_errors=True)


def _memory_runs(
    work: Path, archives: dict[str, Path], runtime_dir: Path, whole_dir: Path, *, quick: bool
) -> dict[str, dict[str, Any]]:
    """Four plugins installed and called in a fresh host process, split and (unless quick) whole."""
    from host.paths import HostPaths

    project = work / "project"
    project.mkdir()
    (project / "a.py").write_text("def f(x):\n    return x + 1\n")
    results: dict[str, dict[str, Any]] = {}
    for mode in ("split",) if quick else ("split", "whole"):
        paths = HostPaths(home=work / f"{mode}-home", cache=work / f"{mode}-cache")
        paths.compiled.mkdir(parents=True)
        if mode == "split":
            for cwasm in runtime_dir.glob("*-runtime-*.cwasm"):
                os.link(cwasm, paths.compiled / cwasm.name)
        else:
            from host.compiled_cache import cache_key
            from host.engine import EngineSettings

            for name in MEMORY_PLUGINS:
                digest = hashlib.sha256((work / f"{name}.wasm").read_bytes()).hexdigest()
                key = f"{cache_key(digest, EngineSettings())}.cwasm"
                if (CACHE / "compiled" / key).is_file():  # this host's own compilation, in the build cache
                    shutil.copyfile(CACHE / "compiled" / key, paths.compiled / key)
                    continue
                run_probe("compile-whole", str(work / f"{name}.wasm"), str(whole_dir))
                os.link(whole_dir / key, paths.compiled / key)
        run_probe("install", str(paths.home), str(paths.cache), *(str(archives[name]) for name in MEMORY_PLUGINS))
        results[mode] = _memory_probe(paths.home, paths.cache, project)
        print(f"memory ({mode}): {results[mode]['loaded']}", flush=True)
    return results


def _memory_probe(home: Path, cache: Path, project: Path) -> dict[str, Any]:
    """bench/memory_probe.py in fresh processes (it imports only what a plugin run does):
    the settled figure, with the as-found one under "as_found" (see that file)."""
    from bench.memory_probe import measure_twice

    as_found, settled = measure_twice(home, cache, project)
    return {**settled, "as_found": as_found}


def _held_note(result: dict[str, Any]) -> str:
    held = result.get("held_by_benchmark", [])
    return f"; not settled: this benchmark maps {', '.join(Path(f).name for f in held)}" if held else ""


def _guest_runs(work: Path, wasm: Path, manifest: Path, runtime_dir: Path) -> dict[str, dict[str, Any]]:
    cache = work / "guest-cache"
    cache.mkdir()
    for cwasm in runtime_dir.glob("*-runtime-*.cwasm"):
        os.link(cwasm, cache / cwasm.name)
    project = REPO / "host"
    results = {
        s: run_probe("guest", s, str(wasm), str(manifest), str(cache), str(project)) for s in ("cranelift", "winch")
    }
    for strategy, r in results.items():
        print(f"guest ({strategy}): start {r['start'] * 1000:.0f} ms, complexity {r['complexity'] * 1000:.0f} ms")
    return results


def _report(
    names: list[str],
    whole: dict[str, Any],
    runtime: dict[str, dict[str, Any]],
    thin: dict[str, dict[str, dict[str, Any]]],
    memory: dict[str, dict[str, Any]],
    guest: dict[str, dict[str, Any]],
    loads: list[float],
) -> str:
    def span(values: list[float], fmt: str = "{:.2f}") -> str:
        low, mid, high = (fmt.format(v) for v in (min(values), statistics.median(values), max(values)))
        return f"{mid} ({low}–{high}, n={len(values)})"

    mb = 1024 * 1024
    crane, winch = thin["cranelift"], thin["winch"]
    first_wall = [crane[n]["first_wall"] for n in names]
    first_cpu = [crane[n]["first_cpu"] for n in names]
    split_cpu = [crane[n]["split_cpu"] for n in names]
    thin_mb = [crane[n]["cwasm_bytes"] / mb for n in names]
    rt_c, rt_w = runtime["cranelift"], runtime["winch"]
    lines = [
        "## Shared Python runtime",
        "",
        f"Measured by `bench/shared_runtime_bench.py` on {datetime.now(UTC):%Y-%m-%d}: {machine()}. "
        f"1-minute load average {min(loads):.1f}–{max(loads):.1f} while measuring"
        + (
            " (the machine is shared: wall times are inflated by that, CPU seconds (all threads) much less). "
            if max(loads) > 1.5
            else " (idle). "
        )
        + f"Plugins: {', '.join(names)}. Each measurement in a fresh process.",
        "",
        "| what | measured | budget |",
        "|---|---|---|",
        f"| whole component compile, Cranelift (before: every install) | {whole['compile_wall']:.2f} s wall, "
        f"{whole['compile_cpu']:.2f} s CPU | (replaced) |",
        f"| first compile per plugin, runtime already compiled (read, hash, split, compile thin, write) | "
        f"{span(first_wall, '{:.3f}')} s wall, {span(first_cpu, '{:.3f}')} s CPU | ≤ {FIRST_COMPILE_BUDGET_S} s |",
        f"| of which the split (pure Python) | {span(split_cpu, '{:.3f}')} s CPU | |",
        f"| shared runtime compile, once per host, Cranelift | {rt_c['compile_wall']:.2f} s wall, "
        f"{rt_c['compile_cpu']:.2f} s CPU | ≤ {RUNTIME_COMPILE_BUDGET_S:.0f} s wall |",
        f"| shared runtime compile, once per host, Winch | {rt_w['compile_wall']:.2f} s wall, "
        f"{rt_w['compile_cpu']:.2f} s CPU | |",
        f"| first compile per plugin, Winch (runtime compiled) | "
        f"{span([winch[n]['first_wall'] for n in names], '{:.3f}')} s wall | |",
        f"| compiled cache per plugin: whole / thin | {whole['cwasm_bytes'] / mb:.1f} MB / "
        f"{span(thin_mb, '{:.1f}')} MB | |",
        f"| compiled runtime, once: Cranelift / Winch | {rt_c['cwasm_bytes'] / mb:.1f} MB / "
        f"{rt_w['cwasm_bytes'] / mb:.1f} MB | |",
    ]
    for module in rt_c["modules"]:
        lines.append(
            f"| runtime module {module['sha256'][:12]} ({module['wasm_bytes'] / mb:.1f} MB wasm), Cranelift | "
            f"{module['compile_cpu']:.2f} s CPU | |"
        )
    for mode, result in memory.items():
        loaded, before = result["loaded"], result["before"]
        lines.append(
            f"| host process, 4 plugins loaded and called, {mode} | RSS {loaded['rss']:.0f} MB, "
            f"PSS {loaded['pss']:.0f} MB, anonymous {loaded['anon']:.0f} MB (before loading: "
            f"RSS {before['rss']:.0f}, anonymous {before['anon']:.0f}; with the page cache as found: "
            f"RSS {result['as_found']['loaded']['rss']:.0f} MB{_held_note(result)}) | anonymous ≤ 40 MB, RSS ≤ 80 MB |"
        )
        parts = ", ".join(
            f"{kind} {size:.0f}" for kind, size in sorted(result["by_mapping"].items(), key=lambda kv: -kv[1])
        )
        lines.append(f"| of which resident, by mapping ({mode}) | {parts} MB | |")
    gc, gw = guest["cranelift"], guest["winch"]
    lines += [
        f"| guest start (instantiate + initialize + describe), thread CPU: Cranelift / Winch | "
        f"{gc['start'] * 1000:.0f} ms / "
        f"{gw['start'] * 1000:.0f} ms ({gw['start'] / gc['start']:.2f}×) | |",
        f"| guest CPU-bound command (code-quality complexity of host/), thread CPU: Cranelift / Winch | "
        f"{gc['complexity'] * 1000:.0f} ms / {gw['complexity'] * 1000:.0f} ms "
        f"({gw['complexity'] / gc['complexity']:.2f}×) | |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
