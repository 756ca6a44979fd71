"""The host's profiles of `pytest` and `coverage`: run the project's tests, nothing else.

Granting `pytest` means running the project's own code (its tests, its conftest.py,
the plugins its configuration names) with the user's permissions: that is what running
tests is, and the consent prompt says so. What the grant must not mean is running code
or reading configuration *of the plugin's choosing*: a plugin that could say
`pytest -p /tmp/evil`, `-c ~/other/pytest.ini`, `--rootdir=/` or `@argsfile` would have
a way out of its sandbox that the user never agreed to. So pytest's arguments are an
allowlist, not a denylist (pytest has ~100 options and plugins add more):

- **options**: only those in `_PYTEST_FLAGS` and `_PYTEST_VALUED`, each value checked
  (`-p` may only *disable* a plugin, `-o` may only set a few report settings, the JUnit
  report may only go to the program's own stdout); no option may come from a value
  (pytest pre-scans every token that starts with `-p`, whatever argparse makes of it);
- **paths**: every test path, `--ignore` and `--deselect` is inside the project;
- **no argument files**: pytest expands any token starting with `@` from a file;
- **configuration**: acc pins `--rootdir` and `--confcutdir` to the project, and when the
  project has no pytest configuration of its own while a directory above it holds a
  file pytest would read (`pytest.ini`, `pyproject.toml`, ...), `-c /dev/null`: pytest
  otherwise walks up out of the project looking for one, and would load the `addopts`
  (plugins, options) of whoever owns that directory;
- **imports**: the project directory is on `PYTHONPATH`, as `python -m pytest` has it;
- **no writes of pytest's own**: `-p no:cacheprovider` and `PYTHONDONTWRITEBYTECODE`
  keep `.pytest_cache/` and `__pycache__/` out of the project (the tests themselves may
  of course write what they write).

The JUnit report: a plugin asks for it with `--junitxml=/dev/stdout` (the only value
allowed) and gets it as the call's stdout, with pytest's own terminal output as stderr.
The plugin has no writable place of its own (a report inside the project would change
the user's files, one outside would be a write anywhere), so acc has pytest write it to
a file in the call's private HOME (`run_pytest`) and hands that back, read with
O_NOFOLLOW and capped. Pytest's terminal reporter stays on: a project's `addopts` such
as `-ra`, `-q`, `-v` or `--tb=short` are options of that reporter, and pytest refuses to
start when they name a reporter that `-p no:terminal` removed.

`coverage` accepts exactly `run [--branch] -m pytest PYTEST_ARGS` (the pytest part
checked as above). Coverage needs two processes, one to measure and one to report,
and a data file between them; a plugin has nowhere to keep one, so acc runs both in
one call (`_run_coverage`) with the data file in the call's private HOME, deleted
afterwards. The call returns the test run's exit status, the JSON report
(`coverage json`) as stdout, and the test run's own output as stderr.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path

from host.capabilities.errors import Denied, Invalid
from host.capabilities.process.engine import Launch, ProcessOutput, ProgramProfile
from host.capabilities.process.engine import inside as _inside
from host.capabilities.process.profiles.python import interpreter_paths

__all__ = [
    "COVERAGE",
    "PYTEST",
    "check_coverage_args",
    "check_pytest_args",
    "pytest_environment",
    "read_capped",
    "run_coverage",
    "run_pytest",
]

#: Options without a value a plugin may give pytest: verbosity, stopping early,
#: collection only, report shape. None of them runs, reads or writes anything.
_PYTEST_FLAGS: frozenset[str] = frozenset(
    {
        "-q", "-qq", "--quiet", "-v", "-vv", "--verbose", "-x", "--exitfirst",
        "-l", "--showlocals", "--collect-only", "--co", "--strict-markers",
        "--runxfail", "--no-header", "--no-summary", "--continue-on-collection-errors",
        "--disable-warnings",
    }
)  # fmt: skip

_PYTEST_CHOICES: dict[str, frozenset[str]] = {
    "--tb": frozenset({"auto", "long", "short", "line", "native", "no"}),
    "--color": frozenset({"yes", "no", "auto"}),
}

#: Settings `-o` may override: only the shape of the JUnit report and of the console
#: output. Most ini settings are dangerous from the command line (`addopts`,
#: `pythonpath`, `cache_dir`, `log_file`, `required_plugins`, ...).
_PYTEST_OVERRIDES: dict[str, frozenset[str]] = {
    "junit_family": frozenset({"xunit1", "xunit2", "legacy"}),
    "junit_logging": frozenset({"no", "log", "system-out", "system-err", "out-err", "all"}),
    "junit_duration_report": frozenset({"total", "call"}),
    "junit_log_passing_tests": frozenset({"true", "false"}),
    "console_output_style": frozenset({"classic", "progress", "count", "times"}),
}

#: Options that take a value, in either form `--name=VALUE`/`--name VALUE` (long) or
#: `-xVALUE`/`-x VALUE` (short), with what the value may be.
_PYTEST_VALUED: frozenset[str] = frozenset(
    {
        "-k", "-m", "-r", "-p", "-o", "--override-ini", "--maxfail", "--durations",
        "--tb", "--color", "--junitxml", "--junit-xml", "--deselect", "--ignore",
    }
)  # fmt: skip

#: Why an option acc does not allow is refused, for the options a plugin is most likely
#: to try; every other option gets the generic message with the allowed list.
_PYTEST_REFUSED: dict[str, str] = {
    "--rootdir": "acc sets pytest's rootdir to the project itself",
    "-c": "pytest reads only the project's own configuration",
    "--config-file": "pytest reads only the project's own configuration",
    "--inifile": "pytest reads only the project's own configuration",
    "--confcutdir": "acc stops pytest's conftest.py search at the project",
    "--basetemp": "it names a directory pytest deletes and writes",
    "--pyargs": "it imports test packages from anywhere on sys.path",
    "-W": "a warning filter imports the module its category names",
    "--pythonwarnings": "a warning filter imports the module its category names",
    "--debug": "it writes a log file",
    "--log-file": "it writes a log file",
    "--junit-prefix": "it is not needed",
    "-s": "the tests' own output would mix with the report on stdout",
    "--capture": "the tests' own output would mix with the report on stdout",
    "--pdb": "it waits for a debugger on a terminal acc does not give",
    "--trace": "it waits for a debugger on a terminal acc does not give",
    "--lf": "acc runs pytest without its cache (nothing is written to the project)",
    "--ff": "acc runs pytest without its cache (nothing is written to the project)",
    "--sw": "acc runs pytest without its cache (nothing is written to the project)",
}

_PLUGIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_REPORT_CHARS = re.compile(r"[fEsxXpPaAwN]+")

#: Where pytest would find configuration, by file name (pytest's `locate_config`).
_CONFIG_NAMES: tuple[str, ...] = (
    "pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini",
    "setup.cfg",
)  # fmt: skip
_MAX_CONFIG_BYTES = 1024 * 1024


def check_pytest_args(args: list[str], project_dir: Path) -> list[str]:
    """Validate a plugin's pytest arguments; return them after acc's pinned options.

    Raises `Denied` for an option, plugin, path or setting outside the policy and
    `Invalid` for a malformed one (a missing or badly shaped value).
    """
    index = 0
    while index < len(args):
        token = args[index]
        if token.startswith("@"):
            raise Denied(
                f"pytest argument {token!r} is not allowed: pytest would read more arguments from the file it names"
            )
        if token == "--":
            raise Denied(
                "'--' is not allowed in pytest arguments: test paths never start with '-', so nothing needs it"
            )
        if not token.startswith("-"):
            _check_test_path(token, project_dir, "test path")
            index += 1
            continue
        name, value, index = _split_option(args, index)
        _check_option(name, value, project_dir)
    return [*_pinned_options(project_dir), *args]


def check_coverage_args(args: list[str], project_dir: Path) -> list[str]:
    """Accept only `run [--branch] -m pytest PYTEST_ARGS`; see the module docstring."""
    head = ["run", "--branch"] if args[:2] == ["run", "--branch"] else ["run"]
    rest = args[len(head) :]
    if args[: len(head)] != head or rest[:2] != ["-m", "pytest"]:
        raise Denied(
            "acc runs coverage only as `coverage run [--branch] -m pytest [pytest "
            f"arguments]`; got {' '.join(args[:4])!r}"
        )
    return [*head, "-m", "pytest", *check_pytest_args(rest[2:], project_dir)]


def pytest_environment(project_dir: Path) -> dict[str, str]:
    return {
        # No __pycache__ directories written into the project by this run.
        "PYTHONDONTWRITEBYTECODE": "1",
        # The project's root importable, as with `python -m pytest` (what most projects'
        # instructions say): the `pytest` script alone puts only its own bin directory
        # first on sys.path, and `from mymodule import ...` in tests/ would fail.
        "PYTHONPATH": str(project_dir),
    }


#: What a plugin passes to have the JUnit report back as stdout.
REPORT_TO_STDOUT = "/dev/stdout"
_JUNIT_OPTIONS = ("--junitxml", "--junit-xml")


def run_pytest(argv_tail: list[str], launch: Launch, stdin: bytes, max_output: int) -> ProcessOutput:
    """Run pytest; when the plugin asked for the JUnit report on stdout, give it there.

    The report is written to a file in the call's private HOME and returned as stdout;
    pytest's terminal output (stdout and stderr) becomes stderr. Without such a request
    pytest's output is returned as it is.
    """
    report_file = Path(launch.environment["HOME"]) / "junit.xml"
    redirected = _redirect_report(argv_tail, str(report_file))
    if redirected is None:
        return launch.run(argv_tail, stdin=stdin, max_output=max_output)
    ran = launch.run(redirected, stdin=stdin, max_output=max_output)
    report, cut = read_capped(report_file, max_output)
    terminal = (ran.stdout + ran.stderr)[:max_output]
    return ProcessOutput(ran.status, report, terminal, truncated=cut or ran.truncated)


def _redirect_report(argv_tail: list[str], report_file: str) -> list[str] | None:
    """`argv_tail` with the report sent to `report_file`, or None when no report was asked for."""
    out: list[str] = []
    found = False
    index = 0
    while index < len(argv_tail):
        token = argv_tail[index]
        name, has_value, value = token.partition("=")
        if name in _JUNIT_OPTIONS and has_value and value == REPORT_TO_STDOUT:
            out.append(f"--junitxml={report_file}")
            found = True
        elif token in _JUNIT_OPTIONS and argv_tail[index + 1 : index + 2] == [REPORT_TO_STDOUT]:
            out.append(f"--junitxml={report_file}")
            found = True
            index += 1
        else:
            out.append(token)
        index += 1
    return out if found else None


def run_coverage(argv_tail: list[str], launch: Launch, stdin: bytes, max_output: int) -> ProcessOutput:
    """Measure the tests, then report: `coverage run` and `coverage json` in one call.

    The data file and the report live in the call's private HOME, which run_program
    deletes afterwards. The report is read with O_NOFOLLOW and capped: the tests that
    just ran could have replaced it with anything.
    """

    scratch = Path(launch.environment["HOME"])
    data_file = scratch / ".coverage"
    report_file = scratch / "coverage.json"
    measured = launch.run(
        [argv_tail[0], f"--data-file={data_file}", *argv_tail[1:]],
        stdin=stdin,
        max_output=max_output,
    )
    test_output = measured.stdout + measured.stderr
    if measured.truncated:
        return ProcessOutput(measured.status, b"", test_output[:max_output], truncated=True)
    if not data_file.exists() and any(scratch.glob(".coverage.*")):
        # The project's coverage config says `parallel = true`: one file per process.
        launch.run(["combine", "-q", f"--data-file={data_file}"], max_output=max_output)
    reported = launch.run(
        ["json", "-q", f"--data-file={data_file}", "-o", str(report_file)],
        max_output=max_output,
    )
    report, cut = read_capped(report_file, max_output)
    stderr = (test_output + reported.stdout + reported.stderr)[:max_output]
    return ProcessOutput(measured.status, report, stderr, truncated=cut or reported.truncated)


# --- checks -------------------------------------------------------------------------------


def _split_option(args: list[str], index: int) -> tuple[str, str | None, int]:
    """The option at `index`, its value if it takes one, and the index after both."""
    token = args[index]
    if token in _PYTEST_FLAGS:
        return token, None, index + 1
    if token.startswith("--"):
        name, has_value, attached = token.partition("=")
        if name not in _PYTEST_VALUED:
            _refuse(name if name in _PYTEST_REFUSED else token)
        if has_value:
            return name, attached, index + 1
    else:
        name, attached = token[:2], token[2:]
        if name not in _PYTEST_VALUED:
            _refuse(name if name in _PYTEST_REFUSED else token)
        if attached:
            return name, attached, index + 1
    if index + 1 >= len(args):
        raise Invalid(f"pytest option {name} needs a value")
    value = args[index + 1]
    # pytest pre-scans every token for "-p..." before parsing, so a value that looks
    # like an option would be read as one; and "@value" would be read as a file.
    if value.startswith(("-", "@")):
        raise Denied(
            f"the value of pytest option {name} must not start with '-' or '@' "
            f"(got {value!r}): pytest would read it as an option or an argument file"
        )
    return name, value, index + 2


def _refuse(name: str) -> None:
    reason = _PYTEST_REFUSED.get(name)
    if reason is not None:
        raise Denied(f"pytest option {name} is not allowed: {reason}")
    allowed = sorted(_PYTEST_FLAGS | _PYTEST_VALUED)
    raise Denied(f"pytest option {name} is not allowed; acc allows: {', '.join(allowed)}")


def _check_option(name: str, value: str | None, project_dir: Path) -> None:
    if value is None:
        return
    if value.startswith("@"):
        raise Denied(f"the value of pytest option {name} must not start with '@'")
    if name in ("-k", "-m"):
        return  # pytest parses these with its own expression grammar; nothing is run
    if name in ("--maxfail", "--durations"):
        if not value.isdigit():
            raise Invalid(f"pytest option {name} takes a whole number, not {value!r}")
    elif name == "-r":
        if not _REPORT_CHARS.fullmatch(value):
            raise Invalid(f"pytest option -r takes report characters (fEsxXpPaAwN), not {value!r}")
    elif name in _PYTEST_CHOICES:
        if value not in _PYTEST_CHOICES[name]:
            raise Invalid(f"pytest option {name} takes one of {', '.join(sorted(_PYTEST_CHOICES[name]))}")
    elif name == "-p":
        plugin = value.strip()
        if not plugin.startswith("no:") or not _PLUGIN_NAME.fullmatch(plugin[3:]):
            raise Denied(
                f"pytest option -p {value!r} is not allowed: a plugin may only disable "
                "pytest plugins (-p no:NAME); loading one would run code from outside "
                "the project"
            )
    elif name in ("-o", "--override-ini"):
        key, _, setting = value.partition("=")
        if setting not in _PYTEST_OVERRIDES.get(key, frozenset()):
            allowed = ", ".join(f"{k}={'|'.join(sorted(v))}" for k, v in _PYTEST_OVERRIDES.items())
            raise Denied(f"pytest option {name} {value!r} is not allowed; acc allows only: {allowed}")
    elif name in _JUNIT_OPTIONS:
        if value != REPORT_TO_STDOUT:
            raise Denied(
                f"pytest's JUnit report may only go to /dev/stdout (got {value!r}): acc "
                "lets pytest write no file of the plugin's choosing"
            )
    elif name in ("--deselect", "--ignore"):
        _check_test_path(value, project_dir, f"pytest option {name}")


def _check_test_path(argument: str, project_dir: Path, what: str) -> None:
    """A test path or node id (`tests/test_x.py::TestY::test_z[1]`) inside the project."""
    path = argument.split("::", 1)[0]
    if not path:
        raise Invalid(f"{what} {argument!r} names no file or directory")
    if not _inside(path, project_dir):
        raise Denied(f"{what} {argument!r} is outside the project")


def _pinned_options(project_dir: Path) -> list[str]:
    pinned = [
        "-p", "no:cacheprovider",
        f"--rootdir={project_dir}",
        f"--confcutdir={project_dir}",
    ]  # fmt: skip
    if not _has_pytest_config(project_dir) and _config_above(project_dir):
        pinned += ["-c", "/dev/null"]
    return pinned


def _has_pytest_config(directory: Path) -> bool:
    """Whether pytest's upward search for configuration stops at `directory`.

    Only what every supported pytest (7 to 9) reads counts; pytest 9's `pytest.toml`
    and `[tool.pytest]` do not stop older versions. A file that cannot be parsed
    counts too: pytest stops there with an error, inside the project.
    """
    import configparser  # at launch, not when the capability is bound

    if (directory / "pytest.ini").is_file() or (directory / ".pytest.ini").is_file():
        return True
    checks: tuple[tuple[str, str], ...] = (
        ("pyproject.toml", ""), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"),
    )  # fmt: skip
    for name, section in checks:
        path = directory / name
        if not path.is_file():
            continue
        try:
            with open(path, "rb") as file:
                text = file.read(_MAX_CONFIG_BYTES + 1).decode("utf-8")
            if len(text) > _MAX_CONFIG_BYTES:
                return True
            if name == "pyproject.toml":
                tool = tomllib.loads(text).get("tool", {})
                if isinstance(tool, dict) and isinstance(tool.get("pytest"), dict) and "ini_options" in tool["pytest"]:
                    return True
            else:
                parser = configparser.ConfigParser(interpolation=None, strict=False)
                parser.read_string(text)
                if parser.has_section(section):
                    return True
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, configparser.Error):
            return True
    return False


def _config_above(project_dir: Path) -> bool:
    """Whether any directory above the project holds a file pytest would consider."""
    return any(os.path.lexists(parent / name) for parent in project_dir.parents for name in _CONFIG_NAMES)


def read_capped(path: Path, limit: int) -> tuple[bytes, bool]:
    """A file a program left in the call's private HOME: not a link, regular, at most `limit` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return b"", False  # no data to report: coverage said why on its output
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b"", False
        data = file.read(limit + 1)
    return data[:limit], len(data) > limit


_TESTS_WARNING = "runs the project's tests: the project's own code runs with your permissions"

#: pytest and coverage run the project's own code (its tests and conftest.py), never code,
#: configuration or paths of the plugin's choosing: their arguments are an allowlist. A
#: plugin that only runs tests asks for these, not for python.
PYTEST = ProgramProfile(
    check_args=check_pytest_args,
    environment=pytest_environment,
    execute=run_pytest,
    read_only_paths=interpreter_paths,
    search_interpreter_dir=True,
    warning=_TESTS_WARNING,
)
COVERAGE = ProgramProfile(
    check_args=check_coverage_args,
    environment=pytest_environment,
    execute=run_coverage,
    read_only_paths=interpreter_paths,
    search_interpreter_dir=True,
    warning=_TESTS_WARNING,
)
