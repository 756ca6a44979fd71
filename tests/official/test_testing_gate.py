"""The testing plugin on real projects, and as a CI gate: the built component in the real host.

- a project whose pytest addopts name terminal options (`-ra -q --tb=short`), the kind
  `-p no:terminal` used to break, and this repository's own suite;
- a pytest usage error comes back as an error, not as a result;
- `acc plugin run testing run` exits 1 when a test fails (the command's verdict), and the
  same for `code-quality report`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from acc_cli.root import cli
from host.errors import PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from tests.helpers import REPO, TEST_CACHE, install_unsigned
from tests.official.plugin_kit import make_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]) -> HostPaths:
    paths = HostPaths(home=tmp_path_factory.mktemp("testing-gate-home"), cache=TEST_CACHE)
    install_unsigned(paths, built_archives("testing"), grant=("process", "fs"), deny=("kv",))
    install_unsigned(paths, built_archives("code-quality"), grant=("fs",))
    return paths


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "calc-project")


@pytest.fixture
def host(home: HostPaths) -> Iterator[Callable[[Path], PluginHost]]:
    hosts: list[PluginHost] = []

    def open_(project: Path) -> PluginHost:
        hosts.append(PluginHost(home, RunOptions(project_dir=project)))
        return hosts[-1]

    yield open_
    for opened in hosts:
        opened.close()


def test_run_works_on_a_project_whose_addopts_name_terminal_options(
    project: Path, host: Callable[[Path], PluginHost]
) -> None:
    assert "-ra -q --tb=short" in (project / "pyproject.toml").read_text()
    result = host(project).run("testing", "run", {})
    assert (result["status"], result["passed"]) == ("passed", True)
    assert result["totals"]["tests"] == 3 and result["totals"]["passed"] == 3
    assert [t["node_id"] for t in result["tests"]] == [
        "tests/test_ops.py::test_add",
        "tests/test_ops.py::test_subtract",
        "tests/test_ops.py::test_total",
    ]


def test_run_reports_on_this_repositorys_own_suite(host: Callable[[Path], PluginHost], tmp_path: Path) -> None:
    """The repository's pyproject.toml has addopts = "-ra --strict-markers". Run on a copy of
    its tracked files: the checkout itself may hold the test cache of compiled components,
    which the project guard rightly refuses to hand to a plugin."""
    result = host(tracked_copy(REPO, tmp_path / "acc")).run(
        "testing", "run", {"paths": ["tests/sdk/test_index_format.py", "tests/host/test_verdict.py"]}
    )
    assert result["status"] == "passed", result.get("output")
    assert result["totals"]["failed"] == 0 and result["totals"]["tests"] >= 10
    assert any(t["node_id"].startswith("tests/host/test_verdict.py::") for t in result["tests"])


def tracked_copy(repo: Path, into: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = repo / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ({"keyword": "add and and"}, "Wrong expression passed to '-k'"),
        ({"marker": "not ("}, "Wrong expression passed to '-m'"),
    ],
)
def test_a_pytest_usage_error_is_an_invalid_error_with_pytests_words(
    project: Path, host: Callable[[Path], PluginHost], value: dict[str, str], said: str
) -> None:
    with pytest.raises(PluginFailed) as failure:
        host(project).run("testing", "run", value)
    assert failure.value.kind == "invalid"
    assert "pytest could not run" in failure.value.detail and said in failure.value.detail


def _acc(home: HostPaths, *args: str) -> tuple[int, dict[str, object], str]:
    env = {"ACC_HOME": str(home.home), "ACC_CACHE_DIR": str(TEST_CACHE)}
    done = CliRunner().invoke(cli, ["plugin", "run", *args, "--quiet"], env=env)
    return done.exit_code, json.loads(done.stdout), done.stderr


def test_acc_plugin_run_exits_1_when_a_test_fails_and_0_when_all_pass(home: HostPaths, project: Path) -> None:
    status, result, _ = _acc(home, "testing", "run", "--project", str(project))
    assert (status, result["passed"]) == (0, True)

    ops = project / "calc" / "ops.py"
    ops.write_text(ops.read_text().replace("return a - b", "return b - a"))
    status, result, stderr = _acc(home, "testing", "run", "--project", str(project))
    assert status == 1
    assert (result["status"], result["passed"], result["totals"]["failed"]) == ("failed", False, 1)
    assert stderr == "failed: testing run: passed: false\n"


def test_acc_plugin_run_exits_1_when_the_quality_report_fails(home: HostPaths, project: Path) -> None:
    status, result, _ = _acc(home, "code-quality", "report", "--project", str(project))
    assert (status, result["passed"]) == (0, True)
    (project / "calc" / "settings.py").write_text('AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLF"\n')
    status, result, stderr = _acc(home, "code-quality", "report", "--project", str(project))
    assert (status, result["passed"]) == (1, False)
    assert "failed: code-quality report: passed: false" in stderr
