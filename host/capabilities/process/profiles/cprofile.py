"""The host's profile of `cprofile`: run the project's code under Python's profiler.

Granting `cprofile` means running the project's own code with the user's permissions,
as granting `pytest` does, and nothing of the plugin's choosing. The program is the
interpreter of the environment acc runs from (as for pytest), but never with arguments
the plugin writes as code: acc runs its own fixed script (`PROFILER`) with one of

- `test PYTEST_ARGS`: `pytest.main(PYTEST_ARGS)` under the profiler, the arguments
  checked exactly as the pytest profile checks them (tests of the project, no plugins,
  configuration or paths from elsewhere);
- `module NAME [ARGS...]`: the project's module NAME run as `python -m NAME ARGS` would,
  where NAME must be a module or package (with `__main__.py`) inside the project. The
  ARGS go to that module: a module of the project that runs what its arguments say
  lets the plugin run that (the consent warning says so).

The script writes the profile as JSON to a file in the call's private HOME; acc returns
it as stdout (read with O_NOFOLLOW and capped), with the program's own output as
stderr: the functions sorted by cumulative time (the first `MAX_FUNCTIONS`), each with
its file (relative to the project when it is the project's, with `in_project`), line,
call counts, own time and cumulative time, and the total time.
"""

from __future__ import annotations

import re
from pathlib import Path

from host.capabilities.errors import Denied, Invalid
from host.capabilities.process.engine import Launch, ProcessOutput, ProgramProfile
from host.capabilities.process.engine import inside as _inside
from host.capabilities.process.profiles.pytest import check_pytest_args, pytest_environment, read_capped
from host.capabilities.process.profiles.python import interpreter_paths

__all__ = ["MAX_FUNCTIONS", "PROFILE", "PROFILER", "check_cprofile_args", "run_cprofile"]

MAX_FUNCTIONS = 2000
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")

#: acc's own script; the plugin chooses only the mode and the checked arguments after it.
PROFILER = f"""
import cProfile, json, os, pstats, runpy, sys
out, mode, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
profiler = cProfile.Profile()
status = 1
try:
    if mode == "test":
        import pytest
        profiler.enable()
        try:
            status = int(pytest.main(rest))
        finally:
            profiler.disable()
    else:
        sys.argv = [rest[0], *rest[1:]]
        profiler.enable()
        try:
            runpy.run_module(rest[0], run_name="__main__", alter_sys=True)
            status = 0
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        finally:
            profiler.disable()
finally:
    stats = pstats.Stats(profiler)
    here = os.getcwd() + os.sep

    def place(file):
        inside = file.startswith(here)
        return (file[len(here):] if inside else file), inside

    rows = []
    for key, value in stats.stats.items():
        file, inside = place(key[0])
        rows.append({{"file": file, "in_project": inside, "line": key[1], "function": key[2], "calls": value[1],
                     "primitive_calls": value[0], "total_time": value[2], "cumulative_time": value[3]}})
    rows.sort(key=lambda row: -row["cumulative_time"])
    with open(out, "w", encoding="utf-8") as file:
        json.dump({{"status": status, "total_time": stats.total_tt, "function_count": len(rows),
                   "functions": rows[:{MAX_FUNCTIONS}]}}, file)
sys.exit(status)
"""


def check_cprofile_args(args: list[str], project_dir: Path) -> list[str]:
    """`test PYTEST_ARGS` or `module NAME [ARGS]`; return the argv tail after the script's output path."""
    if not args or args[0] not in ("test", "module"):
        first = args[0] if args else "(nothing)"
        raise Denied(f"acc runs cprofile only as `test PYTEST_ARGS` or `module NAME [ARGS]`, not {first!r}")
    if args[0] == "test":
        return ["test", *check_pytest_args(args[1:], project_dir)]
    if len(args) < 2:
        raise Invalid("cprofile module needs the name of a module of the project")
    name = args[1]
    if not _MODULE.fullmatch(name):
        raise Invalid(f"{name!r} is not a module name such as 'mypkg.cli'")
    relative = name.replace(".", "/")
    candidates = [f"{relative}.py", f"{relative}/__main__.py"]
    if not any(_inside(c, project_dir) and (project_dir / c).is_file() for c in candidates):
        raise Denied(
            f"module {name!r} is not in the project ({' or '.join(candidates)}): acc profiles only the "
            "project's own modules"
        )
    return ["module", name, *args[2:]]


def run_cprofile(argv_tail: list[str], launch: Launch, stdin: bytes, max_output: int) -> ProcessOutput:
    """Run the profiler script; its JSON profile becomes stdout, the program's output stderr."""
    profile_file = Path(launch.environment["HOME"]) / "profile.json"
    ran = launch.run(["-c", PROFILER, str(profile_file), *argv_tail], stdin=stdin, max_output=max_output)
    report, cut = read_capped(profile_file, max_output)
    output = (ran.stdout + ran.stderr)[:max_output]
    return ProcessOutput(ran.status, report, output, truncated=cut or ran.truncated)


PROFILE = ProgramProfile(
    check_args=check_cprofile_args,
    environment=pytest_environment,
    execute=run_cprofile,
    read_only_paths=interpreter_paths,
    search_interpreter_dir=True,
    executable="python",
    subcommands=frozenset({"test", "module"}),
    warning=(
        "runs the project's code under Python's profiler (its tests, or one of its modules with arguments the "
        "plugin chooses) with your permissions"
    ),
)
