"""The deps plugin in its sandbox: the built component in the real host, on a real project,
against a scripted OSV on loopback (installed with a manifest whose http grant lists the
stand-in's origin instead of api.osv.dev), with the host's kv store as the cache."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host.errors import PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from tests.helpers import TEST_CACHE, install_unsigned
from tests.official.deps_kit import FakeOsv, make_deps_project
from tests.official.plugin_kit import snapshot, with_http_grant

pytestmark = pytest.mark.slow


@pytest.fixture
def osv() -> Iterator[FakeOsv]:
    with FakeOsv().running() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_deps_project(tmp_path / "calc-project")


@pytest.fixture
def install(tmp_path: Path, osv: FakeOsv, built_archives: Callable[[str], Path]) -> Iterator[Callable[..., HostPaths]]:
    def install_(*, deny: tuple[str, ...] = (), shipped: bool = False) -> HostPaths:
        archive = built_archives("deps")
        if not shipped:
            archive = with_http_grant(archive, tmp_path / "deps-loopback.plugin", [osv.origin_grant])
        paths = HostPaths(home=tmp_path / "home", cache=TEST_CACHE)
        install_unsigned(paths, archive, grant=tuple(k for k in ("fs", "http", "kv") if k not in deny), deny=deny)
        return paths

    yield install_


def run(paths: HostPaths, project: Path, command: str, value: dict[str, object]) -> dict[str, object]:
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        result = host.run("deps", command, value)
    assert isinstance(result, dict)
    return result


def test_list_check_and_audit_in_the_sandbox_with_osv_answers_cached_in_kv(
    project: Path, osv: FakeOsv, install: Callable[..., HostPaths]
) -> None:
    paths = install()
    before = snapshot(project)
    listed = run(paths, project, "list", {})
    assert listed["project"] == "calc" and len(listed["transitive"]) == 5  # type: ignore[arg-type]
    checked = run(paths, project, "check", {})
    assert checked["passed"] is False and checked["counts"]["conflicting-pins"] == 1  # type: ignore[index]

    first = run(paths, project, "audit", {"base_url": osv.url})
    assert first["passed"] is False
    assert [v["name"] for v in first["vulnerable"]] == ["idna", "requests", "urllib3"]  # type: ignore[union-attr]
    assert first["cache"] == {"used": True, "hits": 0, "queried": 5, "details_fetched": 4, "errors": 0}
    asked = len(osv.received)
    again = run(paths, project, "audit", {"base_url": osv.url})
    assert again["vulnerable"] == first["vulnerable"]
    assert again["cache"]["hits"] == 5 and len(osv.received) == asked  # type: ignore[index]
    assert snapshot(project) == before


def test_audit_without_the_kv_grant_asks_osv_every_time(
    project: Path, osv: FakeOsv, install: Callable[..., HostPaths]
) -> None:
    paths = install(deny=("kv",))
    run(paths, project, "audit", {"base_url": osv.url})
    second = run(paths, project, "audit", {"base_url": osv.url})
    assert second["cache"]["used"] is False and len(osv.batches) == 4  # type: ignore[index]


def test_the_shipped_grant_reaches_only_api_osv_dev_and_reading_needs_no_network(
    project: Path, osv: FakeOsv, install: Callable[..., HostPaths]
) -> None:
    paths = install(shipped=True)
    with pytest.raises(PluginFailed) as refused:
        run(paths, project, "audit", {"base_url": osv.url})
    assert refused.value.kind == "denied" and "not in the plugin's http grant" in refused.value.detail
    assert osv.received == []
    assert run(paths, project, "check", {})["counts"]["duplicate"] == 1  # type: ignore[index]


def test_without_the_http_grant_audit_is_denied_and_list_still_works(
    project: Path, osv: FakeOsv, install: Callable[..., HostPaths]
) -> None:
    paths = install(deny=("http",))
    with pytest.raises(PluginFailed) as refused:
        run(paths, project, "audit", {"base_url": osv.url})
    assert refused.value.kind == "denied"
    assert osv.received == []
    assert run(paths, project, "list", {"include_transitive": False})["locks"] == ["uv.lock"]
