"""The deps plugin's logic on CPython: a real project with every kind of dependency file,
the host's real kv store as OSV's cache, and a scripted OSV on loopback reached through
the host's real http capability code (recording what it received).

The sandbox (the component, its grants) is in test_deps_component.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from host.capabilities.kv import KvScope, KvStore
from tests.official.deps_kit import POETRY_LOCK, FakeOsv, make_deps_project
from tests.official.plugin_kit import host_transport, snapshot, use_plugin_sources

use_plugin_sources("deps")

import json  # noqa: E402

from acc_deps import ops, pep508, requirements  # noqa: E402
from acc_plugin import Denied, Failed, LimitExceeded  # noqa: E402


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_deps_project(tmp_path / "calc-project")


@pytest.fixture
def osv() -> Iterator[FakeOsv]:
    with FakeOsv().running() as server:
        yield server  # type: ignore[misc]


class KvCache:
    """The guest library's kv calls (get_json/set_json) over the host's real KvStore."""

    def __init__(self, store: KvStore) -> None:
        self.store = store

    def get_json(self, key: str, default: Any = None) -> Any:
        raw = self.store.get(key)
        return default if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any) -> None:
        from host.capabilities.errors import LimitExceeded as HostLimit

        try:
            self.store.set(key, json.dumps(value).encode())
        except HostLimit as e:
            raise LimitExceeded(e.message) from None


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[KvCache]:
    store = KvStore(KvScope(tmp_path / "kv" / "deps.sqlite3", 16 * 1024 * 1024))
    yield KvCache(store)
    store.close()


def audit(project: Path, osv: FakeOsv, cache: KvCache | None, now: float = 1_000_000.0, **options: Any) -> Any:
    transport = host_transport(osv.origin_grant)
    return ops.audit(str(project), transport, cache, lambda: now, base_url=osv.url, **options)


# --- PEP 508 and requirements files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "extras", "specifier", "pinned", "url", "marker"),
    [
        ("requests==2.31.0", "requests", (), "==2.31.0", "2.31.0", None, None),
        ("Requests[socks, security] >= 2.0, < 3", "Requests", ("socks", "security"), ">=2.0,<3", None, None, None),
        ("django (==4.2.*)", "django", (), "==4.2.*", None, None, None),
        ("pkg===1.0-local", "pkg", (), "===1.0-local", "1.0-local", None, None),
        ('tomli>=1.1; python_version < "3.11"', "tomli", (), ">=1.1", None, None, 'python_version < "3.11"'),
        ("pip @ https://example.com/pip-24.0.whl", "pip", (), "", None, "https://example.com/pip-24.0.whl", None),
        ("zope.interface", "zope.interface", (), "", None, None, None),
    ],
)
def test_pep508_requirements_parse_into_name_extras_specifiers_url_and_marker(
    text: str,
    name: str,
    extras: tuple[str, ...],
    specifier: str,
    pinned: str | None,
    url: str | None,
    marker: str | None,
) -> None:
    parsed = pep508.parse(text)
    assert (parsed.name, parsed.extras, parsed.specifier, parsed.pinned_version) == (name, extras, specifier, pinned)
    assert (parsed.url, parsed.marker) == (url, marker)


@pytest.mark.parametrize("text", ["==1.0", "requests = 1.0", "requests >> 2", "requests @ "])
def test_text_that_is_not_a_requirement_is_refused(text: str) -> None:
    with pytest.raises(pep508.RequirementError):
        pep508.parse(text)


def test_names_compare_normalised() -> None:
    assert pep508.normalise("Zope.Interface") == pep508.normalise("zope_interface") == "zope-interface"


def test_a_requirements_file_as_pip_reads_it() -> None:
    text = (
        "# comment\n"
        "--index-url https://pypi.example/simple\n"
        "six==1.16.0  # trailing comment\n"
        "attrs==23.1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
        "-e git+https://github.com/x/y.git#egg=ylib\n"
        "./local-package\n"
        "https://files.example/pkg-1.0.whl\n"
        "not a requirement !!\n"
    )
    parsed = requirements.parse_file("req.txt", text)
    assert parsed.options == ["--index-url"]
    assert [(e.line, e.key, e.hashes, e.editable) for e in parsed.entries] == [
        (3, "six", (), False),
        (4, "attrs", ("sha256:aa", "sha256:bb"), False),
        (7, "ylib", (), True),
        (8, None, (), False),
        (9, None, (), False),
    ]
    assert parsed.uses_hashes and [e["line"] for e in parsed.errors] == [10]


def test_includes_are_followed_once_relative_to_the_including_file() -> None:
    files = {
        "req/main.txt": "-r base.txt\n-c ../constraints.txt\nflask\n",
        "req/base.txt": "-r main.txt\nsix==1.16.0\n",
        "constraints.txt": "six==1.16.0\n",
    }
    parsed = requirements.parse_tree("req/main.txt", files.__getitem__)
    assert [p.path for p in parsed] == ["req/main.txt", "req/base.txt", "constraints.txt"]
    assert parsed[2].entries[0].constraint is True


# --- list ---------------------------------------------------------------------------------------


def test_list_gives_direct_requirements_with_their_place_and_every_locked_package(project: Path) -> None:
    result = ops.list_dependencies(str(project))
    assert [s["path"] for s in result["sources"]] == [
        "pyproject.toml",
        "uv.lock",
        "requirements-dev.txt",
        "constraints.txt",
        "requirements.txt",
        "requirements-base.txt",
    ]
    assert result["project"] == "calc" and result["locks"] == ["uv.lock"] and result["errors"] == []
    direct = {(d["file"], d["name"]): d for d in result["direct"]}
    click = direct[("pyproject.toml", "click")]
    assert (click["pinned"], click["version"], click["group"], click["line"]) == (True, "8.1.7", "main", 6)
    assert direct[("pyproject.toml", "pytest")]["group"] == "extra:dev"
    assert direct[("pyproject.toml", "ruff")]["group"] == "group:lint"
    requests_pin = direct[("requirements.txt", "requests")]
    assert (requests_pin["version"], requests_pin["hashes"], requests_pin["line"]) == ("2.19.0", 1, 3)
    assert direct[("requirements-base.txt", "idna")]["group"] == "requirements.txt"
    assert direct[("constraints.txt", "certifi")]["constraint"] is True
    transitive = {p["name"]: p for p in result["transitive"]}
    assert sorted(transitive) == ["certifi", "click", "idna", "requests", "urllib3"]
    assert (transitive["requests"]["direct"], transitive["urllib3"]["direct"]) == (True, False)
    assert transitive["requests"]["depends_on"] == ["certifi", "idna", "urllib3"]
    assert transitive["idna"]["source"] == "pypi"


def test_list_reads_a_poetry_lock_and_named_files_only(project: Path) -> None:
    (project / "poetry.lock").write_text(POETRY_LOCK)
    result = ops.list_dependencies(str(project), paths=["poetry.lock", "requirements-base.txt"])
    assert [s["kind"] for s in result["sources"]] == ["poetry.lock", "requirements"]
    assert [(p["name"], p["version"], p["depends_on"]) for p in result["transitive"]] == [
        ("Flask", "2.0.0", ["werkzeug", "click"]),
        ("werkzeug", "2.0.0", []),
    ]


def test_poetry_tables_in_pyproject_are_read(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "calc"\n\n[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "2.31.0"\n'
        'click = "^8.1"\nrich = {version = "==13.7.1", extras = ["jupyter"]}\n\n'
        '[tool.poetry.group.test.dependencies]\npytest = "*"\n'
    )
    result = ops.list_dependencies(str(project), paths=["pyproject.toml"])
    pins = {d["name"]: (d["version"], d["group"]) for d in result["direct"]}
    assert pins == {
        "requests": ("2.31.0", "main"),
        "click": (None, "main"),
        "rich": ("13.7.1", "main"),
        "pytest": (None, "group:test"),
    }


def test_deps_reads_only_the_projects_own_files(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("secret==1.0\n")
    (project / "requirements-linked.txt").symlink_to(outside)
    (project / "requirements-up.txt").write_text("-r ../elsewhere.txt\n")
    result = ops.list_dependencies(str(project))
    assert "secret" not in json.dumps(result["direct"])
    errors = {e["file"]: e["error"] for e in result["errors"]}
    assert "symbolic link" in errors["requirements-linked.txt"]
    assert any("not a path inside the project" in e["error"] for e in result["errors"])


# --- check --------------------------------------------------------------------------------------


def test_check_flags_duplicates_conflicting_pins_missing_hashes_unpinned_and_stale_locks(project: Path) -> None:
    before = snapshot(project)
    result = ops.check(str(project))
    assert result["passed"] is False
    assert result["counts"] == {
        "duplicate": 1,
        "conflicting-pins": 1,
        "missing-hash": 3,
        "unpinned": 6,
        "not-locked": 2,
    }
    by_check: dict[str, list[dict[str, Any]]] = {}
    for finding in result["findings"]:
        by_check.setdefault(finding["check"], []).append(finding)
    duplicate = by_check["duplicate"][0]
    assert (duplicate["name"], duplicate["severity"], [p["line"] for p in duplicate["places"]]) == (
        "requests",
        "error",
        [3, 7],
    )
    conflict = by_check["conflicting-pins"][0]
    assert conflict["name"] == "click" and conflict["detail"] == "pinned to different versions: 8.0.0, 8.1.7"
    assert {f["name"] for f in by_check["missing-hash"]} == {"flask", "Requests", "idna"}
    unpinned = {(f["name"], f["file"]): (f["severity"], f.get("locked_version")) for f in by_check["unpinned"]}
    assert unpinned[("requests", "pyproject.toml")] == ("info", "2.19.0")
    assert unpinned[("flask", "requirements.txt")] == ("warning", None)
    assert {f["name"] for f in by_check["not-locked"]} == {"pytest", "ruff"}
    assert snapshot(project) == before


def test_check_passes_a_clean_project_and_fails_unpinned_ones_only_when_asked(project: Path) -> None:
    (project / "requirements-base.txt").write_text("idna==2.7\nsix\n")
    assert ops.check(str(project), paths=["requirements-base.txt"])["passed"] is True
    strict = ops.check(str(project), paths=["requirements-base.txt"], fail_on_unpinned=True)
    assert strict["passed"] is False and strict["findings"][0]["severity"] == "error"


# --- audit --------------------------------------------------------------------------------------


def test_audit_asks_osv_once_for_every_locked_package_and_reports_the_vulnerable_ones(
    project: Path, osv: FakeOsv, cache: KvCache
) -> None:
    result = audit(project, osv, cache)
    assert result["passed"] is False and result["from"] == "lock files" and result["audited"] == 5
    assert [(v["name"], v["version"], [x["id"] for x in v["vulnerabilities"]]) for v in result["vulnerable"]] == [
        ("idna", "2.7", ["PYSEC-2019-99", "PYSEC-2024-60"]),
        ("requests", "2.19.0", ["GHSA-x84v-xcm2-53pg"]),
        ("urllib3", "1.26.4", ["GHSA-q2q7-5pp4-w6pg"]),
    ]
    requests_vuln = result["vulnerable"][1]["vulnerabilities"][0]
    assert requests_vuln == {
        "id": "GHSA-x84v-xcm2-53pg",
        "summary": "A flaw in requests",
        "aliases": ["CVE-2018-18074"],
        "severity": "MODERATE",
        "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        "fixed_in": ["2.20.0"],
        "published": "2019-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
        "url": "https://osv.dev/vulnerability/GHSA-x84v-xcm2-53pg",
    }
    first, paged = osv.batches
    assert first.json() == {
        "queries": [
            {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}
            for name, version in [
                ("certifi", "2024.2.2"),
                ("click", "8.1.7"),
                ("idna", "2.7"),
                ("requests", "2.19.0"),
                ("urllib3", "1.26.4"),
            ]
        ]
    }
    assert paged.json() == {
        "queries": [{"package": {"name": "idna", "ecosystem": "PyPI"}, "version": "2.7", "page_token": "page-2"}]
    }
    assert sorted(r.path for r in osv.received if r.method == "GET") == [
        "/v1/vulns/GHSA-q2q7-5pp4-w6pg",
        "/v1/vulns/GHSA-x84v-xcm2-53pg",
        "/v1/vulns/PYSEC-2019-99",
        "/v1/vulns/PYSEC-2024-60",
    ]
    assert result["cache"] == {"used": True, "hits": 0, "queried": 5, "details_fetched": 4, "errors": 0}


def test_a_second_audit_is_answered_from_the_cache_until_it_is_too_old(
    project: Path, osv: FakeOsv, cache: KvCache
) -> None:
    first = audit(project, osv, cache, now=1_000_000.0)
    asked = len(osv.received)
    again = audit(project, osv, cache, now=1_000_000.0 + 3600)
    assert again["vulnerable"] == first["vulnerable"]
    assert len(osv.received) == asked, "nothing asked of OSV"
    assert again["cache"]["hits"] == 5 and again["cache"]["queried"] == 0
    stale = audit(project, osv, cache, now=1_000_000.0 + 25 * 3600)
    assert stale["cache"]["queried"] == 5 and len(osv.batches) == 4
    refreshed = audit(project, osv, cache, now=1_000_000.0 + 25 * 3600, refresh=True)
    assert refreshed["cache"]["hits"] == 0 and refreshed["cache"]["details_fetched"] == 4


def test_audit_without_a_cache_or_a_lock_file_audits_the_pinned_requirements(project: Path, osv: FakeOsv) -> None:
    result = audit(project, osv, None, paths=["requirements.txt"])
    assert result["from"] == "pinned requirements" and result["cache"]["used"] is False
    assert [v["name"] for v in result["vulnerable"]] == ["idna", "requests", "urllib3"]
    assert [n["name"] for n in result["not_audited"]] == ["flask", "Requests"]


def test_audit_with_a_full_cache_still_reports(project: Path, osv: FakeOsv, tmp_path: Path) -> None:
    store = KvStore(KvScope(tmp_path / "tiny.sqlite3", 64))
    try:
        result = audit(project, osv, KvCache(store))
    finally:
        store.close()
    assert len(result["vulnerable"]) == 3 and result["cache"]["errors"] > 0


def test_a_clean_project_passes_the_audit(project: Path, osv: FakeOsv, cache: KvCache) -> None:
    (project / "requirements-base.txt").write_text("certifi==2024.2.2\n")
    result = audit(project, osv, cache, paths=["requirements-base.txt"])
    assert (result["passed"], result["vulnerable"], result["audited"]) == (True, [], 1)


def test_osv_is_reached_only_through_the_grant(project: Path, osv: FakeOsv) -> None:
    """The shipped grant lists api.osv.dev only: a base_url elsewhere is refused by the host."""
    with pytest.raises(Denied, match="not in the plugin's http grant"):
        ops.audit(str(project), host_transport("api.osv.dev"), None, lambda: 0.0, base_url=osv.url)
    assert osv.received == []


def test_an_osv_answer_that_does_not_fit_the_questions_is_a_failure(project: Path, osv: FakeOsv) -> None:
    osv.routes.insert(0, ("POST", __import__("re").compile(r"/v1/querybatch"), lambda r, m: (200, {"results": []})))
    with pytest.raises(Failed, match="one result per query"):
        audit(project, osv, None)
