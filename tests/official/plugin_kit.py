"""What the tests of the newer official plugins share: their Python importable on this
CPython, a real project to work on, and a snapshot of a directory tree.

The plugins (files, github, deps, format, profile) keep their logic in a package that
registers nothing (`acc_files`, `acc_github`, ...), beside a thin module that registers
the commands. Tests import the package directly and call it with real parts: a real
project directory, the host's real http and process capability code, a real kv store.
The component tests (`test_*_component.py`) run the built plugin in the sandbox.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from host.capabilities.process.engine import SAFE_PATH
from tests.helpers import PLUGIN_SOURCES, REPO

GUEST_SDK = REPO / "sdk" / "guest"
HAS_GIT = shutil.which("git") is not None

# The dev environment's heavy pytest plugins (schemathesis imports for seconds) are
# disabled the way a project would: in its own configuration. `-ra -q --tb=short` are
# the ordinary options of a real project's addopts (the testing plugin must cope).
PYPROJECT = """[project]
name = "calc"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["requests>=2.31", "click==8.1.7"]

[project.optional-dependencies]
dev = ["pytest>=8"]

[tool.pytest.ini_options]
addopts = "-ra -q --tb=short -p no:schemathesis -p no:hypothesispytest -p no:anyio"
testpaths = ["tests"]
"""

OPS = '''"""Arithmetic for the calculator."""


def add(a, b):
    """The sum of a and b."""
    return a + b


def subtract(a, b):
    """a minus b."""
    return a - b


def total(values):
    """The sum of all values."""
    result = 0
    for value in values:
        result = add(result, value)
    return result
'''

TESTS = """from calc.ops import add, subtract, total


def test_add():
    assert add(1, 2) == 3


def test_subtract():
    assert subtract(3, 1) == 2


def test_total():
    assert total(range(5)) == 10
"""

GITIGNORE = "build/\n*.log\n.venv/\n"


def use_plugin_sources(*names: str) -> None:
    """Put the guest SDK and these plugins' source directories on sys.path."""
    for directory in (GUEST_SDK, *(PLUGIN_SOURCES[name] for name in names)):
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))


def host_transport(
    *hosts: str,
) -> Callable[[str, str, dict[str, str], bytes], tuple[int, list[tuple[str, str]], bytes]]:
    """The host's real http capability code as a plugin's transport, granted `hosts`.

    A refusal of the host (a host not granted, a bad header) reaches the plugin's code as
    the guest library's error of the same kind, as it does through the sandbox.
    """
    from acc_plugin import _errors

    from host.capabilities.errors import CapabilityError
    from host.capabilities.http import HttpRequest, HttpScope, fetch

    scope = HttpScope(hosts=hosts, timeout_seconds=10)

    def transport(
        method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        try:
            response = fetch(scope, HttpRequest(method, url, list(headers.items()), body))
        except CapabilityError as e:
            raise _errors._KINDS[e.kind](e.message) from None
        return response.status, response.headers, response.body

    return transport


def with_http_grant(archive: Path, out: Path, hosts: list[str]) -> Path:
    """A copy of a built plugin whose manifest's http grant lists `hosts` instead (the same
    component: the grant is the manifest's, never the code's). For tests on loopback."""
    import re

    from sdk.archive import archive_bytes, read_archive

    base = read_archive(archive)
    hosts_line = "hosts = [" + ", ".join(f'"{h}"' for h in hosts) + "]"
    text, count = re.subn(r"^hosts = \[.*\]$", hosts_line, base.manifest_text, count=1, flags=re.M)
    assert count == 1, "the manifest has no http hosts line"
    out.write_bytes(archive_bytes(text, base.wasm, base.readme, base.license))
    return out


def git(project: Path, *args: str) -> str:
    """Run git as a user would, with a fixed identity and no one's global config."""
    env = {
        "PATH": SAFE_PATH,
        "HOME": str(project.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_DATE": "2024-05-01T12:00:00+02:00",
        "GIT_COMMITTER_DATE": "2024-05-01T12:00:00+02:00",
    }
    done = subprocess.run(
        ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.com", "-c", "init.defaultBranch=main", *args],
        cwd=project,
        env=env,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode()


def make_project(root: Path, *, with_git: bool = True) -> Path:
    """A small Python project: a package, its tests, a pyproject.toml and a .gitignore,
    committed to a fresh git repository when git is installed."""
    (root / "calc").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "calc" / "__init__.py").write_text('"""A calculator."""\n')
    (root / "calc" / "ops.py").write_text(OPS)
    (root / "tests" / "test_ops.py").write_text(TESTS)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / ".gitignore").write_text(GITIGNORE)
    (root / "README.md").write_text("# calc\n\nA calculator.\n")
    if with_git and HAS_GIT:
        git(root, "init", "-q")
        git(root, "add", ".")
        git(root, "commit", "-q", "-m", "A calculator")
    return root


def snapshot(root: Path) -> dict[str, tuple[str, bytes, int]]:
    """Every entry under `root` (.git included): its kind, content or link target, and mode."""
    found: dict[str, tuple[str, bytes, int]] = {}
    for directory, names, files in os.walk(root):
        for name in [*names, *files]:
            path = Path(directory) / name
            info = path.lstat()
            relative = str(path.relative_to(root))
            if stat.S_ISLNK(info.st_mode):
                found[relative] = ("link", os.readlink(path).encode(), info.st_mode)
            elif stat.S_ISDIR(info.st_mode):
                found[relative] = ("dir", b"", info.st_mode)
            else:
                found[relative] = ("file", path.read_bytes(), info.st_mode)
    return found
