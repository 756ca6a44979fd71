"""The plugin's commands: the IO (process, kv, fs) around the pure modules."""

from __future__ import annotations

import ast
import os
import posixpath

import acc_plugin
from acc_plugin import PROJECT, Denied, Failed, Invalid, LimitExceeded
from acc_plugin._capabilities import Completed

from acc_testing import coverage_report, history, junit, skeletons
from acc_testing.layout import is_test_file, skip_directory
from acc_testing.selection import REPORT_ARGS, exit_meaning, selection_args

#: Tests listed in a run's result; totals always count all of them.
MAX_LISTED_TESTS = 5000
#: The end of pytest's own output, given when there is no report to explain a failure.
MAX_OUTPUT_CHARS = 4000
MAX_SOURCE_BYTES = 1024 * 1024
#: Entry points and build scripts: public functions nobody unit-tests.
_NOT_MODULES = frozenset({"setup.py", "noxfile.py", "fabfile.py", "__main__.py"})
_NOT_FOUND = "program not found"
_KV_HINT = "acc plugin grant testing kv"


@acc_plugin.command("run")
def run(
    paths: list[str] | None = None,
    keyword: str | None = None,
    marker: str | None = None,
    max_failures: int | None = None,
    include_passed: bool = True,
) -> dict:
    args = [*REPORT_ARGS, *selection_args(paths or [], keyword, marker)]
    if max_failures is not None:
        args.append(f"--maxfail={int(max_failures)}")
    completed = _pytest(args)
    if completed.truncated:
        raise LimitExceeded(
            "pytest's report was larger than the host's output limit; run a subset (paths, keyword or marker)"
        )
    status, meaning = exit_meaning(completed.status)
    _refuse_unusable_run(status, meaning, completed)
    # `passed` is the command's verdict (plugin.toml): `acc plugin run` exits 1 when it is false.
    result: dict = {"exit_code": completed.status, "status": status, "meaning": meaning, "passed": status == "passed"}
    try:
        xml = junit.extract_report(completed.stdout)
        report = junit.parse_report(xml) if xml is not None else None
    except junit.ReportError as e:
        raise Failed(f"{e} (pytest exit code {completed.status}: {meaning})") from None
    if report is None:
        empty = {"tests": 0, **{o: 0 for o in junit.OUTCOMES}, "duration": 0.0}
        result.update(totals=empty, tests=[], output=_output_tail(completed))
        return result
    tests = report["tests"]
    listed = tests if include_passed else [t for t in tests if t["outcome"] != "passed"]
    result["totals"] = report["totals"]
    result["tests"] = listed[:MAX_LISTED_TESTS]
    result["tests_truncated"] = len(listed) > MAX_LISTED_TESTS
    if status not in ("passed", "failed", "no_tests"):
        result["output"] = _output_tail(completed)
    result["history"] = _record(tests)
    return result


@acc_plugin.command("coverage")
def coverage(
    paths: list[str] | None = None,
    keyword: str | None = None,
    marker: str | None = None,
    include_tests: bool = False,
    max_files: int = 500,
) -> dict:
    args = ["run", "-m", "pytest", *selection_args(paths or [], keyword, marker)]
    try:
        completed = acc_plugin.process.run("coverage", args)
    except Failed as e:
        if _NOT_FOUND not in str(e):
            raise
        return {
            "available": False,
            "reason": "coverage.py is not installed in the Python environment acc runs from "
            "(nor as a `coverage` program in /usr/local/bin, /usr/bin or /bin); "
            "install it there (pip install coverage) to measure coverage",
        }
    if completed.truncated:
        raise LimitExceeded(
            "coverage's report was larger than the host's output limit; run a subset (paths, keyword or marker)"
        )
    status, meaning = exit_meaning(completed.status)
    _refuse_unusable_run(status, meaning, completed)
    result: dict = {"available": True, "exit_code": completed.status, "status": status, "meaning": meaning}
    if not completed.stdout.strip():
        result.update(measured=False, output=_output_tail(completed))
        return result
    try:
        summary = coverage_report.summarise(completed.stdout, include_tests=include_tests, max_files=max_files)
    except coverage_report.CoverageReportError as e:
        raise Failed(str(e)) from None
    result.update(measured=True, **summary)
    return result


@acc_plugin.command("regressions")
def regressions() -> dict:
    if not _kv_granted():
        raise Denied(f"regressions compares against the run history, which needs the kv grant ({_KV_HINT})")
    return history.compare(acc_plugin.kv.get_json(history.LATEST_KEY))


@acc_plugin.command("skeletons")
def skeletons_command(path: str = ".", max_files: int = 5000) -> dict:
    if not os.path.isdir(PROJECT):
        raise Denied("skeletons reads the project's sources: it needs the fs grant")
    target = _project_relative(path)
    files, truncated = _python_files(max_files)
    if (
        target != "."
        and not any(f == target or f.startswith(target + "/") for f in files)
        and not os.path.exists(posixpath.join(PROJECT, target))
    ):
        raise Invalid(f"path {path!r}: the project has no such file or directory")

    references = skeletons.TestReferences()
    sources: list[str] = []
    skipped: list[dict] = []
    trees: dict[str, ast.Module] = {}
    for relative in files:
        test = is_test_file(relative)
        inside = target == "." or relative == target or relative.startswith(target + "/")
        if not test and (not inside or posixpath.basename(relative) in _NOT_MODULES):
            continue
        tree, problem = _parse(relative)
        if tree is None:
            skipped.append({"file": relative, "reason": problem})
        elif test:
            references.add(tree)
        else:
            trees[relative] = tree
            sources.append(relative)

    test_dir = "test" if os.path.isdir(f"{PROJECT}/test") and not os.path.isdir(f"{PROJECT}/tests") else "tests"
    existing = set(files)
    modules: list[dict] = []
    taken: set[str] = set()
    public = tested = 0
    for relative in sorted(sources):
        module = skeletons.module_name(relative)
        if module is None:
            skipped.append({"file": relative, "reason": "its path is not an importable module name"})
            continue
        callables = skeletons.public_callables(trees[relative])
        untested = [c for c in callables if not _is_tested(references, c)]
        public += len(callables)
        tested += len(callables) - len(untested)
        if not untested:
            continue
        test_path = skeletons.suggested_test_path(relative, module, test_dir, taken)
        taken.add(test_path)
        modules.append(
            {
                "source": relative,
                "module": module,
                "test_file": test_path,
                "test_file_exists": test_path in existing,
                "untested": [{"name": c["qualname"], "kind": c["kind"], "line": c["line"]} for c in untested],
                "code": skeletons.render_tests(module, untested),
            }
        )
    return {
        "path": target,
        "files_scanned": len(files),
        "files_truncated": truncated,
        "public_callables": public,
        "tested": tested,
        "untested": public - tested,
        "modules": modules,
        "skipped": skipped,
    }


# --- helpers ------------------------------------------------------------------------------


def _pytest(args: list[str]) -> Completed:
    try:
        return acc_plugin.process.run("pytest", args)
    except Failed as e:
        if _NOT_FOUND in str(e):
            raise Failed(
                "pytest is not installed in the Python environment acc runs from (nor as a "
                "`pytest` program in /usr/local/bin, /usr/bin or /bin); install it there"
            ) from None
        raise


def _refuse_unusable_run(status: str, meaning: str, completed: Completed) -> None:
    """pytest could not run the tests at all: that is an error, not a result about tests."""
    if status == "usage_error":
        raise Invalid(f"{meaning}. pytest said:\n{_output_tail(completed)}")
    if status == "internal_error":
        raise Failed(f"{meaning}. pytest said:\n{_output_tail(completed)}")


def _output_tail(completed: Completed) -> str:
    text = (completed.stdout + b"\n" + completed.stderr).decode("utf-8", "replace").strip()
    return text[-MAX_OUTPUT_CHARS:]


def _kv_granted() -> bool:
    # Asked before calling kv: the host's `denied` answer to kv.get does not reach the
    # guest today (wasmtime-py lowers result<option<list<u8>>, error> by trying the ok
    # case first, and an option accepts any value), so the call would trap instead.
    return "kv" in acc_plugin.config.get("granted", ())


def _record(tests: list[dict]) -> dict:
    if not tests:
        return {"recorded": False, "reason": "no test ran"}
    if not _kv_granted():
        return {"recorded": False, "reason": f"the kv capability is not granted ({_KV_HINT})"}
    try:
        previous = acc_plugin.kv.get_json(history.HISTORY_KEY)
        updated, latest = history.record_run(previous, tests)
        acc_plugin.kv.set_json(history.HISTORY_KEY, updated)
        acc_plugin.kv.set_json(history.LATEST_KEY, latest)
    except (Denied, LimitExceeded) as e:
        acc_plugin.log.warn(f"run history not recorded: {e}")
        return {"recorded": False, "reason": str(e)}
    return {"recorded": True, "run": latest["run"]}


def _is_tested(references: skeletons.TestReferences, item: dict) -> bool:
    if item["class"] is None:
        return references.function_tested(item["name"])
    return references.method_tested(item["class"], item["name"])


def _project_relative(path: str) -> str:
    if "\0" in path or path.startswith("/"):
        raise Invalid(f"path {path!r} must be relative to the project root")
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        raise Invalid(f"path {path!r} is outside the project")
    return normal


def _python_files(limit: int) -> tuple[list[str], bool]:
    """The project's .py files (relative paths, sorted walk), at most `limit` of them."""
    found: list[str] = []
    for directory, subdirectories, names in os.walk(PROJECT):
        subdirectories[:] = sorted(d for d in subdirectories if not skip_directory(directory, d))
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            if len(found) >= limit:
                return found, True
            found.append(posixpath.relpath(posixpath.join(directory, name), PROJECT))
    return found, False


def _parse(relative: str) -> tuple[ast.Module | None, str]:
    full = posixpath.join(PROJECT, relative)
    try:
        if os.path.getsize(full) > MAX_SOURCE_BYTES:
            return None, f"larger than {MAX_SOURCE_BYTES} bytes"
        with open(full, "rb") as file:
            source = file.read(MAX_SOURCE_BYTES + 1)
        return ast.parse(source, filename=relative), ""
    except SyntaxError as e:
        return None, f"syntax error on line {e.lineno}: {e.msg}"
    except (OSError, ValueError) as e:
        return None, f"unreadable: {e}"
