"""What the OS sandbox costs: per launch, per `process` call, per `testing run`.

Run: .venv/bin/python bench/confinement_bench.py [--runs 40] [--test-runs 8] [--no-write] [--json]

Three levels, each measured unconfined and under every mechanism usable here
(bubblewrap, Landlock), the variants taking turns run by run so that a change in the
machine's load hits them alike:

1. **launch**: `git status --porcelain` (a 200-file repository) and `true`, started the
   way the engine starts a program; `true` isolates the sandbox's fixed cost;
2. **capability**: `git status --porcelain` through the `process` capability
   (`run_program` with the host's git profile: argument checks, the repository
   vetting's three git queries, then the command; four launches in all);
3. **plugin**: a full `testing run` of the official testing plugin through `PluginHost`
   (as `acc plugin run` does) on a small project with 24 tests; unconfined means
   ACC_CONFINEMENT_MECHANISMS="" with ACC_UNCONFINED_PROCESSES_DANGEROUS=1.

Reported: medians and 90th percentiles, the ratio of medians to unconfined, and the
load average before and after (the machine may be shared). Writes the "confinement"
section of docs/performance.md unless --no-write. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import machine, write_section  # noqa: E402
from host.capabilities.process.engine import ProcessScope, run_program  # noqa: E402
from host.capabilities.process.profiles import PROFILES  # noqa: E402
from host.confinement import (  # noqa: E402
    MECHANISMS_VARIABLE,
    OVERRIDE_VARIABLE,
    Confinement,
    Limits,
    Mechanism,
    Unconfined,
    UnconfinedWarning,
    confined_command,
    find_bubblewrap,
    find_landlock,
    probe,
)

CACHE = Path(os.environ.get("ACC_TEST_CACHE") or REPO / ".acc-test-cache")
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
GIT_ENVIRONMENT = {
    "PATH": SAFE_PATH,
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_OPTIONAL_LOCKS": "0",
}

Samples = dict[str, dict[str, list[float]]]


# --- set-up ---------------------------------------------------------------------------------


def make_repository(directory: Path, files: int) -> None:
    environment = {**GIT_ENVIRONMENT, "HOME": str(directory)}
    git = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=directory, env=environment, check=True)
    for index in range(files):
        folder = directory / f"pkg{index % 10}"
        folder.mkdir(exist_ok=True)
        (folder / f"module{index}.py").write_text(f"VALUE = {index}\n" * 20)
    subprocess.run([*git, "add", "-A"], cwd=directory, env=environment, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "initial"], cwd=directory, env=environment, check=True)
    (directory / "pkg0" / "module0.py").write_text("changed\n")


def make_test_project(directory: Path) -> None:
    """A small project with 24 tests (one fails), as a user's might be."""
    directory.mkdir()
    # The dev environment's heavy pytest plugins are disabled the way a project would.
    (directory / "pytest.ini").write_text("[pytest]\naddopts = -p no:schemathesis -p no:hypothesispytest -p no:anyio\n")
    (directory / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n")
    (directory / "tests").mkdir()
    for module in range(4):
        body = ["from calc import add, mul\n"]
        for case in range(6):
            expected = "0" if module == 3 and case == 5 else f"{case} + {module}"
            body.append(f"\ndef test_add_{case}():\n    assert add({case}, {module}) == {expected}\n")
        (directory / "tests" / f"test_calc_{module}.py").write_text("".join(body))


def usable_mechanisms() -> dict[str, Mechanism]:
    found: dict[str, Mechanism] = {"unconfined": Unconfined()}
    for finder in (find_bubblewrap, find_landlock):
        mechanism = finder()
        if isinstance(mechanism, str):
            print(f"skipped: {mechanism}")
            continue
        failure = probe(mechanism)
        if failure is not None:
            print(f"skipped: {mechanism.name}: {failure}")
            continue
        found[mechanism.name] = mechanism
    return found


# --- the three levels ---------------------------------------------------------------------


def launch_seconds(mechanism: Mechanism, confinement: Confinement, argv: list[str]) -> float:
    """Wall time of one launch, from building its command to its exit."""
    started = time.perf_counter()
    with confined_command(mechanism, confinement, argv, GIT_ENVIRONMENT) as launch:
        result = subprocess.run(
            launch.argv,
            env=launch.env,
            cwd=launch.cwd,
            pass_fds=launch.pass_fds,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            start_new_session=True,
            check=False,
        )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{mechanism.name}: {argv} failed: {result.stderr.decode(errors='replace')}")
    return elapsed


def capability_seconds(mechanism: Mechanism, project: Path) -> float:
    """Wall time of one `git status --porcelain` through the process capability."""
    scope = ProcessScope(programs=("git",), project_dir=project, profiles=PROFILES, confinement=lambda: mechanism)
    started = time.perf_counter()
    output = run_program(scope, "git", ["status", "--porcelain"], b"")
    elapsed = time.perf_counter() - started
    if output.status != 0:
        raise SystemExit(f"{mechanism.name}: git status failed: {output.stderr.decode(errors='replace')}")
    return elapsed


def measure(variants: dict[str, dict[str, Callable[[], float]]], runs: int) -> Samples:
    """Each variant of each measurement once per round, `runs` rounds, after one warm-up round."""
    samples: Samples = {name: {label: [] for label in by_label} for name, by_label in variants.items()}
    for by_label in variants.values():  # warm up caches (page cache, .pyc, git's index)
        for run in by_label.values():
            run()
    for _ in range(runs):
        for name, by_label in variants.items():
            for label, run in by_label.items():
                samples[name][label].append(run())
    return samples


def testing_run_variants(work: Path, mechanisms: dict[str, Mechanism]) -> dict[str, Callable[[], float]]:
    """A `testing run` per mechanism, through PluginHost (the plugin built and installed once)."""
    from host.install import InstallRequest, install_archive
    from host.paths import HostPaths
    from host.runner import PluginHost, RunOptions
    from sdk.build import build_plugin

    archive = build_plugin(REPO / "official_plugins" / "testing", work, cache_dir=CACHE / "builds").archive
    paths = HostPaths(home=work / "acc-home", cache=CACHE)
    install_archive(
        paths, InstallRequest(archive=archive, grant=("process", "fs", "kv"), yes=True, allow_unsigned=True)
    )
    project = work / "calculator"
    make_test_project(project)

    def variant(label: str) -> Callable[[], float]:
        environment = {MECHANISMS_VARIABLE: "", OVERRIDE_VARIABLE: "1"} if label == "unconfined" else {}
        environment.setdefault(MECHANISMS_VARIABLE, label)

        def run() -> float:
            saved = {name: os.environ.get(name) for name in (MECHANISMS_VARIABLE, OVERRIDE_VARIABLE)}
            os.environ.pop(OVERRIDE_VARIABLE, None)
            os.environ.update(environment)
            try:
                with PluginHost(paths, RunOptions(project_dir=project)) as host:
                    host.sandbox(host.store.get("testing"))._ensure_instance()  # loading is not the sandbox's
                    started = time.perf_counter()
                    result = host.run("testing", "run", {})
                    elapsed = time.perf_counter() - started
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
            if result["totals"]["tests"] != 24 or result["totals"]["failed"] != 1:
                raise SystemExit(f"{label}: testing run went wrong: {result['totals']}")
            return elapsed

        return run

    return {label: variant(label) for label in mechanisms}


def per_call_overhead_ms(mechanism: Mechanism, confinement: Confinement, calls: int = 500) -> float:
    """The Python side of one launch (building the sandbox's command), without starting it."""
    started = time.perf_counter()
    for _ in range(calls):
        with confined_command(mechanism, confinement, ["/usr/bin/true"], GIT_ENVIRONMENT, report_keeper=True):
            pass
    return (time.perf_counter() - started) / calls * 1000


# --- reporting ------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summarize(samples: Samples) -> dict[str, dict[str, dict[str, float]]]:
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for name, by_label in samples.items():
        baseline = statistics.median(by_label["unconfined"])
        summary[name] = {
            label: {
                "median_ms": round(statistics.median(values) * 1000, 1),
                "p90_ms": round(percentile(values, 0.9) * 1000, 1),
                "ratio": round(statistics.median(values) / baseline, 2),
                "added_ms": round((statistics.median(values) - baseline) * 1000, 1),
                "n": len(values),
            }
            for label, values in by_label.items()
        }
    return summary


def markdown(
    summary: dict[str, dict[str, dict[str, float]]],
    mechanisms: dict[str, Mechanism],
    loads: list[tuple[float, float, float]],
    overhead_ms: dict[str, float],
    options: argparse.Namespace,
) -> str:
    labels = list(mechanisms)
    load_text = ", ".join(f"{load[0]:.1f}" for load in loads)
    lines = [
        "## Confinement of launched programs",
        "",
        f"Measured by `bench/confinement_bench.py` on {datetime.now(UTC):%Y-%m-%d}: {machine()}; "
        f"the 1-minute load average was {load_text} at the start of each level (the machine is shared, "
        "so absolute times are inflated; the variants take turns, so the ratios hold better).",
        "",
        *(f"- {mechanism.name}: {mechanism.describe()}" for mechanism in mechanisms.values() if mechanism.confined),
        "",
        "| what | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for name, rows in summary.items():
        cells = []
        for label in labels:
            row = rows[label]
            extra = "" if label == "unconfined" else f" ({row['ratio']:.2f}×, {row['added_ms']:+.0f} ms)"
            cells.append(f"{row['median_ms']:.0f} ms{extra}")
        lines.append(f"| {name} (median, n={rows['unconfined']['n']:.0f}) | " + " | ".join(cells) + " |")
    overhead = ", ".join(f"{name} {value:.2f} ms" for name, value in overhead_ms.items())
    lines += [
        "",
        f"- **Per launch**, the sandbox adds a fixed set-up (the `true` row): namespaces, mounts, a fresh "
        f"/proc and `prlimit`'s exec for bubblewrap; a Python interpreter and two forks for the Landlock "
        f"supervisor. Building the command in the host costs {overhead} of that; detecting the mechanism "
        "(a probe launch) happens once per process.",
        "- **Per `process` call**: git's profile runs three vetting queries before the command, each a "
        "launch of its own in the sandbox, so a git call pays the set-up four times.",
        "- **Per `testing run`**: one pytest launch; the plugin's own work (loading, parsing the JUnit "
        "report, the kv history) is the same confined or not. The sandbox's set-up is lost in the second "
        "the tests take: differences of a few percent either way are noise at this load.",
        f"- Runs: {options.runs} per launch and capability variant, {options.test_runs} per testing run.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40, help="launches and capability calls per variant")
    parser.add_argument("--test-runs", type=int, default=8, help="testing runs per variant")
    parser.add_argument("--files", type=int, default=200, help="files in the repository")
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs/performance.md")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON too")
    options = parser.parse_args()
    git = shutil.which("git", path=SAFE_PATH)
    true = shutil.which("true", path=SAFE_PATH)
    if git is None or true is None:
        raise SystemExit("needs git and true in /usr/bin or /bin")
    warnings.simplefilter("ignore", UnconfinedWarning)  # the unconfined baseline is on purpose

    mechanisms = usable_mechanisms()
    work = Path(tempfile.mkdtemp(prefix="acc-confinement-bench-")).resolve()
    loads: list[tuple[float, float, float]] = []
    try:
        project, scratch = work / "project", work / "scratch"
        project.mkdir()
        scratch.mkdir()
        make_repository(project, options.files)
        confinement = Confinement(project_dir=project, scratch_dir=scratch, limits=Limits(cpu_seconds=60))

        def launches(argv: list[str]) -> dict[str, Callable[[], float]]:
            return {label: (lambda m=m: launch_seconds(m, confinement, argv)) for label, m in mechanisms.items()}

        loads.append(os.getloadavg())
        samples = measure(
            {"launch: git status": launches([git, "status", "--porcelain"]), "launch: true": launches([true])},
            options.runs,
        )
        loads.append(os.getloadavg())
        capability = {label: (lambda m=m: capability_seconds(m, project)) for label, m in mechanisms.items()}
        samples |= measure({"process call: git status": capability}, options.runs)
        loads.append(os.getloadavg())
        samples |= measure({"testing run (24 tests)": testing_run_variants(work, mechanisms)}, options.test_runs)
        loads.append(os.getloadavg())
        overhead = {label: per_call_overhead_ms(m, confinement) for label, m in mechanisms.items() if m.confined}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    summary = summarize(samples)
    body = markdown(summary, mechanisms, loads, overhead, options)
    print(body)
    if options.json:
        print(json.dumps({"loads": loads, "overhead_ms": overhead, "results": summary}, indent=2))
    if not options.no_write:
        write_section("confinement", body)


if __name__ == "__main__":
    main()
