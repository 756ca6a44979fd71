"""The files commands over a project directory `root`. Every function is plain Python
over the file system: the component passes /project, tests pass a temporary directory.

Reads are bounded (`textfile.MAX_FILE_BYTES` per file, line and match caps); writes go
through `commit` (a temporary file and a rename, all or nothing), happen only after
every check passed, and return the diff they made. Nothing is written outside the
project (`paths.resolve` refuses links that leave it) or inside `.git`.
"""

from __future__ import annotations

import os
import posixpath
import stat
from typing import Any

from acc_plugin import Failed, Invalid, LimitExceeded

from acc_files import diffs, patch, regex_guard, search, textfile
from acc_files.commit import Change, commit
from acc_files.globs import compile_globs
from acc_files.paths import ProjectPath, is_git_internal, resolve
from acc_files.walk import WalkStats, walk

MAX_READ_LINES = 10_000
MAX_LINE_CHARS = 2000
MAX_DELETE_ENTRIES = 10_000


# --- reading ------------------------------------------------------------------------------------


def read(root: str, path: str, offset: int = 1, limit: int = 2000) -> dict[str, Any]:
    where = resolve(root, path)
    text = textfile.read_text(where.full, where.shown).text
    lines = text.splitlines()
    total = len(lines)
    if offset > max(total, 1):
        raise Invalid(f"offset {offset} is past the end of {where.shown}, which has {total} lines")
    chosen = lines[offset - 1 : offset - 1 + min(limit, MAX_READ_LINES)]
    cut = 0
    numbered = []
    for number, line in enumerate(chosen, start=offset):
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + "…"
            cut += 1
        numbered.append(f"{number:>6}\t{line}\n")
    end = offset + len(chosen) - 1
    return {
        "path": where.shown,
        "start_line": offset if chosen else 0,
        "end_line": end if chosen else 0,
        "total_lines": total,
        "content": "".join(numbered),
        "truncated": end < total,
        "long_lines_cut": cut,
    }


def list_entries(
    root: str,
    path: str = ".",
    globs: list[str] | None = None,
    kind: str = "file",
    include_ignored: bool = False,
    include_hidden: bool = True,
    max_results: int = 1000,
) -> dict[str, Any]:
    where = _directory(root, path)
    selected = compile_globs(globs)
    stats = WalkStats()
    entries: list[dict[str, Any]] = []
    truncated = False
    for entry in walk(
        root, where.relative, honour_gitignore=not include_ignored, include_hidden=include_hidden, stats=stats
    ):
        if kind != "any" and entry.kind != kind:
            continue
        if not selected.matches(entry.relative):
            continue
        if len(entries) >= max_results:
            truncated = True
            break
        entries.append({"path": entry.relative, "type": entry.kind, "size": entry.size})
    return {
        "path": where.shown,
        "entries": entries,
        "count": len(entries),
        "truncated": truncated,
        "ignored": stats.ignored,
    }


def search_project(
    root: str,
    pattern: str,
    path: str = ".",
    globs: list[str] | None = None,
    ignore_case: bool = False,
    literal: bool = False,
    context: int = 2,
    max_matches: int = 200,
    include_ignored: bool = False,
    time_budget: float = 10.0,
) -> dict[str, Any]:
    compiled = regex_guard.compile_pattern(pattern, ignore_case=ignore_case, literal=literal)
    where = resolve(root, path)
    selected = compile_globs(globs)
    if _kind(where.full) == "file":
        files: list[str] = [where.relative]
    else:
        where = _directory(root, path)
        files = (
            entry.relative
            for entry in walk(root, where.relative, honour_gitignore=not include_ignored)
            if entry.kind == "file" and selected.matches(entry.relative)
        )  # type: ignore[assignment]
    found = search.search_files(
        root, files, compiled, context=context, max_matches=max_matches, time_budget=time_budget
    )
    return {
        "pattern": pattern,
        "path": where.shown,
        "matches": found.matches,
        "match_count": len(found.matches),
        "files_searched": found.files_searched,
        "files_with_matches": found.files_with_matches,
        "truncated": found.truncated,
        "stopped": found.stopped,
        "skipped": found.skipped,
        "long_lines": found.long_lines,
    }


# --- writing ------------------------------------------------------------------------------------


def edit(root: str, path: str, old_string: str, new_string: str, replace_all: bool = False) -> dict[str, Any]:
    where = _writable(root, path)
    if old_string == "":
        raise Invalid("old_string is empty: give the exact text to replace (use write to create a file)")
    if old_string == new_string:
        raise Invalid("old_string and new_string are the same: there is nothing to change")
    current = textfile.read_text(where.full, where.shown)
    text = current.text
    count = text.count(old_string)
    if count == 0:
        hint = ""
        if old_string.strip() and old_string.strip() in text:
            hint = " (it is there with other surrounding whitespace: copy it exactly, including indentation)"
        raise Invalid(f"old_string was not found in {where.shown}{hint}: nothing was changed; read the file again")
    if count > 1 and not replace_all:
        lines = _occurrence_lines(text, old_string)
        raise Invalid(
            f"old_string occurs {count} times in {where.shown} (at lines {', '.join(map(str, lines[:20]))}): "
            "nothing was changed. Include more of the surrounding text to make it unique, or set replace_all"
        )
    updated = text.replace(old_string, new_string) if replace_all else text.replace(old_string, new_string, 1)
    return _write_text(where, current, updated, replacements=count if replace_all else 1)


def write(root: str, path: str, content: str, overwrite: bool = True, create_dirs: bool = True) -> dict[str, Any]:
    where = _writable(root, path)
    if len(content.encode("utf-8")) > textfile.MAX_FILE_BYTES:
        raise LimitExceeded(f"content is larger than the {textfile.MAX_FILE_BYTES} bytes files writes")
    exists = textfile.check_writable_target(where.full, where.shown)
    if exists and not overwrite:
        raise Invalid(f"{where.shown} already exists and overwrite is false: nothing was changed")
    current = textfile.read_text(where.full, where.shown) if exists else None
    if not create_dirs and not os.path.isdir(posixpath.dirname(where.full)):
        raise Invalid(f"the directory of {where.shown} does not exist (set create_dirs to make it)")
    return _write_text(where, current, content, created=not exists)


def apply_patch(root: str, text: str, strip: int | None = None, dry_run: bool = False) -> dict[str, Any]:
    patches = patch.parse(text, strip=strip)
    changes: list[Change] = []
    reports: list[dict[str, Any]] = []
    diff_parts: list[str] = []
    touched: set[str] = set()
    for file_patch in patches:
        old = _writable(root, file_patch.old_path, "patched file") if file_patch.old_path is not None else None
        new = _writable(root, file_patch.new_path, "patched file") if file_patch.new_path is not None else None
        for where in (old, new):
            if where is not None and where.relative in touched:
                raise patch.PatchError(f"the patch changes {where.shown} more than once: merge those parts")
        touched.update(w.relative for w in (old, new) if w is not None)
        before = _patch_source(old)
        if new is not None and (old is None or new.relative != old.relative) and _kind(new.full) is not None:
            raise patch.PatchError(f"the patch creates {new.shown}, which already exists: nothing was changed")
        try:
            after_text = patch.apply(before.text if before else "", file_patch)
        except patch.PatchError as e:
            raise patch.PatchError(f"{e}. Nothing was changed") from None
        if new is None and after_text.strip():
            raise patch.PatchError(
                f"the patch deletes {old.shown if old else '?'}, but its hunks do not remove all of the file's "
                "text: nothing was changed"
            )
        encoded = (before or textfile.TextFile("")).encode(after_text) if new is not None else None
        if old is not None and (new is None or new.relative != old.relative):
            changes.append(Change(old.full, old.shown, None, _raw(old)))
        if new is not None:
            changes.append(Change(new.full, new.shown, encoded, _raw(new) if _kind(new.full) else None))
        shown_path = (new or old).shown  # type: ignore[union-attr]
        if file_patch.action == "rename":
            diff_parts.append(diffs.rename_diff(old.shown, new.shown))  # type: ignore[union-attr]
        diff = diffs.file_diff(shown_path, before.text if before else None, after_text if new is not None else None)
        added, removed = diffs.counts(diff)
        diff_parts.append(diff)
        report: dict[str, Any] = {"path": shown_path, "action": file_patch.action, "additions": added}
        report["deletions"] = removed
        if file_patch.action == "rename":
            report["old_path"] = old.shown  # type: ignore[union-attr]
        reports.append(report)
    if not dry_run:
        commit(changes)
    diff_text, cut = diffs.capped("".join(diff_parts))
    return {"applied": not dry_run, "dry_run": dry_run, "files": reports, "diff": diff_text, "diff_truncated": cut}


def move(root: str, source: str, destination: str, overwrite: bool = False) -> dict[str, Any]:
    origin = _writable(root, source, "source", follow_last=False)
    target = _writable(root, destination, "destination", follow_last=False)
    if not origin.relative:
        raise Invalid("the project directory itself cannot be moved")
    kind = _kind(origin.full, follow=False)
    if kind is None:
        raise Invalid(f"source {origin.shown} does not exist in the project")
    if target.relative == origin.relative:
        raise Invalid(f"source and destination are the same path ({origin.shown})")
    if kind == "dir" and (target.relative + "/").startswith(origin.relative + "/"):
        raise Invalid(f"cannot move the directory {origin.shown} into itself ({target.shown})")
    existing = _kind(target.full, follow=False)
    if existing == "dir":
        raise Invalid(f"destination {target.shown} is a directory: give the full new path, e.g. {target.shown}/name")
    if existing is not None and not overwrite:
        raise Invalid(f"destination {target.shown} already exists and overwrite is false: nothing was changed")
    if existing is not None and kind == "dir":
        raise Invalid(f"cannot replace the file {target.shown} with the directory {origin.shown}")
    parent = posixpath.dirname(target.full)
    if not os.path.isdir(parent):
        try:
            os.makedirs(parent)
        except OSError as e:
            raise textfile.write_error(e, target.shown) from None
    moved = [origin.relative] if kind != "dir" else _tree_files(origin)
    try:
        os.replace(origin.full, target.full)
    except OSError as e:
        raise textfile.write_error(e, origin.shown) from None
    renames = [(name, target.relative + name[len(origin.relative) :]) for name in moved]
    diff_text, cut = diffs.capped("".join(diffs.rename_diff(old, new) for old, new in renames))
    return {
        "from": origin.shown,
        "to": target.shown,
        "type": kind,
        "replaced": existing is not None,
        "diff": diff_text,
        "diff_truncated": cut,
    }


def delete(root: str, path: str, recursive: bool = False) -> dict[str, Any]:
    where = _writable(root, path, follow_last=False)
    if not where.relative:
        raise Invalid("the project directory itself cannot be deleted")
    kind = _kind(where.full, follow=False)
    if kind is None:
        raise Invalid(f"{where.shown} does not exist in the project")
    entries: list[tuple[str, str]] = []
    if kind == "dir":
        entries = _tree(where.full, where.relative)
        if entries and not recursive:
            raise Invalid(
                f"{where.shown} is a directory that is not empty: set recursive to delete it with its contents"
            )
        if len(entries) > MAX_DELETE_ENTRIES:
            raise LimitExceeded(f"{where.shown} holds more than {MAX_DELETE_ENTRIES} entries: delete it in parts")
        if any(is_git_internal(name) for name, _ in entries):
            raise Invalid(f"{where.shown} holds a git repository (.git): files does not delete repositories")
    files = [name for name, k in entries if k != "dir"] if kind == "dir" else [where.relative]
    diff_parts = [_deletion_diff(root, name) for name in files]
    try:
        for name, entry_kind in reversed(entries):  # children before their directories
            full = posixpath.join(root, name)
            os.rmdir(full) if entry_kind == "dir" else os.unlink(full)
        os.rmdir(where.full) if kind == "dir" else os.unlink(where.full)
    except OSError as e:
        raise textfile.write_error(e, where.shown) from None
    diff_text, cut = diffs.capped("".join(diff_parts))
    return {"path": where.shown, "type": kind, "deleted": files, "diff": diff_text, "diff_truncated": cut}


# --- helpers ------------------------------------------------------------------------------------


def _writable(root: str, path: str | None, what: str = "path", *, follow_last: bool = True) -> ProjectPath:
    where = resolve(root, path or "", what=what, follow_last=follow_last)
    if is_git_internal(where.relative):
        raise Invalid(f"{what} {where.shown} is inside .git: the repository's internals are git's to change")
    return where


def _directory(root: str, path: str) -> ProjectPath:
    where = resolve(root, path)
    kind = _kind(where.full)
    if kind is None:
        raise Invalid(f"{where.shown} does not exist in the project")
    if kind != "dir":
        raise Invalid(f"{where.shown} is not a directory")
    return where


def _kind(full: str, *, follow: bool = True) -> str | None:
    try:
        mode = (os.stat if follow else os.lstat)(full).st_mode
    except OSError:
        return None
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "link"
    return "file" if stat.S_ISREG(mode) else "other"


def _occurrence_lines(text: str, needle: str) -> list[int]:
    lines, start = [], 0
    while (found := text.find(needle, start)) >= 0:
        lines.append(text.count("\n", 0, found) + 1)
        start = found + 1
    return lines


def _write_text(
    where: ProjectPath,
    current: textfile.TextFile | None,
    updated: str,
    *,
    replacements: int | None = None,
    created: bool = False,
) -> dict[str, Any]:
    before = current.text if current is not None else None
    data = (current or textfile.TextFile("")).encode(updated)
    diff = diffs.file_diff(where.relative, before, updated)
    if before != updated or created:
        raw = current.encode(current.text) if current is not None else None
        commit([Change(where.full, where.shown, data, raw)])
    added, removed = diffs.counts(diff)
    diff_text, cut = diffs.capped(diff)
    result: dict[str, Any] = {"path": where.shown}
    if replacements is not None:
        result["replacements"] = replacements
    else:
        result["created"] = created
        result["bytes"] = len(data)
    result.update(changed=before != updated or created, additions=added, deletions=removed)
    result.update(diff=diff_text, diff_truncated=cut)
    return result


def _patch_source(where: ProjectPath | None) -> textfile.TextFile | None:
    if where is None:
        return None
    if _kind(where.full) is None:
        raise patch.PatchError(f"the patch changes {where.shown}, which does not exist: nothing was changed")
    return textfile.read_text(where.full, where.shown)


def _raw(where: ProjectPath) -> bytes:
    return textfile.read_bytes(where.full, where.shown)


def _tree_files(where: ProjectPath) -> list[str]:
    """The files and links under a directory, relative to the project (for a move's diff)."""
    return [
        posixpath.join(where.relative, e.relative)
        for e in walk(where.full, "", honour_gitignore=False)
        if e.kind != "dir"
    ]


def _tree(full: str, relative: str) -> list[tuple[str, str]]:
    """(relative path, kind) of everything under a directory, parents before children, links not followed."""
    found: list[tuple[str, str]] = []
    with os.scandir(full) as scan:
        children = sorted(scan, key=lambda e: e.name)
    for child in children:
        child_relative = posixpath.join(relative, child.name)
        kind = _kind(child.path, follow=False) or "other"
        found.append((child_relative, kind))
        if kind == "dir":
            found += _tree(child.path, child_relative)
    return found


def _deletion_diff(root: str, relative: str) -> str:
    full = posixpath.join(root, relative)
    if _kind(full, follow=False) != "file":
        return f"diff --git a/{relative} b/{relative}\ndeleted file mode 120000\n"
    try:
        data = textfile.read_bytes(full, relative)
    except (Invalid, LimitExceeded, Failed):
        return diffs.binary_diff(relative, deleted=True)
    if textfile.is_binary(data):
        return diffs.binary_diff(relative, deleted=True)
    return diffs.file_diff(relative, textfile.decode(data, relative).text, None)
