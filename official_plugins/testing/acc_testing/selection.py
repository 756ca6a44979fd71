"""Turn a command's test selection into pytest arguments that cannot become options.

The host's pytest policy refuses anything outside its allowlist anyway; checking here
first gives the caller (often an agent) a message about *its* input, not about argv.
"""

from __future__ import annotations

import os
import posixpath

from acc_plugin import PROJECT, Invalid

#: What the plugin always asks pytest for: the JUnit report (xunit1 has file and line
#: attributes, which node ids are rebuilt from). The host hands the report back as the
#: call's stdout and pytest's terminal output as its stderr. The terminal reporter stays
#: on: a project's addopts (-ra, -q, -v, --tb=short) are its options.
REPORT_ARGS = ["-o", "junit_family=xunit1", "--junitxml=/dev/stdout"]

EXIT_MEANINGS = {
    0: ("passed", "all collected tests passed"),
    1: ("failed", "some tests failed or errored"),
    2: ("interrupted", "the run was interrupted, usually by errors while collecting tests"),
    3: ("internal_error", "pytest hit an internal error"),
    4: ("usage_error", "pytest could not run: a bad option, expression, path or configuration"),
    5: ("no_tests", "no tests were collected"),
}


def exit_meaning(status: int) -> tuple[str, str]:
    if status < 0:
        return "killed", f"pytest was stopped by signal {-status}"
    return EXIT_MEANINGS.get(status, ("unknown", f"pytest exited with status {status}"))


def selection_args(paths: list[str], keyword: str | None, marker: str | None) -> list[str]:
    args: list[str] = []
    for path in paths:
        args.append(check_test_path(path))
    for option, expression, what in (("-k", keyword, "keyword"), ("-m", marker, "marker")):
        if expression is None:
            continue
        if not expression.strip():
            raise Invalid(f"{what} must not be blank")
        if expression.lstrip().startswith(("-", "@")) or "\0" in expression:
            raise Invalid(
                f"{what} {expression!r} is not a pytest expression: it must not start with "
                "'-' or '@' (pytest would read it as an option or an argument file)"
            )
        args += [option, expression]
    return args


def check_test_path(path: str) -> str:
    """A file, directory or node id relative to the project root, which must exist."""
    if "\0" in path or "\n" in path:
        raise Invalid(f"test path {path!r} contains a control character")
    if path.startswith("-"):
        raise Invalid(
            f"test path {path!r} starts with '-': pytest would read it as an option "
            "(use keyword or marker to select tests, and name files relative to the project)"
        )
    if path.startswith("@"):
        raise Invalid(f"test path {path!r} starts with '@': pytest would read arguments from a file")
    file_part = path.split("::", 1)[0]
    if not file_part:
        raise Invalid(f"test path {path!r} names no file or directory")
    if file_part.startswith("/"):
        raise Invalid(f"test path {path!r} must be relative to the project root")
    normal = posixpath.normpath(file_part)
    if normal == ".." or normal.startswith("../"):
        raise Invalid(f"test path {path!r} is outside the project")
    if os.path.isdir(PROJECT) and not os.path.exists(posixpath.join(PROJECT, normal)):
        raise Invalid(f"test path {path!r}: the project has no {file_part!r}")
    return path
