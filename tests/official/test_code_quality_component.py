"""The official code-quality plugin, built with componentize-py and run in the real host.

One test per command and check family, run by the guest's own Python (its ast decides
positions and complexity), plus what only the sandbox decides: the project as WASI shows
it (links out of it, vendored and binary files), a missing fs grant, and the host's input
checks. The rest is tested on CPython (test_code_quality.py); what is planted and expected
is in quality_kit.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host.errors import InputError, PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from tests.helpers import TEST_CACHE, install_unsigned
from tests.official.quality_kit import (
    BAD_FINDINGS,
    COMPLEXITY,
    ENV_KEY,
    GITHUB_TOKEN,
    LINT_BAD,
    NO_SKIPS,
    PLANTED,
    SETTINGS,
    Quality,
    function,
)

pytestmark = pytest.mark.slow

Archives = Callable[[str], Path]


@pytest.fixture(scope="module")
def quality_home(tmp_path_factory: pytest.TempPathFactory, built_archives: Archives) -> HostPaths:
    paths = HostPaths(home=tmp_path_factory.mktemp("code-quality-home"), cache=TEST_CACHE)
    install_unsigned(paths, built_archives("code-quality"), yes=True)
    return paths


@pytest.fixture
def quality(quality_home: HostPaths, tmp_path: Path) -> Iterator[Quality]:
    root = tmp_path / "project"
    root.mkdir()
    logs: list[str] = []
    options = RunOptions(project_dir=root, emit_log=lambda _plugin, level, message: logs.append(f"{level}: {message}"))
    with PluginHost(quality_home, options) as host:
        yield Quality(host, root, logs)


# -- complexity -------------------------------------------------------------------------------


def test_complexity_counts_decision_points_like_radon_worst_first(quality: Quality) -> None:
    quality.write("shapes.py", COMPLEXITY)
    result = quality.run("complexity")
    assert result == {
        "path": ".",
        "max_complexity": 10,
        "functions": [
            # 1 + if, and, elif, for, for-else, while, 2 excepts, try-else, ternary, comprehension for+if, assert
            function("branches", 5, 31, 14),
            function("matcher", 34, 43, 4),  # 3 cases and the catch-all; the guard adds nothing
            function("outer", 46, 52, 3),  # the lambda's ternary counts; inner's if does not
            function("Shape.area", 56, 61, 3, kind="method", column=5),
            function("Shape.fetch", 63, 66, 3, kind="method", column=5),
            function("groups", 69, 75, 3),  # except* clauses count like except
            function("outer.inner", 47, 50, 2, column=5),
            function("simple", 1, 2, 1),
        ],
        "total_functions": 8,
        "over_threshold": 1,
        "average": 4.12,
        "max": 14,
        "errors": [],
        "errors_total": 0,
        "scan": {"files": 1, **NO_SKIPS},
    }


# -- lint -------------------------------------------------------------------------------------


def test_lint_reports_every_check_with_its_code_position_and_message(quality: Quality) -> None:
    quality.write("bad.py", LINT_BAD)
    result = quality.run("lint")
    assert result["findings"] == BAD_FINDINGS
    assert result["total"] == len(BAD_FINDINGS)
    assert result["by_code"] == {
        "CQ101": 3,
        "CQ102": 3,
        "CQ103": 4,
        "CQ104": 3,
        "CQ105": 4,
        "CQ106": 1,
        "CQ108": 2,
        "CQ109": 1,
        "CQ110": 1,
        "CQ111": 2,
        "CQ112": 1,
        "CQ113": 1,
    }
    assert result["suppressed"] == 0
    assert result["scan"] == {"files": 1, **NO_SKIPS}


# -- secrets ----------------------------------------------------------------------------------


def test_no_output_of_any_command_contains_a_planted_secret(quality: Quality) -> None:
    quality.write("settings.py", SETTINGS)
    quality.write(".env", f"API_KEY={ENV_KEY}\n")
    # A secret on a line Python cannot parse: the syntax error must not quote the line.
    quality.write("broken.py", f'token = "{GITHUB_TOKEN}" +\n')
    for command in ("complexity", "lint", "secrets", "report"):
        quality.run(command)
    assert quality.run("secrets")["total"] == 11
    transcript = quality.transcript()
    assert "ghp_" in transcript and "AKIA" in transcript  # the redacted forms are there...
    for planted in PLANTED:
        assert planted not in transcript  # ...the secrets are not


# -- what gets read ---------------------------------------------------------------------------


def test_binary_large_linked_and_vendored_files_are_skipped_and_reported(quality: Quality, tmp_path: Path) -> None:
    quality.write("app.py", "def main():\n    return 1\n")
    quality.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00" + GITHUB_TOKEN.encode())  # binary: never scanned
    quality.write("big.py", "x = 1\n" * 500)
    quality.write("latin.py", b"name = '\xe9t\xe9'\n")  # Latin-1 without a coding line: not Python source
    quality.write(".git/config", f"token = {GITHUB_TOKEN}\n")
    quality.write("node_modules/pkg/index.js", f'const key = "{GITHUB_TOKEN}";\n')
    quality.write("env/pyvenv.cfg", "home = /usr/bin\n")
    quality.write("env/lib/site.py", "import os\n")
    quality.write("build/lib/app.py", "import os\n")
    quality.write("tests/fixtures/key.txt", f"{GITHUB_TOKEN}\n")
    outside = tmp_path / "outside.py"
    outside.write_text(f'leak = "{GITHUB_TOKEN}"\n')
    os.symlink(outside, quality.root / "linked.py")

    result = quality.run("report", max_file_bytes=2048, exclude=["fixtures"])
    assert result["scan"] == {
        "files": 2,  # app.py, and latin.py as text for the secret scan
        "skipped": [
            {"path": ".git", "reason": "hidden"},
            {"path": "build", "reason": "build-output"},
            {"path": "env", "reason": "virtualenv"},
            {"path": "linked.py", "reason": "symlink"},
            {"path": "node_modules", "reason": "dependencies"},
            {"path": "tests/fixtures", "reason": "excluded"},
            {"path": "big.py", "reason": "too-large"},
            {"path": "latin.py", "reason": "undecodable"},
            {"path": "logo.png", "reason": "binary"},
        ],
        "skipped_total": 9,
        "truncated": False,
        "python_files": 1,
    }
    assert result["passed"] is True
    assert GITHUB_TOKEN not in quality.transcript()


def test_without_the_fs_grant_every_command_is_denied_with_the_way_to_grant_it(
    built_archives: Archives, tmp_path: Path, project: Path
) -> None:
    paths = HostPaths(home=tmp_path / "denied-home", cache=TEST_CACHE)
    install_unsigned(paths, built_archives("code-quality"), deny=("fs",))
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        for command in ("complexity", "lint", "secrets", "report"):
            with pytest.raises(PluginFailed) as caught:
                host.run("code-quality", command, {})
            assert caught.value.kind == "denied"
            assert "acc plugin grant code-quality fs" in caught.value.detail


# -- the manifest: agent-ready schemas and a read-only grant ----------------------------------


def test_the_host_refuses_unknown_or_out_of_range_input_before_the_plugin_runs(quality: Quality) -> None:
    with pytest.raises(InputError, match="Additional properties are not allowed"):
        quality.host.run("code-quality", "lint", {"paths": "."})
    with pytest.raises(InputError, match="is not one of"):
        quality.host.run("code-quality", "lint", {"ignore": ["E501"]})
    with pytest.raises(InputError, match="is greater than the maximum"):
        quality.host.run("code-quality", "complexity", {"max_files": 10**9})
