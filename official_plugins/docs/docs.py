"""docs: API reference, docstring coverage, README sections and changelogs for a project.

The commands are the IO shell around `docs_core` (pure analysis): they check that
every path stays inside the project, read bounded amounts of it, ask the git plugin
for history, and write a README only when asked to and allowed to.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import posixpath
import re
from contextlib import suppress
from typing import Any

import acc_plugin
from acc_plugin import PROJECT, Denied, Failed, Invalid, PluginError
from docs_core import changelog, coverage, render, sections
from docs_core.pyapi import Module, SourceError, parse_module

MAX_SOURCE_BYTES = 1_000_000  # one Python file
MAX_TOTAL_SOURCE_BYTES = 50_000_000  # all the files of one command
MAX_TEXT_BYTES = 2_000_000  # a README to rewrite
GENERATORS = ("api", "coverage", "changelog")
_GIT_LOG_PAGE = 200  # the most the git plugin's log returns per call
# Hidden directories (.git, .venv, caches) are skipped as well: they are not the project's code.
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "venv"}
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM, getattr(errno, "ENOTCAPABLE", errno.EACCES)}


# -- paths ------------------------------------------------------------------------------------


def _require_project() -> None:
    if acc_plugin.config.get("project") is None:
        raise Denied(
            "docs reads the project through its fs capability, and no project is mounted: "
            "grant it with `acc plugin grant docs fs` (and run with --project DIR)"
        )


def _inside_project(path: str, what: str = "path") -> tuple[str, str]:
    """(path relative to the project, path inside the sandbox); refuse anything that leaves it."""
    _require_project()
    if "\x00" in path:
        raise Invalid(f"{what} {path!r} contains a NUL character")
    if path.startswith(("/", "\\")) or _WINDOWS_ABSOLUTE.match(path):
        raise Invalid(
            f"{what} {path!r} is absolute: give a path relative to the project root, such as 'src' or 'README.md'"
        )
    normal = posixpath.normpath(path or ".")
    if normal == ".." or normal.startswith("../"):
        raise Invalid(f"{what} {path!r} leads outside the project (through '..'): give a path inside it")
    relative = "" if normal == "." else normal
    return relative, posixpath.join(PROJECT, relative) if relative else PROJECT


def _shown(relative: str) -> str:
    return relative or "."


# -- Python sources ---------------------------------------------------------------------------


def _python_files(
    path: str, *, exclude: list[str], max_files: int, include_private: bool
) -> tuple[str, list[str], bool]:
    """(the path shown back, .py files relative to the project in walk order, truncated?)."""
    relative, full = _inside_project(path)
    if os.path.isfile(full):
        if not full.endswith(".py"):
            raise Invalid(f"{_shown(relative)} is not a Python source file (.py)")
        return _shown(relative), [relative], False
    if not os.path.isdir(full):
        raise Invalid(f"{_shown(relative)!r} does not exist in the project")

    def excluded(candidate: str) -> bool:
        return any(fnmatch.fnmatchcase(candidate, p) or fnmatch.fnmatchcase(candidate + "/", p) for p in exclude)

    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(full):
        here = posixpath.relpath(dirpath, PROJECT)
        here = "" if here == "." else here
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in _SKIP_DIRS
            and (include_private or not d.startswith("_"))
            and not excluded(posixpath.join(here, d))
        )
        for name in sorted(filenames):
            candidate = posixpath.join(here, name)
            if not name.endswith(".py") or excluded(candidate):
                continue
            if not include_private and name.startswith("_") and name != "__init__.py":
                continue
            if len(found) >= max_files:
                acc_plugin.log.warn(f"stopped after {max_files} Python files (max_files)")
                return _shown(relative), found, True
            found.append(candidate)
    return _shown(relative), found, False


def _module_name(relative: str) -> str:
    """The dotted name Python would import the file as: its directories up to the last package."""
    *directories, stem = relative[: -len(".py")].split("/")
    parts = [] if stem == "__init__" else [stem]
    while directories and os.path.isfile(posixpath.join(PROJECT, *directories, "__init__.py")):
        parts.insert(0, directories.pop())
    return ".".join(parts) or stem


def _load_modules(files: list[str], include_private: bool) -> tuple[list[Module], list[dict[str, Any]], bool]:
    """Parse each file; a file that cannot be read or parsed is reported, never fatal."""
    modules: list[Module] = []
    errors: list[dict[str, Any]] = []
    total = 0
    for done, relative in enumerate(files):
        acc_plugin.log.progress(done, len(files), relative)
        full = posixpath.join(PROJECT, relative)
        try:
            with open(full, "rb") as f:
                source = f.read(MAX_SOURCE_BYTES + 1)
        except OSError as e:
            errors.append({"path": relative, "error": f"cannot read it: {e.strerror or e}", "line": None})
            continue
        if len(source) > MAX_SOURCE_BYTES:
            errors.append({"path": relative, "error": f"larger than {MAX_SOURCE_BYTES} bytes; skipped", "line": None})
            continue
        total += len(source)
        if total > MAX_TOTAL_SOURCE_BYTES:
            acc_plugin.log.warn(f"stopped after {MAX_TOTAL_SOURCE_BYTES} bytes of source")
            return _sorted(modules), errors, True
        try:
            modules.append(
                parse_module(source, name=_module_name(relative), path=relative, include_private=include_private)
            )
        except SourceError as e:
            errors.append({"path": relative, "error": e.message, "line": e.line})
    return _sorted(modules), errors, False


def _sorted(modules: list[Module]) -> list[Module]:
    return sorted(modules, key=lambda m: (m.name.split("."), m.path))


def _analyse(
    path: str, include_private: bool, exclude: list[str] | None, max_files: int, *, include_tests: bool = True
) -> tuple[str, list[Module], list[dict[str, Any]], int, bool]:
    shown, files, truncated = _python_files(
        path, exclude=list(exclude or []), max_files=max_files, include_private=include_private
    )
    if not include_tests:
        files = [f for f in files if not coverage.is_test_file(f)]
    modules, errors, cut = _load_modules(files, include_private)
    return shown, modules, errors, len(files), truncated or cut


# -- commands: api, coverage ------------------------------------------------------------------


@acc_plugin.command("api")
def api(
    path: str = ".",
    include_private: bool = False,
    exclude: list[str] | None = None,
    heading_level: int = 1,
    max_files: int = 500,
) -> dict[str, Any]:
    shown, modules, errors, files, truncated = _analyse(path, include_private, exclude, max_files)
    return {
        "path": shown,
        "markdown": render.api_markdown(modules, heading_level),
        "modules": [m.to_json() for m in modules],
        "files": files,
        "errors": errors,
        "truncated": truncated,
    }


@acc_plugin.command("coverage")
def coverage_command(
    path: str = ".",
    threshold: float | None = None,
    include_private: bool = False,
    exclude: list[str] | None = None,
    max_files: int = 500,
    include_tests: bool = False,
) -> dict[str, Any]:
    shown, modules, errors, files, truncated = _analyse(
        path, include_private, exclude, max_files, include_tests=include_tests
    )
    return _coverage_report(shown, modules, errors, files, truncated, threshold)


def _coverage_report(
    shown: str,
    modules: list[Module],
    errors: list[dict[str, Any]],
    files: int,
    truncated: bool,
    threshold: float | None,
) -> dict[str, Any]:
    reports = [coverage.module_report(m) for m in modules]
    total = sum(r["total"] for r in reports)
    documented = sum(r["documented"] for r in reports)
    report: dict[str, Any] = {
        "path": shown,
        "total": total,
        "documented": documented,
        "percent": coverage.percent(documented, total),
        "threshold": threshold,
        "passed": None if threshold is None else coverage.meets(documented, total, threshold),
        "modules": reports,
        "files": files,
        "errors": errors,
        "truncated": truncated,
    }
    report["markdown"] = render.coverage_markdown(report)
    return report


# -- command: changelog -----------------------------------------------------------------------


@acc_plugin.command("changelog")
def changelog_command(
    since: str | None = None,
    group_by: str = "auto",
    max_commits: int = 500,
    include_merges: bool = False,
    heading_level: int = 2,
) -> dict[str, Any]:
    commits, truncated = _git_log(since, max_commits)
    merges = [c for c in commits if changelog.is_merge(c)]
    kept = commits if include_merges else [c for c in commits if not changelog.is_merge(c)]
    found = changelog.entries(kept, group_by)
    return {
        "since": since,
        "commits": len(found),
        "skipped_merges": 0 if include_merges else len(merges),
        "groups": changelog.grouped(found),
        "breaking": [e.to_json() for e in found if e.breaking],
        "markdown": changelog.markdown(found, since=since, heading_level=heading_level),
        "truncated": truncated,
    }


def _git_log(since: str | None, max_commits: int) -> tuple[list[dict[str, Any]], bool]:
    """Ask the git plugin's `log` for the history (newest first), a page at a time.

    Returns the commits and whether older ones were left out (max_commits reached).
    """
    if since is not None and (not since.strip() or since.startswith("-") or ".." in since):
        raise Invalid(f"since {since!r} must name one commit, tag or branch (not a range, and not starting with '-')")
    commits: list[dict[str, Any]] = []
    while True:
        request: dict[str, Any] = {"n": min(_GIT_LOG_PAGE, max_commits - len(commits)), "skip": len(commits)}
        if since is not None:
            request["ref"] = f"{since}..HEAD"
        try:
            page = acc_plugin.plugins.call("git", "log", request)
        except PluginError as e:
            raise type(e)(f"changelog needs the history from the git plugin: {e}") from None
        found = page.get("commits") if isinstance(page, dict) else None
        if not isinstance(found, list) or not all(isinstance(c, dict) for c in found):
            raise Failed("the git plugin's log answered without a list of commits")
        commits += found
        more = bool(page.get("has_more"))
        if not more or not found:
            return commits, False
        if len(commits) >= max_commits:
            return commits, True


# -- command: readme-section ------------------------------------------------------------------


@acc_plugin.command("readme-section")
def readme_section(
    section: str,
    file: str = "README.md",
    content: str | None = None,
    generator: str | None = None,
    source: str = ".",
    include_private: bool = False,
    exclude: list[str] | None = None,
    since: str | None = None,
    heading_level: int = 3,
    max_files: int = 500,
    write: bool = False,
) -> dict[str, Any]:
    if not sections.SECTION_NAME.match(section):
        raise Invalid(f"section {section!r} must be lowercase letters, digits, '.', '_' or '-'")
    if content is not None and generator is not None:
        raise Invalid("give either content or generator, not both")
    relative, full = _inside_project(file, "file")
    text = _read_text(relative, full)
    errors: list[dict[str, Any]] = []
    if content is None:
        kind = generator or (section if section in GENERATORS else None)
        if kind is None:
            raise Invalid(
                f"the section {section!r} has no generator of its own: give content, or a generator "
                f"({', '.join(GENERATORS)})"
            )
        content, errors = _generate(
            kind,
            source=source,
            include_private=include_private,
            exclude=exclude,
            since=since,
            heading_level=heading_level,
            max_files=max_files,
        )
    try:
        replaced = sections.replace_section(text, section, content, file=_shown(relative))
    except sections.SectionError as e:
        raise Invalid(str(e)) from None
    written, reason = False, None
    if not replaced.changed:
        reason = "the section is already up to date; nothing to write"
    elif not write:
        reason = "not written: this was a preview (pass write: true to write the file)"
    else:
        reason = _write_atomically(relative, full, replaced.text)
        written = reason is None
    return {
        "file": _shown(relative),
        "section": section,
        "changed": replaced.changed,
        "written": written,
        "reason": reason,
        "lines": [replaced.start_line, replaced.end_line],
        "content": content,
        "errors": errors,
        "text": replaced.text,
    }


def _read_text(relative: str, full: str) -> str:
    if not os.path.isfile(full):
        raise Invalid(f"{_shown(relative)} is not a file in the project")
    try:
        with open(full, "rb") as f:
            data = f.read(MAX_TEXT_BYTES + 1)
    except OSError as e:
        raise Failed(f"cannot read {_shown(relative)}: {e.strerror or e}") from None
    if len(data) > MAX_TEXT_BYTES:
        raise Invalid(f"{_shown(relative)} is larger than {MAX_TEXT_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"{_shown(relative)} is not UTF-8 text") from None


def _generate(
    kind: str,
    *,
    source: str,
    include_private: bool,
    exclude: list[str] | None,
    since: str | None,
    heading_level: int,
    max_files: int,
) -> tuple[str, list[dict[str, Any]]]:
    if kind == "changelog":
        return changelog_command(since=since, heading_level=heading_level)["markdown"], []
    # A coverage section counts what the coverage command counts by default: no test modules.
    shown, modules, errors, files, truncated = _analyse(
        source, include_private, exclude, max_files, include_tests=kind == "api"
    )
    if kind == "api":
        return render.api_markdown(modules, heading_level), errors
    return _coverage_report(shown, modules, errors, files, truncated, None)["markdown"], errors


def _write_atomically(relative: str, full: str, text: str) -> str | None:
    """Write through a temporary file and a rename; return why not when the project is read-only."""
    if os.path.islink(full):
        raise Invalid(f"{relative} is a symbolic link: give the path of the file itself")
    directory, name = posixpath.split(full)
    temporary = posixpath.join(directory, f".{name}.acc-docs-{os.urandom(6).hex()}.tmp")
    try:
        with open(temporary, "xb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            with suppress(OSError):  # not every file system can sync; the rename is what matters
                os.fsync(f.fileno())
        os.replace(temporary, full)
    except OSError as e:
        with suppress(OSError):
            os.remove(temporary)
        if isinstance(e, PermissionError) or e.errno in _READ_ONLY_ERRNOS:
            return (
                f"not written: docs may only read this project (its fs grant is read-only), so "
                f"{relative} is unchanged; the new text is in `text`"
            )
        raise Failed(f"could not write {relative}: {e.strerror or e}") from None
    acc_plugin.log.info(f"rewrote the section in {relative}")
    return None
