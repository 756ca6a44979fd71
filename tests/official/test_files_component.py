"""The files plugin in its sandbox: the built component in the real host, on a real project.

What only the sandbox can show: every command through the ABI and the host's input
checks, a link out of the project as WASI sees it, the project mounted read-only when
the user grants fs for reading only, and no project at all without the fs grant. The
commands' logic is tested on CPython (test_files.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from host.errors import InputError, PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from host.store import LocalStore
from tests.helpers import TEST_CACHE, install_unsigned
from tests.official.plugin_kit import OPS, make_project, snapshot

pytestmark = pytest.mark.slow

WRITES: dict[str, dict[str, Any]] = {
    "edit": {"path": "calc/ops.py", "old_string": "a - b", "new_string": "b - a"},
    "write": {"path": "calc/new.py", "content": "X = 1\n"},
    "apply-patch": {"patch": "--- /dev/null\n+++ b/NEW.md\n@@ -0,0 +1 @@\n+new\n"},
    "move": {"source": "README.md", "destination": "docs/README.md"},
    "delete": {"path": "README.md"},
}


@pytest.fixture(scope="module")
def archive(built_archives: Callable[[str], Path]) -> Path:
    return built_archives("files")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "calc-project")


@pytest.fixture
def open_host(tmp_path: Path, archive: Path) -> Iterator[Callable[..., PluginHost]]:
    """Install files into a fresh ACC_HOME (fs granted unless denied) and open a host on a project."""
    hosts: list[PluginHost] = []

    def open_(project: Path, *, deny: tuple[str, ...] = (), read_only: bool = False) -> PluginHost:
        paths = HostPaths(home=tmp_path / f"home-{len(hosts)}", cache=TEST_CACHE)
        install_unsigned(paths, archive, grant=() if deny else ("fs",), deny=deny)
        if read_only:
            LocalStore(paths).set_grant("files", "fs", True, read_only=True)
        host = PluginHost(paths, RunOptions(project_dir=project))
        hosts.append(host)
        return host

    yield open_
    for host in hosts:
        host.close()


def test_every_command_runs_in_the_sandbox_and_each_write_returns_its_diff(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host(project)
    (project / "build").mkdir()
    (project / "build" / "out.txt").write_text("ignored by .gitignore\n")

    read = host.run("files", "read", {"path": "calc/ops.py", "offset": 4, "limit": 1})
    assert read["content"] == "     4\tdef add(a, b):\n" and read["total_lines"] == len(OPS.splitlines())
    listed = host.run("files", "list", {"globs": ["*.py"]})
    assert [e["path"] for e in listed["entries"]] == ["calc/__init__.py", "calc/ops.py", "tests/test_ops.py"]
    assert host.run("files", "list", {})["ignored"] == 1
    found = host.run("files", "search", {"pattern": r"return a \W b", "context": 0})
    assert [(m["path"], m["line"]) for m in found["matches"]] == [("calc/ops.py", 6), ("calc/ops.py", 11)]

    edited = host.run("files", "edit", WRITES["edit"])
    assert "-    return a - b\n+    return b - a\n" in edited["diff"]
    written = host.run("files", "write", WRITES["write"])
    assert written["created"] is True and "+X = 1\n" in written["diff"]
    patched = host.run("files", "apply-patch", WRITES["apply-patch"])
    assert patched["files"] == [{"path": "NEW.md", "action": "create", "additions": 1, "deletions": 0}]
    moved = host.run("files", "move", WRITES["move"])
    assert "rename to docs/README.md" in moved["diff"]
    deleted = host.run("files", "delete", {"path": "NEW.md"})
    assert deleted["deleted"] == ["NEW.md"]

    assert "return b - a" in (project / "calc" / "ops.py").read_text()
    assert (project / "calc" / "new.py").read_text() == "X = 1\n"
    assert (project / "docs" / "README.md").is_file() and not (project / "NEW.md").exists()
    assert not list(project.rglob("*.acc-tmp")), "no temporary file is left behind"


def test_the_sandbox_refuses_a_link_out_of_the_project_for_reading_and_writing(
    project: Path, tmp_path: Path, open_host: Callable[..., PluginHost]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret\n")
    (project / "leak").symlink_to(outside / "secret.txt")
    (project / "up").symlink_to("..")
    host = open_host(project)
    before, outside_before = snapshot(project), snapshot(outside)
    attempts = [
        ("read", {"path": "leak"}),
        ("read", {"path": "up/outside/secret.txt"}),
        ("edit", {"path": "leak", "old_string": "secret", "new_string": "owned"}),
        ("write", {"path": "up/outside/secret.txt", "content": "owned\n"}),
        ("apply-patch", {"patch": "--- a/leak\n+++ b/leak\n@@ -1 +1 @@\n-secret\n+owned\n"}),
    ]
    for command, value in attempts:
        with pytest.raises(PluginFailed) as refusal:
            host.run("files", command, value)
        assert refusal.value.kind in ("denied", "invalid"), (command, refusal.value)
        assert "outside the project" in refusal.value.detail, (command, refusal.value.detail)
    found = host.run("files", "search", {"pattern": "secret"})
    assert found["matches"] == [], "search neither follows the link nor reads the target"
    assert snapshot(project) == before and snapshot(outside) == outside_before


def test_a_read_only_grant_allows_reading_and_refuses_every_write_changing_nothing(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host(project, read_only=True)
    assert host.run("files", "read", {"path": "README.md"})["total_lines"] == 3
    assert host.run("files", "list", {})["count"] > 0
    assert host.run("files", "search", {"pattern": "calc"})["match_count"] > 0
    dry = host.run("files", "apply-patch", {**WRITES["apply-patch"], "dry_run": True})
    assert dry["applied"] is False
    before = snapshot(project)
    for command, value in WRITES.items():
        with pytest.raises(PluginFailed) as refusal:
            host.run("files", command, value)
        assert refusal.value.kind == "denied", command
        assert "mounted read-only" in refusal.value.detail and "nothing was changed" in refusal.value.detail
    assert snapshot(project) == before


def test_without_the_fs_grant_every_command_is_denied_with_how_to_grant_it(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host(project, deny=("fs",))
    for command, value in [("read", {"path": "README.md"}), ("list", {}), *WRITES.items()]:
        with pytest.raises(PluginFailed) as refusal:
            host.run("files", command, value)
        assert refusal.value.kind == "denied"
        assert "acc plugin grant files fs" in refusal.value.detail


def test_the_host_refuses_input_outside_a_commands_schema(project: Path, open_host: Callable[..., PluginHost]) -> None:
    host = open_host(project)
    for command, value in [
        ("read", {}),
        ("read", {"path": "README.md", "offset": 0}),
        ("edit", {"path": "x", "old_string": "", "new_string": "y"}),
        ("search", {"pattern": "x", "context": 99}),
        ("list", {"type": "socket"}),
        ("delete", {"path": "x", "force": True}),
    ]:
        with pytest.raises(InputError):
            host.run("files", command, value)


def test_an_edited_executable_script_loses_its_x_bit_as_the_readme_says(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    """The README's known limitation, pinned: WASI has no file modes, a rewrite gets the default."""
    script = project / "run.sh"
    script.write_text("#!/bin/sh\necho one\n")
    script.chmod(0o755)
    open_host(project).run("files", "edit", {"path": "run.sh", "old_string": "one", "new_string": "two"})
    assert script.read_text() == "#!/bin/sh\necho two\n"
    assert script.stat().st_mode & 0o111 == 0
