"""What the OS sandbox costs per launched program: `git status` with and without it.

Run: .venv/bin/python bench/confinement_bench.py [--runs 40] [--json]

In a small repository (200 files), each program is started the way the process engine
starts it (Popen with a scrubbed environment, a new session, output captured) without
confinement, then through each mechanism usable here (bubblewrap, Landlock). The
variants take turns, run by run, so a change in the machine's load hits them alike.
Reported: median and 90th percentile wall time per launch, and the ratio of medians to
the unconfined launch; `true` is measured too, which isolates the fixed cost of the
sandbox. The load average is printed with the results, since the machine may be
shared. Nothing here is a test.
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
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from host.confinement import (  # noqa: E402
    Confinement,
    Limits,
    Mechanism,
    Unconfined,
    confined_command,
    find_bubblewrap,
    find_landlock,
    probe,
)

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


def measure(
    mechanisms: dict[str, Mechanism], programs: dict[str, list[str]], confinement: Confinement, runs: int
) -> dict[str, dict[str, list[float]]]:
    samples: dict[str, dict[str, list[float]]] = {name: {m: [] for m in mechanisms} for name in programs}
    for argv in programs.values():  # warm up caches (page cache, .pyc, git's index)
        for mechanism in mechanisms.values():
            launch_seconds(mechanism, confinement, argv)
    for _ in range(runs):
        for name, argv in programs.items():
            for label, mechanism in mechanisms.items():
                samples[name][label].append(launch_seconds(mechanism, confinement, argv))
    return samples


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(samples: dict[str, dict[str, list[float]]], emit: Callable[[str], None]) -> dict[str, object]:
    summary: dict[str, object] = {}
    for program, by_mechanism in samples.items():
        baseline = statistics.median(by_mechanism["unconfined"])
        emit(f"\n{program}")
        emit(f"  {'mechanism':<12} {'median ms':>10} {'p90 ms':>8} {'ratio':>6} {'added ms':>9}")
        rows = {}
        for label, values in by_mechanism.items():
            median = statistics.median(values)
            row = {
                "median_ms": round(median * 1000, 2),
                "p90_ms": round(percentile(values, 0.9) * 1000, 2),
                "ratio": round(median / baseline, 2),
                "added_ms": round((median - baseline) * 1000, 2),
            }
            rows[label] = row
            emit(
                f"  {label:<12} {row['median_ms']:>10.2f} {row['p90_ms']:>8.2f} "
                f"{row['ratio']:>6.2f} {row['added_ms']:>9.2f}"
            )
        summary[program] = rows
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40, help="launches per program and mechanism")
    parser.add_argument("--files", type=int, default=200, help="files in the repository")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON too")
    options = parser.parse_args()
    git = shutil.which("git", path=SAFE_PATH)
    true = shutil.which("true", path=SAFE_PATH)
    if git is None or true is None:
        raise SystemExit("needs git and true in /usr/bin or /bin")

    mechanisms = usable_mechanisms()
    with tempfile.TemporaryDirectory(prefix="acc-confinement-bench-") as base:
        project, scratch = Path(base, "project").resolve(), Path(base, "scratch").resolve()
        project.mkdir()
        scratch.mkdir()
        make_repository(project, options.files)
        confinement = Confinement(project_dir=project, scratch_dir=scratch, limits=Limits(cpu_seconds=60))
        programs = {"git status": [git, "status", "--porcelain"], "true": [true]}
        load_before = os.getloadavg()
        samples = measure(mechanisms, programs, confinement, options.runs)
        load_after = os.getloadavg()

    print(f"{options.runs} launches each, {os.cpu_count()} CPUs, repository of {options.files} files")
    for mechanism in mechanisms.values():
        print(f"  {mechanism.name}: {mechanism.describe()}")
    print(
        "load average (1/5/15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
            *load_before, *load_after
        )
    )
    summary = report(samples, print)
    if options.json:
        print(json.dumps({"runs": options.runs, "load": [load_before, load_after], "results": summary}, indent=2))


if __name__ == "__main__":
    main()
